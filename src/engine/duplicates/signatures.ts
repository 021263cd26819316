// Pixel signatures per content hash: computed once (in the worker) and kept in a cache file
// beside the index, `<indexDir>/duplicates/signatures.json`. A subfolder, so the index writer's
// cleanup of its own temporary files never races this file's atomic write; keyed by sha256 and
// independent of the model, so it outlives a rebuild of the index.
import * as path from 'node:path';
import type { IndexEntry } from '../index/format';
import { resolveInside, stableStringify, writeFileAtomic } from '../util/atomic';
import { readRegularTextFile, UnreadableFileError } from '../util/files';
import type { ThumbnailOptions } from '../types';
import type { PixelSignatureResult, PixelSignaturesRequest } from '../worker/protocol';
import type { RequestOptions } from '../worker/client';
import { SIGNATURE_VERSION, decodeSignature, encodeSignature, type PixelSignature } from './signature';

export const SIGNATURES_FORMAT = 'mobileclip-assets/pixel-signatures';
const SHA256 = /^[0-9a-f]{64}$/;
/** ~450 bytes per image: room for a million images. */
const MAX_CACHE_BYTES = 512 * 2 ** 20;

export function signaturesFileFor(indexDir: string): string {
  return path.join(indexDir, 'duplicates', 'signatures.json');
}

/** The cached signatures; an unreadable or foreign file is an empty cache (it is only a cache). */
export async function loadSignatureCache(file: string): Promise<Map<string, PixelSignature>> {
  const out = new Map<string, PixelSignature>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readRegularTextFile(file, { maxBytes: MAX_CACHE_BYTES }));
  } catch (err) {
    if (err instanceof UnreadableFileError || err instanceof SyntaxError) return out;
    throw err;
  }
  const doc = parsed as { format?: unknown; version?: unknown; signatures?: unknown };
  if (doc?.format !== SIGNATURES_FORMAT || doc.version !== SIGNATURE_VERSION || !doc.signatures || typeof doc.signatures !== 'object') return out;
  for (const [sha, text] of Object.entries(doc.signatures as Record<string, unknown>)) {
    const sig = SHA256.test(sha) ? decodeSignature(text) : undefined;
    if (sig) out.set(sha, sig);
  }
  return out;
}

export async function saveSignatureCache(file: string, signatures: ReadonlyMap<string, PixelSignature>): Promise<void> {
  const encoded: Record<string, string> = {};
  for (const [sha, sig] of signatures) encoded[sha] = encodeSignature(sig);
  await writeFileAtomic(file, stableStringify({ format: SIGNATURES_FORMAT, version: SIGNATURE_VERSION, signatures: encoded }));
}

/** What computing signatures needs from the worker: an Engine or a bare WorkerClient. */
export interface SignatureWorker {
  request(body: PixelSignaturesRequest, opts?: RequestOptions): Promise<{ count: number }>;
}

export interface SignatureOptions {
  root: string;
  indexDir: string;
  /** Thumbnails to read (and write when missing); default `<indexDir>/thumbs` at 192 px. */
  thumbnails: ThumbnailOptions;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface SignatureRun {
  /** By sha256, for every entry whose signature is known. */
  signatures: Map<string, PixelSignature>;
  /** Entries that could not be decoded (they take no part in near-duplicate checks). */
  failed: Array<{ path: string; error: string }>;
  /** How many were computed in this run (the rest came from the cache). */
  computed: number;
  /** Why the cache could not be written (the signatures are still returned). */
  cacheError?: string;
}

/**
 * Signatures for the entries' content: cached ones are reused, the rest computed in the worker
 * and added to the cache, which keeps only content still in `entries`.
 */
export async function pixelSignaturesFor(worker: SignatureWorker, entries: readonly IndexEntry[], options: SignatureOptions): Promise<SignatureRun> {
  const file = signaturesFileFor(options.indexDir);
  const cache = await loadSignatureCache(file);
  const live = new Map<string, IndexEntry>();
  for (const e of entries) if (!live.has(e.sha256)) live.set(e.sha256, e);
  const failed: SignatureRun['failed'] = [];
  const missing: IndexEntry[] = [];
  const items: PixelSignaturesRequest['items'] = [];
  for (const e of live.values()) {
    if (cache.has(e.sha256)) continue;
    try {
      items.push({ path: resolveInside(options.root, e.path), sha256: e.sha256 });
      missing.push(e);
    } catch (err) {
      failed.push({ path: e.path, error: (err as Error).message }); // a path from the index that escapes the folder
    }
  }
  let computed = 0;
  if (items.length) {
    let done = 0;
    await worker.request(
      { type: 'pixelSignatures', items, thumbnails: options.thumbnails },
      {
        signal: options.signal,
        onItem: (index, raw) => {
          const result = raw as PixelSignatureResult;
          const entry = missing[index]!;
          done++;
          options.onProgress?.(done, missing.length);
          if ('error' in result) {
            failed.push({ path: entry.path, error: result.error });
            return;
          }
          const sig = decodeSignature(result.signature);
          // A file edited since it was indexed yields another hash: its index entry stays unmatched.
          if (sig && result.sha256 === entry.sha256) {
            cache.set(entry.sha256, sig);
            computed++;
          }
        },
      },
    );
  }
  const signatures = new Map<string, PixelSignature>();
  for (const sha of live.keys()) {
    const sig = cache.get(sha);
    if (sig) signatures.set(sha, sig);
  }
  failed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const run: SignatureRun = { signatures, failed, computed };
  if (computed > 0 || signatures.size !== cache.size) {
    await saveSignatureCache(file, signatures).catch((err: Error) => (run.cacheError = err.message));
  }
  return run;
}
