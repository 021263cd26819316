// The indexing host: this process plays the extension host. It starts the Engine (worker process
// + model), opens a WorkspaceIndexer on a folder and runs one full update, while measuring the
// event-loop delay of this process, the RSS of this process and of the worker, and CPU time.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Engine } from '../../src/engine/engine';
import { WorkspaceIndexer } from '../../src/engine/index/indexer';
import { resolveModel } from '../../src/engine/models/resolve';
import type { VectorDType } from '../../src/engine/search/vectors';
import type { ModelInfo, Precision } from '../../src/engine/types';
import { progress, taskMain } from '../lib/child';
import { BENCH_CACHE, procCpuSeconds, procMemory } from '../lib/util';
import * as path from 'node:path';

export interface IndexArgs {
  modelDir: string;
  /** Tower precisions to load (the extension asks for fp32 vision, int8 text). */
  precision?: { vision?: Precision; text?: Precision };
  root: string;
  indexDir: string;
  /** Delete indexDir first (a from-scratch index). */
  fresh: boolean;
  engine: { threads?: number; batchSize?: number };
  /** Images per embedder call (the extension passes its batch-size setting). */
  indexerBatchSize?: number;
  thumbnails: boolean;
  dtype?: VectorDType;
  label: string;
  /** Another build of the worker (an A/B of engine changes); default: dist/worker.js. */
  workerScript?: string;
}

export interface IndexResult {
  label: string;
  info: ModelInfo;
  engineStartSeconds: number;
  seconds: number;
  indexed: number;
  unchanged: number;
  renamed: number;
  /** Copies of content embedded in the same run (no inference). */
  duplicates: number;
  failed: Array<{ path: string; error: string }>;
  total: number;
  distinct: number;
  /** Embedded images per second (distinct new contents). */
  rate: number;
  eventLoopDelayMs: DelayStats;
  /** The same measurement in an idle Node process running alongside: the machine's scheduling noise. */
  controlDelayMs?: DelayStats;
  hostPeakRss: number;
  /** Worker RSS with the model loaded, just before the run: the growth while indexing is the rest. */
  workerStartRss: number;
  workerPeakRss: number;
  /** Worker VmHWM: includes the model load. */
  workerHighWater: number;
  hostCpuSeconds: number;
  workerCpuSeconds: number;
  workerLog: string[];
}

const ELD_RESOLUTION_MS = 2;

export interface DelayStats {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** An idle process measuring its own event-loop delay until its stdin closes. */
const CONTROL_SCRIPT = `
const { monitorEventLoopDelay } = require('node:perf_hooks');
const h = monitorEventLoopDelay({ resolution: Number(process.argv[1]) });
h.enable();
process.stdin.resume();
process.stdin.on('end', () => {
  h.disable();
  const ms = (ns) => Math.max(0, ns / 1e6 - Number(process.argv[1]));
  process.stdout.write(JSON.stringify({ p50: ms(h.percentile(50)), p90: ms(h.percentile(90)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean) }));
});`;

function startControl(): () => Promise<DelayStats | undefined> {
  const child = spawn(process.execPath, ['-e', CONTROL_SCRIPT, String(ELD_RESOLUTION_MS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c: string) => (out += c));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return async () => {
    child.stdin.end();
    await exited;
    try {
      return JSON.parse(out) as DelayStats;
    } catch {
      return undefined;
    }
  };
}

taskMain<IndexArgs, IndexResult>(async (args) => {
  if (args.fresh) await fs.rm(args.indexDir, { recursive: true, force: true });
  const logs: string[] = [];
  const t0 = performance.now();
  const model = await resolveModel(args.modelDir, {
    cacheDir: path.join(BENCH_CACHE, 'model-cache'),
    visionPrecision: args.precision?.vision,
    textPrecision: args.precision?.text,
  });
  const engine = await Engine.create(model, { ...args.engine, workerScript: args.workerScript, log: (l) => logs.push(l) });
  const engineStartSeconds = (performance.now() - t0) / 1000;
  try {
    const indexer = await WorkspaceIndexer.open({
      root: args.root,
      indexDir: args.indexDir,
      embedder: engine,
      thumbnails: args.thumbnails ? undefined : false,
      dtype: args.dtype,
      ...(args.indexerBatchSize ? { batchSize: args.indexerBatchSize } : {}),
    });
    const workerPid = engine.workerPid!;
    const workerStartRss = procMemory(workerPid)?.rss ?? NaN;
    let hostPeak = 0;
    let workerPeak = 0;
    const sample = () => {
      hostPeak = Math.max(hostPeak, process.memoryUsage().rss);
      workerPeak = Math.max(workerPeak, procMemory(workerPid)?.rss ?? 0);
    };
    const sampler = setInterval(sample, 100);
    const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
    const hostCpu0 = process.cpuUsage();
    const workerCpu0 = procCpuSeconds(workerPid);
    let lastReport = performance.now();
    const stopControl = startControl();
    eld.enable();
    const summary = await indexer.update({
      onProgress: (p) => {
        if (p.phase === 'embedding' && performance.now() - lastReport > 10_000) {
          lastReport = performance.now();
          progress(`${args.label}: ${p.done}/${p.total} (${(p.imagesPerSecond ?? 0).toFixed(1)} images/s)`);
        }
      },
    });
    eld.disable();
    const controlDelayMs = await stopControl();
    clearInterval(sampler);
    sample();
    const hostCpu = process.cpuUsage(hostCpu0);
    const workerCpuSeconds = procCpuSeconds(workerPid) - workerCpu0;
    const workerHighWater = procMemory(workerPid)?.peak ?? NaN;
    await indexer.close();
    // The histogram records whole timer intervals: the delay is what exceeds the resolution.
    const ms = (ns: number) => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);
    return {
      label: args.label,
      info: engine.info,
      engineStartSeconds,
      seconds: summary.seconds,
      indexed: summary.indexed,
      unchanged: summary.unchanged,
      renamed: summary.renamed,
      duplicates: summary.duplicates,
      failed: summary.failed,
      total: summary.total,
      distinct: summary.distinct,
      rate: summary.indexed / summary.seconds,
      eventLoopDelayMs: {
        p50: ms(eld.percentile(50)),
        p90: ms(eld.percentile(90)),
        p99: ms(eld.percentile(99)),
        max: ms(eld.max),
        mean: ms(eld.mean),
      },
      controlDelayMs,
      hostPeakRss: hostPeak,
      workerStartRss,
      workerPeakRss: workerPeak,
      workerHighWater,
      hostCpuSeconds: (hostCpu.user + hostCpu.system) / 1e6,
      workerCpuSeconds,
      workerLog: logs.filter((l) => /embedded \d+ images/.test(l)).slice(-5),
    };
  } finally {
    await engine.dispose();
  }
});
