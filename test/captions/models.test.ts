// Captioner manifests in models/ and captioner resolution (registry ids and local folders).
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import {
  CAPTIONER_SESSIONS,
  CaptionerFolderError,
  captionerFilePlan,
  DEFAULT_CAPTIONER_ID,
  getCaptionerManifest,
  listCaptioners,
  resolveCaptioner,
} from '../../src/engine/captions/models';
import { ManifestError, validateManifest } from '../../src/engine/models/manifest';
import { ModelNotDownloadedError } from '../../src/engine/models/errors';
import { hubFileDest } from '../../src/engine/models/paths';
import { onnxFileName } from '../../src/engine/models/precision';
import { captionerModelDir } from '../fixtures/captioner';

const base = path.resolve(__dirname, '../../.cache/test-captions');
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});
async function scratch(label: string): Promise<string> {
  await fs.mkdir(base, { recursive: true });
  const d = await fs.mkdtemp(path.join(base, `${label}-`));
  dirs.push(d);
  return d;
}

test('the registry has the default ViT-GPT2 captioner and a Florence-2 option, pinned to commits', async () => {
  const all = await listCaptioners();
  const ids = all.map((m) => m.id);
  assert.ok(ids.includes(DEFAULT_CAPTIONER_ID));
  assert.ok(ids.includes('captioner-florence-2-base'));
  for (const m of all) {
    assert.match(m.id, /^captioner-/);
    assert.match(m.hub.revision, /^[0-9a-f]{40}$/, `${m.id} is pinned to a commit`);
    for (const session of CAPTIONER_SESSIONS[m.architecture]) {
      const files = m.files.sessions[session]!;
      assert.ok(files[m.defaults[session]!], `${m.id}: default ${session} precision is listed`);
      for (const [precision, f] of Object.entries(files)) assert.equal(f!.path, `onnx/${onnxFileName(session, precision as never)}`);
    }
  }
  const vit = await getCaptionerManifest(DEFAULT_CAPTIONER_ID);
  assert.equal(vit.hub.repo, 'Xenova/vit-gpt2-image-captioning');
  assert.equal(vit.architecture, 'vision-encoder-decoder');
  assert.equal((await getCaptionerManifest('captioner-florence-2-base')).architecture, 'florence2');
  await assert.rejects(getCaptionerManifest('mobileclip-s0'), /not a captioner/);
});

test('a captioner manifest whose file names do not follow the Transformers.js rule is rejected', async () => {
  const raw = JSON.parse(await fs.readFile(path.resolve(__dirname, '../../models/captioner-vit-gpt2.json'), 'utf8'));
  raw.files.sessions.encoder_model.q8.path = 'onnx/encoder_model_q8.onnx';
  assert.throws(
    () => validateManifest(raw, 'x.json'),
    (err: unknown) => err instanceof ManifestError && /encoder_model_quantized\.onnx/.test(err.message),
  );
  const raw2 = JSON.parse(await fs.readFile(path.resolve(__dirname, '../../models/captioner-vit-gpt2.json'), 'utf8'));
  raw2.defaults.decoder_model_merged = 'q4';
  assert.throws(() => validateManifest(raw2, 'x.json'), /defaults\.decoder_model_merged/);
});

test('a registry captioner that is not downloaded names every missing file; once present it resolves', async () => {
  const cacheDir = await scratch('cache');
  const manifest = await getCaptionerManifest(DEFAULT_CAPTIONER_ID);
  const { plan, dtype } = captionerFilePlan(manifest);
  assert.deepEqual(dtype, { encoder_model: 'fp32', decoder_model_merged: 'q8' });
  assert.deepEqual(plan.files.map((f) => f.path).slice(-2), ['onnx/encoder_model.onnx', 'onnx/decoder_model_merged_quantized.onnx']);
  await assert.rejects(resolveCaptioner(DEFAULT_CAPTIONER_ID, { cacheDir }), (err: unknown) => {
    assert.ok(err instanceof ModelNotDownloadedError);
    assert.equal(err.missing.length, plan.files.length);
    assert.ok(err.missing.every((m) => m.url.includes('/Xenova/vit-gpt2-image-captioning/resolve/786e3bbf7292ef672265c596390807bc5bc2f12a/')));
    return true;
  });
  // Put stand-in files where the downloader would, and resolution succeeds offline.
  for (const f of plan.files) {
    const dest = hubFileDest(cacheDir, plan.repo, plan.revision, f.path);
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.writeFile(dest, f.path);
  }
  const resolved = await resolveCaptioner(DEFAULT_CAPTIONER_ID, { cacheDir });
  assert.equal(resolved.id, DEFAULT_CAPTIONER_ID);
  assert.equal(resolved.dir, path.dirname(hubFileDest(cacheDir, plan.repo, plan.revision, 'config.json')));
  assert.deepEqual(resolved.dtype, dtype);
  const q8 = await resolveCaptioner(DEFAULT_CAPTIONER_ID, { cacheDir, dtype: 'fp32' }).catch((e: unknown) => e);
  assert.ok(q8 instanceof ModelNotDownloadedError, 'another precision needs its own files');
});

test('a local folder resolves with the precisions it has; a broken folder lists its problems', async () => {
  const fixture = await captionerModelDir();
  const cacheDir = await scratch('cache');
  const r = await resolveCaptioner(fixture, { cacheDir });
  assert.equal(r.id, `local:${fixture}`);
  assert.equal(r.architecture, 'vision-encoder-decoder');
  assert.deepEqual(r.dtype, { encoder_model: 'fp32', decoder_model_merged: 'fp32' });
  assert.equal((await resolveCaptioner(`local:${fixture}`, { cacheDir })).fingerprint, r.fingerprint);

  const copy = await scratch('folder');
  await fs.cp(fixture, copy, { recursive: true });
  await fs.rename(path.join(copy, 'onnx', 'decoder_model_merged.onnx'), path.join(copy, 'onnx', 'decoder_model_merged_quantized.onnx'));
  const q = await resolveCaptioner(copy, { cacheDir });
  assert.deepEqual(q.dtype, { encoder_model: 'fp32', decoder_model_merged: 'q8' });
  assert.notEqual(q.fingerprint, r.fingerprint);

  await fs.rm(path.join(copy, 'tokenizer.json'));
  await fs.rm(path.join(copy, 'onnx', 'encoder_model.onnx'));
  await assert.rejects(resolveCaptioner(copy, { cacheDir }), (err: unknown) => {
    assert.ok(err instanceof CaptionerFolderError);
    assert.ok(err.problems.some((p) => /tokenizer\.json/.test(p)));
    return true;
  });
  await assert.rejects(resolveCaptioner(path.join(copy, 'nope'), { cacheDir }), /does not exist/);
});
