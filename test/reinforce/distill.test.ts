// Distillation on a dataset where the teachers know better than the student: colour images with
// colour captions, fixture teachers that embed colours correctly, and a student whose image
// tower sees colours through a fixed scrambling of its embedding space (a generated ONNX model
// with the real interface). The adapter must recover held-out retrieval, and when the student is
// already as good as the teachers the report must not claim a gain.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import sharp from 'sharp';
import { Engine } from '../../src/engine/engine';
import { resolveModel } from '../../src/engine/models/resolve';
import { reinforceDataset } from '../../src/engine/reinforce/reinforce';
import { distillAdapter } from '../../src/engine/reinforce/distill/train';
import { applyAdapter, loadAdapter } from '../../src/engine/reinforce/distill/adapter';
import { imageRng } from '../../src/engine/reinforce/rng';
import { isItemError } from '../../src/engine/types';
import { FIXTURE_COLORS, colorModelDir } from '../fixtures/models';
import { makeTensor } from '../fixtures/onnx';
import { openEngines, teacherDirs } from './helpers';

const work = path.resolve(__dirname, '../../.cache/test-reinforce-distill', String(process.pid));
const cacheDir = path.join(work, 'model-cache');
const STUDENT_DIM = 16;
const dataset = path.join(work, 'dataset');
const imagesDir = path.join(work, 'images');
let teachers: Engine[] = [];
let confused: Engine;
let faithful: Engine;

/** A random orthogonal matrix (Gram-Schmidt on Gaussian vectors): a strong, invertible scrambling. */
function scrambling(dim: number): Float32Array {
  const rng = imageRng(99, 'scramble');
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const rows: number[][] = [];
  for (let i = 0; i < dim; i++) {
    const v = Array.from({ length: dim }, gauss);
    for (const u of rows) {
      const d = v.reduce((s, x, j) => s + x * u[j]!, 0);
      for (let j = 0; j < dim; j++) v[j]! -= d * u[j]!;
    }
    const n = Math.hypot(...v);
    rows.push(v.map((x) => x / n));
  }
  return Float32Array.from(rows.flat());
}

/** Copy of a fixture model whose vision output is multiplied by `matrix` (same interface). */
async function scrambledStudent(dim: number): Promise<string> {
  const src = await colorModelDir({ dim, seed: 3 });
  const dir = path.join(work, 'confused-student');
  await fs.cp(src, dir, { recursive: true });
  const file = path.join(dir, 'onnx', 'vision_model.onnx');
  const model = onnx.ModelProto.decode(await fs.readFile(file));
  const graph = model.graph!;
  const producer = graph.node!.find((n) => n.output!.includes('image_embeds'))!;
  producer.output = producer.output!.map((o) => (o === 'image_embeds' ? 'image_embeds_raw' : o));
  graph.initializer!.push(onnx.TensorProto.create(makeTensor('scramble', 'float32', [dim, dim], scrambling(dim))));
  graph.node!.push(onnx.NodeProto.create({ opType: 'MatMul', input: ['image_embeds_raw', 'scramble'], output: ['image_embeds'], name: 'scramble_output' }));
  await fs.writeFile(file, onnx.ModelProto.encode(model).finish());
  return dir;
}

/** 4 images per fixture colour: a jittered solid colour with a small patch of another colour. */
async function colourImages(): Promise<void> {
  const names = Object.keys(FIXTURE_COLORS);
  const rng = imageRng(5, 'images');
  for (const [ci, name] of names.entries()) {
    for (let k = 0; k < 4; k++) {
      const [r, g, b] = FIXTURE_COLORS[name]!.map((c) => Math.max(0, Math.min(255, c + rng.int(-8, 9))));
      const other = FIXTURE_COLORS[names[(ci + 1 + k) % names.length]!]!;
      const patch = await sharp({ create: { width: 12, height: 10, channels: 3, background: { r: other[0], g: other[1], b: other[2] } } })
        .png()
        .toBuffer();
      const file = path.join(imagesDir, `${name}-${k}.png`);
      await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: r!, g: g!, b: b! } } })
        .composite([{ input: patch, left: rng.int(0, 52), top: rng.int(0, 38) }])
        .png()
        .toFile(file);
      await fs.writeFile(file.replace(/\.png$/, '.txt'), `a ${name} picture\n`);
    }
  }
}

before(async () => {
  await fs.rm(work, { recursive: true, force: true });
  await fs.mkdir(imagesDir, { recursive: true });
  await colourImages();
  teachers = await openEngines(await teacherDirs(), cacheDir);
  await reinforceDataset({
    input: imagesDir,
    out: dataset,
    teachers,
    seed: 1,
    samplesPerShard: 16,
    captions: async (paths) =>
      new Map(
        paths.map((p) => {
          const colour = path.basename(p).split('-')[0]!;
          return [p, [`something ${colour}`, `the colour ${colour}`]];
        }),
      ),
    captionSourceId: 'colour captions',
  });
  confused = await Engine.create(await resolveModel(await scrambledStudent(STUDENT_DIM), { cacheDir }));
  faithful = await Engine.create(await resolveModel(await colorModelDir({ dim: STUDENT_DIM, seed: 3 }), { cacheDir }));
});

after(async () => {
  await Promise.all([...teachers, confused, faithful].filter(Boolean).map((e) => e.dispose()));
  await fs.rm(work, { recursive: true, force: true });
});

test('distillation recovers retrieval for a student that the teachers know better than', async () => {
  const adapterPath = path.join(work, 'adapter.json');
  const report = await distillAdapter({ dataset, student: confused, epochs: 60, holdout: 0.25, batchSize: 16, out: adapterPath });
  assert.equal(report.holdoutSamples, 12);
  assert.equal(report.trainSamples, 36);
  assert.equal(report.skipped.length, 0);
  // The construction works: the teachers retrieve well, the confused student does not.
  assert.ok(report.teachers.imageToText.r1 >= 0.9, `teacher R@1 ${report.teachers.imageToText.r1}`);
  assert.ok(report.before.imageToText.r1 <= 0.5, `student before R@1 ${report.before.imageToText.r1}`);
  // Distillation (lambda = 1: teacher similarities only, no caption labels) closes most of the gap.
  assert.ok(report.after.mean >= report.before.mean + 0.25, `mean recall ${report.before.mean} -> ${report.after.mean}`);
  assert.ok(report.after.imageToText.r1 >= 0.75, `after R@1 ${report.after.imageToText.r1}`);
  assert.equal(report.improved, true);
  assert.match(report.verdict, /improved held-out retrieval/);
  assert.ok(report.loss[report.loss.length - 1]! < report.loss[0]!, `loss ${report.loss[0]} -> ${report.loss.at(-1)}`);

  // The saved adapter is tied to the student and moves its red image towards "red".
  const adapter = await loadAdapter(adapterPath, confused.info.fingerprint);
  await assert.rejects(loadAdapter(adapterPath, faithful.info.fingerprint), /trained for model/);
  const [img] = await confused.embedImages([path.join(imagesDir, 'red-0.png')]);
  assert.ok(img && !isItemError(img));
  const texts = await confused.embedTexts(Object.keys(FIXTURE_COLORS));
  const rank = (e: Float32Array) => {
    const scores = texts.map((t) => t.embedding.reduce((s, v, i) => s + v * e[i]!, 0));
    return Object.keys(FIXTURE_COLORS)[scores.indexOf(Math.max(...scores))];
  };
  assert.equal(rank(applyAdapter(adapter, img.embedding)), 'red');
});

test('when the student is already as good as the teachers, the report does not claim a gain', async () => {
  const report = await distillAdapter({ dataset, student: faithful, epochs: 10, holdout: 0.25, batchSize: 16, out: path.join(work, 'adapter-faithful.json') });
  assert.equal(report.before.imageToText.r1, 1);
  assert.equal(report.improved, false);
  assert.match(report.verdict, /did not change|WORSE/);
});
