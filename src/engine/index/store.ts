// Reading and writing the index files (format in ./format.ts). Readers take a consistent snapshot
// without locking; the single writer (see ./lock.ts) keeps an IndexStore in memory and persists it
// with flush(): an append of the new rows plus an atomic manifest swap, or a full rewrite into a
// fresh vector file (compaction, dtype change, first write). A crash at any point leaves the old
// manifest with the rows it committed, never a mix.
import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pruneTempFiles, stableStringify, writeFileAtomic } from '../util/atomic';
import { readRegularFile, readRegularFileIfExists, UnreadableFileError } from '../util/files';
import { boundaryFor, checkWriteFolder } from '../util/folders';
import { FILE_LIMITS } from '../util/limits';
import { embeddingSettings } from './identity';
import { VectorTable, allocRows, bytesPerRow, encodeRow } from '../search/vectors';
import {
  CorruptIndexError,
  DEFAULT_CHUNK_ROWS,
  DEFAULT_VECTOR_DTYPE,
  INDEX_FORMAT,
  INDEX_VERSION,
  VECTOR_FILE_PATTERN,
  VECTOR_HEADER_BYTES,
  VECTOR_MAGIC,
  checkHeader,
  encodeHeader,
  validateManifest,
  vectorFileName,
  type FailedEntry,
  type IndexEntry,
  type IndexManifest,
  type IndexModelIdentity,
  type IndexSnapshot,
  type PreprocessingSettings,
  type VectorDType,
} from './format';
import { acquireIndexLock } from './lock';
import { MANIFEST_FILE, THUMBNAILS_DIR } from './location';
import { pruneThumbnails } from './thumbnails';

/** How far a vector file may run past its committed rows (an append cut short by a crash) before it is not ours to read. */
const VECTOR_TAIL_SLACK_BYTES = 64 * 1024 * 1024;

export interface LoadedIndex {
  manifest: IndexManifest;
  /** Exactly the committed rows, in the file's precision. */
  vectors: VectorTable;
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

async function readManifestText(dir: string): Promise<string | undefined> {
  try {
    return (await readRegularFileIfExists(path.join(dir, MANIFEST_FILE), { maxBytes: FILE_LIMITS.indexManifest }))?.toString('utf8');
  } catch (err) {
    // A committed index.json that is a FIFO, a device or absurdly large is not an index we can use.
    if (err instanceof UnreadableFileError) throw new CorruptIndexError(`index manifest ${err.message}`);
    throw err;
  }
}

function parseManifest(text: string): IndexManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CorruptIndexError(`index manifest is not valid JSON (${(err as Error).message})`);
  }
  return validateManifest(parsed);
}

function hashBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The committed rows of a vector file, copied into storage the search kernel reads in place. */
function tableOf(body: Buffer, dtype: VectorDType, dim: number, rows: number): VectorTable {
  const bytes = allocRows(dtype, dim, rows);
  bytes.set(body.subarray(0, rows * bytesPerRow(dtype, dim)));
  return new VectorTable(dtype, dim, rows, bytes);
}

async function readOnce(dir: string, text: string): Promise<LoadedIndex> {
  const manifest = parseManifest(text);
  const info = manifest.vectors;
  const rowBytes = bytesPerRow(info.dtype, info.dim);
  const need = VECTOR_HEADER_BYTES + info.rows * rowBytes;
  let bytes: Buffer;
  try {
    // The committed rows plus the tail of at most one uncommitted append (checkpoints are small).
    bytes = await readRegularFile(path.join(dir, info.file), { maxBytes: need + VECTOR_TAIL_SLACK_BYTES });
  } catch (err) {
    if (err instanceof UnreadableFileError) {
      throw new CorruptIndexError(err.reason === 'missing' ? `vector file ${info.file} is missing` : `vector file ${info.file}: ${err.message}`);
    }
    throw err;
  }
  checkHeader(bytes, info);
  if (bytes.length < need) {
    throw new CorruptIndexError(`vector file holds ${bytes.length} bytes, the manifest needs ${need} (torn write?)`);
  }
  for (let c = 0; c < info.chunkSha256.length; c++) {
    const start = VECTOR_HEADER_BYTES + c * info.chunkRows * rowBytes;
    const end = Math.min(need, start + info.chunkRows * rowBytes);
    if (hashBytes(bytes.subarray(start, end)) !== info.chunkSha256[c]) {
      throw new CorruptIndexError(`vector file chunk ${c} fails its checksum`);
    }
  }
  const vectors = tableOf(bytes.subarray(VECTOR_HEADER_BYTES, need), info.dtype, info.dim, info.rows);
  return { manifest, vectors };
}

/**
 * Read and verify the index in `dir`. Resolves to undefined when there is none; throws
 * CorruptIndexError when it cannot be trusted.
 */
export async function readIndex(dir: string): Promise<LoadedIndex | undefined> {
  let text = await readManifestText(dir);
  // A writer may swap the manifest and delete the old vector file between our two reads: retry
  // while the manifest keeps changing under us.
  for (let attempt = 0; ; attempt++) {
    if (text === undefined) return undefined;
    try {
      return await readOnce(dir, text);
    } catch (err) {
      const again = attempt < 3 && err instanceof CorruptIndexError ? await readManifestText(dir) : undefined;
      if (again === undefined || again === text) throw err;
      text = again;
    }
  }
}

/** Read-only snapshot for search; undefined when the folder has no index yet. */
export async function loadIndexSnapshot(dir: string): Promise<IndexSnapshot | undefined> {
  const loaded = await readIndex(dir);
  if (!loaded) return undefined;
  const { manifest, vectors } = loaded;
  return {
    model: manifest.model,
    preprocessing: manifest.preprocessing,
    dim: manifest.model.dim,
    vectors,
    entries: isSorted(manifest.entries) ? manifest.entries : [...manifest.entries].sort(comparePaths),
  };
}

const distinctCache = new WeakMap<readonly IndexEntry[], number>();

/** Distinct contents among a snapshot's entries (identical files count once); cached per snapshot. */
export function distinctContents(snapshot: Pick<IndexSnapshot, 'entries'>): number {
  let n = distinctCache.get(snapshot.entries);
  if (n === undefined) distinctCache.set(snapshot.entries, (n = new Set(snapshot.entries.map((e) => e.sha256)).size));
  return n;
}

function isSorted(entries: readonly { path: string }[]): boolean {
  for (let i = 1; i < entries.length; i++) if (comparePaths(entries[i - 1]!, entries[i]!) > 0) return false;
  return true;
}

export function comparePaths(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

export interface IndexIdentity {
  model: IndexModelIdentity;
  preprocessing: PreprocessingSettings;
}

export type OpenStatus = 'new' | 'loaded' | 'rebuilt' | 'invalidated';

export interface OpenedStore {
  store: IndexStore;
  status: OpenStatus;
  /** Why an existing index was discarded. */
  reason?: string;
}

/** What an entry's content gives any other file with the same content. */
export type HashInfo = Pick<IndexEntry, 'row' | 'width' | 'height'>;

interface PersistedFile {
  name: string;
  nonce: string;
  rows: number;
  chunkSha256: string[];
}

export function sameIdentity(a: IndexIdentity, b: IndexIdentity): string | undefined {
  if (a.model.fingerprint !== b.model.fingerprint) return `the model changed (${a.model.id} → ${b.model.id})`;
  if (a.model.dim !== b.model.dim) return `the embedding size changed (${a.model.dim} → ${b.model.dim})`;
  if (stableStringify(embeddingSettings(a.preprocessing)) !== stableStringify(embeddingSettings(b.preprocessing))) return 'the preprocessing settings changed';
  return undefined;
}

function listText<T>(items: readonly T[], line: (item: T) => string): string {
  if (items.length === 0) return '[]';
  return `[\n${items.map((item) => `    ${line(item)}`).join(',\n')}\n  ]`;
}

/** The writer's in-memory index. Mutations are synchronous; flush() persists them. */
export class IndexStore {
  readonly dir: string;
  identity: IndexIdentity;
  readonly dtype: VectorDType;
  readonly chunkRows: number;
  /** Rows in the storage precision, with room to grow; rows below rowCount are never rewritten. */
  private vectors: Uint8Array;
  private rowCount = 0;
  private readonly entryMap = new Map<string, IndexEntry>();
  private readonly failedMap = new Map<string, FailedEntry>();
  /** Content -> an entry with it (the entry objects themselves: no second object per content). */
  private readonly byHash = new Map<string, IndexEntry>();
  private persisted: PersistedFile | undefined;
  private rewriteNeeded = true;
  private dirty = true;
  private sortedEntries: IndexEntry[] | undefined;
  private distinct: number | undefined;
  private flushChain: Promise<void> = Promise.resolve();

  private constructor(dir: string, identity: IndexIdentity, dtype: VectorDType, chunkRows: number) {
    this.dir = dir;
    this.identity = identity;
    this.dtype = dtype;
    this.chunkRows = chunkRows;
    this.vectors = allocRows(dtype, identity.model.dim, 64);
  }

  static empty(dir: string, identity: IndexIdentity, options: { dtype?: VectorDType; chunkRows?: number } = {}): IndexStore {
    return new IndexStore(dir, identity, options.dtype ?? DEFAULT_VECTOR_DTYPE, options.chunkRows ?? DEFAULT_CHUNK_ROWS);
  }

  /**
   * Load the index in `dir` for writing, or start a fresh one when there is none, it is corrupt,
   * or it was built with another model or preprocessing (stale vectors never mix with new ones).
   */
  static async open(
    dir: string,
    identity: IndexIdentity,
    options: { dtype?: VectorDType; chunkRows?: number } = {},
  ): Promise<OpenedStore> {
    let loaded: LoadedIndex | undefined;
    try {
      loaded = await readIndex(dir);
    } catch (err) {
      if (!(err instanceof CorruptIndexError)) throw err;
      return { store: IndexStore.empty(dir, identity, options), status: 'rebuilt', reason: err.message };
    }
    if (!loaded) return { store: IndexStore.empty(dir, identity, options), status: 'new' };
    const { manifest, vectors } = loaded;
    const stale = sameIdentity({ model: manifest.model, preprocessing: manifest.preprocessing }, identity);
    if (stale) return { store: IndexStore.empty(dir, identity, options), status: 'invalidated', reason: stale };

    const dtype = options.dtype ?? manifest.vectors.dtype;
    const store = new IndexStore(dir, identity, dtype, manifest.vectors.chunkRows);
    if (dtype === vectors.dtype) {
      store.vectors = vectors.bytes;
    } else {
      // Storage precision changed: convert now, write on the next flush.
      store.vectors = allocRows(dtype, vectors.dim, Math.max(64, vectors.rows));
      for (let r = 0; r < vectors.rows; r++) encodeRow(dtype, vectors.row(r), store.vectors, r);
    }
    store.rowCount = manifest.vectors.rows;
    for (const e of manifest.entries) store.entryMap.set(e.path, e);
    for (const f of manifest.failed) store.failedMap.set(f.path, f);
    store.rebuildHashes();
    if (dtype === manifest.vectors.dtype && store.identity.model.id === manifest.model.id) {
      store.persisted = {
        name: manifest.vectors.file,
        nonce: manifest.vectors.nonce,
        rows: manifest.vectors.rows,
        chunkSha256: manifest.vectors.chunkSha256,
      };
      store.rewriteNeeded = false;
      store.dirty = false;
    } else {
      // Storage precision changed (converted above) or only the model's display id: write on the next flush.
      store.rewriteNeeded = dtype !== manifest.vectors.dtype;
      store.persisted = store.rewriteNeeded ? undefined : {
        name: manifest.vectors.file,
        nonce: manifest.vectors.nonce,
        rows: manifest.vectors.rows,
        chunkSha256: manifest.vectors.chunkSha256,
      };
    }
    return { store, status: 'loaded' };
  }

  get dim(): number {
    return this.identity.model.dim;
  }
  get rows(): number {
    return this.rowCount;
  }
  get entryCount(): number {
    return this.entryMap.size;
  }

  private get rowBytes(): number {
    return bytesPerRow(this.dtype, this.dim);
  }

  /** Append an embedding (encoded in the storage precision); returns its row. */
  addVector(embedding: Float32Array): number {
    const dim = this.dim;
    if (embedding.length !== dim) throw new Error(`embedding has ${embedding.length} values, the index expects ${dim}`);
    const rowBytes = this.rowBytes;
    if ((this.rowCount + 1) * rowBytes > this.vectors.length) {
      const grown = allocRows(this.dtype, dim, Math.max(64, 2 * Math.floor(this.vectors.length / rowBytes)));
      grown.set(this.vectors.subarray(0, this.rowCount * rowBytes));
      this.vectors = grown;
    }
    encodeRow(this.dtype, embedding, this.vectors, this.rowCount);
    this.dirty = true;
    return this.rowCount++;
  }

  /** Row `row` as stored (float32 values; float16 and int8 rows give back what they keep). */
  vectorOf(row: number): Float32Array {
    return this.table().row(row);
  }

  private table(): VectorTable {
    return new VectorTable(this.dtype, this.dim, this.rowCount, this.vectors.subarray(0, this.rowCount * this.rowBytes));
  }

  /** A stored embedding for this content hash (kept until compaction even if its file went away). */
  hashInfo(sha256: string): HashInfo | undefined {
    const e = this.byHash.get(sha256);
    return e && { row: e.row, width: e.width, height: e.height };
  }

  entry(p: string): IndexEntry | undefined {
    return this.entryMap.get(p);
  }
  failure(p: string): FailedEntry | undefined {
    return this.failedMap.get(p);
  }
  entries(): readonly IndexEntry[] {
    if (!this.sortedEntries) this.sortedEntries = [...this.entryMap.values()].sort(comparePaths);
    return this.sortedEntries;
  }
  /** Distinct contents (sha256) among the entries: identical files count once. */
  get distinctCount(): number {
    this.distinct ??= new Set(Array.from(this.entryMap.values(), (e) => e.sha256)).size;
    return this.distinct;
  }

  failures(): FailedEntry[] {
    return [...this.failedMap.values()].sort(comparePaths);
  }

  setEntry(entry: IndexEntry): void {
    if (entry.row >= this.rowCount) throw new Error(`row ${entry.row} does not exist`);
    const stored = { ...entry };
    this.entryMap.set(entry.path, stored);
    this.failedMap.delete(entry.path);
    this.byHash.set(entry.sha256, stored);
    this.sortedEntries = undefined;
    this.distinct = undefined;
    this.dirty = true;
  }

  deleteEntry(p: string): boolean {
    const old = this.entryMap.get(p);
    if (!old) return false;
    this.entryMap.delete(p);
    this.sortedEntries = undefined;
    this.distinct = undefined;
    this.dirty = true;
    return true;
  }

  setFailed(failure: FailedEntry): void {
    this.deleteEntry(failure.path);
    this.failedMap.set(failure.path, { ...failure });
    this.dirty = true;
  }

  deleteFailed(p: string): boolean {
    const had = this.failedMap.delete(p);
    if (had) this.dirty = true;
    return had;
  }

  allPaths(): string[] {
    return [...this.entryMap.keys(), ...this.failedMap.keys()];
  }

  /** Rows no entry refers to (left by changed or deleted files). */
  garbageRows(): number {
    return this.rowCount - this.liveRows().size;
  }

  private liveRows(): Set<number> {
    const live = new Set<number>();
    for (const e of this.entryMap.values()) live.add(e.row);
    return live;
  }

  private rebuildHashes(): void {
    this.byHash.clear();
    for (const e of this.entryMap.values()) this.byHash.set(e.sha256, e);
  }

  snapshot(): IndexSnapshot {
    return {
      model: this.identity.model,
      preprocessing: this.identity.preprocessing,
      dim: this.dim,
      // Rows are never overwritten in place (appends go past the end, compaction makes a new
      // array), so this view stays valid for the snapshot's entries.
      vectors: this.table(),
      entries: this.entries(),
    };
  }

  /** Whether anything changed since the last flush. */
  get needsFlush(): boolean {
    return this.dirty || this.rewriteNeeded || !this.persisted || this.persisted.rows !== this.rowCount;
  }

  /**
   * Persist the in-memory state. `compact: 'auto'` rewrites without garbage rows once they make up
   * a quarter of the file. Flushes run one at a time, each capturing the state when it starts.
   */
  flush(options: { compact?: boolean | 'auto' } = {}): Promise<void> {
    const run = this.flushChain.then(() => this.flushNow(options.compact ?? false));
    this.flushChain = run.catch(() => undefined); // only orders flushes: the caller gets the failure through `run`
    return run;
  }

  private async flushNow(compact: boolean | 'auto'): Promise<void> {
    const garbage = compact ? this.garbageRows() : 0;
    const doCompact = compact === true ? garbage > 0 : compact === 'auto' && garbage > 0 && garbage * 4 >= this.rowCount;
    if (doCompact) this.compactInMemory();
    if (this.rewriteNeeded || !this.persisted) {
      await this.writeFull();
      return;
    }
    if (!this.needsFlush) return;
    try {
      await this.writeAppend(this.persisted);
    } catch (err) {
      const replaced = (err as NodeJS.ErrnoException).code === 'ELOOP' || err instanceof CorruptIndexError;
      if (!isNotFound(err) && !replaced) throw err;
      await this.writeFull(); // the vector file vanished or was swapped for a link under us: write a fresh one
    }
  }

  /** Drop rows no entry uses; entries get new objects so existing snapshots stay consistent. */
  private compactInMemory(): void {
    const rowBytes = this.rowBytes;
    const remap = new Map<number, number>();
    const entries = [...this.entryMap.values()].sort((a, b) => a.row - b.row);
    const packed = allocRows(this.dtype, this.dim, Math.max(64, this.liveRows().size));
    for (const e of entries) {
      let row = remap.get(e.row);
      if (row === undefined) {
        row = remap.size;
        remap.set(e.row, row);
        packed.set(this.vectors.subarray(e.row * rowBytes, (e.row + 1) * rowBytes), row * rowBytes);
      }
      this.entryMap.set(e.path, { ...e, row });
    }
    this.vectors = packed;
    this.rowCount = remap.size;
    this.rebuildHashes();
    this.sortedEntries = undefined;
    this.distinct = undefined;
    this.rewriteNeeded = true;
  }

  /** sha256 per chunk of `encoded`, which starts at a chunk boundary. */
  private hashChunks(encoded: Uint8Array): string[] {
    const chunkBytes = this.chunkRows * this.rowBytes;
    const hashes: string[] = [];
    for (let start = 0; start < encoded.length; start += chunkBytes) {
      hashes.push(hashBytes(encoded.subarray(start, Math.min(encoded.length, start + chunkBytes))));
    }
    return hashes;
  }

  /**
   * The manifest as stable JSON (sorted keys), one entry per line: diffs well when the index is
   * committed, and is several times faster than generic stable stringification at 100k entries.
   */
  private manifestText(file: PersistedFile): string {
    const head: Omit<IndexManifest, 'entries' | 'failed'> = {
      format: INDEX_FORMAT,
      version: INDEX_VERSION,
      model: this.identity.model,
      preprocessing: this.identity.preprocessing,
      vectors: {
        file: file.name,
        nonce: file.nonce,
        dtype: this.dtype,
        dim: this.dim,
        rows: file.rows,
        chunkRows: this.chunkRows,
        chunkSha256: file.chunkSha256,
      },
      updated: new Date().toISOString(),
    };
    // "entries" and "failed" sort before every other top-level key.
    const entries = listText(this.entries(), (e) =>
      JSON.stringify({ height: e.height, mtimeMs: e.mtimeMs, path: e.path, row: e.row, sha256: e.sha256, size: e.size, width: e.width }),
    );
    const failed = listText(this.failures(), (f) => JSON.stringify({ error: f.error, mtimeMs: f.mtimeMs, path: f.path, size: f.size }));
    return `{\n  "entries": ${entries},\n  "failed": ${failed},\n${stableStringify(head).slice(2)}`;
  }

  private async writeFull(): Promise<void> {
    // Everything up to the first await is synchronous: a consistent capture of the state.
    const nonce = randomBytes(8).toString('hex');
    const rows = this.rowCount;
    const body = this.vectors.subarray(0, rows * this.rowBytes);
    const file: PersistedFile = { name: vectorFileName(nonce), nonce, rows, chunkSha256: this.hashChunks(body) };
    const bytes = Buffer.concat([encodeHeader(this.dtype, this.dim, nonce), body]);
    const text = this.manifestText(file);
    this.rewriteNeeded = false;
    this.dirty = false;
    try {
      await writeFileAtomic(path.join(this.dir, file.name), bytes);
      await writeFileAtomic(path.join(this.dir, MANIFEST_FILE), text);
    } catch (err) {
      this.rewriteNeeded = true;
      this.dirty = true;
      throw err;
    }
    this.persisted = file;
    await this.removeOtherVectorFiles(file.name);
  }

  private async writeAppend(prev: PersistedFile): Promise<void> {
    const rowBytes = this.rowBytes;
    const from = prev.rows;
    const rows = this.rowCount;
    // Re-hash from the start of the last, partly filled chunk: its checksum covers new rows too.
    const firstChunk = Math.floor(from / this.chunkRows);
    const chunkStart = firstChunk * this.chunkRows;
    const encoded = this.vectors.subarray(chunkStart * rowBytes, rows * rowBytes);
    const file: PersistedFile = { ...prev, rows, chunkSha256: [...prev.chunkSha256.slice(0, firstChunk), ...this.hashChunks(encoded)] };
    const body = encoded.subarray((from - chunkStart) * rowBytes);
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const text = this.manifestText(file);
    this.dirty = false;
    try {
      // Appends write in place: never through a link, never into anything but a regular file.
      const handle = await fs.open(path.join(this.dir, prev.name), constants.O_RDWR | (constants.O_NOFOLLOW ?? 0));
      try {
        if (!(await handle.stat()).isFile()) throw new CorruptIndexError(`vector file ${prev.name} is not a regular file`);
        const offset = VECTOR_HEADER_BYTES + from * rowBytes;
        await handle.truncate(offset); // drop the tail of an append that never committed
        if (bytes.length) await handle.write(bytes, 0, bytes.length, offset);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await writeFileAtomic(path.join(this.dir, MANIFEST_FILE), text);
    } catch (err) {
      this.dirty = true;
      throw err;
    }
    this.persisted = file;
  }

  /**
   * Deletes vector files of earlier generations and temp files of killed writers. Only files this
   * code created: a vectors-<nonce>.bin must be a regular file whose header carries our magic and
   * that nonce; a temp file must be one of writeFileAtomic's for the manifest or a vector file.
   */
  private async removeOtherVectorFiles(keep: string): Promise<void> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (name !== keep && (await isOwnVectorFile(path.join(this.dir, name)))) {
        await fs.rm(path.join(this.dir, name), { force: true }).catch(() => undefined);
      }
    }
    await pruneTempFiles(this.dir, (target) => target === MANIFEST_FILE || VECTOR_FILE_PATTERN.test(target));
  }
}

/** A vector file this code wrote: regular, named vectors-<nonce>.bin, and its header says so. */
async function isOwnVectorFile(file: string): Promise<boolean> {
  const m = VECTOR_FILE_PATTERN.exec(path.basename(file));
  if (!m) return false;
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
    if (!(await handle.stat()).isFile()) return false;
    const header = Buffer.alloc(VECTOR_HEADER_BYTES);
    const { bytesRead } = await handle.read(header, 0, header.length, 0);
    return bytesRead === header.length && header.toString('latin1', 0, 8) === VECTOR_MAGIC && header.toString('hex', 24, 32) === m[1];
  } catch {
    return false; // a link (O_NOFOLLOW), unreadable, gone: not ours to delete
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Removes a folder's index ("Rebuild Image Index") without touching anything else in its folder:
 * an in-repository index shares `.mobileclip/` with captions.json. Takes the index lock, so a
 * run of another process is not pulled out from under it. `root` is the indexed folder.
 */
export async function deleteIndexFiles(root: string, indexDir: string): Promise<void> {
  const thumbsDir = path.join(indexDir, THUMBNAILS_DIR);
  await checkWriteFolder(boundaryFor(root, indexDir), indexDir);
  await checkWriteFolder(boundaryFor(boundaryFor(root, indexDir), thumbsDir), thumbsDir);
  if (!(await fs.stat(indexDir).catch(() => undefined))?.isDirectory()) return;
  const release = await acquireIndexLock(indexDir);
  try {
    await fs.rm(path.join(indexDir, MANIFEST_FILE), { force: true }); // first: without it the rest is garbage
    for (const name of await fs.readdir(indexDir)) {
      if (await isOwnVectorFile(path.join(indexDir, name))) await fs.rm(path.join(indexDir, name), { force: true });
    }
    await pruneTempFiles(indexDir, (target) => target === MANIFEST_FILE || VECTOR_FILE_PATTERN.test(target));
    await pruneThumbnails(thumbsDir, new Set());
    await fs.rmdir(thumbsDir).catch(() => undefined); // only when empty
  } finally {
    await release();
  }
  await fs.rmdir(indexDir).catch(() => undefined); // only when nothing else lives there
}
