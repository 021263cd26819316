// D: decode + preprocess-only throughput (no model) with the engine's own preprocessImage, over
// the sample, several files at once so that every core decodes. Optionally writes thumbnails
// too (the indexer's decode stage does), into a fresh folder per pass.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { loadPreprocessConfig, resolveGeometry } from '../../src/engine/preprocess/config';
import { DEFAULT_MAX_PIXELS, parseBackground, preprocessImage } from '../../src/engine/preprocess/pipeline';
import { DEFAULT_THUMBNAIL_SIZE } from '../../src/engine/index/thumbnails';
import { progress, taskMain } from '../lib/child';
import { BENCH_CACHE } from '../lib/util';

export interface DecodeArgs {
  modelDir: string;
  imageSize: number;
  files: string[];
  concurrency: number[];
  thumbnails: boolean;
  label?: string;
}

export interface DecodePoint {
  concurrency: number;
  rate: number;
  cpuPerImage: number;
  seconds: number;
}

export interface DecodeResult {
  points: DecodePoint[];
  best: DecodePoint;
  failures: Array<{ input: string; error: string }>;
}

sharp.cache(false); // as in the worker

taskMain<DecodeArgs, DecodeResult>(async (args) => {
  const config = await loadPreprocessConfig(path.join(args.modelDir, 'preprocessor_config.json'));
  const model = { config, geometry: resolveGeometry(config, args.imageSize), imageSize: args.imageSize };
  const background = parseBackground(undefined);
  const points: DecodePoint[] = [];
  let failures: Array<{ input: string; error: string }> = [];
  for (const concurrency of args.concurrency) {
    const thumbDir = path.join(BENCH_CACHE, 'tmp', `decode-thumbs-${process.pid}`);
    await fs.rm(thumbDir, { recursive: true, force: true });
    const errors: Array<{ input: string; error: string }> = [];
    let next = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < args.files.length) {
          const file = args.files[next++]!;
          try {
            await preprocessImage(file, {
              background,
              maxPixels: DEFAULT_MAX_PIXELS,
              model,
              thumbnails: args.thumbnails ? { dir: thumbDir, size: DEFAULT_THUMBNAIL_SIZE } : undefined,
            });
          } catch (err) {
            errors.push({ input: file, error: (err as Error).message });
          }
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu0);
    const n = args.files.length;
    points.push({ concurrency, rate: n / seconds, cpuPerImage: (c.user + c.system) / 1e6 / n, seconds });
    failures = errors;
    await fs.rm(thumbDir, { recursive: true, force: true });
    progress(`decode${args.thumbnails ? '+thumbnail' : ''} x${concurrency}: ${(n / seconds).toFixed(1)} images/s (${((c.user + c.system) / 1e3 / n).toFixed(0)} ms CPU/image)`);
  }
  const best = points.reduce((a, b) => (b.rate > a.rate ? b : a));
  return { points, best, failures };
});
