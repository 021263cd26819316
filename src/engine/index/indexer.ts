// Incremental indexing of one workspace folder.
//
// A run scans with stat only; files whose size and mtime match their entry are unchanged. The rest
// are hashed (a streaming sha256 costs a small fraction of a decode + inference): content the index
// already holds reuses its embedding and thumbnail, so touched files, renames, moves and copies
// cost a hash, not an inference; content that several new files share is embedded once, for the
// first of them, and the others get its result. Only new distinct content goes to the embedder, in
// batches, with thumbnails from the same decode. The index keeps one entry per path (entries with
// the same content share a vector row). Finished work is persisted every N images / S seconds
// (append + atomic manifest swap), so a killed run loses at most one batch. Failed files are
// recorded with their size/mtime and retried only when those change.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ImageTextEmbedder } from '../api';
import { isItemError, type ImageResult, type ThumbnailOptions } from '../types';
import { resolveInside, writeFileAtomic } from '../util/atomic';
import { errorMessage } from '../util/errors';
import { boundaryFor, checkWriteFolder } from '../util/folders';
import type { IndexSnapshot, VectorDType } from './format';
import { sha256File } from './hash';
import { indexIdentity, type EmbeddingSettings } from './identity';
import { MANIFEST_FILE, THUMBNAILS_DIR } from './location';
import { acquireIndexLock } from './lock';
import { DEFAULT_EXCLUDE, PathFilter, scanFolder, symlinkedFileProblem, toPosix, type ScanOptions, type ScannedFile } from './scan';
import { IndexStore, type IndexIdentity, type OpenStatus } from './store';
import { DEFAULT_THUMBNAIL_SIZE, pruneThumbnails } from './thumbnails';

export interface IndexerOptions {
  /** The workspace folder whose images are indexed. */
  root: string;
  /** Where the index lives (see indexDirFor / resolveCliIndexDir). */
  indexDir: string;
  embedder: ImageTextEmbedder;
  /** Settings that change embeddings besides the model, e.g. { background: '#ffffff' } (see identity.ts). */
  preprocessing?: EmbeddingSettings;
  /** Vector precision on disk and in memory (a new index: DEFAULT_VECTOR_DTYPE; an existing one keeps its own). */
  dtype?: VectorDType;
  scan?: Omit<ScanOptions, 'signal' | 'onSkip' | 'under'>;
  /** Thumbnail cache written in the same pass; default `<indexDir>/thumbs` at DEFAULT_THUMBNAIL_SIZE. */
  thumbnails?: ThumbnailOptions | false;
  /** Persist finished work after this many new embeddings (default 256)… */
  checkpointEveryImages?: number;
  /** …or after this many seconds, whichever comes first (default 10). */
  checkpointEverySeconds?: number;
  /** Images per embedder call (default 64). */
  batchSize?: number;
  log?: (line: string) => void;
}

export interface IndexProgress {
  phase: 'scanning' | 'hashing' | 'embedding' | 'saving';
  done: number;
  /** 0 while the total is not known yet (scanning). */
  total: number;
  /** Embedding throughput so far. */
  imagesPerSecond?: number;
  etaSeconds?: number;
  path?: string;
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (progress: IndexProgress) => void;
}

export interface IndexRunSummary {
  /** Files embedded in this run. */
  indexed: number;
  /** Files whose entry was still valid (same stat, or same content after a touch). */
  unchanged: number;
  /** New paths whose content was already indexed (renames, moves, copies): no inference needed. */
  renamed: number;
  /** New or changed files whose content another file embedded in this run (copies): no inference. */
  duplicates: number;
  /** Entries dropped because their file is gone (or now excluded). */
  removed: number;
  /** Every file currently failing, including ones not retried because they did not change. */
  failed: { path: string; error: string }[];
  /** Files left out by the size cap or unreadable folders. */
  skipped: number;
  /** Entries in the index after the run (files). */
  total: number;
  /** Distinct contents among them (what was embedded: identical files share one embedding). */
  distinct: number;
  seconds: number;
  cancelled: boolean;
  /** What loading the existing index found (a 'rebuilt' or 'invalidated' index starts empty). */
  status: OpenStatus;
  reason?: string;
}

interface RunState {
  indexed: number;
  unchanged: number;
  renamed: number;
  duplicates: number;
  removed: number;
  skipped: number;
  cancelled: boolean;
}

function manifestSignature(st: { mtimeMs: number; size: number; ino: number }): string {
  return `${st.mtimeMs}:${st.size}:${st.ino}`;
}

function isAbort(err: unknown, signal?: AbortSignal): boolean {
  return Boolean(signal?.aborted) || (err as Error)?.name === 'AbortError';
}

/** Files hashed at once (reading one overlaps hashing another). */
const HASH_CONCURRENCY = 4;

/** Above this, checkpoints are spaced to keep saving under ~5% of a run (large indexes). */
const EXPENSIVE_FLUSH_MS = 200;

export class WorkspaceIndexer {
  readonly root: string;
  readonly indexDir: string;
  private readonly options: IndexerOptions;
  private readonly identity: IndexIdentity;
  private store!: IndexStore;
  private signature: string | undefined;
  private openStatus: { status: OpenStatus; reason?: string } = { status: 'new' };
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(options: IndexerOptions) {
    this.options = options;
    this.root = path.resolve(options.root);
    this.indexDir = path.resolve(options.indexDir);
    this.identity = indexIdentity(options.embedder.info, options.preprocessing);
  }

  /** Load (or start) the folder's index. Nothing is written until the first update. */
  static async open(options: IndexerOptions): Promise<WorkspaceIndexer> {
    const indexer = new WorkspaceIndexer(options);
    await indexer.reload();
    return indexer;
  }

  private async reload(): Promise<void> {
    const signature = await this.readSignature();
    const opened = await IndexStore.open(this.indexDir, this.identity, { dtype: this.options.dtype });
    this.store = opened.store;
    this.signature = signature;
    this.openStatus = { status: opened.status, reason: opened.reason };
    if (opened.reason) this.options.log?.(`index ${this.indexDir}: ${opened.status}: ${opened.reason}`);
  }

  private async readSignature(): Promise<string | undefined> {
    try {
      return manifestSignature(await fs.stat(path.join(this.indexDir, MANIFEST_FILE)));
    } catch {
      return undefined;
    }
  }

  /** The current index for searching; stays valid (immutable) while later runs change the index. */
  snapshot(): IndexSnapshot {
    return this.store.snapshot();
  }

  /** Full refresh: scan the folder, embed what is new or changed, drop what is gone. */
  update(run: RunOptions = {}): Promise<IndexRunSummary> {
    return this.exclusive(run, async (state) => {
      const filter = this.scanOptions();
      const files: ScannedFile[] = [];
      try {
        for await (const file of scanFolder(this.root, {
          ...filter,
          signal: run.signal,
          onSkip: () => void state.skipped++,
        })) {
          files.push(file);
          if (files.length % 500 === 0) run.onProgress?.({ phase: 'scanning', done: files.length, total: 0 });
        }
      } catch (err) {
        if (!isAbort(err, run.signal)) throw err;
        state.cancelled = true; // an incomplete scan must not delete anything
        return;
      }
      run.onProgress?.({ phase: 'scanning', done: files.length, total: files.length });
      const seen = new Set(files.map((f) => f.path));
      for (const p of this.store.allPaths()) {
        if (seen.has(p)) continue;
        if (this.store.deleteEntry(p)) state.removed++;
        this.store.deleteFailed(p);
      }
      await this.process(this.triage(files, state), state, run);
      if (!state.cancelled) await this.pruneThumbnailCache();
    });
  }

  /**
   * Incremental update for a file watcher: `changed` files or folders (created or modified) and
   * `deleted` ones, absolute or relative to the root. The caller debounces and batches.
   */
  applyChanges(changed: readonly string[], deleted: readonly string[], run: RunOptions = {}): Promise<IndexRunSummary> {
    return this.exclusive(run, async (state) => {
      const filter = new PathFilter(this.root, this.scanOptions());
      const candidates: ScannedFile[] = [];
      const dropUnder = (rel: string, keep?: ReadonlySet<string>): void => {
        for (const p of this.store.allPaths()) {
          if ((p === rel || rel === '' || p.startsWith(rel + '/')) && !keep?.has(p)) {
            if (this.store.deleteEntry(p)) state.removed++;
            this.store.deleteFailed(p);
          }
        }
      };
      for (const raw of deleted) {
        const rel = this.relative(raw);
        if (rel !== undefined) dropUnder(rel);
      }
      for (const raw of changed) {
        const rel = this.relative(raw);
        if (rel === undefined) continue;
        let st;
        try {
          st = await fs.stat(rel === '' ? this.root : resolveInside(this.root, rel));
        } catch {
          dropUnder(rel); // gone again before we looked
          continue;
        }
        if (st.isDirectory()) {
          // A folder appeared or moved in: index what it holds now, forget what it no longer holds.
          const found: ScannedFile[] = [];
          for await (const file of scanFolder(this.root, {
            ...this.scanOptions(),
            under: rel,
            signal: run.signal,
            onSkip: () => void state.skipped++,
          })) {
            found.push(file);
          }
          dropUnder(rel, new Set(found.map((f) => f.path)));
          candidates.push(...found);
        } else if (
          st.isFile() &&
          (await filter.acceptsFile(rel)) &&
          st.size <= filter.maxFileSizeBytes &&
          !(await symlinkedFileProblem(this.root, resolveInside(this.root, rel)))
        ) {
          candidates.push({ path: rel, size: st.size, mtimeMs: st.mtimeMs });
        } else {
          dropUnder(rel); // excluded, too large, a link out of the folder or not a file (any more)
        }
      }
      await this.process(this.triage(candidates, state), state, run);
    });
  }

  /** Release nothing held between runs; present so callers can treat the indexer as a resource. */
  async close(): Promise<void> {
    await this.queue.catch(() => undefined); // the run's caller got its error
  }

  private scanOptions(): ScanOptions {
    const scan = this.options.scan ?? {};
    const exclude = [...(scan.exclude ?? DEFAULT_EXCLUDE)];
    // Never index our own files when the index lives inside the folder.
    const inside = path.relative(this.root, this.indexDir);
    if (inside && !inside.startsWith('..') && !path.isAbsolute(inside)) exclude.push(`${toPosix(inside)}/**`);
    return { ...scan, exclude };
  }

  private relative(p: string): string | undefined {
    const abs = path.resolve(this.root, p);
    const rel = path.relative(this.root, abs);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
    return toPosix(rel);
  }

  private thumbnails(): ThumbnailOptions | undefined {
    if (this.options.thumbnails === false) return undefined;
    return this.options.thumbnails ?? { dir: path.join(this.indexDir, THUMBNAILS_DIR), size: DEFAULT_THUMBNAIL_SIZE };
  }

  /** One run at a time, under the cross-process lock, on an index reloaded if another process changed it. */
  private exclusive(run: RunOptions, body: (state: RunState) => Promise<void>): Promise<IndexRunSummary> {
    const task = this.queue.then(async () => {
      const started = performance.now();
      await this.checkOwnFolders();
      const release = await acquireIndexLock(this.indexDir);
      try {
        if ((await this.readSignature()) !== this.signature) await this.reload();
        await this.writeIgnoreFileIfInRepository();
        const state: RunState = { indexed: 0, unchanged: 0, renamed: 0, duplicates: 0, removed: 0, skipped: 0, cancelled: false };
        const opened = this.openStatus;
        try {
          await body(state);
        } catch (err) {
          // Keep the work that finished before the failure; the run's own error is what the caller sees.
          await this.store
            .flush()
            .catch((flushErr: unknown) => this.options.log?.(`index ${this.indexDir}: could not save the work done before the failure: ${errorMessage(flushErr)}`));
          this.signature = await this.readSignature();
          throw err;
        }
        if (this.store.needsFlush) {
          run.onProgress?.({ phase: 'saving', done: 0, total: 1 });
          await this.store.flush({ compact: state.cancelled ? false : 'auto' });
        }
        this.signature = await this.readSignature();
        this.openStatus = { status: 'loaded' };
        return {
          indexed: state.indexed,
          unchanged: state.unchanged,
          renamed: state.renamed,
          duplicates: state.duplicates,
          removed: state.removed,
          failed: this.store.failures().map((f) => ({ path: f.path, error: f.error })),
          skipped: state.skipped,
          total: this.store.entryCount,
          distinct: this.store.distinctCount,
          seconds: Math.round(performance.now() - started) / 1000,
          cancelled: state.cancelled,
          status: opened.status,
          ...(opened.reason ? { reason: opened.reason } : {}),
        };
      } finally {
        await release();
      }
    });
    this.queue = task.catch(() => undefined); // only orders runs: the caller gets the failure through `task`
    return task;
  }

  /** Split scanned files into unchanged ones (counted) and ones that need work. */
  private triage(files: readonly ScannedFile[], state: RunState): ScannedFile[] {
    const work: ScannedFile[] = [];
    for (const f of files) {
      const entry = this.store.entry(f.path);
      if (entry && entry.size === f.size && entry.mtimeMs === f.mtimeMs) {
        state.unchanged++;
        continue;
      }
      const failure = this.store.failure(f.path);
      if (failure && failure.size === f.size && failure.mtimeMs === f.mtimeMs) continue; // retried once it changes
      work.push(f);
    }
    return work;
  }

  /**
   * Hash every file; reuse stored embeddings by content hash; embed each new content once (for the
   * first file that has it) and give its result to the others; checkpoint as results stream in.
   */
  // Long: one streaming loop whose stages (hash, reuse, embed, hand results to copies, checkpoint) share its queues and counters.
  private async process(files: ScannedFile[], state: RunState, run: RunOptions): Promise<void> {
    const { signal, onProgress } = run;
    const store = this.store;

    // 1. Hash every new or changed file, a few at a time (reading overlaps hashing).
    const hashes = new Array<string | undefined>(files.length);
    let hashed = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(HASH_CONCURRENCY, files.length) }, async () => {
        while (next < files.length && !signal?.aborted) {
          const i = next++;
          const f = files[i]!;
          try {
            hashes[i] = await sha256File(resolveInside(this.root, f.path), signal);
          } catch (err) {
            if (!isAbort(err, signal)) store.setFailed({ path: f.path, size: f.size, mtimeMs: f.mtimeMs, error: `cannot read: ${(err as Error).message}` });
          } finally {
            onProgress?.({ phase: 'hashing', done: ++hashed, total: files.length, path: f.path });
          }
        }
      }),
    );
    if (signal?.aborted) {
      state.cancelled = true;
      return;
    }
    // In scan order, so which copy is embedded does not depend on which read finished first.
    /** New content -> the files that have it; the first one is embedded. */
    const pending = new Map<string, ScannedFile[]>();
    files.forEach((f, i) => {
      const sha = hashes[i];
      if (sha === undefined) return; // unreadable: recorded as failed
      const known = store.hashInfo(sha);
      if (known) {
        if (store.entry(f.path)?.sha256 === sha) state.unchanged++;
        else state.renamed++;
        store.setEntry({ path: f.path, size: f.size, mtimeMs: f.mtimeMs, sha256: sha, ...known });
        return;
      }
      const group = pending.get(sha);
      if (group) group.push(f);
      else pending.set(sha, [f]);
    });
    // Groups are re-keyed as they are resolved: the work list is one file per new content, in scan order.
    const toEmbed: { file: ScannedFile; sha256: string }[] = [];
    for (const [sha256, group] of pending) toEmbed.push({ file: group.shift()!, sha256 });

    // 2. New content: embed in batches, record each result as it streams in.
    if (toEmbed.length === 0) return;
    const everyImages = this.options.checkpointEveryImages ?? 256;
    const everyMs = (this.options.checkpointEverySeconds ?? 10) * 1000;
    const batchSize = Math.max(1, this.options.batchSize ?? 64);
    const thumbnails = this.thumbnails();
    const started = performance.now();
    let done = 0;
    let sinceCheckpoint = 0;
    let lastCheckpoint = started;
    let pendingFlush: Promise<void> | undefined;
    let flushError: unknown;

    let checkpointAgain = false;
    // Saving a large index takes a while (its manifest is rewritten): space such checkpoints out.
    let lastFlushMs = 0;
    let deferred: NodeJS.Timeout | undefined;
    const checkpoint = (): void => {
      if (pendingFlush) {
        checkpointAgain = true; // one more right after the current write, with everything since
        return;
      }
      sinceCheckpoint = 0;
      lastCheckpoint = performance.now();
      const flushStarted = lastCheckpoint;
      pendingFlush = store
        .flush()
        .catch((err: unknown) => void (flushError ??= err))
        .finally(() => {
          lastFlushMs = performance.now() - flushStarted;
          pendingFlush = undefined;
          if (checkpointAgain && !flushError) {
            checkpointAgain = false;
            checkpoint();
          }
        });
    };

    /** Give an embedded file's result to the other files that had its content when hashed. */
    const shareWithCopies = (expected: string, result: ImageResult, contentFailure: boolean): void => {
      const copies = pending.get(expected);
      if (!copies?.length) return;
      pending.delete(expected);
      if (isItemError(result) ? !contentFailure : result.sha256 !== expected) {
        // The embedded file changed or vanished after hashing, so its result says nothing about
        // the copies: embed the next copy instead.
        const first = copies.shift()!;
        if (copies.length) pending.set(expected, copies);
        toEmbed.push({ file: first, sha256: expected });
        return;
      }
      for (const copy of copies) {
        if (isItemError(result)) {
          store.setFailed({ path: copy.path, size: copy.size, mtimeMs: copy.mtimeMs, error: result.error });
        } else {
          store.setEntry({ path: copy.path, size: copy.size, mtimeMs: copy.mtimeMs, sha256: result.sha256, ...store.hashInfo(result.sha256)! });
          state.duplicates++;
        }
      }
    };
    /** Failures whose copies wait for a look at the failed file (after the batch: it needs a stat). */
    let failedWithCopies: { item: { file: ScannedFile; sha256: string }; result: ImageResult }[] = [];

    const record = (item: { file: ScannedFile; sha256: string }, result: ImageResult): void => {
      const file = item.file;
      if (isItemError(result)) {
        if (signal?.aborted) return; // cancelled, not broken: try again next run
        store.setFailed({ path: file.path, size: file.size, mtimeMs: file.mtimeMs, error: result.error });
      } else {
        // Content stored since hashing (a copy whose first file changed into it) shares its row.
        const known = store.hashInfo(result.sha256);
        const row = known?.row ?? store.addVector(result.embedding);
        store.setEntry({
          path: file.path,
          size: file.size,
          mtimeMs: file.mtimeMs,
          sha256: result.sha256,
          row,
          width: result.width,
          height: result.height,
        });
        state.indexed++;
      }
      if (!isItemError(result)) shareWithCopies(item.sha256, result, false);
      else if (pending.has(item.sha256)) failedWithCopies.push({ item, result });
      done++;
      sinceCheckpoint++;
      const elapsed = (performance.now() - started) / 1000;
      const rate = elapsed > 0 ? done / elapsed : 0;
      onProgress?.({
        phase: 'embedding',
        done,
        total: toEmbed.length,
        imagesPerSecond: rate,
        etaSeconds: rate > 0 ? (toEmbed.length - done) / rate : undefined,
        path: file.path,
      });
      const sinceLast = performance.now() - lastCheckpoint;
      if (sinceCheckpoint < everyImages && sinceLast < everyMs) return;
      const wait = lastFlushMs > EXPENSIVE_FLUSH_MS ? 20 * lastFlushMs - sinceLast : 0;
      if (wait <= 0) checkpoint();
      else
        deferred ??= setTimeout(() => {
          deferred = undefined;
          if (sinceCheckpoint > 0) checkpoint();
        }, wait);
    };

    try {
      // toEmbed grows while this runs (a copy whose first file changed is queued after the batch).
      for (let i = 0; i < toEmbed.length && !state.cancelled;) {
        if (signal?.aborted) {
          state.cancelled = true;
          break;
        }
        const batch = toEmbed.slice(i, i + batchSize);
        i += batch.length;
        const handled = new Uint8Array(batch.length);
        let results: ImageResult[];
        try {
          results = await this.options.embedder.embedImages(
            batch.map((b) => resolveInside(this.root, b.file.path)),
            {
              thumbnails,
              signal,
              onResult: (result, index) => {
                if (index < 0 || index >= batch.length || handled[index]) return;
                handled[index] = 1;
                record(batch[index]!, result);
              },
            },
          );
        } catch (err) {
          if (!isAbort(err, signal)) throw err;
          state.cancelled = true;
          break;
        }
        // Results the embedder did not stream.
        results.forEach((result, index) => {
          if (index < batch.length && !handled[index]) {
            handled[index] = 1;
            record(batch[index]!, result);
          }
        });
        if (signal?.aborted) state.cancelled = true;
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- the flush's own rejection, rethrown as is
        if (flushError) throw flushError;
        // A failure is the content's (and so its copies') when the failed file is still as hashed.
        const failed = failedWithCopies;
        failedWithCopies = [];
        for (const { item, result } of failed) shareWithCopies(item.sha256, result, await this.unchangedSince(item.file));
      }
    } finally {
      // Keep what finished, whatever happened (the caller's final flush writes the rest).
      checkpointAgain = false;
      clearTimeout(deferred);
      while (pendingFlush) await pendingFlush;
    }
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- the flush's own rejection, rethrown as is
    if (flushError) throw flushError;
  }

  /** Before anything is written or deleted: the index and thumbnail folders must not lead out of the folder (util/folders.ts). */
  private async checkOwnFolders(): Promise<void> {
    await checkWriteFolder(boundaryFor(this.root, this.indexDir), this.indexDir);
    const thumbs = this.thumbnails();
    if (thumbs) await checkWriteFolder(boundaryFor(boundaryFor(this.root, this.indexDir), thumbs.dir), thumbs.dir);
  }

  /** Whether a scanned file still has the size and mtime it was scanned with. */
  private async unchangedSince(file: ScannedFile): Promise<boolean> {
    try {
      const st = await fs.stat(resolveInside(this.root, file.path));
      return st.isFile() && st.size === file.size && st.mtimeMs === file.mtimeMs;
    } catch {
      return false;
    }
  }

  private async pruneThumbnailCache(): Promise<void> {
    const thumbs = this.thumbnails();
    // Only our own cache: a shared one holds other folders' thumbnails too.
    if (!thumbs || path.resolve(thumbs.dir) !== path.join(this.indexDir, THUMBNAILS_DIR)) return;
    const live = new Set(this.store.entries().map((e) => e.sha256));
    await pruneThumbnails(thumbs.dir, live);
  }

  /** An index inside the folder is meant to be committed; its thumbnails and lock are not. */
  private async writeIgnoreFileIfInRepository(): Promise<void> {
    const inside = path.relative(this.root, this.indexDir);
    if (!inside || inside.startsWith('..') || path.isAbsolute(inside)) return;
    const file = path.join(this.indexDir, '.gitignore');
    try {
      await fs.access(file);
    } catch {
      await writeFileAtomic(file, `${THUMBNAILS_DIR}/\n*.lock\n.*.tmp\n`);
    }
  }
}

/** One-shot convenience for the CLI: open, update, done. */
export async function updateIndex(options: IndexerOptions & RunOptions): Promise<{ summary: IndexRunSummary; snapshot: IndexSnapshot }> {
  const indexer = await WorkspaceIndexer.open(options);
  const summary = await indexer.update({ signal: options.signal, onProgress: options.onProgress });
  return { summary, snapshot: indexer.snapshot() };
}
