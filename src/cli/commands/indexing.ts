// `mobileclip-assets index DIR`: build or refresh a folder's embedding index. Also the helpers
// that `search` and `similar` share with it (index location, scan flags, progress display).
// (The file is not called index.ts: that name holds the subcommand table.)
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { ImageTextEmbedder } from '../../engine/api';
import { updateIndex, type IndexProgress, type IndexRunSummary, type IndexerOptions } from '../../engine/index/indexer';
import type { IndexSnapshot, VectorDType } from '../../engine/index/format';
import { resolveCliIndexDir } from '../../engine/index/location';
import { DEFAULT_THUMBNAIL_SIZE } from '../../engine/index/thumbnails';
import { defaultCacheDir } from '../../engine/models/resolve';
import { parseBackground } from '../../engine/preprocess/pipeline';
import { defineCommand, GLOBAL_OPTIONS, GLOBAL_USAGE, UsageError, numberFlag, openEngine } from '../command';
import { formatDuration } from '../../engine/util/format';
import { escapeControl, printLines } from '../output';
import { errorMessage } from '../../engine/util/errors';

/** Flags of every command that reads or refreshes an index. */
export const INDEX_OPTIONS = {
  index: { type: 'string' },
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  'no-gitignore': { type: 'boolean' },
  'max-file-size': { type: 'string' },
  'no-thumbnails': { type: 'boolean' },
  'thumbnail-size': { type: 'string' },
  'checkpoint-every': { type: 'string' },
  vectors: { type: 'string' },
  float16: { type: 'boolean' },
} as const;

export const INDEX_USAGE = `Index options:
  --index DIR           where the index lives (default: DIR/.mobileclip/ if it has an index.json,
                        else the user cache, <cache-dir>/index/<hash of DIR>/)
  --include GLOB        files to index, relative to DIR (repeatable; default: png, jpg, jpeg, gif,
                        webp, avif, tiff, tif, svg in any letter case)
  --exclude GLOB        files or folders to leave out (repeatable; default: node_modules, .git, .mobileclip)
  --no-gitignore        index files that .gitignore files exclude
  --max-file-size N     skip files larger than N bytes (suffixes k, m, g allowed; at most 512m)
  --no-thumbnails       do not write gallery thumbnails (<index>/thumbs/)
  --thumbnail-size N    longest thumbnail side in pixels (default ${DEFAULT_THUMBNAIL_SIZE})
  --checkpoint-every N  save progress every N new images (default 256, and at least every 10 s)
  --vectors P           vector precision on disk and in memory: float16 (default for new indexes;
                        half of float32), float32, or int8 (a quarter; ranks less exactly, see
                        bench/RESULTS.md); an existing index is converted, nothing is re-embedded
  --float16             the same as --vectors float16`;

export interface IndexFlagValues {
  index?: string;
  include?: string[];
  exclude?: string[];
  'no-gitignore'?: boolean;
  'max-file-size'?: string;
  'no-thumbnails'?: boolean;
  'thumbnail-size'?: string;
  'checkpoint-every'?: string;
  vectors?: string;
  float16?: boolean;
  'cache-dir'?: string;
  background?: string;
}

export function parseByteSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(value.trim());
  if (!m) throw new UsageError(`--max-file-size must be a size like 5000000, 20m or 1g, got "${value}"`);
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return numberFlag('--max-file-size', String(Math.floor(Number(m[1]) * scale)), 'max-file-size');
}

function vectorDType(values: IndexFlagValues): VectorDType | undefined {
  const v = values.vectors ?? (values.float16 ? 'float16' : undefined);
  if (v === undefined) return undefined; // keep what the index has
  if (v !== 'float32' && v !== 'float16' && v !== 'int8') throw new UsageError(`--vectors must be float32, float16 or int8, got "${v}"`);
  return v;
}

/** The folder argument: must exist and be a directory. */
export async function folderArg(dir: string | undefined, flag: string): Promise<string> {
  const abs = path.resolve(dir ?? '.');
  let st;
  try {
    st = await fs.stat(abs);
  } catch {
    throw new UsageError(`${flag} ${JSON.stringify(dir ?? '.')} does not exist`);
  }
  if (!st.isDirectory()) throw new UsageError(`${flag} ${JSON.stringify(dir ?? '.')} is not a folder`);
  return abs;
}

export function indexDirFromFlags(folder: string, values: IndexFlagValues): string {
  return resolveCliIndexDir(folder, { override: values.index, cacheDir: values['cache-dir'] ?? defaultCacheDir() });
}

/** Indexer options from the flags (validated before any model loads). */
export function indexerOptionsFrom(folder: string, values: IndexFlagValues): Omit<IndexerOptions, 'embedder'> {
  const indexDir = indexDirFromFlags(folder, values);
  const thumbSize = numberFlag('--thumbnail-size', values['thumbnail-size'], 'thumbnail-size') ?? DEFAULT_THUMBNAIL_SIZE;
  // Checked before any model loads; indexIdentity() normalises it.
  if (values.background !== undefined) {
    try {
      parseBackground(values.background);
    } catch (err) {
      throw new UsageError(`--background: ${errorMessage(err)}`);
    }
  }
  return {
    root: folder,
    indexDir,
    // Everything besides the model that changes an embedding (normalised by indexIdentity()).
    preprocessing: { background: values.background },
    dtype: vectorDType(values),
    scan: {
      include: values.include,
      exclude: values.exclude,
      respectGitignore: !values['no-gitignore'],
      maxFileSizeBytes: values['max-file-size'] !== undefined ? parseByteSize(values['max-file-size']) : undefined,
    },
    thumbnails: values['no-thumbnails'] ? false : { dir: path.join(indexDir, 'thumbs'), size: thumbSize },
    checkpointEveryImages: numberFlag('--checkpoint-every', values['checkpoint-every'], 'checkpoint-every'),
  };
}

/** A one-line progress display on stderr, only when it is a terminal (redraws at most 10x/s). */
export function progressPrinter(): { onProgress?: (p: IndexProgress) => void; clear: () => void } {
  const stream = process.stderr;
  if (!stream.isTTY) return { clear: () => undefined };
  let last = 0;
  let shown = false;
  const draw = (line: string): void => {
    const width = Math.max(20, (stream.columns ?? 80) - 1);
    const safe = escapeControl(line);
    stream.write(`\r${safe.length > width ? safe.slice(0, width - 1) + '…' : safe.padEnd(width)}`);
    shown = true;
  };
  return {
    onProgress: (p) => {
      const now = performance.now();
      if (now - last < 100 && p.done !== p.total) return;
      last = now;
      if (p.phase === 'scanning') draw(`scanning… ${p.done} images found`);
      else if (p.phase === 'hashing') draw(`checking ${p.done}/${p.total} changed files`);
      else if (p.phase === 'saving') draw('saving the index…');
      else {
        const pct = p.total ? Math.floor((100 * p.done) / p.total) : 100;
        const rate = p.imagesPerSecond ? `${p.imagesPerSecond.toFixed(1)} img/s` : '';
        const eta = p.etaSeconds !== undefined && p.done < p.total ? `, ${formatDuration(p.etaSeconds)} left` : '';
        draw(`indexing ${p.done}/${p.total} (${pct}%) ${rate}${eta}  ${p.path ?? ''}`);
      }
    },
    clear: () => {
      if (shown) stream.write(`\r${' '.repeat(Math.max(20, (stream.columns ?? 80) - 1))}\r`);
    },
  };
}

/**
 * Refresh the index with progress on stderr. Ctrl+C cancels cleanly (finished work is kept); a
 * second Ctrl+C exits at once.
 */
export async function refreshIndex(embedder: ImageTextEmbedder, options: Omit<IndexerOptions, 'embedder'>): Promise<{ summary: IndexRunSummary; snapshot: IndexSnapshot }> {
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ncancelling: saving finished work (Ctrl+C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const progress = progressPrinter();
  try {
    return await updateIndex({ ...options, embedder, signal: controller.signal, onProgress: progress.onProgress });
  } finally {
    progress.clear();
    process.off('SIGINT', onSigint);
  }
}

/** The index log line for stderr (when an existing index had to be discarded). */
export function reportDiscarded(summary: IndexRunSummary): void {
  if (summary.status === 'rebuilt' || summary.status === 'invalidated') {
    printLines(process.stderr, `index ${summary.status === 'rebuilt' ? 'was unreadable' : 'was out of date'} (${summary.reason}); rebuilt it`);
  }
}

const USAGE = `Usage: mobileclip-assets index DIR [options]

Builds or refreshes DIR's image index: only new and changed images are embedded; renamed, moved
and copied files reuse their embeddings; deleted files leave the index. Progress is saved as it
goes, so an interrupted run (Ctrl+C, a crash) resumes where it stopped. Files that fail are
listed and retried once they change.

Options:
  --json                print {"indexed","unchanged","renamed","duplicates","removed",
                        "failed":[{"path","error"}],"skipped","total","distinct","seconds",
                        "cancelled","index"} (total: files; distinct: different contents)
${INDEX_USAGE}

${GLOBAL_USAGE}`;

export const indexCommand = defineCommand({
  name: 'index',
  summary: "build or refresh a folder's image index",
  usage: USAGE,
  options: { ...GLOBAL_OPTIONS, ...INDEX_OPTIONS, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1, missing: 'which folder? give DIR', tooMany: 'give exactly one folder' },
  async run(values, positionals) {
    const folder = await folderArg(positionals[0], 'folder');
    const options = indexerOptionsFrom(folder, values);
    const engine = await openEngine(values, {}, options.indexDir);
    let summary: IndexRunSummary;
    try {
      ({ summary } = await refreshIndex(engine, options));
    } finally {
      await engine.dispose();
    }
    reportDiscarded(summary);
    if (values.json) {
      const { indexed, unchanged, renamed, duplicates, removed, failed, skipped, total, distinct, seconds, cancelled } = summary;
      const out = { indexed, unchanged, renamed, duplicates, removed, failed, skipped, total, distinct, seconds, cancelled, index: options.indexDir };
      process.stdout.write(`${JSON.stringify(out)}\n`);
    } else {
      const lines = summary.failed.map((f) => `failed  ${f.path}: ${f.error}`);
      const parts = [`${summary.indexed} indexed`, `${summary.unchanged} unchanged`];
      if (summary.renamed) parts.push(`${summary.renamed} renamed or copied`);
      if (summary.duplicates) parts.push(`${summary.duplicates} copies of new images`);
      parts.push(`${summary.removed} removed`, `${summary.failed.length} failed`);
      if (summary.skipped) parts.push(`${summary.skipped} skipped`);
      lines.push(
        `${summary.cancelled ? 'Cancelled; kept ' : ''}${parts.join(', ')} in ${summary.seconds.toFixed(1)} s; ${summary.total} files, ${summary.distinct} distinct in the index (${options.indexDir})`,
      );
      printLines(process.stdout, lines);
    }
    return summary.cancelled ? 130 : 0;
  },
});
