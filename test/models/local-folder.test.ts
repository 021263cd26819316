import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { LocalModelError, resolveModel } from '../../src/engine/models/resolve';
import { tempDir } from './fixture-hub';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A folder in the hub export layout with small dummy files (content is irrelevant here). */
async function modelFolder(
  label: string,
  onnx: string[],
  extra: Record<string, string> = { 'tokenizer.json': '{"v":1}', 'preprocessor_config.json': '{"do_normalize":false}', 'config.json': '{}' },
) {
  const dir = await tempDir(label);
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  await fs.mkdir(path.join(dir, 'onnx'), { recursive: true });
  for (const name of onnx) await fs.writeFile(path.join(dir, 'onnx', name), `weights of ${name}`);
  for (const [name, text] of Object.entries(extra)) await fs.writeFile(path.join(dir, name), text);
  const cacheDir = path.join(dir, '.hash-cache');
  return { dir, cacheDir };
}

test('picks fp32 towers first, and a quantized text tower when it is the only one', async () => {
  const { dir, cacheDir } = await modelFolder('prefer', ['vision_model.onnx', 'vision_model_int8.onnx', 'vision_model_fp16.onnx', 'text_model_int8.onnx', 'text_model_q4.onnx']);
  const m = await resolveModel(dir, { cacheDir });
  assert.equal(m.id, `local:${dir}`);
  assert.equal(m.visionModelPath, path.join(dir, 'onnx', 'vision_model.onnx'));
  assert.equal(m.textModelPath, path.join(dir, 'onnx', 'text_model_int8.onnx'));
  assert.equal(m.tokenizerPath, path.join(dir, 'tokenizer.json'));
  assert.equal(m.preprocessorConfigPath, path.join(dir, 'preprocessor_config.json'));
  assert.equal(m.configPath, path.join(dir, 'config.json'));
});

test('without fp32, half precision beats quantized; an explicit precision wins', async () => {
  const { dir, cacheDir } = await modelFolder('fallback', ['vision_model_int8.onnx', 'vision_model_fp16.onnx', 'text_model.onnx', 'text_model_quantized.onnx']);
  const m = await resolveModel(dir, { cacheDir });
  assert.equal(path.basename(m.visionModelPath), 'vision_model_fp16.onnx');
  assert.equal(path.basename(m.textModelPath), 'text_model.onnx');
  const asked = await resolveModel(dir, { cacheDir, visionPrecision: 'int8', textPrecision: 'q8' });
  assert.equal(path.basename(asked.visionModelPath), 'vision_model_int8.onnx');
  assert.equal(path.basename(asked.textModelPath), 'text_model_quantized.onnx');
  assert.notEqual(asked.fingerprint, m.fingerprint);
});

test('an incomplete folder gets one error listing everything that is missing', async () => {
  const { dir, cacheDir } = await modelFolder('missing', ['vision_model_q4.onnx'], { 'config.json': '{}' });
  await assert.rejects(resolveModel(dir, { cacheDir, visionPrecision: 'fp32' }), (e: Error) => {
    assert.ok(e instanceof LocalModelError);
    assert.ok(e.message.includes(dir));
    assert.match(e.message, /onnx\/vision_model\.onnx is missing \(asked for the fp32 vision tower; present: q4\)/);
    assert.match(e.message, /no text tower: onnx\/text_model\.onnx .* is missing/);
    assert.match(e.message, /tokenizer\.json is missing/);
    assert.equal(e.problems.length, 3);
    return true;
  });
  await assert.rejects(resolveModel(path.join(dir, 'nope'), { cacheDir }), /nope cannot be used:\n {2}- the folder does not exist/);
  await assert.rejects(resolveModel(path.join(dir, 'config.json'), { cacheDir }), /this is a file, not a folder/);
});

test('preprocessor and config are optional (v1 defaults apply downstream)', async () => {
  const { dir, cacheDir } = await modelFolder('minimal', ['vision_model.onnx', 'text_model.onnx'], { 'tokenizer.json': '{}' });
  const m = await resolveModel(dir, { cacheDir });
  assert.equal(m.preprocessorConfigPath, undefined);
  assert.equal(m.configPath, undefined);
});

test('relative, ~ and local: specs resolve to the same folder', async () => {
  const { dir, cacheDir } = await modelFolder('specs', ['vision_model.onnx', 'text_model.onnx']);
  const parent = path.dirname(dir);
  const rel = await resolveModel(`./${path.basename(dir)}`, { cacheDir, baseDir: parent });
  assert.equal(rel.dir, dir);
  assert.equal((await resolveModel(`local:${dir}`, { cacheDir })).dir, dir);
  const savedHome = process.env.HOME;
  process.env.HOME = parent;
  try {
    assert.equal((await resolveModel(`~/${path.basename(dir)}`, { cacheDir })).dir, dir);
  } finally {
    process.env.HOME = savedHome;
  }
  await assert.rejects(resolveModel('my-folder-without-dot-slash', { cacheDir }), /unknown model "my-folder-without-dot-slash"[\s\S]*pass the path of a folder/);
});

test('the fingerprint hashes the files once per version, through a sidecar keyed by size and mtime', async () => {
  const { dir, cacheDir } = await modelFolder('fingerprint', ['vision_model.onnx', 'text_model.onnx']);
  const text = path.join(dir, 'onnx', 'text_model.onnx');
  const stamp = new Date('2024-01-02T03:04:05.000Z'); // whole milliseconds survive utimes exactly
  await fs.utimes(text, stamp, stamp);
  const first = (await resolveModel(dir, { cacheDir })).fingerprint;
  assert.match(first, /^[0-9a-f]{64}$/);
  assert.ok(existsSync(path.join(cacheDir, 'file-hashes.json')));
  assert.equal((await resolveModel(dir, { cacheDir })).fingerprint, first);

  // Same size and mtime: the cached hash is trusted, so the content is not re-read.
  const original = await fs.readFile(text);
  await fs.writeFile(text, Buffer.from(original.toString('utf8').replace('weights', 'WEIGHTS')));
  await fs.utimes(text, stamp, stamp);
  assert.equal((await resolveModel(dir, { cacheDir })).fingerprint, first);

  // A new mtime means a new file version: re-hashed, new fingerprint.
  await fs.utimes(text, stamp, new Date(stamp.getTime() + 5_000));
  const changed = (await resolveModel(dir, { cacheDir })).fingerprint;
  assert.notEqual(changed, first);

  // Preprocessing is part of the identity too.
  await fs.writeFile(path.join(dir, 'preprocessor_config.json'), '{"do_normalize":true}');
  assert.notEqual((await resolveModel(dir, { cacheDir })).fingerprint, changed);

  // External weights (`<graph>.onnx_data`) count as well.
  const before = (await resolveModel(dir, { cacheDir })).fingerprint;
  await fs.writeFile(path.join(dir, 'onnx', 'vision_model.onnx_data'), 'external tensors');
  assert.notEqual((await resolveModel(dir, { cacheDir })).fingerprint, before);
});
