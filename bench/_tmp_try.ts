import { runTask } from './lib/child';
import { makeSample } from './lib/sample';
import { standinModelDir } from '../test/fixtures/standin';
import { BENCH_CACHE } from './lib/util';
import * as path from 'node:path';
(async () => {
  const dir = await standinModelDir();
  const s = await makeSample(40, 1);
  console.log(s.workspace, s.files.length);
  const what = process.argv[2];
  if (what === 'decode') console.log(JSON.stringify(await runTask('decode', { modelDir: dir, imageSize: 256, files: s.files, concurrency: [2, 4], thumbnails: false })));
  if (what === 'model') console.log(JSON.stringify(await runTask('model', { modelDir: dir, batchSizes: [1, 8], seconds: 2, rounds: 1, product: { threads: 0 } })));
  if (what === 'index') console.log(JSON.stringify(await runTask('index', { modelDir: dir, root: s.workspace, indexDir: path.join(BENCH_CACHE, 'tmp', 'idx'), fresh: true, engine: { batchSize: 16 }, thumbnails: true, label: 'try' })));
  if (what === 'peer') console.log(JSON.stringify(await runTask('peer', { modelDir: dir, files: s.files })));
})();
(async () => {
  if (process.argv[2] === 'query') console.log(JSON.stringify(await runTask('query', { modelDir: await standinModelDir(), rows: Number(process.argv[3]), runs: 7, text: true, engine: {} })));
})();
