// M: model-only throughput of the vision tower on ready tensors (no decoding), per batch size.
// `product` runs the engine's own VisionTower (the session options the product uses); each
// `variant` runs a raw onnxruntime session with other options, for tuning.
import * as ort from 'onnxruntime-node';
import * as path from 'node:path';
import { VisionTower } from '../../src/engine/inference/towers';
import { progress, taskMain } from '../lib/child';
import { mulberry32 } from '../lib/util';

export interface SessionVariant {
  name: string;
  threads?: number;
  /** Intra-op thread spin-waiting (onnxruntime default: on). */
  spinning?: boolean;
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  memArena?: boolean;
}

export interface ModelArgs {
  modelDir: string;
  batchSizes: number[];
  /** Seconds per measured point. */
  seconds: number;
  /** Rounds over all points (order alternates) to spread out machine noise. */
  rounds: number;
  /** Product configurations (VisionTower with the engine's session options), per intra-op thread count (0 = default). */
  product?: { threads: number[] };
  variants?: SessionVariant[];
}

export interface ModelPoint {
  config: string;
  batch: number;
  /** Best and median images/s over the rounds. */
  best: number;
  median: number;
  /** CPU seconds (all threads of this process) per image. */
  cpuPerImage: number;
}

export interface ModelResult {
  imageSize: number;
  points: ModelPoint[];
}

type Runner = (batch: number) => Promise<void>;

function input(batch: number, size: number, seed = batch): Float32Array {
  const rand = mulberry32(seed);
  const data = new Float32Array(batch * 3 * size * size);
  for (let i = 0; i < data.length; i++) data[i] = rand();
  return data;
}

async function measure(run: Runner, batch: number, seconds: number): Promise<{ rate: number; cpu: number }> {
  await run(batch); // warm-up (allocations, first-run kernels)
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let images = 0;
  let runs = 0;
  while (runs < 2 || performance.now() - t0 < seconds * 1000) {
    await run(batch);
    images += batch;
    runs++;
  }
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  return { rate: images / wall, cpu: (c.user + c.system) / 1e6 / images };
}

taskMain<ModelArgs, ModelResult>(async (args) => {
  const file = path.join(args.modelDir, 'onnx', 'vision_model.onnx');
  const configs: Array<{ name: string; run: Runner; size: number }> = [];
  for (const threads of args.product?.threads ?? []) {
    const tower = await VisionTower.load(file, { threads });
    const size = tower.imageSize;
    const cache = new Map<number, Float32Array[]>();
    configs.push({
      name: `engine, ${threads ? `${threads} thread${threads > 1 ? 's' : ''}` : 'default threads'}`,
      size,
      run: async (batch) => {
        if (!cache.has(batch))
          cache.set(
            batch,
            Array.from({ length: batch }, (_, i) => input(1, size, i + 1)),
          );
        await tower.embed(cache.get(batch)!, batch);
      },
    });
  }
  for (const v of args.variants ?? []) {
    const opts: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: v.optimization ?? 'all',
      logSeverityLevel: 3,
      ...(v.threads ? { intraOpNumThreads: v.threads } : {}),
      ...(v.memArena === false ? { enableCpuMemArena: false } : {}),
      ...(v.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
    };
    const session = await ort.InferenceSession.create(file, opts);
    const dims = session.inputMetadata[0]!;
    const size = dims.isTensor && typeof dims.shape[2] === 'number' ? dims.shape[2] : 256;
    const cache = new Map<number, ort.Tensor>();
    configs.push({
      name: v.name,
      size,
      run: async (batch) => {
        if (!cache.has(batch)) cache.set(batch, new ort.Tensor('float32', input(batch, size), [batch, 3, size, size]));
        await session.run({ pixel_values: cache.get(batch)! });
      },
    });
  }
  const samples = new Map<string, { rates: number[]; cpu: number[] }>();
  for (let round = 0; round < args.rounds; round++) {
    const order = configs.flatMap((c) => args.batchSizes.map((b) => ({ c, b })));
    if (round % 2) order.reverse();
    for (const { c, b } of order) {
      const m = await measure(c.run, b, args.seconds);
      const key = `${c.name}@${b}`;
      const s = samples.get(key) ?? { rates: [], cpu: [] };
      s.rates.push(m.rate);
      s.cpu.push(m.cpu);
      samples.set(key, s);
      progress(`model ${c.name} batch ${b}: ${m.rate.toFixed(2)} images/s (${(m.cpu * 1000).toFixed(0)} ms CPU/image)`);
    }
  }
  const points: ModelPoint[] = [];
  for (const c of configs) {
    for (const b of args.batchSizes) {
      const s = samples.get(`${c.name}@${b}`)!;
      const sorted = [...s.rates].sort((x, y) => x - y);
      points.push({
        config: c.name,
        batch: b,
        best: sorted[sorted.length - 1]!,
        median: sorted[sorted.length >> 1]!,
        cpuPerImage: Math.min(...s.cpu),
      });
    }
  }
  return { imageSize: configs[0]?.size ?? 0, points };
});
