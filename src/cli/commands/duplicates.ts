// `mobileclip-assets duplicates DIR`: groups of images that are the same picture (copies,
// resized or re-encoded versions), most bytes wasted first.
import * as path from 'node:path';
import type { IndexSnapshot } from '../../engine/index/format';
import { THUMBNAILS_DIR } from '../../engine/index/location';
import { loadIndexSnapshot } from '../../engine/index/store';
import { DEFAULT_THUMBNAIL_SIZE } from '../../engine/index/thumbnails';
import { loadDuplicateDecisions, DECISIONS_FILE } from '../../engine/duplicates/decisions';
import { DEFAULT_DUPLICATE_THRESHOLDS, groupDuplicates, type DuplicateGroup, type DuplicateThresholds } from '../../engine/duplicates/group';
import { pixelSignaturesFor, type SignatureWorker } from '../../engine/duplicates/signatures';
import type { ReferenceIndex } from '../../engine/references/references';
import { scanReferences } from '../../engine/references/scan';
import { EtaEstimator, formatBytes, formatDuration } from '../../engine/util/format';
import { WorkerClient } from '../../engine/worker/client';
import { defineCommand, GLOBAL_OPTIONS, GLOBAL_USAGE, UsageError, numberFlag, openEngine } from '../command';
import { INDEX_OPTIONS, INDEX_USAGE, folderArg, indexerOptionsFrom, refreshIndex, reportDiscarded } from './indexing';
import { TEXT_SCAN_OPTIONS, TEXT_SCAN_USAGE, plural, printLines, textScanFrom } from './hygiene';

const T = DEFAULT_DUPLICATE_THRESHOLDS;

const USAGE = `Usage: mobileclip-assets duplicates DIR [options]

Finds groups of DIR's images that are the same picture: byte-identical copies, and images whose
embeddings are close and whose thumbnails agree in structure and colour (resized, re-encoded,
re-padded or lightly cropped copies; recoloured versions and different icons of one style are
not duplicates). The index is refreshed first unless --no-update is given. Pairs listed in
${DECISIONS_FILE} ("notDuplicates") are never grouped.

Options:
  --json                print [{"files","bytes","similarity"}], most bytes wasted first:
                        "files" starts with the suggested file to keep (the most pixels), "bytes"
                        is what removing the others frees, "similarity" the lowest embedding
                        cosine between two of them (1 for identical files); also "exact" and
                        "members" [{"path","bytes","width","height"}] (+ "references")
  --references          also count each member's references in DIR's text files
  --embedding-threshold C
                        cosine two images need to be compared at all (default ${T.embedding})
  --pixel-threshold S   overall correlation of the thumbnails' structure (default ${T.structure})
  --detail-threshold D  largest difference of any small region of the thumbnails (default ${T.detail})
  --color-threshold D   largest mean colour difference, 0-255 (default ${T.colour})
  --no-update           use the index as it is, without refreshing it first

${INDEX_USAGE}

${TEXT_SCAN_USAGE}

${GLOBAL_USAGE}`;

interface JsonGroup {
  files: string[];
  bytes: number;
  similarity: number;
  exact: boolean;
  members: Array<{ path: string; bytes: number; width: number; height: number; references?: number }>;
}

const round = (x: number) => Math.round(x * 10000) / 10000;

/** A redrawn status line on stderr with counts and time left (terminals only). */
function statusLine(label: string): { update: (done: number, total: number) => void; clear: () => void } {
  const stream = process.stderr;
  if (!stream.isTTY) return { update: () => undefined, clear: () => undefined };
  let eta: EtaEstimator | undefined;
  let last = 0;
  let shown = false;
  return {
    update: (done, total) => {
      eta ??= new EtaEstimator(total);
      const now = performance.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const left = eta.etaSeconds(done);
      stream.write(`\r\x1b[K${label} ${done}/${total}${Number.isFinite(left) && done < total ? `, ${formatDuration(left)} left` : ''}`);
      shown = true;
    },
    clear: () => {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}

function toJson(groups: readonly DuplicateGroup[], refs?: ReferenceIndex): JsonGroup[] {
  return groups.map((g) => ({
    files: g.members.map((m) => m.path),
    bytes: g.bytesWasted,
    similarity: round(g.similarity),
    exact: g.exact,
    members: g.members.map((m) => ({ path: m.path, bytes: m.size, width: m.width, height: m.height, ...(refs ? { references: refs.referenceCount(m.path) } : {}) })),
  }));
}

function table(groups: readonly DuplicateGroup[], images: number, refs?: ReferenceIndex): string[] {
  if (!groups.length) return [`No duplicates among ${plural(images, 'image')}.`];
  const wasted = groups.reduce((s, g) => s + g.bytesWasted, 0);
  const lines = [`${plural(groups.length, 'group')} of duplicates among ${plural(images, 'image')}; keeping the first file of each frees ${formatBytes(wasted)}.`];
  for (const g of groups) {
    lines.push('', `${formatBytes(g.bytesWasted)} to free, ${g.exact ? 'identical files' : `similarity ${g.similarity.toFixed(3)}`}:`);
    g.members.forEach((m, i) => {
      const size = `${m.width}x${m.height}`.padEnd(11);
      const count = refs ? `  ${plural(refs.referenceCount(m.path), 'reference').padStart(14)}` : '';
      lines.push(`  ${i === 0 ? 'keep' : '    '}  ${formatBytes(m.size).padStart(8)}  ${size}${count}  ${m.path}`);
    });
  }
  return lines;
}

export const duplicatesCommand = defineCommand({
  name: 'duplicates',
  summary: 'find groups of duplicate and near-duplicate images',
  usage: USAGE,
  options: {
    ...GLOBAL_OPTIONS,
    ...INDEX_OPTIONS,
    ...TEXT_SCAN_OPTIONS,
    json: { type: 'boolean' },
    references: { type: 'boolean' },
    'no-update': { type: 'boolean' },
    'embedding-threshold': { type: 'string' },
    'pixel-threshold': { type: 'string' },
    'detail-threshold': { type: 'string' },
    'color-threshold': { type: 'string' },
  },
  positionals: { min: 1, max: 1, missing: 'which folder? give DIR', tooMany: 'give exactly one folder' },
  async run(values, positionals) {
    const folder = await folderArg(positionals[0], 'folder');
    const thresholds: Partial<DuplicateThresholds> = {};
    const set = <K extends keyof DuplicateThresholds>(k: K, v: number | undefined) => v !== undefined && (thresholds[k] = v);
    set('embedding', numberFlag('--embedding-threshold', values['embedding-threshold'], 'duplicates.embeddingThreshold'));
    set('structure', numberFlag('--pixel-threshold', values['pixel-threshold'], 'duplicates.pixelThreshold'));
    set('detail', numberFlag('--detail-threshold', values['detail-threshold'], 'duplicates.detailThreshold'));
    set('colour', numberFlag('--color-threshold', values['color-threshold'], 'duplicates.colorThreshold'));
    const text = textScanFrom(values);
    const options = indexerOptionsFrom(folder, values);
    const decisions = await loadDuplicateDecisions(folder);
    for (const p of decisions.problems) printLines(process.stderr, `${DECISIONS_FILE}: ${p}`);

    // The model is needed only to refresh the index; signatures need a worker that decodes.
    let worker: SignatureWorker & { dispose(): Promise<void> };
    let snapshot: IndexSnapshot | undefined;
    if (values['no-update']) {
      snapshot = await loadIndexSnapshot(options.indexDir);
      if (!snapshot) throw new UsageError(`${folder} has no index at ${options.indexDir}: run \`mobileclip-assets index\` first, or drop --no-update`);
      worker = new WorkerClient({ log: (line) => process.stderr.write(`${line}\n`) });
    } else {
      const engine = await openEngine(values);
      worker = engine;
      try {
        const refreshed = await refreshIndex(engine, options);
        reportDiscarded(refreshed.summary);
        if (refreshed.summary.cancelled) {
          await engine.dispose();
          return 130;
        }
        const { indexed, failed } = refreshed.summary;
        if (indexed && !values.json) process.stderr.write(`indexed ${indexed} new or changed images\n`);
        if (failed.length) process.stderr.write(`${failed.length} images could not be read (see \`mobileclip-assets index\`)\n`);
        snapshot = refreshed.snapshot;
      } catch (err) {
        await engine.dispose();
        throw err;
      }
    }
    let groups: DuplicateGroup[];
    let refs: ReferenceIndex | undefined;
    try {
      const thumbnails = options.thumbnails || { dir: path.join(options.indexDir, THUMBNAILS_DIR), size: DEFAULT_THUMBNAIL_SIZE };
      const signing = statusLine('reading thumbnails');
      const run = await pixelSignaturesFor(worker, snapshot.entries, { root: folder, indexDir: options.indexDir, thumbnails, onProgress: signing.update });
      signing.clear();
      if (run.failed.length) process.stderr.write(`${plural(run.failed.length, 'image')} could not be compared (thumbnail failed)\n`);
      if (run.cacheError) process.stderr.write(`pixel signatures not cached: ${run.cacheError}\n`);
      if (values.references) {
        refs = (
          await scanReferences(
            folder,
            snapshot.entries.map((e) => e.path),
            {
              ...text,
              exclude: options.scan?.exclude,
              respectGitignore: options.scan?.respectGitignore,
            },
          )
        ).index;
      }
      const referenceCount = refs ? (p: string) => refs!.referenceCount(p) : undefined;
      const comparing = statusLine('comparing images');
      groups = (await groupDuplicates(snapshot, run.signatures, { thresholds, decisions, referenceCount, onProgress: comparing.update })).groups;
      comparing.clear();
    } finally {
      await worker.dispose();
    }
    if (values.json) process.stdout.write(`${JSON.stringify(toJson(groups, refs))}\n`);
    else printLines(process.stdout, table(groups, snapshot.entries.length, refs));
    return 0;
  },
});
