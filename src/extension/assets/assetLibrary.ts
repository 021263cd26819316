// The extension's view of all workspace images: one FolderState per workspace folder, kept in step
// with the folders and the settings, indexed through the IndexScheduler (full runs, incremental
// runs from the watcher), listed by the ItemList and searched by the WorkspaceSearch.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Engine } from '../../engine/engine';
import { deleteIndexFiles } from '../../engine/index/store';
import type { IndexRunSummary } from '../../engine/index/indexer';
import { DEFAULT_THUMBNAIL_SIZE } from '../../engine/index/thumbnails';
import { errorMessage } from '../../engine/util/errors';
import { boundaryFor, checkWriteFolder, resolvesInside } from '../../engine/util/folders';
import type { IndexingProgress, ModelStatus } from '../../shared/messages';
import { log } from '../log';
import type { ModelPrompts } from '../model/prompts';
import type { ModelService } from '../model/service';
import type { Thumbnailer } from '../model/thumbnails';
import { editorExcludeGlobs, readSettings } from '../settings';
import type { BackendThumbnail } from '../webview/backend';
import { workspaceFolders } from '../workspace';
import { FolderState, folderConfigFrom, folderOf } from './folderState';
import { IndexScheduler } from './indexScheduler';
import { ItemList, NO_ANNOTATIONS, type AssetAnnotations } from './itemList';
import { modelStatus } from './modelStatus';
import type { WatchBatch } from './watcher';
import { WorkspaceSearch } from './workspaceSearch';

export interface IndexRequest {
  /** A user asked (a command): offer the model download, show a notification, and resume when paused. */
  interactive: boolean;
  /** Show the progress notification (default: when interactive, or for the first full index). */
  notify?: boolean;
  /** What needs the model, for the message that offers it ("Tagging"). */
  feature?: string;
}

export interface AssetLibraryDeps {
  models: ModelService;
  prompts: ModelPrompts;
  /** Makes thumbnails of images the index does not hold yet. */
  thumbnails: Thumbnailer;
  /** Where indexes live unless a folder keeps its own (`index.location`). */
  storageRoot: string;
}

export class AssetLibrary implements vscode.Disposable {
  private folders: FolderState[] = [];
  private annotations: AssetAnnotations = NO_ANNOTATIONS;
  private readonly statusEmitter = new vscode.EventEmitter<ModelStatus>();
  private readonly disposables: vscode.Disposable[] = [];
  readonly scheduler = new IndexScheduler(() => this.failedFiles());
  readonly items = new ItemList(
    () => this.folders,
    () => this.annotations,
  );
  readonly search: WorkspaceSearch;
  readonly onDidChangeStatus = this.statusEmitter.event;

  constructor(private readonly deps: AssetLibraryDeps) {
    const { models } = deps;
    this.search = new WorkspaceSearch({
      folders: () => this.folders,
      models,
      annotations: () => this.annotations,
      ensureIndexed: () => this.indexAll({ interactive: false }).then(() => undefined),
    });
    this.disposables.push(
      this.scheduler,
      this.items,
      this.statusEmitter,
      models.onDidChangeState(() => this.statusEmitter.fire(this.getStatus())),
    );
  }

  /** Tags and captions come from features created after the library. */
  setAnnotations(annotations: AssetAnnotations): void {
    this.annotations = annotations;
  }

  get folderStates(): readonly FolderState[] {
    return this.folders;
  }

  folderOf(absPath: string): FolderState | undefined {
    return folderOf(this.folders, absPath);
  }

  getStatus(): ModelStatus {
    return modelStatus(this.deps.models.state, { workspace: (vscode.workspace.workspaceFolders?.length ?? 0) > 0, images: this.folders.some((f) => f.files.size > 0) });
  }

  /** Re-reads workspace folders and settings, rescans (stat only) and publishes the item list. */
  async reloadFolders(): Promise<void> {
    this.scheduler.cancel();
    await Promise.all(this.folders.map((f) => f.dispose()));
    this.folders = workspaceFolders().map((f) => {
      const s = readSettings(f.uri);
      return new FolderState(folderConfigFrom(s, { root: f.uri.fsPath, name: f.name }, this.deps.storageRoot, s.index.useExcludeSettings ? editorExcludeGlobs(f.uri) : []));
    });
    await Promise.all(this.folders.map((f) => this.scan(f)));
    this.items.publish();
    this.statusEmitter.fire(this.getStatus());
  }

  /** Deletes every folder's index (and thumbnails) so the next run starts from scratch. */
  async rebuild(): Promise<void> {
    this.scheduler.cancel();
    await this.scheduler.idle();
    for (const f of this.folders) {
      await f.dispose();
      // Only the index's own files: an in-repository index shares .mobileclip/ with captions.json.
      await deleteIndexFiles(f.root, f.indexDir);
    }
    await this.reloadFolders();
  }

  /** A stat-only rescan; a folder that cannot be listed keeps its last listing (and says why in the log). */
  private async scan(folder: FolderState, signal?: AbortSignal): Promise<void> {
    try {
      await folder.scan(signal);
    } catch (err) {
      if (!signal?.aborted) log().warn(`scan of ${folder.root} failed: ${errorMessage(err)}`);
    }
  }

  /**
   * Brings every folder's index up to date. Interactive runs offer the model download; the first
   * full index of a folder gets a notification with count and ETA, later runs only touch what
   * changed and report in the status bar and the gallery. Undefined when no run happened.
   */
  async indexAll(request: IndexRequest): Promise<IndexRunSummary[] | undefined> {
    if (this.scheduler.paused && !request.interactive) return undefined;
    if (this.scheduler.paused) this.scheduler.setPaused(false);
    const engine = request.interactive ? await this.deps.prompts.requireEngine(request.feature ?? 'Indexing images') : await this.deps.models.getEngine();
    if (!engine) return undefined;
    await this.scheduler.idle();
    for (const folder of this.folders) await folder.attach(engine);
    const firstIndex = this.folders.some((f) => f.files.size > 0 && (f.snapshot()?.entries.length ?? 0) === 0);
    const summaries: IndexRunSummary[] = [];
    await this.scheduler.run(
      async (signal, onProgress) => {
        for (const folder of this.folders) {
          if (signal.aborted) break;
          await folder.attach(engine);
          await this.scan(folder, signal);
          const summary = await folder.update({ signal, onProgress });
          if (summary) {
            summaries.push(summary);
            log().info(`${folder.name}: ${describeRun(summary)}`);
          }
          this.items.publish();
        }
      },
      request.notify ?? (request.interactive || firstIndex),
    );
    return summaries;
  }

  /**
   * Watcher entry point: debounced batches of created/changed files and folders and deleted paths.
   * A bulk batch (a copy, move or checkout of many files) refreshes the affected folders from a
   * scan instead of trusting each event: watchers coalesce or drop events in bursts, and a file
   * missed now would stay unindexed until the next full run.
   */
  async applyChanges(batch: WatchBatch): Promise<void> {
    const { changed, deleted, bulk } = batch;
    for (const p of deleted) {
      const folder = this.folderOf(p);
      const rel = folder?.relative(p);
      if (!folder || rel === undefined) continue;
      for (const key of [...folder.files.keys()]) if (key === rel || key.startsWith(rel + '/')) folder.files.delete(key);
    }
    const engine = this.deps.models.runningEngine;
    if (this.scheduler.paused || !engine) {
      // Keep the listing live even before indexing can run.
      await Promise.all(this.folders.map((f) => this.scan(f)));
      this.items.publish();
      return;
    }
    await this.scheduler.run(async (signal, onProgress) => {
      for (const folder of this.folders) {
        const mine = (list: string[]) => list.filter((p) => folder.relative(p) !== undefined);
        const c = mine(changed);
        const d = mine(deleted);
        if (!c.length && !d.length) continue;
        await folder.attach(engine);
        if (bulk) await this.scan(folder, signal);
        const summary = bulk ? await folder.update({ signal, onProgress }) : await folder.applyChanges(c, d, { signal, onProgress });
        if (summary && (summary.indexed || summary.renamed || summary.removed || summary.failed.length)) {
          log().info(`${folder.name}: ${bulk ? `${c.length + d.length} changes at once, rescanned: ` : ''}${describeRun(summary)}`);
        }
      }
      this.items.publish();
    }, false);
  }

  /** The picker opened: load the model and, the first time, index with a progress notification. */
  async prepareSearch(): Promise<void> {
    const engine = await this.deps.models.getEngine();
    if (engine) await this.indexOnce();
  }

  /**
   * For commands: makes sure a search can run, offering what the model needs (one message with
   * actions), and indexing first (with a progress notification) when no folder has an index.
   */
  async ensureSearchReady(feature = 'Search'): Promise<Engine | undefined> {
    const engine = await this.deps.prompts.requireEngine(feature);
    if (engine) await this.indexOnce();
    return engine;
  }

  private async indexOnce(): Promise<void> {
    if (!this.folders.some((f) => f.attached)) await this.indexAll({ interactive: false, notify: true });
  }

  /** Folders thumbnails live in; a thumbs/ folder that links out of the workspace is left out. */
  get thumbnailRoots(): readonly string[] {
    return this.folders.map((f) => f.thumbnailDir).filter((dir, i) => resolvesInside(boundaryFor(this.folders[i]!.root, dir), dir));
  }

  /** One answer per id: the index's thumbnail, else one made now (in a worker); never throws for one bad file. */
  async thumbnails(ids: readonly string[]): Promise<BackendThumbnail[]> {
    const out: BackendThumbnail[] = [];
    for (const id of ids) {
      const folder = this.folderOf(id);
      const rel = folder?.relative(id);
      const entry = rel !== undefined ? folder?.entry(rel) : undefined;
      if (!folder) {
        out.push({ id, thumbnailPath: null, error: 'not in a workspace folder' });
      } else if (entry) {
        out.push({ id, thumbnailPath: folder.thumbnailFor(entry), width: entry.width, height: entry.height });
      } else {
        out.push(await this.makeThumbnail(folder, id));
      }
    }
    return out;
  }

  private async makeThumbnail(folder: FolderState, id: string): Promise<BackendThumbnail> {
    try {
      await checkWriteFolder(boundaryFor(folder.root, folder.thumbnailDir), folder.thumbnailDir);
      const r = await this.deps.thumbnails.make(id, { dir: folder.thumbnailDir, size: DEFAULT_THUMBNAIL_SIZE });
      return r.error ? { id, thumbnailPath: null, error: r.error } : { id, thumbnailPath: r.thumbnail ?? null, width: r.width, height: r.height };
    } catch (err) {
      return { id, thumbnailPath: null, error: errorMessage(err) };
    }
  }

  private failedFiles(): IndexingProgress['failed'] {
    const out: IndexingProgress['failed'] = [];
    for (const f of this.folders) {
      for (const [rel, error] of f.failed) out.push({ id: path.join(f.root, rel), relPath: rel, error });
    }
    return out;
  }

  dispose(): void {
    this.scheduler.cancel();
    for (const f of this.folders) void f.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** An index run for the log. "reused" = new paths whose content was indexed already (renames, moves, copies). */
function describeRun(s: IndexRunSummary): string {
  return `${s.indexed} indexed, ${s.unchanged} unchanged, ${s.renamed} reused (renamed, moved or copied), ${s.removed} removed, ${s.failed.length} failed in ${s.seconds}s${s.cancelled ? ' (cancelled)' : ''}`;
}
