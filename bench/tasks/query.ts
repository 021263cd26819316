// Query latency at one index size (one process per size, so a 1M index does not sit in memory
// while the next size runs). The index is built through the product's own IndexStore (so its
// vectors live where the product keeps them) from synthetic unit vectors, then timed:
//   - bandwidth: the fastest of several single passes that read the same vector bytes once (the
//     floor): a JS loop, a native loop (a Float64Array.indexOf miss), WASM SIMD load+xor passes
//     over 1, 2, 4 or 8 parts at once (more streams in flight read faster)
//   - kernel: dotRows alone
//   - scoring: SearchEngine.search() with a query vector that is already known (filters loop,
//     top-k, result objects: everything but the model)
//   - text: SearchEngine.search("some words") end to end through the worker (tokenize + text
//     tower + IPC + scoring), and embedTexts alone
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { ImageTextEmbedder } from '../../src/engine/api';
import { Engine } from '../../src/engine/engine';
import { IndexStore } from '../../src/engine/index/store';
import { resolveModel } from '../../src/engine/models/resolve';
import { SearchEngine } from '../../src/engine/search/search';
import { dotRows } from '../../src/engine/vectors';
import type { VectorDType } from '../../src/engine/search/vectors';
import type { Precision } from '../../src/engine/types';
import { progress, taskMain } from '../lib/child';
import { fillSyntheticIndex } from '../lib/syntheticIndex';
import { BENCH_CACHE, randomUnitVectors, spread, type Spread } from '../lib/util';
import { wasmReaders } from '../lib/wasm-read';

export interface QueryArgs {
  modelDir: string;
  /** Tower precisions to load (the extension asks for fp32 vision, int8 text). */
  precision?: { vision?: Precision; text?: Precision };
  rows: number;
  runs: number;
  /** Vector precision of the index (default float32, as before the float16 default). */
  dtype?: VectorDType;
  /** Skip the model (scoring only). */
  text: boolean;
  engine: { threads?: number; batchSize?: number };
}

export interface QueryResult {
  rows: number;
  dtype: VectorDType;
  dim: number;
  bytes: number;
  /** ms per pass, per reader; `bandwidth` is the fastest reader's spread. */
  readers: Record<string, number>;
  bandwidth: Spread;
  bandwidthReader: string;
  kernel: Spread;
  scoring: Spread;
  text?: Spread;
  embedText?: Spread;
  buildSeconds: number;
}

const QUERIES = [
  'a photo of a red car',
  'a cat sleeping on a sofa',
  'mountain landscape at sunset',
  'an icon of a floppy disk',
  'a hand drawn map',
  'two people shaking hands',
  'a bowl of fruit',
  'a black and white logo',
  'a cartoon dog',
  'a city skyline at night',
  'a green leaf',
  'an arrow pointing left',
  'a birthday cake with candles',
];

function timeRuns(runs: number, fn: () => void): number[] {
  fn(); // warm-up (JIT, page faults)
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  return out;
}

async function timeRunsAsync(runs: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  await fn(-1);
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

// Single-pass readers of the vector bytes. Each touches every byte once; the fastest one is the
// baseline (how fast this process can stream the bytes at all).
function sumFloat64(bytes: ArrayBufferView): number {
  const a = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 3);
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let i = 0;
  for (; i + 3 < a.length; i += 4) {
    s0 += a[i]!;
    s1 += a[i + 1]!;
    s2 += a[i + 2]!;
    s3 += a[i + 3]!;
  }
  return s0 + s1 + s2 + s3;
}

taskMain<QueryArgs, QueryResult>(async (args) => {
  const t0 = performance.now();
  const modelCache = path.join(BENCH_CACHE, 'model-cache');
  let engine: Engine | undefined;
  let info = { id: 'bench', fingerprint: 'bench', dim: 512 };
  if (args.text) {
    const model = await resolveModel(args.modelDir, { cacheDir: modelCache, visionPrecision: args.precision?.vision, textPrecision: args.precision?.text });
    engine = await Engine.create(model, { ...args.engine });
    info = { id: engine.info.id, fingerprint: engine.info.fingerprint, dim: engine.info.dim };
  }
  const dim = info.dim;
  try {
    // The index, through the product's store (in memory only: nothing is flushed).
    const dir = path.join(BENCH_CACHE, 'tmp', `query-${process.pid}`);
    const dtype = args.dtype ?? 'float32';
    const store = IndexStore.empty(dir, { model: info, preprocessing: {} }, { dtype });
    fillSyntheticIndex(store, args.rows, dim, 1);
    const snapshot = store.snapshot();
    const buildSeconds = (performance.now() - t0) / 1000;
    const vectors = snapshot.vectors;
    const bytes = vectors.bytes.subarray(0, vectors.byteLength);
    progress(`query ${args.rows.toLocaleString('en')} ${dtype}: index built in ${buildSeconds.toFixed(1)} s`);

    const runs = args.runs;
    // Pick the fastest reader on a few passes each, then time it, the kernel and the scoring
    // interleaved run by run: all three then see the same load on the machine.
    const calibration = Math.min(runs, 7);
    const readerFns: Record<string, () => unknown> = {
      'JS float64 sum': () => sumFloat64(bytes),
      'native indexOf miss': () => new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 3).indexOf(1.2345e300),
    };
    for (const [streams, read] of wasmReaders(bytes)) readerFns[`WASM SIMD, ${streams} stream${streams > 1 ? 's' : ''}`] = read;
    const readers: Record<string, number> = {};
    let bandwidthReader = '';
    for (const [name, fn] of Object.entries(readerFns)) {
      readers[name] = spread(timeRuns(calibration, () => void fn())).median;
      if (!bandwidthReader || readers[name]! < readers[bandwidthReader]!) bandwidthReader = name;
    }

    const out = new Float32Array(snapshot.entries.length);
    const query = randomUnitVectors(1, dim, 424242);
    const known: ImageTextEmbedder = {
      info: { ...info, imageSize: 0, contextLength: 77, executionProvider: 'none', dynamicBatch: true },
      embedImages: async () => [],
      embedTexts: async (texts) => texts.map((input) => ({ input, embedding: query })),
      dispose: async () => undefined,
    };
    const scoringEngine = new SearchEngine(snapshot, dir, known);
    const read = readerFns[bandwidthReader]!;
    const times = { bandwidth: [] as number[], kernel: [] as number[], scoring: [] as number[] };
    read();
    dotRows(vectors, dim, query, out);
    await scoringEngine.search('anything', { topK: 60, threshold: 0 }); // warm-up
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      read();
      times.bandwidth.push(performance.now() - t);
      t = performance.now();
      dotRows(vectors, dim, query, out);
      times.kernel.push(performance.now() - t);
      t = performance.now();
      await scoringEngine.search('anything', { topK: 60, threshold: 0 });
      times.scoring.push(performance.now() - t);
    }
    const bandwidth = spread(times.bandwidth);
    const kernel = spread(times.kernel);
    const scoring = spread(times.scoring);
    progress(
      `query ${args.rows.toLocaleString('en')}: bandwidth ${bandwidth.median.toFixed(1)} ms (${bandwidthReader}), dotRows ${kernel.median.toFixed(1)} ms, scoring ${scoring.median.toFixed(1)} ms`,
    );

    let text: Spread | undefined;
    let embedText: Spread | undefined;
    if (engine) {
      const search = new SearchEngine(snapshot, dir, engine);
      const q = (i: number) => QUERIES[(i + QUERIES.length) % QUERIES.length]!;
      embedText = spread(await timeRunsAsync(runs, (i) => engine!.embedTexts([q(i)])));
      text = spread(await timeRunsAsync(runs, (i) => search.search(q(i), { topK: 60 })));
      progress(`query ${args.rows.toLocaleString('en')}: text tower ${embedText.median.toFixed(1)} ms, text query end to end ${text.median.toFixed(1)} ms`);
    }
    await fs.rm(dir, { recursive: true, force: true });
    return {
      rows: args.rows,
      dtype,
      dim,
      bytes: bytes.byteLength,
      readers,
      bandwidth,
      bandwidthReader,
      kernel,
      scoring,
      text,
      embedText,
      buildSeconds,
    };
  } finally {
    await engine?.dispose();
  }
});
