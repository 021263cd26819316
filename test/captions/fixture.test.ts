// The fixture captioner has the Transformers.js vit-gpt2 export interface and really runs in
// @huggingface/transformers' own image-to-text pipeline (no project code involved).
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { captionerModelDir, CAPTIONER_COLOR_WORDS } from '../fixtures/captioner';
import { writeSolidImage } from '../fixtures/images';
import { FIXTURE_COLORS } from '../fixtures/models';

const base = path.resolve(__dirname, '../../.cache/test-captions');
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

test('fixture files and ONNX input/output names and types match the vit-gpt2 export', async () => {
  const dir = await captionerModelDir();
  for (const f of ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']) {
    await fs.access(path.join(dir, f));
  }
  const config = JSON.parse(await fs.readFile(path.join(dir, 'config.json'), 'utf8'));
  assert.equal(config.model_type, 'vision-encoder-decoder');
  assert.equal(config.encoder.model_type, 'vit');
  assert.equal(config.decoder.model_type, 'gpt2');

  const enc = await ort.InferenceSession.create(path.join(dir, 'onnx', 'encoder_model.onnx'));
  assert.deepEqual(enc.inputNames, ['pixel_values']);
  assert.deepEqual(enc.outputNames, ['last_hidden_state']);
  const dec = await ort.InferenceSession.create(path.join(dir, 'onnx', 'decoder_model_merged.onnx'));
  const layers = config.decoder.n_layer as number;
  const past = Array.from({ length: layers }, (_, i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`]).flat();
  assert.deepEqual(dec.inputNames, ['input_ids', 'encoder_hidden_states', ...past, 'use_cache_branch']);
  assert.deepEqual(dec.outputNames, ['logits', ...past.map((n) => n.replace('past_key_values', 'present'))]);
  const types = Object.fromEntries(dec.inputMetadata.map((m) => [m.name, m.isTensor ? m.type : 'non-tensor']));
  assert.equal(types.input_ids, 'int64');
  assert.equal(types.use_cache_branch, 'bool');
  assert.equal(types['past_key_values.0.key'], 'float32');
  const pastShape = dec.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
  assert.ok(pastShape?.isTensor);
  assert.equal(pastShape.shape[0], 'batch_size', 'Transformers.js sizes the empty cache from this symbolic name');
  await enc.release();
  await dec.release();
});

test('@huggingface/transformers image-to-text pipeline loads the fixture and names the image colour', async () => {
  const dir = await captionerModelDir();
  await fs.mkdir(base, { recursive: true });
  const imgDir = await fs.mkdtemp(path.join(base, 'pipeline-'));
  dirs.push(imgDir);
  const tf = await import('@huggingface/transformers');
  tf.env.allowRemoteModels = false;
  tf.env.useFSCache = false;
  const captioner = await tf.pipeline('image-to-text', dir, { dtype: 'fp32', device: 'cpu' });
  try {
    for (const colour of ['red', 'blue', 'yellow']) {
      const file = await writeSolidImage(path.join(imgDir, `${colour}.png`), FIXTURE_COLORS[colour]!, { width: 48, height: 40 });
      const [out] = (await captioner(file)) as Array<{ generated_text: string }>;
      const words = out!.generated_text.split(' ');
      assert.ok(words.includes(colour), `"${out!.generated_text}" names ${colour}`);
      assert.deepEqual(
        words.filter((w) => CAPTIONER_COLOR_WORDS.includes(w) && w !== colour),
        [],
        'and no other colour',
      );
    }
  } finally {
    await captioner.dispose();
  }
});
