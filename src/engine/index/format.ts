// The one on-disk index format: a JSON manifest (`index.json`) plus a binary vector file.
//
// Vector file `vectors-<nonce>.bin`:
//   bytes 0..7   magic "MCLIPVEC"
//   bytes 8..11  format version (u32 LE)
//   bytes 12..15 dtype: 1 = float32, 2 = float16, 3 = int8 (u32 LE)
//   bytes 16..19 embedding dimension (u32 LE)
//   bytes 20..23 reserved (0)
//   bytes 24..31 nonce (also in the manifest, so a manifest never pairs with another file)
//   then rows of `dim` little-endian values, append-only; an int8 row leads with its float32
//   scale (value = scale * int8), so it takes dim + 4 bytes.
// The manifest says how many rows are committed and holds a sha256 per chunk of rows; bytes past
// the committed rows are the tail of an interrupted append and are ignored (then truncated).
// A vector row may be shared by several entries (identical files share one embedding).
import type { VectorDType, VectorTable } from '../search/vectors';
import type { EntryList } from './entries';

export const INDEX_FORMAT = 'mobileclip-assets-index';
export const INDEX_VERSION = 1;
export const VECTOR_MAGIC = 'MCLIPVEC';
export const VECTOR_FILE_VERSION = 1;
export const VECTOR_HEADER_BYTES = 32;
/**
 * Vector precision of a new index: float16 keeps recall@10 against float32 at 0.997-0.9997 on
 * CLIP-like test sets for half the memory and disk (bench/RESULTS.md, "Vector precision").
 */
export const DEFAULT_VECTOR_DTYPE: VectorDType = 'float16';
/** Rows per checksummed chunk: small enough that an append re-hashes little, large enough to keep the manifest short. */
export const DEFAULT_CHUNK_ROWS = 4096;

export type { VectorDType } from '../search/vectors';
export type PreprocessingSettings = Record<string, string | number | boolean>;

export interface IndexModelIdentity {
  id: string;
  fingerprint: string;
  dim: number;
}

export interface IndexEntry {
  /** Path relative to the indexed folder, '/'-separated. */
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
  row: number;
  width: number;
  height: number;
}

export interface FailedEntry {
  path: string;
  size: number;
  mtimeMs: number;
  error: string;
}

export interface VectorFileInfo {
  file: string;
  nonce: string;
  dtype: VectorDType;
  dim: number;
  rows: number;
  chunkRows: number;
  chunkSha256: string[];
}

export interface IndexManifest {
  format: typeof INDEX_FORMAT;
  version: number;
  model: IndexModelIdentity;
  preprocessing: PreprocessingSettings;
  vectors: VectorFileInfo;
  entries: IndexEntry[];
  failed: FailedEntry[];
  updated: string;
}

/** A consistent, immutable view of an index for searching. */
export interface IndexSnapshot {
  model: IndexModelIdentity;
  preprocessing: PreprocessingSettings;
  dim: number;
  /** One row per distinct content, in the index's storage precision; rows no entry refers to are garbage awaiting compaction. */
  vectors: VectorTable;
  /** Sorted by path. The store's snapshots make these objects on first access: hot paths read `table`. */
  entries: readonly IndexEntry[];
  /** The same entries as columns, in the same order (absent in snapshots built from objects: see entryListOf). */
  table?: EntryList;
}

/** The index on disk is unreadable (torn, truncated, tampered with); the caller rebuilds it. */
export class CorruptIndexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptIndexError';
  }
}

export function dtypeCode(dtype: VectorDType): number {
  return dtype === 'float32' ? 1 : dtype === 'float16' ? 2 : 3;
}
export function vectorFileName(nonce: string): string {
  return `vectors-${nonce}.bin`;
}
export const VECTOR_FILE_PATTERN = /^vectors-([0-9a-f]{16})\.bin$/;

export function encodeHeader(dtype: VectorDType, dim: number, nonce: string): Uint8Array {
  const header = Buffer.alloc(VECTOR_HEADER_BYTES);
  header.write(VECTOR_MAGIC, 0, 'latin1');
  header.writeUInt32LE(VECTOR_FILE_VERSION, 8);
  header.writeUInt32LE(dtypeCode(dtype), 12);
  header.writeUInt32LE(dim, 16);
  header.writeUInt32LE(0, 20);
  Buffer.from(nonce, 'hex').copy(header, 24);
  return header;
}

export function checkHeader(bytes: Buffer, info: VectorFileInfo): void {
  if (bytes.length < VECTOR_HEADER_BYTES) throw new CorruptIndexError('vector file is shorter than its header');
  if (bytes.toString('latin1', 0, 8) !== VECTOR_MAGIC) throw new CorruptIndexError('vector file has a bad magic number');
  const version = bytes.readUInt32LE(8);
  if (version !== VECTOR_FILE_VERSION) throw new CorruptIndexError(`vector file version ${version} is not supported`);
  if (bytes.readUInt32LE(12) !== dtypeCode(info.dtype)) throw new CorruptIndexError('vector file dtype differs from the manifest');
  if (bytes.readUInt32LE(16) !== info.dim) throw new CorruptIndexError('vector file dimension differs from the manifest');
  if (bytes.toString('hex', 24, 32) !== info.nonce) throw new CorruptIndexError('vector file does not belong to this manifest');
}

const HEX64 = /^[0-9a-f]{64}$/;

/** A '/'-separated relative path that stays inside its folder. */
export function isSafeRelativePath(p: unknown): p is string {
  return typeof p === 'string' && p.length > 0 && !UNSAFE_PATH.test(p) && !(process.platform === 'win32' && UNSAFE_ON_WINDOWS.test(p));
}
// Absolute, NUL, empty segment, '.' or '..' segment.
const UNSAFE_PATH = /^\/|\0|\/\/|\/$|(^|\/)\.\.?(\/|$)/;
// Where backslashes and drive letters are path syntax rather than file-name characters.
const UNSAFE_ON_WINDOWS = /\\|^[A-Za-z]:/;

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}
function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks one parsed manifest entry against a vector file of `vectorRows` rows; throws CorruptIndexError. */
export function validateEntry(e: unknown, vectorRows: number): IndexEntry {
  const bad = (what: string): never => {
    throw new CorruptIndexError(`index manifest: ${what}`);
  };
  if (!isObject(e) || !isSafeRelativePath(e.path)) return bad('entry with a bad or unsafe path');
  if (!isCount(e.size) || !isFiniteNumber(e.mtimeMs) || typeof e.sha256 !== 'string' || !HEX64.test(e.sha256)) {
    return bad(`bad entry ${e.path}`);
  }
  if (!isCount(e.row) || e.row >= vectorRows) return bad(`entry ${e.path} points past the vectors`);
  if (!isCount(e.width) || !isCount(e.height)) return bad(`bad dimensions for ${e.path}`);
  return e as unknown as IndexEntry;
}

/** Structural validation of a parsed manifest; throws CorruptIndexError naming the first problem. */
export function validateManifest(value: unknown): IndexManifest {
  const bad = (what: string): never => {
    throw new CorruptIndexError(`index manifest: ${what}`);
  };
  if (!isObject(value)) return bad('not an object');
  if (value.format !== INDEX_FORMAT) return bad('not a MobileCLIP Assets index');
  if (value.version !== INDEX_VERSION) return bad(`unsupported version ${String(value.version)}`);
  const model = value.model;
  if (!isObject(model) || typeof model.id !== 'string' || typeof model.fingerprint !== 'string' || !isCount(model.dim) || model.dim === 0) {
    return bad('bad model identity');
  }
  const pre = value.preprocessing;
  if (!isObject(pre) || !Object.values(pre).every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
    return bad('bad preprocessing settings');
  }
  const vec = value.vectors;
  if (!isObject(vec)) return bad('missing vector file info');
  if (typeof vec.nonce !== 'string' || !/^[0-9a-f]{16}$/.test(vec.nonce)) return bad('bad vector nonce');
  if (vec.file !== vectorFileName(vec.nonce)) return bad('bad vector file name');
  if (vec.dtype !== 'float32' && vec.dtype !== 'float16' && vec.dtype !== 'int8') return bad('bad vector dtype');
  if (vec.dim !== model.dim) return bad('vector dimension differs from the model');
  if (!isCount(vec.rows) || !isCount(vec.chunkRows) || vec.chunkRows === 0) return bad('bad row counts');
  const chunks = vec.chunkSha256;
  if (!Array.isArray(chunks) || chunks.length !== Math.ceil(vec.rows / vec.chunkRows) || !chunks.every((h) => typeof h === 'string' && HEX64.test(h))) {
    return bad('bad vector checksums');
  }
  if (!Array.isArray(value.entries)) return bad('entries is not a list');
  const seen = new Set<string>();
  for (const e of value.entries as unknown[]) {
    const entry = validateEntry(e, vec.rows);
    if (seen.has(entry.path)) return bad(`duplicate entry ${entry.path}`);
    seen.add(entry.path);
  }
  if (!Array.isArray(value.failed)) return bad('failed is not a list');
  for (const f of value.failed as unknown[]) {
    if (!isObject(f) || !isSafeRelativePath(f.path) || !isCount(f.size) || !isFiniteNumber(f.mtimeMs) || typeof f.error !== 'string') {
      return bad('bad failed entry');
    }
  }
  if (typeof value.updated !== 'string') return bad('bad timestamp');
  return value as unknown as IndexManifest;
}
