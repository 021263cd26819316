// The distillation loss and its hand-written gradients (checked against finite differences),
// Adam fitting a known linear distortion, recall figures and the adapter file round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { Adam, batchLoss, teacherLogits, zeroGradients, type AdapterParams, type PairBatch } from '../../src/engine/reinforce/distill/loss';
import { applyAdapter, loadAdapter, saveAdapter, identityMatrix } from '../../src/engine/reinforce/distill/adapter';
import { recallFromSimilarities } from '../../src/engine/reinforce/distill/train';
import { imageRng } from '../../src/engine/reinforce/rng';

const rng = imageRng(5, 'loss-test');
const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
function randomRows(b: number, d: number): Float64Array {
  const m = Float64Array.from({ length: b * d }, gauss);
  for (let i = 0; i < b; i++) {
    const n = Math.hypot(...m.subarray(i * d, (i + 1) * d));
    for (let a = 0; a < d; a++) m[i * d + a]! /= n;
  }
  return m;
}

function problem(b: number, d: number, dt: number, textMap: boolean): { p: AdapterParams; batch: PairBatch } {
  const w = Float64Array.from(identityMatrix(d), (v) => v + 0.3 * gauss());
  const v = textMap ? Float64Array.from(identityMatrix(d), (x) => x + 0.3 * gauss()) : undefined;
  const teachers = [0, 1].map(() => teacherLogits(randomRows(b, dt), randomRows(b, dt), b, dt));
  return { p: { dim: d, w, v, logScale: Math.log(7) }, batch: { size: b, x: randomRows(b, d), y: randomRows(b, d), teacherLogits: teachers } };
}

test('gradients match finite differences for CLIP, distillation and their mix', () => {
  for (const lambda of [0, 0.5, 1]) {
    const { p, batch } = problem(5, 4, 6, true);
    const g = zeroGradients(p);
    batchLoss(p, batch, lambda, g);
    const h = 1e-6;
    const numeric = (read: () => number, write: (v: number) => void): number => {
      const x0 = read();
      write(x0 + h);
      const up = batchLoss(p, batch, lambda).loss;
      write(x0 - h);
      const down = batchLoss(p, batch, lambda).loss;
      write(x0);
      return (up - down) / (2 * h);
    };
    for (let k = 0; k < p.w.length; k++) {
      const n = numeric(
        () => p.w[k]!,
        (v) => {
          p.w[k] = v;
        },
      );
      assert.ok(Math.abs(n - g.w[k]!) < 1e-5 * Math.max(1, Math.abs(n)), `λ=${lambda} dW[${k}]: numeric ${n}, analytic ${g.w[k]}`);
    }
    for (let k = 0; k < p.v!.length; k++) {
      const n = numeric(
        () => p.v![k]!,
        (v) => {
          p.v![k] = v;
        },
      );
      assert.ok(Math.abs(n - g.v![k]!) < 1e-5 * Math.max(1, Math.abs(n)), `λ=${lambda} dV[${k}]: numeric ${n}, analytic ${g.v![k]}`);
    }
    const n = numeric(
      () => p.logScale,
      (v) => {
        p.logScale = v;
      },
    );
    assert.ok(Math.abs(n - g.logScale) < 1e-5 * Math.max(1, Math.abs(n)), `λ=${lambda} dlogScale: numeric ${n}, analytic ${g.logScale}`);
  }
});

test('distillation loss is zero when the student reproduces the teacher', () => {
  const b = 6;
  const d = 5;
  const x = randomRows(b, d);
  const y = randomRows(b, d);
  const p: AdapterParams = { dim: d, w: Float64Array.from(identityMatrix(d)), logScale: Math.log(100) };
  const batch: PairBatch = { size: b, x, y, teacherLogits: [teacherLogits(x, y, b, d)] };
  const parts = batchLoss(p, batch, 1);
  assert.ok(Math.abs(parts.kd) < 1e-9, `kd ${parts.kd}`);
  assert.ok(parts.clip > 0);
});

test('Adam with pure distillation undoes a rotation of the student image space', () => {
  // Teacher: aligned image/text pairs. Student: the same images seen through a rotation.
  const b = 16;
  const d = 4;
  const texts = randomRows(b, d);
  const images = Float64Array.from(texts, (v) => v + 0.05 * gauss());
  const c = Math.cos(1.2);
  const s = Math.sin(1.2);
  const rot = [c, -s, 0, 0, s, c, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const rotated = new Float64Array(b * d);
  for (let i = 0; i < b; i++) for (let a = 0; a < d; a++) for (let k = 0; k < d; k++) rotated[i * d + a]! += rot[a * d + k]! * images[i * d + k]!;
  const batch: PairBatch = { size: b, x: rotated, y: texts, teacherLogits: [teacherLogits(images, texts, b, d)] };
  const p: AdapterParams = { dim: d, w: Float64Array.from(identityMatrix(d)), logScale: Math.log(100) };
  const start = batchLoss(p, batch, 1).loss;
  const adam = new Adam(p, 0.02);
  for (let step = 0; step < 400; step++) {
    const g = zeroGradients(p);
    batchLoss(p, batch, 1, g);
    adam.step(p, g, Math.log(100));
  }
  const end = batchLoss(p, batch, 1).loss;
  assert.ok(end < start / 10, `loss ${start} -> ${end}`);
});

test('recall counts identical captions as the same text', () => {
  // 3 images x 3 texts; texts 0 and 1 share a caption.
  const captions = ['red', 'red', 'blue'];
  const sims = Float64Array.from([
    0.1,
    0.9,
    0.0, // image 0 ranks text 1 first: same caption -> hit
    0.2,
    0.1,
    0.8, // image 1 ranks blue first: miss at 1, hit at 5
    0.0,
    0.1,
    0.9, // image 2: hit
  ]);
  const r = recallFromSimilarities(sims, captions);
  assert.ok(Math.abs(r.imageToText.r1 - 2 / 3) < 1e-12);
  assert.equal(r.imageToText.r5, 1);
  // Text 0 ("red") -> images by column 0: image 1 (0.2) first, a red image -> hit; text 2 -> image 2 (0.9) hit;
  // text 1 -> image 0 (0.9) hit.
  assert.equal(r.textToImage.r1, 1);
});

test('adapter file round trip; applyAdapter maps and normalizes; wrong student refused', async () => {
  const d = 3;
  const image = Float32Array.from([2, 0, 0, 0, 1, 0, 0, 0, 1]);
  const file = path.resolve(__dirname, '../../.cache/test-reinforce-loss', String(process.pid), 'adapter.json');
  await saveAdapter(file, { student: { id: 's', fingerprint: 'fp', dim: d }, image, logitScale: 42 }, { note: 'x' });
  const a = await loadAdapter(file, 'fp');
  assert.deepEqual(a.image, image);
  assert.equal(a.text, undefined);
  const out = applyAdapter(a, Float32Array.from([1, 1, 0]));
  assert.ok(Math.abs(out[0]! - 2 / Math.sqrt(5)) < 1e-6 && Math.abs(out[1]! - 1 / Math.sqrt(5)) < 1e-6 && out[2] === 0);
  const t = applyAdapter(a, Float32Array.from([3, 4, 0]), 'text');
  assert.ok(Math.abs(t[0]! - 0.6) < 1e-6 && Math.abs(t[1]! - 0.8) < 1e-6);
  await assert.rejects(loadAdapter(file, 'other'), /trained for model s/);
  assert.throws(() => applyAdapter(a, new Float32Array(4)), /expects 3-d/);
  await rm(path.dirname(file), { recursive: true, force: true });
});
