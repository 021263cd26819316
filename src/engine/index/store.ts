// Reading and writing the index files (format in ./format.ts). Readers take a consistent snapshot
// without locking; the single writer (see ./lock.ts) keeps an IndexStore in memory and persists it
// with flush(): an append of the new rows plus an atomic manifest swap, or a full rewrite into a
// fresh vector file (compaction, dtype change, first write). A crash at any point leaves the old
// manifest with the rows it committed, never a mix.
import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pruneTempFiles, stableStringify, writeFileAtomic } from '../util/atomic';
import { openRegularFile, readRegularFile, UnreadableFileError } from '../util/files';
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
  validateEntry,
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
import { EntryTable, entryListOf, entryObjects, type EntryList } from './entries';
import { acquireIndexLock } from './lock';
import { MANIFEST_FILE, THUMBNAILS_DIR } from './location';
import { pruneThumbnails } from './thumbnails';

/** How far a vector file may run past its committed rows (an append cut short by a crash) before it is not ours to read. */
const VECTOR_TAIL_SLACK_BYTES = 64 * 1024 * 1024;

export interface LoadedIndex {
  /** The manifest; its `entries` are made from `table` on first access. */
  manifest: IndexManifest;
  /** The manifest's entries as columns. */
  table: EntryTable;
  /** Exactly the committed rows, in the file's precision. */
  vectors: VectorTable;
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * The manifest's bytes. The buffer is at least 32 MiB of address space so that glibc maps it
 * on its own and unmaps it when freed (only the pages read into count): a 15 MB buffer (100k
 * entries) otherwise came from the malloc heap and its hole stayed in the process's RSS.
 */
async function readManifestBytes(dir: string): Promise<Buffer | undefined> {
  const file = path.join(dir, MANIFEST_FILE);
  let opened: Awaited<ReturnType<typeof openRegularFile>>;
  try {
    opened = await openRegularFile(file, { maxBytes: FILE_LIMITS.indexManifest });
  } catch (err) {
    if (err instanceof UnreadableFileError && err.reason === 'missing') return undefined;
    // A committed index.json that is a FIFO, a device or absurdly large is not an index we can use.
    if (err instanceof UnreadableFileError) throw new CorruptIndexError(`index manifest ${err.message}`);
    throw err;
  }
  const { handle, stat } = opened;
  try {
    // One byte past the stated size: a file that grew since fstat is noticed, not truncated.
    const buf = Buffer.allocUnsafeSlow(Math.max(stat.size + 1, OWN_MAPPING_BYTES));
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, length, stat.size + 1 - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > stat.size) throw new CorruptIndexError('index manifest grew while being read');
    }
    return buf.subarray(0, length);
  } catch (err) {
    if (err instanceof CorruptIndexError) throw err;
    throw new CorruptIndexError(`index manifest cannot be read: ${(err as Error).message}`);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Above glibc's largest dynamic mmap threshold (32 MiB on 64-bit). */
const OWN_MAPPING_BYTES = 32 * 2 ** 20 + 4096;

function parseManifest(bytes: Buffer): { manifest: IndexManifest; table: EntryTable } {
  const fast = parseOwnLayout(bytes);
  if (fast) return fast;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new CorruptIndexError(`index manifest is not valid JSON (${(err as Error).message})`);
  }
  const manifest = validateManifest(parsed);
  const table = EntryTable.from(manifest.entries, manifest.entries.length);
  return { manifest: { ...manifest, entries: [] }, table };
}

const ENTRIES_OPEN = Buffer.from('{\n  "entries": [\n');
const ENTRIES_CLOSE = Buffer.from('\n  ],\n');
const NEWLINE = 0x0a;
const COMMA = 0x2c;

/**
 * The manifest as our writer lays it out (manifestText: one entry per line), read an entry at
 * a time straight from the bytes into columns. JSON.parse of the whole text made every entry
 * object (and a 15 MB string) at once; they all survived the young generation, which grew
 * V8's new space to its maximum and kept ~24 MB of it committed at 100k entries. Anything
 * else (a hand-edited file, a bad line) goes the general way, which also gives the precise error.
 */
function parseOwnLayout(bytes: Buffer): { manifest: IndexManifest; table: EntryTable } | undefined {
  if (bytes.length < ENTRIES_OPEN.length || !bytes.subarray(0, ENTRIES_OPEN.length).equals(ENTRIES_OPEN)) return undefined;
  const end = bytes.indexOf(ENTRIES_CLOSE, ENTRIES_OPEN.length - 1);
  if (end < 0) return undefined;
  try {
    const head = validateManifest(JSON.parse(`{\n  "entries": [],\n${bytes.toString('utf8', end + ENTRIES_CLOSE.length)}`));
    if (head.entries.length !== 0) return undefined;
    let lines = 1;
    for (let at = bytes.indexOf(NEWLINE, ENTRIES_OPEN.length); at >= 0 && at < end; at = bytes.indexOf(NEWLINE, at + 1)) lines++;
    const table = new EntryTable(lines);
    for (let start = ENTRIES_OPEN.length; start <= end;) {
      let stop = bytes.indexOf(NEWLINE, start);
      if (stop < 0 || stop > end) stop = end;
      // Every line but the last ends with a comma, or the whole would not be JSON.
      if (stop < end !== (stop > start && bytes[stop - 1] === COMMA)) return undefined;
      const line = bytes.toString('utf8', start, stop < end ? stop - 1 : stop);
      const entry = validateEntry(JSON.parse(line), head.vectors.rows);
      if (table.has(entry.path)) return undefined; // the general path reports the duplicate
      table.set(entry);
      start = stop + 1;
    }
    table.trim();
    return { manifest: head, table };
  } catch {
    return undefined;
  }
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

async function readOnce(dir: string, text: Buffer): Promise<LoadedIndex> {
  const { manifest, table } = parseManifest(text);
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
  let objects: IndexEntry[] | undefined;
  Object.defineProperty(manifest, 'entries', { get: () => (objects ??= entryObjects(table.list())), enumerable: true });
  return { manifest, table, vectors };
}

/**
 * Read and verify the index in `dir`. Resolves to undefined when there is none; throws
 * CorruptIndexError when it cannot be trusted.
 */
export async function readIndex(dir: string): Promise<LoadedIndex | undefined> {
  let text = await readManifestBytes(dir);
  // A writer may swap the manifest and delete the old vector file between our two reads: retry
  // while the manifest keeps changing under us.
  for (let attempt = 0; ; attempt++) {
    if (text === undefined) return undefined;
    try {
      return await readOnce(dir, text);
    } catch (err) {
      const again = attempt < 3 && err instanceof CorruptIndexError ? await readManifestBytes(dir) : undefined;
      if (again === undefined || again.equals(text)) throw err;
      text = again;
    }
  }
}

/** Read-only snapshot for search; undefined when the folder has no index yet. */
export async function loadIndexSnapshot(dir: string): Promise<IndexSnapshot | undefined> {
  const loaded = await readIndex(dir);
  if (!loaded) return undefined;
  const { manifest, vectors, table } = loaded;
  return snapshotOf(manifest.model, manifest.preprocessing, vectors, table.list());
}

/** A snapshot over `list`: its `entries` objects are made on first access only. */
function snapshotOf(model: IndexModelIdentity, preprocessing: PreprocessingSettings, vectors: VectorTable, list: EntryList): IndexSnapshot {
  let objects: IndexEntry[] | undefined;
  return {
    model,
    preprocessing,
    dim: model.dim,
    vectors,
    table: list,
    get entries(): IndexEntry[] {
      return (objects ??= entryObjects(list));
    },
  };
}

const distinctCache = new WeakMap<EntryList, number>();

/** Distinct contents among a snapshot's entries (identical files count once); cached per snapshot. */
export function distinctContents(snapshot: Pick<IndexSnapshot, 'entries' | 'table'>): number {
  const list = entryListOf(snapshot);
  let n = distinctCache.get(list);
  if (n === undefined) {
    const seen = new Set<string>();
    for (let i = 0; i < list.length; i++) seen.add(list.sha256(i));
    distinctCache.set(list, (n = seen.size));
  }
  return n;
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
  /** The entries as columns (./entries.ts); also maps each content to a row until compaction. */
  private table = new EntryTable();
  private readonly failedMap = new Map<string, FailedEntry>();
  private persisted: PersistedFile | undefined;
  private rewriteNeeded = true;
  private dirty = true;
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
  static async open(dir: string, identity: IndexIdentity, options: { dtype?: VectorDType; chunkRows?: number } = {}): Promise<OpenedStore> {
    let loaded: LoadedIndex | undefined;
    try {
      loaded = await readIndex(dir);
    } catch (err) {
      if (!(err instanceof CorruptIndexError)) throw err;
      return { store: IndexStore.empty(dir, identity, options), status: 'rebuilt', reason: err.message };
    }
    if (!loaded) return { store: IndexStore.empty(dir, identity, options), status: 'new' };
    const { manifest, vectors, table } = loaded;
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
    store.table = table;
    for (const f of manifest.failed) store.failedMap.set(f.path, f);
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
      store.persisted = store.rewriteNeeded
        ? undefined
        : {
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
    return this.table.size;
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
    return this.vectorTable().row(row);
  }

  private vectorTable(): VectorTable {
    return new VectorTable(this.dtype, this.dim, this.rowCount, this.vectors.subarray(0, this.rowCount * this.rowBytes));
  }

  /** A stored embedding for this content hash (kept until compaction even if its file went away). */
  hashInfo(sha256: string): HashInfo | undefined {
    return this.table.contentInfo(sha256);
  }

  /** The entry for `p`, as a fresh object. */
  entry(p: string): IndexEntry | undefined {
    return this.table.get(p);
  }
  failure(p: string): FailedEntry | undefined {
    return this.failedMap.get(p);
  }
  /** The entries sorted by path, as fresh objects (the snapshot's `table` reads them without). */
  entries(): IndexEntry[] {
    return entryObjects(this.table.list());
  }
  /** Distinct contents (sha256) among the entries: identical files count once. */
  get distinctCount(): number {
    return this.table.distinctCount;
  }

  failures(): FailedEntry[] {
    return [...this.failedMap.values()].sort(comparePaths);
  }

  setEntry(entry: IndexEntry): void {
    if (entry.row >= this.rowCount) throw new Error(`row ${entry.row} does not exist`);
    this.table.set(entry);
    this.failedMap.delete(entry.path);
    this.dirty = true;
  }

  deleteEntry(p: string): boolean {
    if (!this.table.delete(p)) return false;
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
    return [...this.table.paths(), ...this.failedMap.keys()];
  }

  /** Rows no entry refers to (left by changed or deleted files). */
  garbageRows(): number {
    return this.rowCount - this.liveRows().size;
  }

  private liveRows(): Set<number> {
    return this.table.liveRows();
  }

  snapshot(): IndexSnapshot {
    // Rows are never overwritten in place (appends go past the end, compaction makes a new
    // array), and neither are entry slots, so these views stay valid for the snapshot.
    return snapshotOf(this.identity.model, this.identity.preprocessing, this.vectorTable(), this.table.list());
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

  /** Drop rows no entry uses; the entry table gets new columns so existing snapshots stay consistent. */
  private compactInMemory(): void {
    const rowBytes = this.rowBytes;
    const live = [...this.liveRows()].sort((a, b) => a - b);
    const remap = new Map<number, number>();
    const packed = allocRows(this.dtype, this.dim, Math.max(64, live.length));
    for (const row of live) {
      packed.set(this.vectors.subarray(row * rowBytes, (row + 1) * rowBytes), remap.size * rowBytes);
      remap.set(row, remap.size);
    }
    this.table.remapRows((row) => remap.get(row)!);
    this.vectors = packed;
    this.rowCount = remap.size;
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
    const list = this.table.list();
    const lines = new Array<string>(list.length);
    for (let i = 0; i < lines.length; i++) {
      const e = list.at(i);
      lines[i] = JSON.stringify({ height: e.height, mtimeMs: e.mtimeMs, path: e.path, row: e.row, sha256: e.sha256, size: e.size, width: e.width });
    }
    const entries = listText(lines, (line) => line);
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
