import * as path from 'node:path';
import { runTask } from './lib/child';
import { makeSample } from './lib/sample';
import { standinModelDir } from '../test/fixtures/standin';
import { BENCH_CACHE } from './lib/util';
import type { IndexResult } from './tasks/index';
(async () => {
  const dir = await standinModelDir();
  const s = await makeSample(Number(process.argv[2] ?? 200), 1);
  const configs: Record<string, { engine: { threads: number; batchSize: number }; indexerBatchSize: number; workerScript?: string }> = JSON.parse(process.argv[3]!);
  const reps = Number(process.argv[4] ?? 3);
  const res: Record<string, number[]> = {};
  for (let r = 0; r < reps; r++) for (const [name, c] of (r % 2 ? Object.entries(configs).reverse() : Object.entries(configs))) {
    const i = await runTask<IndexResult>('index', { modelDir: dir, precision: { vision: 'fp32', text: 'int8' }, root: s.workspace, indexDir: path.join(BENCH_CACHE, 'tmp', 'ab'), fresh: true, engine: c.engine, indexerBatchSize: c.indexerBatchSize, workerScript: c.workerScript, thumbnails: true, label: name });
    (res[name] ??= []).push(i.rate);
    console.log(name, i.rate.toFixed(2), 'img/s', (((i.workerCpuSeconds + i.hostCpuSeconds) / i.indexed) * 1000).toFixed(1), 'ms CPU/img', 'eld p99', i.eventLoopDelayMs.p99.toFixed(1), 'ctl', i.controlDelayMs?.p99.toFixed(1), (i.workerLog[0] ?? '').slice(0, 200));
  }
  for (const [k, v] of Object.entries(res)) console.log(k, v.map((x) => x.toFixed(1)).join(' '));
})();
