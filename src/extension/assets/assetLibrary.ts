// The extension's view of all workspace images: one FolderState per workspace folder, the
// indexing runs (full, incremental from the watcher, pausable, cancellable) and the search.
// It implements the webviews' AssetBackend; VS Code-only actions come from fileActions.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Engine } from '../../engine/engine';
import type { IndexProgress, IndexRunSummary } from '../../engine/index/indexer';
import type { SearchResponse } from '../../engine/search/search';
import { QueryError, queryKind } from '../../engine/search/search';
import { compileFilters, type TagsOf } from '../../engine/search/filters';
import { parseQuery, type QueryFilters } from '../../engine/search/query';
import type { AssetTag, IndexingProgress, ModelAction, ModelStatus } from '../../shared/messages';
import type {
  AssetBackend,
  BackendItem,
  BackendThumbnail,
  ItemsDelta,
  ResultSet,
  SearchOutcome,
} from '../webview/backend';
import { createFileActions, type FileActions } from '../webview/fileActions';
import { formatDuration } from '../../engine/util/format';
import { log } from '../log';
import { editorExcludeGlobs, readSettings } from '../settings';
import { downloadSizeText, type ModelService, type ModelState } from '../modelService';
import { deleteIndexFiles } from '../../engine/index/store';
import { DEFAULT_THUMBNAIL_SIZE } from '../../engine/index/thumbnails';
import { boundaryFor, checkWriteFolder, resolvesInside } from '../../engine/util/folders';
import { FolderState, folderConfigFrom, type FolderConfig } from './folderState';
import type { WatchBatch } from './watcher';
import { errorMessage } from '../../engine/util/errors';

/** Search hits of every workspace folder, best first (by path for a query of filters only). */
export interface SearchHits {
  ranked: boolean;
  hits: { id: string; score: number; nameBoost?: number; folder: FolderState; relPath: string }[];
  noGoodMatch: boolean;
  bestScore: number | null;
}

/** Tags and captions shown with each image (provided by the tagging and captions features). */
export interface AssetAnnotations {
  tagsOf(absPath: string): AssetTag[];
  captionsOf(absPath: string): string[];
  /** Images whose captions match a text query (search syntax), best first. */
  captionMatches?(query: string): string[];
}

const NO_ANNOTATIONS: AssetAnnotations = { tagsOf: () => [], captionsOf: () => [] };

export class AssetLibrary implements AssetBackend, vscode.Disposable {
  private folders: FolderState[] = [];
  private progress: IndexingProgress = { running: false, done: 0, total: 0, etaSeconds: null, failed: [] };
  private run: { abort: AbortController; promise: Promise<void> } | undefined;
  private pausedValue = false;
  private annotations: AssetAnnotations = NO_ANNOTATIONS;
  private lastItems = new Map<string, BackendItem>();
  private readonly itemsEmitter = new vscode.EventEmitter<ItemsDelta>();
  private readonly progressEmitter = new vscode.EventEmitter<IndexingProgress>();
  private readonly statusEmitter = new vscode.EventEmitter<ModelStatus>();
  private readonly summaryEmitter = new vscode.EventEmitter<void>();
  private readonly files: FileActions;
  private readonly disposables: vscode.Disposable[] = [];
  readonly onDidChangeItems = this.itemsEmitter.event;
  readonly onDidChangeProgress = this.progressEmitter.event;
  readonly onDidChangeStatus = this.statusEmitter.event;
  /** Fires after every index run (full or incremental). */
  readonly onDidUpdateIndex = this.summaryEmitter.event;

  constructor(
    private readonly models: ModelService,
    private readonly storageRoot: string,
  ) {
    this.files = createFileActions(async (ids) => ids.map((id) => ({ path: id, name: path.basename(id) })));
    this.disposables.push(models.onDidChangeState(() => this.statusEmitter.fire(this.getStatus())));
  }

  // ---------------------------------------------------------------- setup

  setAnnotations(annotations: AssetAnnotations): void {
    this.annotations = annotations;
  }

  /** Re-reads workspace folders and settings, rescans (stat only) and publishes the item list. */
  async reloadFolders(): Promise<void> {
    this.cancel();
    await Promise.all(this.folders.map((f) => f.dispose()));
    this.folders = (vscode.workspace.workspaceFolders ?? [])
      .filter((f) => f.uri.scheme === 'file')
      .map((f) => new FolderState(this.folderConfig(f)));
    await Promise.all(this.folders.map((f) => f.scan().catch((err) => log().warn(`scan of ${f.root} failed: ${errorMessage(err)}`))));
    this.publishItems();
    this.statusEmitter.fire(this.getStatus());
  }

  private folderConfig(folder: vscode.WorkspaceFolder): FolderConfig {
    const s = readSettings(folder.uri);
    return folderConfigFrom(s, { root: folder.uri.fsPath, name: folder.name }, this.storageRoot, s.index.useExcludeSettings ? editorExcludeGlobs(folder.uri) : []);
  }

  /** Deletes every folder's index (and thumbnails) so the next run starts from scratch. */
  async rebuild(): Promise<void> {
    this.cancel();
    while (this.run) await this.run.promise;
    for (const f of this.folders) {
      await f.dispose();
      // Only the index's own files: an in-repository index shares .mobileclip/ with captions.json.
      await deleteIndexFiles(f.root, f.indexDir);
    }
    await this.reloadFolders();
  }

  get folderStates(): readonly FolderState[] {
    return this.folders;
  }

  folderOf(absPath: string): FolderState | undefined {
    return this.folders.find((f) => f.relative(absPath) !== undefined);
  }

  // ---------------------------------------------------------------- indexing

  get paused(): boolean {
    return this.pausedValue;
  }

  setPaused(paused: boolean): void {
    this.pausedValue = paused;
    void vscode.commands.executeCommand('setContext', 'mobileclipAssets.indexingPaused', paused);
    if (paused) this.cancel();
  }

  get running(): boolean {
    return this.run !== undefined;
  }

  /** Stops the current run; finished work is already saved by the indexer's checkpoints. */
  cancel(): void {
    this.run?.abort.abort();
  }

  /**
   * Brings every folder's index up to date. `interactive` offers the model download and shows a
   * cancellable notification with count and ETA (the first full index); otherwise progress shows
   * only in the status bar and the gallery.
   */
  async indexAll(opts: { interactive: boolean; notify?: boolean; feature?: string }): Promise<IndexRunSummary[] | undefined> {
    if (this.pausedValue && !opts.interactive) return undefined;
    if (this.pausedValue) this.setPaused(false);
    const engine = opts.interactive ? await this.models.requireEngine(opts.feature ?? 'Indexing images') : await this.models.getEngine();
    if (!engine) return undefined;
    if (this.run) {
      await this.run.promise;
    }
    const summaries: IndexRunSummary[] = [];
    const body = async (abort: AbortController, report: (p: IndexingProgress) => void): Promise<void> => {
      for (const folder of this.folders) {
        if (abort.signal.aborted) break;
        await folder.attach(engine);
        await folder.scan(abort.signal).catch(() => undefined);
        const summary = await folder.update({
          signal: abort.signal,
          onProgress: (p) => report(this.toProgress(p)),
        });
        if (summary) {
          summaries.push(summary);
          log().info(`${folder.name}: ${describeRun(summary)}`);
        }
        this.publishItems();
      }
    };
    // The first full index of a folder gets a notification with count and ETA; later runs only
    // touch what changed and report in the status bar and the gallery.
    for (const folder of this.folders) await folder.attach(engine);
    const firstIndex = this.folders.some((f) => f.files.size > 0 && (f.snapshot()?.entries.length ?? 0) === 0);
    await this.execute(body, opts.notify ?? (opts.interactive || firstIndex));
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
    if (this.pausedValue || !this.models.runningEngine) {
      // Keep the listing live even before indexing can run.
      await Promise.all(this.folders.map((f) => f.scan().catch(() => undefined)));
      this.publishItems();
      return;
    }
    const engine = this.models.runningEngine;
    await this.execute(async (abort, report) => {
      for (const folder of this.folders) {
        const mine = (list: string[]) => list.filter((p) => folder.relative(p) !== undefined);
        const c = mine(changed);
        const d = mine(deleted);
        if (!c.length && !d.length) continue;
        await folder.attach(engine);
        const run = { signal: abort.signal, onProgress: (p: IndexProgress) => report(this.toProgress(p)) };
        if (bulk) await folder.scan(abort.signal).catch(() => undefined);
        const summary = bulk ? await folder.update(run) : await folder.applyChanges(c, d, run);
        if (summary && (summary.indexed || summary.renamed || summary.removed || summary.failed.length)) {
          log().info(`${folder.name}: ${bulk ? `${c.length + d.length} changes at once, rescanned: ` : ''}${describeRun(summary)}`);
        }
      }
      this.publishItems();
    }, false);
  }

  private async execute(body: (abort: AbortController, report: (p: IndexingProgress) => void) => Promise<void>, notify: boolean): Promise<void> {
    while (this.run) await this.run.promise;
    const abort = new AbortController();
    const report = (p: IndexingProgress) => this.setProgress(p);
    const guarded = async () => {
      try {
        await body(abort, report);
      } catch (err) {
        if (!abort.signal.aborted) {
          const message = errorMessage(err);
          log().error(`indexing failed: ${message}`);
          void vscode.window.showErrorMessage(`MobileCLIP Assets: indexing failed: ${message}`);
        }
      } finally {
        this.setProgress({ ...this.progress, running: false, etaSeconds: null, failed: this.failedFiles() });
        this.summaryEmitter.fire();
      }
    };
    const promise = notify
      ? Promise.resolve(vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: 'Indexing images', cancellable: true },
          async (progress, token) => {
            token.onCancellationRequested(() => abort.abort());
            let last = 0;
            const sub = this.progressEmitter.event((p) => {
              if (!p.running || p.total <= 0) return;
              const pct = (p.done / p.total) * 100;
              progress.report({
                increment: Math.max(0, pct - last),
                message: `${p.done.toLocaleString()} of ${p.total.toLocaleString()}${p.etaSeconds !== null ? ` · ${formatDuration(p.etaSeconds)} left` : ''}`,
              });
              last = Math.max(last, pct);
            });
            try {
              await guarded();
            } finally {
              sub.dispose();
            }
          },
        ))
      : guarded();
    this.run = { abort, promise };
    try {
      await promise;
    } finally {
      this.run = undefined;
    }
  }

  private toProgress(p: IndexProgress): IndexingProgress {
    const running = p.phase !== 'saving' || p.done < p.total;
    return {
      running,
      done: p.phase === 'embedding' || p.phase === 'hashing' ? p.done : 0,
      total: p.phase === 'embedding' || p.phase === 'hashing' ? p.total : 0,
      etaSeconds: p.etaSeconds !== undefined && Number.isFinite(p.etaSeconds) ? p.etaSeconds : null,
      failed: this.progress.failed,
    };
  }

  private setProgress(p: IndexingProgress): void {
    this.progress = p;
    this.progressEmitter.fire(p);
  }

  private failedFiles(): IndexingProgress['failed'] {
    const out: IndexingProgress['failed'] = [];
    for (const f of this.folders) {
      for (const [rel, error] of f.failed) out.push({ id: path.join(f.root, rel), relPath: rel, error });
    }
    return out;
  }

  // ---------------------------------------------------------------- AssetBackend

  get thumbnailRoots(): readonly string[] {
    // A thumbs/ folder that links out of the workspace must not open that place to the webviews.
    return this.folders.map((f) => f.thumbnailDir).filter((dir, i) => resolvesInside(boundaryFor(this.folders[i]!.root, dir), dir));
  }

  getStatus(): ModelStatus {
    if (!vscode.workspace.workspaceFolders?.length) return { kind: 'noWorkspace' };
    const state: ModelState = this.models.state;
    const modelName = state.model.name;
    switch (state.kind) {
      case 'missing': {
        const downloadSize = downloadSizeText(state.model);
        return { kind: 'modelMissing', modelName, ...(downloadSize ? { downloadSize } : {}) };
      }
      case 'downloading':
        return { kind: 'downloading', modelName, received: state.bytes, total: state.totalBytes };
      case 'failed':
        return { kind: 'modelFailed', modelName, message: state.failure.message, retry: state.failure.retry };
      case 'crashed':
        return { kind: 'workerCrashed', message: state.message };
      case 'restarting':
        return { kind: 'restarting', modelName };
      case 'loading':
        return { kind: 'loading', modelName };
      case 'idle':
      case 'ready':
        break;
    }
    if (!this.folders.some((f) => f.files.size)) return { kind: 'noImages' };
    return { kind: 'ready', modelName };
  }

  getProgress(): IndexingProgress {
    return this.progress;
  }

  async listItems(): Promise<BackendItem[]> {
    return [...this.collectItems().values()];
  }

  isKnownItem(id: string): boolean {
    return this.lastItems.has(id) || this.itemFor(id) !== undefined;
  }

  async getItems(ids: readonly string[]): Promise<BackendItem[]> {
    const all = this.lastItems.size ? this.lastItems : this.collectItems();
    return ids.map((id) => all.get(id) ?? this.itemFor(id)).filter((x): x is BackendItem => x !== undefined);
  }

  async search(query: string, signal: AbortSignal): Promise<SearchOutcome> {
    const response = await this.searchAll(query, { signal });
    return { results: response.hits.map((h) => ({ id: h.id, score: h.score })), ranked: response.ranked, noGoodMatch: response.noGoodMatch, bestScore: response.bestScore };
  }

  /**
   * Searches every folder's index and merges the ranked hits. A query of filters only
   * (`type:png in:assets/`) lists every image that passes them, indexed or not, without the model.
   * Never prompts: when the model is not ready the error says so in one sentence.
   */
  async searchAll(query: string, opts: { signal?: AbortSignal; similarTo?: string; topK?: number } = {}): Promise<SearchHits> {
    const settings = readSettings();
    const tagsOf = (folder: FolderState) => (rel: string) => this.annotations.tagsOf(path.join(folder.root, rel)).map((t) => t.tag);
    if (!opts.similarTo) {
      let parsed;
      try {
        parsed = parseQuery(query);
        if (queryKind(parsed) === 'filter') return this.listFiltered(parsed.filters, tagsOf);
      } catch (err) {
        if (err instanceof QueryError) throw new Error(err.message);
        throw err;
      }
    }
    const engine = await this.models.getEngine();
    if (!engine) throw new Error(this.modelNotReadyMessage(opts.similarTo ? 'Finding similar images' : 'Searching by description'));
    if (!this.folders.some((f) => f.attached)) await this.indexAll({ interactive: false });
    const topK = opts.topK ?? settings.search.maxResults;
    const hits: SearchHits['hits'] = [];
    let anyCandidates = false;
    let bestScore: number | null = null;
    for (const folder of this.folders) {
      await folder.attach(engine);
      const search = folder.search;
      if (!search || search.size === 0) continue;
      const options = { topK, threshold: settings.search.threshold, ranking: settings.search.ranking, signal: opts.signal, tagsOf: tagsOf(folder) };
      let response: SearchResponse;
      try {
        response = opts.similarTo ? await search.similar(opts.similarTo, options) : await search.search(query, options);
      } catch (err) {
        if (err instanceof QueryError) throw new Error(err.message);
        throw err;
      }
      anyCandidates ||= response.candidates > 0;
      for (const r of response.results) hits.push({ id: path.join(folder.root, r.path), score: r.score, nameBoost: r.nameBoost, folder, relPath: r.path });
      const best = response.results[0]?.score ?? response.best?.score;
      if (best !== undefined && (bestScore === null || best > bestScore)) bestScore = best;
    }
    hits.sort((a, b) => b.score - a.score);
    const top = hits.slice(0, topK);
    // Images whose captions say what was typed but that the embedding search ranked out are
    // added after its hits, at the lowest score shown.
    if (!opts.similarTo && this.annotations.captionMatches) {
      const have = new Set(top.map((h) => h.id));
      const floor = top.length ? top[top.length - 1]!.score : settings.search.threshold;
      for (const id of this.annotations.captionMatches(query)) {
        if (top.length >= 2 * topK) break;
        const folder = this.folderOf(id);
        const relPath = folder?.relative(id);
        if (!folder || relPath === undefined || have.has(id) || !folder.files.has(relPath)) continue;
        top.push({ id, score: floor, folder, relPath });
        have.add(id);
      }
    }
    return { ranked: true, hits: top, noGoodMatch: anyCandidates && top.length === 0, bestScore };
  }

  /** Every workspace image that passes the filters, by path (the model is not needed for this). */
  private listFiltered(filters: QueryFilters, tagsOf: (folder: FolderState) => TagsOf): SearchHits {
    const hits: SearchHits['hits'] = [];
    for (const folder of this.folders) {
      const accept = compileFilters(filters, tagsOf(folder));
      for (const rel of [...folder.files.keys()].sort()) {
        if (!accept || accept(rel)) hits.push({ id: path.join(folder.root, rel), score: 0, folder, relPath: rel });
      }
    }
    return { ranked: false, hits, noGoodMatch: false, bestScore: null };
  }

  /** Why a search cannot run now, in one sentence. */
  private modelNotReadyMessage(what: string): string {
    const state = this.models.state;
    const name = state.model.name;
    const filters = 'filters such as type:png work without it';
    switch (state.kind) {
      case 'missing':
        return `${what} needs the ${name} model, which is not downloaded yet (${filters}).`;
      case 'downloading':
        return `${what} waits for the ${name} download (${filters}).`;
      case 'failed':
        return `${what} needs the ${name} model (see above; ${filters}).`;
      default:
        return `The ${name} model is not loaded (${filters}).`;
    }
  }

  /** The picker opened: load the model and, the first time, index with a progress notification. */
  async prepareSearch(): Promise<void> {
    const engine = await this.models.getEngine();
    if (engine && !this.folders.some((f) => f.attached)) await this.indexAll({ interactive: false, notify: true });
  }

  /**
   * For commands: makes sure a search can run, offering what the model needs (one message with
   * actions), and indexing first (with a progress notification) when no folder has an index.
   */
  async ensureSearchReady(feature = 'Search'): Promise<Engine | undefined> {
    const engine = await this.models.requireEngine(feature);
    if (!engine) return undefined;
    if (!this.folders.some((f) => f.attached)) await this.indexAll({ interactive: false, notify: true });
    return engine;
  }

  async thumbnails(ids: readonly string[]): Promise<BackendThumbnail[]> {
    const out: BackendThumbnail[] = [];
    for (const id of ids) {
      const folder = this.folderOf(id);
      const rel = folder?.relative(id);
      const entry = rel !== undefined ? folder?.entry(rel) : undefined;
      if (folder && entry) {
        out.push({ id, thumbnailPath: folder.thumbnailFor(entry), width: entry.width, height: entry.height });
        continue;
      }
      if (!folder) {
        out.push({ id, thumbnailPath: null, error: 'not in a workspace folder' });
        continue;
      }
      try {
        await checkWriteFolder(boundaryFor(folder.root, folder.thumbnailDir), folder.thumbnailDir);
        const r = await this.models.thumbnail(id, { dir: folder.thumbnailDir, size: DEFAULT_THUMBNAIL_SIZE });
        out.push(r.error ? { id, thumbnailPath: null, error: r.error } : { id, thumbnailPath: r.thumbnail ?? null, width: r.width, height: r.height });
      } catch (err) {
        out.push({ id, thumbnailPath: null, error: errorMessage(err) });
      }
    }
    return out;
  }

  async findSimilar(id: string): Promise<ResultSet> {
    const name = path.basename(id);
    const response = await this.searchAll('', { similarTo: id });
    const items = (await this.getItems(response.hits.map((h) => h.id))).map((item, i) => ({ ...item, score: response.hits[i]!.score }));
    const queryItem = this.itemFor(id);
    return { query: name, title: `Similar to ${name}`, items, noGoodMatch: response.noGoodMatch, bestScore: response.bestScore, ...(queryItem ? { queryItem } : {}) };
  }

  open(ids: readonly string[]): Promise<void> {
    return this.files.open(ids);
  }
  reveal(id: string): Promise<void> {
    return this.files.reveal(id);
  }
  copyPaths(ids: readonly string[]): Promise<void> {
    return this.files.copyPaths(ids);
  }
  copyMarkdownLinks(ids: readonly string[]): Promise<void> {
    return this.files.copyMarkdownLinks(ids);
  }
  openSettings(query?: string): Promise<void> {
    return this.files.openSettings(query);
  }
  openFolder(): Promise<void> {
    return this.files.openFolder();
  }
  async generateCaptions(ids: readonly string[]): Promise<void> {
    await vscode.commands.executeCommand('mobileclipAssets.generateCaptions', undefined, ids.map((id) => vscode.Uri.file(id)));
  }
  async editTags(ids: readonly string[]): Promise<void> {
    await vscode.commands.executeCommand('mobileclipAssets.editTags', undefined, ids.map((id) => vscode.Uri.file(id)));
  }
  /** Downloads the model, then indexes. `quiet`: the caller shows a failure itself (the Find Images rows). */
  async downloadModel(opts: { quiet?: boolean } = {}): Promise<void> {
    if (await this.models.download(opts)) await this.indexAll({ interactive: false });
  }
  async modelAction(action: ModelAction): Promise<void> {
    switch (action) {
      case 'download':
        return this.downloadModel();
      case 'retry': {
        const state = this.models.state;
        if (state.kind === 'failed' && state.failure.retry === 'download') return this.downloadModel();
        await this.models.refresh();
        await this.indexAll({ interactive: false });
        return;
      }
      case 'useLocalFolder':
        if (await this.models.useLocalFolder()) await this.indexAll({ interactive: false });
        return;
      case 'selectModel':
        await vscode.commands.executeCommand('mobileclipAssets.selectModel');
        return;
      case 'showDetails':
        return this.models.showDetails();
    }
  }
  async restartWorker(): Promise<void> {
    // Without a usable model there is no worker to restart: say what the model needs instead.
    if (!(await this.models.restart()) && !(await this.models.requireEngine('The inference worker'))) return;
    await this.indexAll({ interactive: false });
  }

  // ---------------------------------------------------------------- items

  /** Recomputes the item list and fires a delta against what the webviews have. */
  publishItems(): void {
    const next = this.collectItems();
    const delta: ItemsDelta = { added: [], changed: [], removed: [] };
    for (const [id, item] of next) {
      const prev = this.lastItems.get(id);
      if (!prev) delta.added.push(item);
      else if (!sameItem(prev, item)) delta.changed.push(item);
    }
    for (const id of this.lastItems.keys()) if (!next.has(id)) delta.removed.push(id);
    this.lastItems = next;
    if (delta.added.length || delta.changed.length || delta.removed.length) this.itemsEmitter.fire(delta);
  }

  private collectItems(): Map<string, BackendItem> {
    const items = new Map<string, BackendItem>();
    for (const folder of this.folders) {
      for (const rel of folder.files.keys()) {
        const item = this.makeItem(folder, rel);
        if (item) items.set(item.id, item);
      }
    }
    return items;
  }

  private itemFor(id: string): BackendItem | undefined {
    const folder = this.folderOf(id);
    const rel = folder?.relative(id);
    return folder && rel !== undefined ? this.makeItem(folder, rel) : undefined;
  }

  private makeItem(folder: FolderState, rel: string): BackendItem | undefined {
    const file = folder.files.get(rel);
    const entry = folder.entry(rel);
    if (!file && !entry) return undefined;
    const abs = path.join(folder.root, rel);
    const slash = rel.lastIndexOf('/');
    const name = slash >= 0 ? rel.slice(slash + 1) : rel;
    const dot = name.lastIndexOf('.');
    const multiRoot = this.folders.length > 1;
    const error = folder.failed.get(rel);
    return {
      id: abs,
      path: abs,
      relPath: multiRoot ? `${folder.name}/${rel}` : rel,
      name,
      folder: multiRoot ? `${folder.name}${slash >= 0 ? '/' + rel.slice(0, slash) : ''}` : slash >= 0 ? rel.slice(0, slash) : '',
      ext: dot >= 0 ? name.slice(dot + 1).toLowerCase() : '',
      size: entry?.size ?? file?.size ?? 0,
      mtime: entry?.mtimeMs ?? file?.mtimeMs ?? 0,
      width: entry?.width ?? null,
      height: entry?.height ?? null,
      thumbnailPath: entry ? folder.thumbnailFor(entry) : null,
      tags: this.annotations.tagsOf(abs),
      captions: this.annotations.captionsOf(abs),
      ...(error ? { error } : {}),
    };
  }

  /** Called when tags or captions change. */
  refreshAnnotations(): void {
    this.lastItems = new Map([...this.lastItems].map(([id, it]) => [id, { ...it, tags: [], captions: [] }]));
    this.publishItems();
  }

  dispose(): void {
    this.cancel();
    for (const f of this.folders) void f.dispose();
    for (const d of this.disposables) d.dispose();
    this.itemsEmitter.dispose();
    this.progressEmitter.dispose();
    this.statusEmitter.dispose();
    this.summaryEmitter.dispose();
  }
}

/** An index run for the log. "reused" = new paths whose content was indexed already (renames, moves, copies). */
function describeRun(s: IndexRunSummary): string {
  return `${s.indexed} indexed, ${s.unchanged} unchanged, ${s.renamed} reused (renamed, moved or copied), ${s.removed} removed, ${s.failed.length} failed in ${s.seconds}s${s.cancelled ? ' (cancelled)' : ''}`;
}

function sameItem(a: BackendItem, b: BackendItem): boolean {
  return a.size === b.size && a.mtime === b.mtime && a.thumbnailPath === b.thumbnailPath && a.width === b.width && a.error === b.error &&
    JSON.stringify(a.tags) === JSON.stringify(b.tags) && JSON.stringify(a.captions) === JSON.stringify(b.captions);
}
