// Idle memory with a large index loaded: this process plays the extension host with the Engine
// (worker + stand-in model) started, a 100k-image index opened from disk through the
// WorkspaceIndexer (as a folder's index is at start-up) and a SearchEngine on it, after one query.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { WorkspaceIndexer } from '../../src/engine/index/indexer';
import { IndexStore } from '../../src/engine/index/store';
import { resolveModel } from '../../src/engine/models/resolve';
import { SearchEngine } from '../../src/engine/search/search';
import type { VectorDType } from '../../src/engine/search/vectors';
import type { Precision } from '../../src/engine/types';
import { progress, taskMain } from '../lib/child';
import { fillSyntheticIndex } from '../lib/syntheticIndex';
import { BENCH_CACHE, procMemory, sleep } from '../lib/util';

export interface IdleArgs {
  modelDir: string;
  /** Tower precisions to load (the extension asks for fp32 vision, int8 text). */
  precision?: { vision?: Precision; text?: Precision };
  rows: number;
  dtype: VectorDType;
  engine: { threads?: number; batchSize?: number };
  /** Only write the index if it is missing (a separate run, so the measuring process starts clean). */
  prepareOnly?: boolean;
}

export interface IdleResult {
  rows: number;
  dtype: string;
  /** RSS of this process before anything was loaded (Node + tsx + modules). */
  hostBaseline: number;
  hostRss: number;
  workerRss: number;
  /** Heap used by JS objects after GC (entries, maps). */
  hostHeapUsed: number;
  hostExternal: number;
  indexFileBytes: number;
  openSeconds: number;
}

taskMain<IdleArgs, IdleResult>(async (args) => {
  global.gc?.();
  const hostBaseline = process.memoryUsage().rss;
  const model = await resolveModel(args.modelDir, {
    cacheDir: path.join(BENCH_CACHE, 'model-cache'),
    visionPrecision: args.precision?.vision,
    textPrecision: args.precision?.text,
  });
  const engine = await Engine.create(model, { ...args.engine });
  try {
    const info = engine.info;
    const identity = { model: { id: info.id, fingerprint: info.fingerprint, dim: info.dim }, preprocessing: {} };
    const root = path.join(BENCH_CACHE, 'workspaces', 'empty');
    await fs.mkdir(root, { recursive: true });
    const indexDir = path.join(BENCH_CACHE, `idle-${args.rows}-${args.dtype}-${info.fingerprint.slice(0, 12)}`);
    if (!existsSync(path.join(indexDir, 'index.json'))) {
      progress(`idle memory: writing a ${args.rows.toLocaleString('en')}-image ${args.dtype} index (once)`);
      const store = IndexStore.empty(indexDir, identity, { dtype: args.dtype });
      fillSyntheticIndex(store, args.rows, info.dim, 7);
      await store.flush();
    }
    if (args.prepareOnly)
      return { rows: args.rows, dtype: args.dtype, hostBaseline, hostRss: NaN, workerRss: NaN, hostHeapUsed: NaN, hostExternal: NaN, indexFileBytes: NaN, openSeconds: NaN };
    const t0 = performance.now();
    const indexer = await WorkspaceIndexer.open({ root, indexDir, embedder: engine, dtype: args.dtype });
    const openSeconds = (performance.now() - t0) / 1000;
    const search = new SearchEngine(indexer.snapshot(), root, engine);
    if (search.size !== args.rows) throw new Error(`index holds ${search.size} images, expected ${args.rows}`);
    await search.search('a photo of a dog', { topK: 60 });
    await sleep(1500);
    global.gc?.();
    await sleep(500);
    const mem = process.memoryUsage();
    const worker = procMemory(engine.workerPid!);
    let indexFileBytes = 0;
    for (const f of await fs.readdir(indexDir)) indexFileBytes += (await fs.stat(path.join(indexDir, f))).size;
    return {
      rows: args.rows,
      dtype: args.dtype,
      hostBaseline,
      hostRss: mem.rss,
      workerRss: worker?.rss ?? NaN,
      hostHeapUsed: mem.heapUsed,
      hostExternal: mem.external + mem.arrayBuffers,
      indexFileBytes,
      openSeconds,
    };
  } finally {
    await engine.dispose();
  }
});
