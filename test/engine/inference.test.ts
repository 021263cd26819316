// The ONNX towers and provider fallback, in-process (the engine runs these inside its worker).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { l2Normalize } from '../../src/engine/vectors';
import { providerCandidates } from '../../src/engine/inference/providers';
import { TextTower, VisionTower } from '../../src/engine/inference/towers';
import { resolveModel } from '../../src/engine/models/resolve';
import { ClipTokenizer } from '../../src/engine/text/tokenizer';
import { colorModelDir } from '../fixtures/models';
import { GraphBuilder } from '../fixtures/onnx';

const work = path.resolve(__dirname, '../../.cache/test-inference', String(process.pid));

before(async () => {
  await fs.rm(work, { recursive: true, force: true });
  await fs.mkdir(work, { recursive: true });
});

test('l2Normalize gives unit vectors and leaves zero vectors at zero (no NaN)', () => {
  const v = l2Normalize([3, 4]);
  assert.ok(Math.abs(v[0] - 0.6) < 1e-7 && Math.abs(v[1] - 0.8) < 1e-7);
  assert.deepEqual(Array.from(l2Normalize([0, 0, 0])), [0, 0, 0]);
  assert.deepEqual(Array.from(l2Normalize([Number.NaN, 1])), [0, 0]);
});

test('provider candidates always end with cpu', () => {
  assert.deepEqual(providerCandidates('cpu'), ['cpu']);
  assert.deepEqual(providerCandidates('cuda'), ['cuda', 'cpu']);
  assert.deepEqual(providerCandidates('auto', 'darwin'), ['coreml', 'cpu']);
  assert.deepEqual(providerCandidates('auto', 'win32'), ['dml', 'cpu']);
  assert.equal(providerCandidates('auto', 'linux').at(-1), 'cpu');
});

test('an unavailable provider falls back to cpu and says so', async () => {
  // CoreML exists only on macOS and DirectML only on Windows.
  const missing = process.platform === 'darwin' ? 'dml' : 'coreml';
  const logs: string[] = [];
  const model = await resolveModel(await colorModelDir(), { cacheDir: path.join(work, 'cache') });
  const engine = await Engine.create(model, { executionProvider: missing, threads: 1, log: (l) => logs.push(l) });
  try {
    assert.equal(engine.info.executionProvider, 'cpu');
    assert.ok(
      logs.some((l) => l.includes(`${missing} unavailable`) && l.includes('running on cpu')),
      logs.join('\n'),
    );
    const [t] = await engine.embedTexts(['red']);
    assert.equal(t.embedding.length, engine.info.dim);
  } finally {
    await engine.dispose();
  }
});

test('symbolic sizes: image size from the preprocessor config, embedding size from a probe run', async () => {
  // Mean colour -> [B,3] -> x W[3,5]; every size but the channel count is symbolic.
  const g = new GraphBuilder('symbolic');
  const x = g.input('pixel_values', 'float32', ['batch', 3, 'height', 'width']);
  const mean = g.op('ReduceMean', [x], { axes: [2, 3], keepdims: 0 });
  const w = Float32Array.from({ length: 15 }, (_, i) => (i % 4) - 1.5);
  g.output(g.linear(mean, w, 3, 5), 'float32', ['batch', 'dim'], 'image_embeds');
  const file = path.join(work, 'symbolic.onnx');
  await fs.writeFile(file, g.encode());
  const tower = await VisionTower.load(file, { configImageSize: 20 });
  try {
    assert.equal(tower.imageSize, 20);
    assert.equal(tower.dim, 5);
    assert.equal(tower.dynamicBatch, true);
    const t = new Float32Array(3 * 20 * 20).fill(0.5);
    const [a, b] = await tower.embed([t, t], 8);
    assert.equal(a.length, 5);
    assert.deepEqual(a, b);
    await assert.rejects(tower.embed([new Float32Array(10)], 8), /the model takes 3x20x20/);
  } finally {
    await tower.release();
  }
  await assert.rejects(VisionTower.load(file, {}), /input size is symbolic/);
});

test('a fixed-batch graph runs one item per run with the same results as a batched one', async () => {
  const dyn = await colorModelDir();
  const fixed = await colorModelDir({ dynamicBatch: false });
  const a = await VisionTower.load(path.join(dyn, 'onnx', 'vision_model.onnx'), {});
  const b = await VisionTower.load(path.join(fixed, 'onnx', 'vision_model.onnx'), {});
  const ta = await TextTower.load(path.join(dyn, 'onnx', 'text_model.onnx'), {});
  const tb = await TextTower.load(path.join(fixed, 'onnx', 'text_model.onnx'), {});
  try {
    assert.equal(a.fixedBatch, undefined);
    assert.equal(b.fixedBatch, 1);
    assert.equal(tb.fixedBatch, 1);
    assert.equal(tb.contextLength, 77);
    const S = a.imageSize;
    const tensors = [0.1, 0.5, 0.9].map((v, i) => Float32Array.from({ length: 3 * S * S }, (_, j) => (j < S * S * (i + 1) ? v : 0.2)));
    const ea = await a.embed(tensors, 16);
    const eb = await b.embed(tensors, 16);
    ea.forEach((e, i) => e.forEach((v, j) => assert.ok(Math.abs(v - eb[i][j]) < 1e-6)));
    const tok = await ClipTokenizer.load(path.join(dyn, 'tokenizer.json'));
    const texts = ['red', 'green and blue', 'purple'];
    const xa = await ta.embed(texts, tok, 2);
    const xb = await tb.embed(texts, tok, 2);
    xa.forEach((e, i) => e.forEach((v, j) => assert.ok(Math.abs(v - xb[i][j]) < 1e-6)));
  } finally {
    await Promise.all([a.release(), b.release(), ta.release(), tb.release()]);
  }
});

test('a file that is not an ONNX model fails to load with its name in the message', async () => {
  const file = path.join(work, 'broken.onnx');
  await fs.writeFile(file, 'definitely not protobuf');
  await assert.rejects(VisionTower.load(file, { executionProvider: 'auto' }), /broken\.onnx/);
});
