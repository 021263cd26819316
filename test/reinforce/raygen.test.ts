// RayGen's output read back. test/reinforce/python/raygen_twin.py writes a dataset exactly as
// apple/ml-mobileclip-dr's gen.py + datasetio.py + webdataset's TarWriter do (PAX tar members
// sorted by extension, `.jpg` members holding whatever bytes the input had, savez_compressed npz
// or gzip'ed torch.save bf16 tensors, text_emb + syn_text_emb, config.json and manifest.jsonl);
// the teachers' embeddings of its views come from our standard pipeline. `verify` and `distill`
// read it, infer the teacher blocks from the norms, and replay it exactly; with the images
// outside the shards they are joined from the folder the user names.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Engine } from '../../src/engine/engine';
import { distillAdapter } from '../../src/engine/reinforce/distill/train';
import { verifyDataset } from '../../src/engine/reinforce/verify';
import { encodeNpy } from '../../src/engine/reinforce/npy';
import { isItemError } from '../../src/engine/types';
import { writeSolidImage } from '../fixtures/images';
import { colorModelDir, FIXTURE_COLORS } from '../fixtures/models';
import { CLI, openEngines } from './helpers';
import { CLIPART_DIR } from '../fixtures/paths';
import { runPython } from './python';

const work = path.resolve(__dirname, '../../.cache/test-raygen', String(process.pid));
const cacheDir = path.join(work, 'model-cache');
const images = path.join(work, 'input');
const twin = path.join(work, 'twin');
const embDir = path.join(work, 'emb');
const augConfig = path.join(work, 'aug-config.json');
let teacherDirs: string[];
let teachers: Engine[];
let student: Engine;

const AUG = {
  normalize: { mean: [0, 0, 0], std: [1, 1, 1] },
  rand_augment: { enable: true, p: 1.0 },
  random_resized_crop: { interpolation: 'bicubic', size: 64 },
  random_horizontal_flip: { p: 0.5 },
  to_rgb: { enable: true },
  to_tensor: { enable: true },
};
const K = 3;

function normalized(v: Float32Array): Float32Array {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / n);
}

before(async () => {
  await fs.rm(work, { recursive: true, force: true });
  await fs.mkdir(images, { recursive: true });
  const items: Array<{ file: string; text: string; syn_text: string[] }> = [];
  const colours = Object.keys(FIXTURE_COLORS).slice(0, 8);
  for (const [i, c] of colours.entries()) {
    const file = `${c}.${i % 2 ? 'jpg' : 'png'}`;
    await writeSolidImage(path.join(images, file), FIXTURE_COLORS[c]!, { width: 40 + i * 7, height: 50 - i * 3 });
    items.push({ file, text: `a ${c} square`, syn_text: [`something ${c}`, `${c} colour`] });
  }
  const clip = (await fs.readdir(path.join(CLIPART_DIR, 'food'))).filter((n) => n.endsWith('.png')).sort()[0]!;
  await fs.copyFile(path.join(CLIPART_DIR, 'food', clip), path.join(images, 'clipart.png'));
  items.push({ file: 'clipart.png', text: 'a clip art drawing of food', syn_text: ['food clip art'] });
  await fs.writeFile(path.join(images, 'items.json'), JSON.stringify(items));
  await fs.writeFile(augConfig, JSON.stringify(AUG));

  teacherDirs = [await colorModelDir({ dim: 24, seed: 1 }), await colorModelDir({ dim: 16, seed: 2 })];
  teachers = await openEngines(teacherDirs, cacheDir);
  [student] = await openEngines([await colorModelDir({ dim: 12, seed: 5 })], cacheDir);

  // Phase 1 (Python): decode + draw augmentations + render the views the teachers embed.
  runPython('raygen_twin.py', ['views', images, twin, augConfig, String(K), '11']);
  // The teachers (our standard pipeline on the twin's pixels): L2-normalized, concatenated.
  const made = JSON.parse(await fs.readFile(path.join(twin, 'items.json'), 'utf8')) as Array<{ uid: string; text: string; syn_text: string[] }>;
  await fs.mkdir(embDir, { recursive: true });
  for (const it of made) {
    const rows = (n: number) => ({ shape: [n, 40] as [number, number], data: new Float32Array(n * 40) });
    const img = rows(K);
    const txt = rows(1);
    const syn = rows(it.syn_text.length);
    for (let t = 0; t < 2; t++) {
      const [a, d] = t === 0 ? [0, 24] : [24, 16];
      const views = await teachers[t]!.embedImages(Array.from({ length: K }, (_, k) => path.join(twin, 'views', `${it.uid}.${k}.png`)));
      views.forEach((r, k) => {
        assert.ok(!isItemError(r), JSON.stringify(r));
        img.data.set(normalized(r.embedding), k * 40 + a);
      });
      const texts = await teachers[t]!.embedTexts([it.text, ...it.syn_text]);
      txt.data.set(normalized(texts[0]!.embedding), a);
      texts.slice(1).forEach((e, j) => syn.data.set(normalized(e.embedding), j * 40 + a));
      assert.equal(d, teachers[t]!.info.dim);
    }
    await fs.writeFile(path.join(embDir, `${it.uid}.image_emb.npy`), encodeNpy(img));
    await fs.writeFile(path.join(embDir, `${it.uid}.text_emb.npy`), encodeNpy(txt));
    await fs.writeFile(path.join(embDir, `${it.uid}.syn_text_emb.npy`), encodeNpy(syn));
  }
  // Phase 2 (Python): RayGen's shards, float32 npz and bf16 pth.gz.
  runPython('raygen_twin.py', ['shards', twin, embDir, path.join(work, 'raygen-npz'), augConfig, '--shard-size', '4']);
  runPython('raygen_twin.py', ['shards', twin, embDir, path.join(work, 'raygen-bf16'), augConfig, '--bfloat16', '--shard-size', '4']);
  runPython('raygen_twin.py', ['shards', twin, embDir, path.join(work, 'datacompdr'), augConfig, '--shard-size', '4', '--no-images', path.join(work, 'datacompdr-images')]);
});

after(async () => {
  await Promise.all([...(teachers ?? []), student].filter(Boolean).map((t) => t.dispose()));
  await fs.rm(work, { recursive: true, force: true });
});

test('verify reads RayGen float32 shards: every field checks, teacher blocks measured from the norms, exact replay', async () => {
  const report = await verifyDataset({ dataset: path.join(work, 'raygen-npz'), teachers, sample: 9 });
  assert.deepEqual(report.problems, []);
  assert.equal(report.ok, true);
  assert.equal(report.kind, 'apple');
  assert.deepEqual([report.shards, report.samples], [3, 9]);
  assert.deepEqual(report.teacherDims, [24, 16]);
  assert.equal(report.appleLoader.loadsEverySample, true, report.appleLoader.notes.join('\n'));
  assert.equal(report.replay?.samples, 9);
  assert.equal(report.replay?.augmentations, 27);
  assert.ok(report.replay!.maxImageDeviation <= 1e-5 && report.replay!.maxTextDeviation <= 1e-5, JSON.stringify(report.replay));
});

test('verify reads RayGen bf16 pth.gz shards (torch.save zip, gzip) within bf16 precision', async () => {
  const report = await verifyDataset({ dataset: path.join(work, 'raygen-bf16'), teachers, sample: 4 });
  assert.deepEqual(report.problems, []);
  assert.deepEqual(report.teacherDims, [24, 16]);
  assert.equal(report.replay?.samples, 4);
  assert.ok(report.replay!.maxImageDeviation > 0 && report.replay!.maxImageDeviation < 1 / 128, JSON.stringify(report.replay));
  assert.ok(report.replay!.minImageCosine > 0.9999, JSON.stringify(report.replay));
});

test('images outside the shards (as DataCompDR ships) are joined from the folder the user names, by uid', async () => {
  const dir = path.join(work, 'datacompdr');
  const without = await verifyDataset({ dataset: dir, teachers, sample: 2 });
  assert.equal(without.ok, false);
  assert.match(without.problems.map((p) => p.problem).join('\n'), /not in the shard; name the image folder/);
  assert.equal(without.appleLoader.loadsEverySample, false);
  assert.match(without.appleLoader.notes.join('\n'), /9 samples: no image member/);
  const joined = await verifyDataset({ dataset: dir, teachers, sample: 3, images: path.join(work, 'datacompdr-images') });
  assert.deepEqual(joined.problems, []);
  assert.equal(joined.replay?.samples, 3);
  assert.ok(joined.replay!.maxImageDeviation <= 1e-5);
});

test('distill trains on RayGen data: the student replays the stored augmentations', async () => {
  const report = await distillAdapter({ dataset: path.join(work, 'raygen-bf16'), student, epochs: 3, holdout: 0.3, out: path.join(work, 'adapter.json') });
  assert.deepEqual(report.skipped, []);
  assert.equal(report.trainSamples + report.holdoutSamples, 9);
  assert.equal(report.loss.length, 3);
  assert.ok(report.loss.every(Number.isFinite));
});

test('the CLI verifies and distills a RayGen folder', () => {
  const env = { ...process.env, MOBILECLIP_ASSETS_CACHE: cacheDir };
  const v = spawnSync(process.execPath, [CLI, 'verify', path.join(work, 'raygen-npz'), '--teacher', teacherDirs[0]!, '--teacher', teacherDirs[1]!, '--sample', '2'], {
    encoding: 'utf8',
    env,
  });
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /Apple\/RayGen dataset: 3 shards, 9 samples checked; teacher blocks 24 \+ 16/);
  assert.match(v.stdout, /Apple's training loader loads every sample/);
  const d = spawnSync(
    process.execPath,
    [CLI, 'distill', path.join(work, 'raygen-npz'), '--model', teacherDirs[0]!, '--epochs', '2', '--holdout', '0.3', '--adapter', path.join(work, 'cli-adapter.json'), '--json'],
    { encoding: 'utf8', env },
  );
  assert.equal(d.status, 0, d.stderr);
  assert.equal((JSON.parse(d.stdout) as { trainSamples: number }).trainSamples + (JSON.parse(d.stdout) as { holdoutSamples: number }).holdoutSamples, 9);
});
