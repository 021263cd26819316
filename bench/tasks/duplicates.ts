// Near-duplicate groups over the cached 8k index (openclipart-png, cheap colour model, 512-d):
// pixel signatures computed cold (every thumbnail decoded in a worker) and warm (from the
// cache), then the grouping itself, repeated. Baseline, in this process: one brute-force query
// over the same vectors (`dotRows`), times n/2 — what the all-pairs embedding pass costs at
// minimum; the ratio shows what top-k, the pixel checks and the grouping add. The colour model
// makes most clip art look alike, so every image fills its candidate list: the worst case for
// the confirmation stage.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { groupDuplicates, type GroupRun } from '../../src/engine/duplicates/group';
import { pixelSignaturesFor, signaturesFileFor } from '../../src/engine/duplicates/signatures';
import { loadIndexSnapshot } from '../../src/engine/index/store';
import { allocVectors, dotRows } from '../../src/engine/vectors';
import { WorkerClient } from '../../src/engine/worker/client';
import { progress, taskMain } from '../lib/child';
import { procMemory } from '../lib/util';

export interface DuplicatesArgs {
  root: string;
  indexDir: string;
  runs: number;
}

export interface DuplicatesResult {
  images: number;
  contents: number;
  /** Seconds to compute every signature (thumbnail decodes in the worker), and to load them from the cache. */
  signaturesCold: number;
  signaturesWarm: number[];
  computed: number;
  signatureFailures: number;
  /** Seconds per groupDuplicates() run. */
  group: number[];
  /** Seconds of one dotRows query over the distinct contents' vectors (median), and n/2 of them. */
  query: number;
  allPairsBound: number;
  /** Per run: grouping time / the baseline measured just before it. */
  ratios: number[];
  candidatePairs: number;
  confirmedPairs: number;
  groups: number;
  exactGroups: number;
  largestGroup: number;
  bytesWasted: number;
  hostPeakRss: number;
  workerPeakRss: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

taskMain<DuplicatesArgs, DuplicatesResult>(async (args) => {
  const snapshot = await loadIndexSnapshot(args.indexDir);
  if (!snapshot) throw new Error(`no index in ${args.indexDir}`);
  const thumbnails = { dir: path.join(args.indexDir, 'thumbs'), size: 192 };
  await fs.rm(signaturesFileFor(args.indexDir), { force: true });
  const worker = new WorkerClient();
  let workerPeakRss = 0;
  const sample = () => {
    const pid = worker.pid;
    if (pid !== undefined) workerPeakRss = Math.max(workerPeakRss, procMemory(pid)?.peak ?? 0);
  };
  const timer = setInterval(sample, 200);
  let t0 = performance.now();
  const cold = await pixelSignaturesFor(worker, snapshot.entries, {
    root: args.root,
    indexDir: args.indexDir,
    thumbnails,
    onProgress: (done, total) => done % 1000 === 0 && progress(`signatures ${done}/${total}`),
  });
  const signaturesCold = (performance.now() - t0) / 1000;
  sample();
  clearInterval(timer);
  await worker.dispose();
  progress(`signatures: ${cold.computed} computed in ${signaturesCold.toFixed(1)} s, ${cold.failed.length} failed`);
  const signaturesWarm: number[] = [];
  for (let i = 0; i < 3; i++) {
    t0 = performance.now();
    await pixelSignaturesFor({ request: () => Promise.reject(new Error('warm run must not compute')) }, snapshot.entries, { root: args.root, indexDir: args.indexDir, thumbnails });
    signaturesWarm.push((performance.now() - t0) / 1000);
  }

  // Baseline: one query against the distinct contents' vectors, in kernel-readable memory,
  // measured right before each grouping run (the machine's load changes between runs).
  const rows = [...new Set(snapshot.entries.map((e) => e.row))];
  const dim = snapshot.dim;
  const vectors = allocVectors(rows.length * dim);
  rows.forEach((r, i) => snapshot.vectors.row(r, vectors.subarray(i * dim, (i + 1) * dim)));
  const out = new Float32Array(rows.length);
  const oneQuery = (): number => {
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const q = vectors.subarray((i % rows.length) * dim, ((i % rows.length) + 1) * dim);
      const s = performance.now();
      dotRows(vectors, dim, q, out);
      times.push((performance.now() - s) / 1000);
    }
    return median(times);
  };

  const group: number[] = [];
  const queries: number[] = [];
  let last: GroupRun | undefined;
  for (let i = 0; i < args.runs; i++) {
    queries.push(oneQuery());
    t0 = performance.now();
    last = await groupDuplicates(snapshot, cold.signatures);
    group.push((performance.now() - t0) / 1000);
    progress(`group: ${group[i]!.toFixed(2)} s (baseline ${((queries[i]! * rows.length) / 2).toFixed(2)} s), ${last.groups.length} groups, ${last.candidatePairs} candidate pairs`);
  }
  const query = median(queries);
  const groups = last!.groups;
  return {
    images: snapshot.entries.length,
    contents: last!.contents,
    signaturesCold,
    signaturesWarm,
    computed: cold.computed,
    signatureFailures: cold.failed.length,
    group,
    query,
    allPairsBound: (query * rows.length) / 2,
    ratios: group.map((g, i) => g / ((queries[i]! * rows.length) / 2)),
    candidatePairs: last!.candidatePairs,
    confirmedPairs: last!.confirmedPairs,
    groups: groups.length,
    exactGroups: groups.filter((g) => g.exact).length,
    largestGroup: Math.max(0, ...groups.map((g) => g.members.length)),
    bytesWasted: groups.reduce((s, g) => s + g.bytesWasted, 0),
    hostPeakRss: procMemory(process.pid)?.peak ?? NaN,
    workerPeakRss,
  };
});
