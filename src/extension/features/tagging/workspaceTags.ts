// The tags of every workspace folder: one FolderTags per folder (created on first use), the tag
// prompt embedding caches, the tags files and vocabularies reloaded when they change on disk or
// in the settings, and the synchronous readers the gallery and `tag:` filters use.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { TagEmbeddingCache } from '../../../engine/tags/embeddings';
import { TAGS_DATA_FILE } from '../../../engine/tags/store';
import { VOCABULARY_FILE } from '../../../engine/tags/vocabulary';
import { errorMessage, firstLineOf } from '../../../engine/util/errors';
import type { AssetTag } from '../../../shared/messages';
import type { AssetLibrary } from '../../assets/assetLibrary';
import type { FolderState } from '../../assets/folderState';
import { Debouncer } from '../../debounce';
import { log } from '../../log';
import { modelCacheDir } from '../../model/options';
import { readSettings } from '../../settings';
import { folderName, workspaceRoots } from '../../workspace';
import { FolderTags } from './folderTags';
import { settingsVocabulary } from './settingsVocab';

const REFRESH_DELAY_MS = 150;
const FILE_RELOAD_DELAY_MS = 300;

export class WorkspaceTags implements vscode.Disposable {
  private readonly folders = new Map<string, FolderTags>();
  private caches = new Map<string, TagEmbeddingCache>();
  /** Folders whose broken tags file was already reported. */
  private readonly reportedLoadErrors = new Set<string>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly vocabularyChanged = new vscode.EventEmitter<void>();
  readonly debouncer = new Debouncer((message) => log().error(`tags: ${message}`));
  /** Fires (debounced) when any folder's tags changed. */
  readonly onDidChangeTags = this.changed.event;
  /** Fires when a vocabulary file or the vocabulary settings changed (images may need tagging again). */
  readonly onDidChangeVocabulary = this.vocabularyChanged.event;

  constructor(private readonly library: AssetLibrary) {}

  roots(): string[] {
    return workspaceRoots();
  }

  folder(root: string): FolderTags {
    let f = this.folders.get(root);
    if (!f) {
      const scope = vscode.Uri.file(root);
      f = new FolderTags({
        root,
        index: {
          snapshot: () => this.state(root)?.snapshot(),
          onDisk: (rel) => {
            const s = this.state(root);
            return !!s && (s.files.has(rel) || s.entry(rel) !== undefined);
          },
        },
        settingsVocabulary: () => {
          const t = readSettings(scope).tags;
          return settingsVocabulary(t.vocabulary, t.maxPerImage);
        },
        writeSidecars: () => readSettings(scope).tags.writeXmpSidecars,
        embeddingCache: () => this.cache(),
      });
      this.folders.set(root, f);
    }
    return f;
  }

  /** The library's state of a workspace folder (recreated by the library on reloads: look it up each time). */
  state(root: string): FolderState | undefined {
    return this.library.folderStates.find((s) => s.root === root);
  }

  /** Tag prompt embeddings, persisted beside the models (shared with the CLI's `tag` command). */
  private cache(): TagEmbeddingCache {
    const file = path.join(modelCacheDir(), 'tag-embeddings.json');
    let c = this.caches.get(file);
    if (!c) {
      c = new TagEmbeddingCache(file);
      this.caches.set(file, c);
    }
    return c;
  }

  /** Persists the tag prompt embeddings computed since the last save (a failure costs only a recomputation). */
  saveCache(): void {
    for (const c of this.caches.values()) void c.save().catch((err) => log().warn(`tags: embedding cache not saved: ${errorMessage(err)}`));
  }

  /** Loads every workspace folder's tags file; forgets folders that left the workspace. */
  loadAll(): void {
    const roots = new Set(this.roots());
    for (const root of [...this.folders.keys()]) if (!roots.has(root)) this.folders.delete(root);
    for (const root of roots) {
      this.folder(root)
        .loadStore()
        .then(
          () => this.refresh(),
          (err) => this.reportLoadError(root, err),
        );
    }
  }

  /** A broken tags file: logged every time, shown once per folder (until it loads again). */
  reportLoadError(root: string, err: unknown): void {
    log().error(`tags: ${errorMessage(err)}`);
    if (this.reportedLoadErrors.has(root)) return;
    this.reportedLoadErrors.add(root);
    void vscode.window
      .showErrorMessage(`MobileCLIP Assets: the tags file of ${folderName(root)} cannot be read: ${firstLineOf(err)}`, 'Open File')
      .then((pick) => pick && vscode.window.showTextDocument(vscode.Uri.file(path.join(root, TAGS_DATA_FILE))));
  }

  /** Tags on an image for tiles: from the deepest workspace folder holding it (folders may nest), as groupByRoot decides. */
  tagsOf(absPath: string): AssetTag[] {
    // A string comparison, not path.relative: this runs for every tile on every item refresh.
    let best: [string, FolderTags] | undefined;
    for (const entry of this.folders) {
      const root = entry[0];
      if (absPath.length > root.length && absPath.startsWith(root) && absPath[root.length] === path.sep && (!best || root.length > best[0].length)) best = entry;
    }
    if (!best) return [];
    const rel = absPath.slice(best[0].length + 1);
    return best[1].tagsOf(path.sep === '/' ? rel : rel.split(path.sep).join('/'));
  }

  /** Tiles and search filters read tags synchronously: tell them to read again (debounced). */
  refresh(): void {
    this.debouncer.run('refresh', REFRESH_DELAY_MS, () => this.changed.fire());
  }

  /** A tags or vocabulary file was created, changed or deleted. */
  fileChanged(file: string): void {
    const root = this.roots().find((r) => file === path.join(r, TAGS_DATA_FILE) || file === path.join(r, VOCABULARY_FILE));
    if (!root) return;
    if (file === path.join(root, VOCABULARY_FILE)) {
      this.folder(root).invalidateVocabulary();
      this.vocabularyChanged.fire();
      return;
    }
    this.debouncer.run(`reload:${root}`, FILE_RELOAD_DELAY_MS, async () => {
      try {
        if (await this.folder(root).reloadStore()) {
          this.reportedLoadErrors.delete(root);
          this.refresh();
        }
      } catch (err) {
        this.reportLoadError(root, err);
      }
    });
  }

  /** Settings that change the vocabulary or where tag embeddings are kept. */
  configurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (e.affectsConfiguration('mobileclipAssets.tags.vocabulary') || e.affectsConfiguration('mobileclipAssets.tags.maxPerImage')) {
      for (const f of this.folders.values()) f.invalidateVocabulary();
      this.vocabularyChanged.fire();
    }
    if (e.affectsConfiguration('mobileclipAssets.modelCacheDir')) this.caches = new Map();
  }

  dispose(): void {
    this.debouncer.dispose();
    this.changed.dispose();
    this.vocabularyChanged.dispose();
  }
}
