// The dataset commands' glue against the real engine (fixture teachers in worker processes):
// the default output folder receives the dataset, a cancelled run is reported as resumable and a
// rerun continues it, the verify report reads right for a good and a damaged dataset, and the
// "Distill Adapter" command line runs the real bundled CLI and yields a report we can render.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Engine } from '../../src/engine/engine';
import { reinforceDataset, verifyDataset, type DistillReport, type ReinforceSummary } from '../../src/engine/reinforce';
import { cliError, parseJsonOutput, runCli } from '../../src/extension/features/datasets/cliProcess';
import {
  defaultOutputFolder,
  distillCliArgs,
  distillReportMarkdown,
  inspectOutputFolder,
  isReinforcedDataset,
  outputFolderProblem,
  reinforceProgressMessage,
  reinforceSummaryText,
  verifyReportMarkdown,
} from '../../src/extension/features/datasets/datasetPlan';
import { colorModelDir } from '../fixtures/models';
import { PROJECT_ROOT } from '../fixtures/paths';
import { CLI, makeImageSet, openEngines, teacherDirs, type ImageSet } from '../reinforce/helpers';

const work = path.join(PROJECT_ROOT, '.cache', 'test-extension-dataset-run', String(process.pid));
const cacheDir = path.join(work, 'model-cache');
let images: ImageSet;
let teachers: Engine[] = [];
let out: string;
let done: ReinforceSummary;

before(async () => {
  images = await makeImageSet(path.join(work, 'photos'), 8);
  teachers = await openEngines(await teacherDirs(), cacheDir);
  out = defaultOutputFolder(images.dir);
});

after(async () => {
  await Promise.all(teachers.map((t) => t.dispose()));
  await fs.rm(work, { recursive: true, force: true });
});

test('a cancelled run into the default output folder is reported as resumable, and a rerun finishes it', async () => {
  assert.equal(out, path.join(work, 'photos-reinforced'));
  assert.equal(outputFolderProblem(images.dir, out), undefined);
  assert.deepEqual(await inspectOutputFolder(out), { kind: 'new' });
  const abort = new AbortController();
  const messages: string[] = [];
  const partial = await reinforceDataset({
    input: images.dir,
    out,
    teachers,
    augment: { count: 3 },
    signal: abort.signal,
    onProgress: (p) => {
      messages.push(reinforceProgressMessage(p));
      if (p.done === 4) abort.abort();
    },
  });
  const total = images.valid.length + images.broken.length;
  assert.equal(partial.cancelled, true);
  assert.match(messages[0]!, new RegExp(`^1 of ${total} images`));
  assert.equal(reinforceSummaryText(partial).text.split('.')[0], `Stopped after 4 images of ${total}`);
  assert.deepEqual(await inspectOutputFolder(out), { kind: 'resume' });
  assert.equal(await isReinforcedDataset(out), false);

  done = await reinforceDataset({ input: images.dir, out, teachers, augment: { count: 3 } });
  assert.equal(done.cancelled, false);
  const summary = reinforceSummaryText(done);
  assert.match(
    summary.text,
    new RegExp(`^Reinforced dataset ready: ${images.valid.length} samples from ${total} images in 1 shard \\(continued from image 5\\) · 2 images skipped`),
  );
  assert.equal(summary.severity, 'warning', 'skipped images make it a warning');
  assert.deepEqual(await inspectOutputFolder(out), { kind: 'complete' });
  assert.equal(await isReinforcedDataset(out), true);
});

test('the verify report: OK for the dataset, FAILED with the damaged shard named after a byte flips', async () => {
  assert.ok(done, 'needs the dataset of the previous test');
  const good = await verifyDataset({ dataset: out, teachers, sample: 2 });
  const md = verifyReportMarkdown(out, good);
  assert.equal(good.ok, true, JSON.stringify(good.problems));
  assert.match(md, /\*\*Result: OK\*\*/);
  assert.match(md, /Replayed 2 samples \(6 augmentations/);

  const damaged = path.join(work, 'damaged');
  await fs.cp(out, damaged, { recursive: true });
  const shard = path.join(damaged, 'shards', '00000000.tar');
  const bytes = await fs.readFile(shard);
  bytes[600] = bytes[600]! ^ 0xff;
  await fs.writeFile(shard, bytes);
  const bad = await verifyDataset({ dataset: damaged, teachers, sample: 0 });
  const badMd = verifyReportMarkdown(damaged, bad);
  assert.equal(bad.ok, false);
  assert.match(badMd, /\*\*Result: FAILED\*\*/);
  assert.match(badMd, /\| shards\/00000000\.tar \| /);
  for (const p of bad.problems) assert.ok(badMd.includes(p.where.replace(/([\\`*_[\]|<>])/g, '\\$1')), `problem at ${p.where} listed`);
});

test('"Distill Adapter" runs the bundled CLI with our arguments and its JSON report renders', async () => {
  assert.ok(done, 'needs the dataset of the previous test');
  const student = await colorModelDir({ dim: 16, seed: 3 });
  const lines: string[] = [];
  const r = await runCli(CLI, distillCliArgs(out, { student, cacheDir, background: '#ffffff', threads: 1 }), { cwd: out, onLine: (l) => lines.push(l) });
  assert.equal(r.code, 0, cliError(r));
  assert.ok(
    lines.some((l) => /^epoch \d+\/\d+: loss/.test(l)),
    `progress lines streamed: ${lines.join(' | ')}`,
  );
  const report = parseJsonOutput<DistillReport>(r.stdout);
  assert.ok(report, r.stdout);
  assert.equal(report.adapterPath, path.join(out, 'adapter.json'));
  await fs.access(report.adapterPath);
  const md = distillReportMarkdown(out, 'color-16', report);
  assert.ok(md.includes(report.verdict.replace(/([\\`*_[\]|<>])/g, '\\$1')), 'the engine verdict is shown as is');
  assert.match(md, report.improved ? /\*\*Improved:\*\*/ : /\*\*Not improved:\*\*/);
});
