// The decisions of "Reinforce Dataset" / "Verify" / "Distill" that do not need VS Code: the output
// folder (default, refusals, what is already there), the teacher list, and the texts shown.
import { chooseDefaultTeachers } from '../../src/engine/reinforce/teachers';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DistillReport, ReinforceSummary, VerifyReport } from '../../src/engine/reinforce';
import {
  augmentationsProblem,
  defaultOutputFolder,
  distillReportMarkdown,
  inspectOutputFolder,
  isReinforcedDataset,
  outputFolderProblem,
  reinforceProgressMessage,
  reinforceSummaryText,
  resolveOutputFolder,
  teacherSpecs,
  verifyReportMarkdown,
} from '../../src/extension/features/datasets/datasetPlan';
import { PROJECT_ROOT } from '../fixtures/paths';

const work = path.join(PROJECT_ROOT, '.cache', 'test-extension-dataset-plan', String(process.pid));
after(() => fs.rm(work, { recursive: true, force: true }));

const input = path.resolve('/data/cats');

test('the default output folder sits next to the input; typed relative paths are taken from there', () => {
  assert.equal(defaultOutputFolder(input), path.resolve('/data/cats-reinforced'));
  assert.equal(defaultOutputFolder(input + path.sep), path.resolve('/data/cats-reinforced'));
  assert.equal(resolveOutputFolder(input, 'cats-v2 '), path.resolve('/data/cats-v2'));
  assert.equal(resolveOutputFolder(input, path.resolve('/elsewhere/out')), path.resolve('/elsewhere/out'));
});

test('the output folder may not be the input, inside it, or around it', () => {
  assert.match(outputFolderProblem(input, input)!, /must not be the input folder/);
  assert.match(outputFolderProblem(input, path.join(input, 'out'))!, /must not be inside the input folder/);
  assert.match(outputFolderProblem(input, path.resolve('/data'))!, /must not contain the input folder/);
  assert.equal(outputFolderProblem(input, path.resolve('/data/cats-reinforced')), undefined);
  assert.equal(outputFolderProblem(input, path.resolve('/data/cats2')), undefined, 'a sibling whose name starts like the input is fine');
});

test('what the output folder already holds decides between start, continue and stop', async () => {
  const dir = (name: string) => path.join(work, name);
  await fs.mkdir(dir('empty'), { recursive: true });
  await fs.mkdir(path.join(dir('resume'), '.reinforce'), { recursive: true });
  await fs.writeFile(path.join(dir('resume'), '.reinforce', 'state.json'), '{"runKey":"x"}');
  await fs.mkdir(dir('complete'), { recursive: true });
  await fs.writeFile(path.join(dir('complete'), 'manifest.json'), JSON.stringify({ format: 'mobileclip-assets/datacompdr' }));
  await fs.mkdir(dir('other'), { recursive: true });
  await fs.writeFile(path.join(dir('other'), 'notes.md'), 'hi');
  await fs.writeFile(path.join(dir('other'), 'manifest.jsonl'), '');
  await fs.writeFile(dir('file'), 'x');
  await fs.mkdir(dir('foreign'), { recursive: true });
  await fs.writeFile(path.join(dir('foreign'), 'manifest.json'), JSON.stringify({ name: 'some-npm-thing' }));

  assert.deepEqual(await inspectOutputFolder(dir('missing')), { kind: 'new' });
  assert.deepEqual(await inspectOutputFolder(dir('empty')), { kind: 'new' });
  assert.deepEqual(await inspectOutputFolder(dir('resume')), { kind: 'resume' });
  assert.deepEqual(await inspectOutputFolder(dir('complete')), { kind: 'complete' });
  assert.deepEqual(await inspectOutputFolder(dir('other')), { kind: 'notEmpty', entries: 2 });
  assert.deepEqual(await inspectOutputFolder(dir('file')), { kind: 'notAFolder' });
  assert.equal(await isReinforcedDataset(dir('complete')), true);
  assert.equal(await isReinforcedDataset(dir('foreign')), false);
  assert.equal(await isReinforcedDataset(dir('missing')), false);
});

test('teacher setting is cleaned; the default rule takes the first two available by preference', async () => {
  assert.deepEqual(teacherSpecs([' mobileclip-b ', '', 'mobileclip-s0', 'mobileclip-b', 7, '/models/mine']), ['mobileclip-b', 'mobileclip-s0', '/models/mine']);
  assert.deepEqual(teacherSpecs(undefined), []);
  const available = new Set(['mobileclip-s0', 'mobileclip-s2', 'mobileclip-b']);
  const asked: string[] = [];
  const got = await chooseDefaultTeachers(async (id) => {
    asked.push(id);
    return available.has(id);
  });
  assert.deepEqual(got, ['mobileclip-b', 'mobileclip-s2']);
  assert.deepEqual(asked, ['mobileclip-blt', 'mobileclip-b', 'mobileclip-s2'], 'stops looking once two are found');
  assert.deepEqual(await chooseDefaultTeachers(async () => false, ['a', 'b']), []);
});

test('augmentation count input', () => {
  assert.equal(augmentationsProblem('10'), undefined);
  assert.equal(augmentationsProblem(' 1 '), undefined);
  for (const bad of ['', '0', '-3', '2.5', 'ten', '1001']) assert.ok(augmentationsProblem(bad), bad);
});

function summary(extra: Partial<ReinforceSummary>): ReinforceSummary {
  return {
    out: '/data/cats-reinforced',
    manifestPath: '/data/cats-reinforced/manifest.json',
    images: 40,
    samples: 38,
    skipped: [],
    inputProblems: [],
    shards: 1,
    appleLoader: { loadsEverySample: true, notes: [] },
    processedThisRun: 40,
    resumedAt: 0,
    elapsedSeconds: 75,
    samplesPerSecond: 0.5,
    cancelled: false,
    alreadyComplete: false,
    ...extra,
  };
}

test('progress and summary texts of a reinforcement run', () => {
  assert.equal(reinforceProgressMessage({ done: 12, total: 40, samples: 11, skipped: 1, rate: 1, etaSeconds: 65 }), '12 of 40 images · 1 min 5 s left · 1 skipped');
  assert.equal(reinforceProgressMessage({ done: 0, total: 1, samples: 0, skipped: 0, rate: 0, etaSeconds: Number.NaN }), '0 of 1 image');
  const ok = reinforceSummaryText(
    summary({
      skipped: [
        { path: 'broken.png', error: 'bad' },
        { path: 'x.jpg', error: 'bad' },
      ],
    }),
  );
  assert.equal(ok.text, 'Reinforced dataset ready: 38 samples from 40 images in 1 shard · 2 images skipped (1 min 15 s).');
  assert.equal(ok.severity, 'warning');
  assert.match(reinforceSummaryText(summary({ resumedAt: 10, processedThisRun: 30 })).text, /\(continued from image 11\)/);
  const stopped = reinforceSummaryText(summary({ cancelled: true, resumedAt: 5, processedThisRun: 7 }));
  assert.match(stopped.text, /^Stopped after 12 images of 40\. Run Reinforce Dataset again/);
  assert.match(reinforceSummaryText(summary({ alreadyComplete: true })).text, /already holds this dataset: 38 samples in 1 shard\.$/);
  const noSyn = reinforceSummaryText(summary({ appleLoader: { loadsEverySample: false, notes: ['38 samples have no synthetic caption (syn_text is empty): ...'] } }));
  assert.match(noSyn.text, /\(1 min 15 s\)\. Apple's training code cannot use every sample: 38 samples have no synthetic caption/);
  assert.equal(noSyn.severity, 'warning');
});

test("the verify report lists every problem (escaped), the replay figures and what Apple's loader makes of the data", () => {
  const failed: VerifyReport = {
    ok: false,
    kind: 'apple',
    shards: 2,
    samples: 40,
    teacherDims: [768, 768],
    problems: [
      { where: 'shards/00001.tar', problem: 'sha256 differs from the manifest' },
      { where: 'cat|1', problem: 'npz image_emb row 3 is not unit-norm (|v| = 1.2)\nsecond line' },
    ],
    appleLoader: { loadsEverySample: false, notes: ['2 samples: syn.json syn_text is empty: np.random.randint(0, 0) raises (a, b)'] },
    replay: { samples: 8, augmentations: 80, texts: 16, maxImageDeviation: 3.2e-7, maxTextDeviation: 0, minImageCosine: 0.9999991, tolerance: 1e-4 },
  };
  const md = verifyReportMarkdown('/data/out', failed, 12);
  assert.match(md, /\*\*Result: FAILED\*\*: 2 problems\./);
  assert.match(md, /\| shards\/00001\.tar \| sha256 differs from the manifest \|/);
  assert.ok(md.includes('| cat\\|1 | npz image\\_emb row 3 is not unit-norm (\\|v\\| = 1.2) second line |'), md);
  assert.ok(md.includes('cat\\|1'), 'a pipe in a cell is escaped');
  assert.ok(!md.includes('\nsecond line'), 'a multi-line problem stays in its table row');
  assert.match(md, /image 3\.20e-7, text 0\.00e\+0; smallest image cosine 0\.999999 \(tolerance 0\.0001\)/);
  assert.match(md, /Teacher blocks: 768 \+ 768 \(training's --distill-teacher-dimension\)/);
  assert.match(md, /## Apple's training loader\n\n\*\*Does not load every sample:\*\*\n- 2 samples: syn\.json syn\\_text is empty/);
  const ok = verifyReportMarkdown('/data/out', {
    ok: true,
    kind: 'mobileclip-assets',
    shards: 1,
    samples: 5,
    problems: [],
    appleLoader: { loadsEverySample: true, notes: [] },
    replaySkipped: 'no teacher models given',
  });
  assert.match(ok, /Loads every sample/);
  assert.match(ok, /\*\*Result: OK\*\*/);
  assert.match(ok, /Replay not run: no teacher models given/);
  assert.doesNotMatch(ok, /## Problems/);
});

function recall(mean: number) {
  return { imageToText: { r1: mean, r5: mean }, textToImage: { r1: mean, r5: mean }, mean };
}

test('the distillation report keeps the engine verdict and says plainly when nothing improved', () => {
  const report: DistillReport = {
    adapterPath: '/data/out/adapter.json',
    trainSamples: 30,
    holdoutSamples: 8,
    skipped: [{ path: 'x.png', error: 'image bytes changed' }],
    settings: { lambda: 1, epochs: 30, batchSize: 64, learningRate: 0.01, textAdapter: false, seed: 0, holdout: 0.2, logitScale: 'learned' },
    before: recall(0.5),
    after: recall(0.5),
    teachers: recall(0.9),
    improved: false,
    verdict: 'the adapter did not change held-out retrieval (mean recall 50.0%); distillation did not help on this dataset',
    loss: [2.5, 2.4],
    finalLogitScale: 100,
    seconds: 3,
  };
  const md = distillReportMarkdown('/data/out', 'mobileclip-s0', report);
  assert.match(md, /\*\*Not improved:\*\* the adapter did not change held-out retrieval/);
  assert.match(md, /\| student before \| 50\.0% \| 50\.0% \| 50\.0% \| 50\.0% \| 50\.0% \|/);
  assert.match(md, /\| teachers \(stored\) \| 90\.0% /);
  assert.match(md, /Loss: 2\.5000 → 2\.4000/);
  assert.match(md, /- `x\.png`: image bytes changed/);
  const better = distillReportMarkdown('/data/out', 's0', {
    ...report,
    improved: true,
    after: recall(0.75),
    verdict: 'the adapter improved held-out retrieval: mean recall 50.0% -> 75.0%',
  });
  assert.match(better, /\*\*Improved:\*\* the adapter improved/);
  assert.match(better, /\| student \+ adapter \| 75\.0% /);
});
