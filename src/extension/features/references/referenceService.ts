// Which text files reference which images, per workspace folder, kept in the extension host for
// the gallery's `unused:` filter, the reference counts of the Duplicates mode, "Keep this one" and
// Reveal References. Built once with the engine's streaming scan (`workspace.findTextInFiles` is
// proposed API only, so stable VS Code offers no text search to reuse; the scan walks the same
// files with the same .gitignore, index.exclude and files.exclude/search.exclude rules as the
// index), then kept current file by file: a saved document, or a text file the watcher saw
// created, changed or deleted, replaces only that file's contribution; the image set follows the
// library's listing. Never a full re-read on a change.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PathFilter } from '../../../engine/index/scan';
import { ReferenceIndex, type ImageReference } from '../../../engine/references/references';
import { DEFAULT_TEXT_INCLUDE, OWN_FILES, readTextFile, scanReferences, TEXT_EXTENSIONS } from '../../../engine/references/scan';
import { errorMessage } from '../../../engine/util/errors';
import type { FolderState } from '../../assets/folderState';
import { log } from '../../log';

/** What the service needs from the library (a fake in tests). */
export interface ReferenceFolders {
  folderStates: readonly FolderState[];
}

interface FolderReferences {
  folder: FolderState;
  index: ReferenceIndex;
  filter: PathFilter;
}

const TEXT_GLOB = `**/*.{${TEXT_EXTENSIONS.join(',')}}`;
/** Text file events are gathered for this long, then read in one go. */
const TEXT_DEBOUNCE_MS = 300;

export class ReferenceService implements vscode.Disposable {
  private folders: FolderReferences[] = [];
  private building: Promise<void> | undefined;
  private built = false;
  private readonly pending = new Map<string, 'changed' | 'deleted'>();
  private timer: NodeJS.Timeout | undefined;
  private readonly emitter = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Fires after the references changed (a build, a file update, images added or removed). */
  readonly onDidChange = this.emitter.event;

  constructor(
    private readonly library: ReferenceFolders,
    watch = true,
  ) {
    this.disposables.push(this.emitter);
    if (watch) {
      const texts = vscode.workspace.createFileSystemWatcher(TEXT_GLOB);
      this.disposables.push(
        texts,
        texts.onDidCreate((u) => this.queue(u, 'changed')),
        texts.onDidChange((u) => this.queue(u, 'changed')),
        texts.onDidDelete((u) => this.queue(u, 'deleted')),
        vscode.workspace.onDidSaveTextDocument((d) => void this.documentSaved(d)),
      );
    }
  }

  /** Whether the first scan has finished (before it, every count is unknown, not zero). */
  get ready(): boolean {
    return this.built;
  }

  /** Scans every folder once (later calls wait for the same scan); `rebuild` starts over. */
  ensureBuilt(options: { rebuild?: boolean; signal?: AbortSignal; onProgress?: (filesRead: number) => void } = {}): Promise<void> {
    if (options.rebuild || (!this.building && !this.built)) {
      this.built = false;
      const run = this.build(options.signal, options.onProgress);
      this.building = run;
      void run
        .finally(() => {
          if (this.building === run) this.building = undefined;
        })
        .catch(() => undefined);
    }
    return this.building ?? Promise.resolve();
  }

  private async build(signal?: AbortSignal, onProgress?: (filesRead: number) => void): Promise<void> {
    const started = performance.now();
    const next: FolderReferences[] = [];
    let filesRead = 0;
    for (const folder of this.library.folderStates) {
      const index = new ReferenceIndex([...folder.files.keys()]);
      const exclude = [...(folder.config.scan.exclude ?? []), ...OWN_FILES];
      const filter = new PathFilter(folder.root, { include: DEFAULT_TEXT_INCLUDE, exclude, respectGitignore: folder.config.scan.respectGitignore });
      const before = filesRead;
      const scan = await scanReferences(folder.root, index, {
        exclude: folder.config.scan.exclude,
        respectGitignore: folder.config.scan.respectGitignore,
        signal,
        onProgress: (n) => onProgress?.(before + n),
      });
      filesRead += scan.filesRead;
      const unreadable = scan.skipped.filter((s) => s.reason !== 'binary file');
      if (unreadable.length)
        log().warn(`${folder.name}: ${unreadable.length} text files not searched for image references (first: ${unreadable[0]!.path}: ${unreadable[0]!.reason})`);
      next.push({ folder, index, filter });
    }
    this.folders = next;
    this.built = true;
    log().info(`image references: ${filesRead} text files read in ${((performance.now() - started) / 1000).toFixed(1)}s`);
    this.emitter.fire();
  }

  /**
   * The library's listing changed (or its folders did): folders that are new or replaced are
   * scanned again; in the others only the image set follows (added and removed images).
   */
  syncImages(): void {
    if (!this.built) {
      // The first listing is in: scan once, in the background.
      if (!this.building && this.library.folderStates.some((f) => f.files.size > 0)) {
        void this.ensureBuilt().catch((err) => log().warn(`image references: ${errorMessage(err)}`));
      }
      return;
    }
    const states = this.library.folderStates;
    if (states.length !== this.folders.length || states.some((f, i) => this.folders[i]!.folder !== f)) {
      void this.ensureBuilt({ rebuild: true }).catch((err) => log().warn(`image references: ${errorMessage(err)}`));
      return;
    }
    let changed = false;
    for (const { folder, index } of this.folders) {
      const now = folder.files;
      for (const p of index.images.paths()) {
        if (now.has(p)) continue;
        index.images.delete(p);
        changed = true;
      }
      for (const p of now.keys()) {
        if (index.images.has(p)) continue;
        index.images.add(p);
        changed = true;
      }
    }
    if (changed) this.emitter.fire();
  }

  private queue(uri: vscode.Uri, kind: 'changed' | 'deleted'): void {
    if (uri.scheme !== 'file') return;
    this.pending.set(uri.fsPath, kind);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), TEXT_DEBOUNCE_MS);
  }

  private async documentSaved(doc: vscode.TextDocument): Promise<void> {
    if (doc.uri.scheme !== 'file' || !this.built) return;
    const where = this.locate(doc.uri.fsPath);
    if (!where || !(await where.owner.filter.acceptsFile(where.rel))) return;
    where.owner.index.updateFile(where.rel, doc.getText());
    this.emitter.fire();
  }

  /** Reads the text files the watcher reported (only those), and updates their contributions. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.built) {
      this.pending.clear(); // the scan that is running (or will run) reads them
      return;
    }
    const batch = [...this.pending];
    this.pending.clear();
    let changed = false;
    for (const [file, kind] of batch) {
      const where = this.locate(file);
      if (!where) continue;
      const { owner, rel } = where;
      let text: string | undefined;
      if (kind === 'changed' && (await owner.filter.acceptsFile(rel))) {
        text = await readTextFile(file).catch(() => undefined);
      }
      owner.index.updateFile(rel, text);
      changed = true;
    }
    if (changed) this.emitter.fire();
  }

  private locate(absPath: string): { owner: FolderReferences; rel: string } | undefined {
    for (const owner of this.folders) {
      const rel = owner.folder.relative(absPath);
      if (rel !== undefined) return { owner, rel };
    }
    return undefined;
  }

  /** Number of references to an image (absolute path); undefined before the first scan. */
  referenceCount(absPath: string): number | undefined {
    if (!this.built) return undefined;
    const where = this.locate(absPath);
    return where ? where.owner.index.referenceCount(where.rel) : undefined;
  }

  /** Every reference to an image, with the referencing file as an absolute path. */
  referencesTo(absPath: string): Array<ImageReference & { absFile: string }> {
    const where = this.locate(absPath);
    if (!where) return [];
    return where.owner.index.referencesTo(where.rel).map((r) => ({ ...r, absFile: path.join(where.owner.folder.root, r.file) }));
  }

  /** Unused images of every folder, as absolute paths, by folder then path. */
  unused(): Array<{ folder: FolderState; rel: string; abs: string }> {
    return this.folders.flatMap(({ folder, index }) => index.unused().map((rel) => ({ folder, rel, abs: path.join(folder.root, rel) })));
  }

  /** The folder's index (for planKeep), when `absPath` lies in a scanned folder. */
  indexFor(absPath: string): { index: ReferenceIndex; folder: FolderState; rel: string } | undefined {
    const where = this.locate(absPath);
    return where ? { index: where.owner.index, folder: where.owner.folder, rel: where.rel } : undefined;
  }

  /** Text files that mention an image-like path, over all folders. */
  get textFileCount(): number {
    return this.folders.reduce((n, f) => n + f.index.fileCount, 0);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
