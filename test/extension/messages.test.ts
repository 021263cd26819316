// The sentences users read: model failures (one sentence with the cause, details apart), the
// Verify toast, the readable captions page and the Select Model rows. All vscode-free.
import '../helpers/fakeVscode'; // the Select Model command module imports vscode
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChecksumMismatchError, LocalModelError, ModelDownloadError, ModelOfflineError } from '../../src/engine/models/resolve';
import { describeDownloadFailure, describeLoadFailure, failureDetailsMarkdown } from '../../src/extension/model/failure';
import { verifyToastText } from '../../src/extension/features/datasets/datasetPlan';
import { captionsMarkdown } from '../../src/extension/features/captions/captionsView';
import { emptyCaptionStore } from '../../src/engine/captions/store';
import type { ClipManifest } from '../../src/engine/models/manifest';
import { registryRow } from '../../src/extension/model/selectModel';
import { downloadSizeText } from '../../src/extension/model/state';
import { describeModel } from '../../src/engine/models/names';

const ctx = { modelName: 'MobileCLIP-S0', host: 'huggingface.co' };
const missing = [
  {
    path: 'onnx/vision_model.onnx',
    url: 'https://huggingface.co/Xenova/mobileclip_s0/resolve/757d/onnx/vision_model.onnx',
    dest: '/home/u/.cache/mobileclip-assets/Xenova--mobileclip_s0/757d/onnx/vision_model.onnx',
    size: 45_543_630,
  },
  {
    path: 'onnx/text_model_int8.onnx',
    url: 'https://huggingface.co/Xenova/mobileclip_s0/resolve/757d/onnx/text_model_int8.onnx',
    dest: '/home/u/.cache/mobileclip-assets/Xenova--mobileclip_s0/757d/onnx/text_model_int8.onnx',
    size: 39_974_020,
  },
];

test('download failures: one sentence with the cause; paths and URLs only in the details', () => {
  const offline = describeDownloadFailure(new ModelOfflineError('mobileclip-s0', missing, 'huggingface.co', Object.assign(new Error('x'), { code: 'ENOTFOUND' })), ctx);
  assert.equal(offline.message, "Can't reach huggingface.co: offline or a proxy is needed.");
  assert.equal(offline.kind, 'offline');
  for (const m of missing) assert.ok(offline.details.includes(m.dest) && offline.details.includes(m.url));

  const gated = describeDownloadFailure(new ModelDownloadError('Access denied (HTTP 403): https://huggingface.co/x', 'https://huggingface.co/x', 403), ctx);
  assert.equal(gated.message, 'huggingface.co refused the download (HTTP 403): the repository may be gated.');
  const gone = describeDownloadFailure(new ModelDownloadError('Not found (HTTP 404): https://huggingface.co/x', 'https://huggingface.co/x', 404), ctx);
  assert.equal(gone.message, "huggingface.co doesn't have the files (HTTP 404).");
  const damaged = describeDownloadFailure(new ChecksumMismatchError('onnx/v.onnx', 'https://h/x', 'a', 'b', 'sha256'), ctx);
  assert.equal(damaged.message, 'A file of MobileCLIP-S0 arrived damaged and was deleted: try again.');
  const full = describeDownloadFailure(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }), ctx);
  assert.equal(full.message, 'Not enough disk space to download MobileCLIP-S0.');
  const other = describeDownloadFailure(
    new Error('connection closed after 10 of 20 bytes from https://huggingface.co/Xenova/m/resolve/r/onnx/vision_model.onnx (gave up after 5 attempts)'),
    ctx,
  );
  assert.equal(other.message, 'Downloading MobileCLIP-S0 failed: connection closed after 10 of 20 bytes from huggingface.co (gave up after 5 attempts).');
  for (const f of [offline, gated, gone, damaged, full, other]) {
    assert.equal(f.retry, 'download');
    assert.doesNotMatch(f.message, /\/home\/|https?:/, f.message);
  }
});

test('load failures are not download failures', () => {
  const folder = describeLoadFailure(new LocalModelError('/models/my-clip', ['tokenizer.json is missing', 'no text tower']), {
    ...ctx,
    modelName: 'my-clip',
    spec: '/models/my-clip',
  });
  assert.deepEqual([folder.kind, folder.retry, folder.message], ['notAModel', 'load', "The model folder my-clip can't be used: tokenizer.json is missing."]);
  const unknown = describeLoadFailure(new Error('unknown model "mobileclip-xl". Known models: mobileclip-s0'), { ...ctx, spec: 'mobileclip-xl' });
  assert.equal(unknown.message, '"mobileclip-xl" is neither a known model id nor a model folder.');
  const broken = describeLoadFailure(new Error('Load model from /m/onnx/vision_model.onnx failed:Protobuf parsing failed.\n at stack'), { ...ctx, spec: 'mobileclip-s0' });
  assert.equal(broken.message, 'MobileCLIP-S0 could not be loaded: Load model from vision_model.onnx failed:Protobuf parsing failed.');
  assert.doesNotMatch(broken.message, /download/i);
  const page = failureDetailsMarkdown(broken, { ...ctx, spec: 'mobileclip-s0', cacheDir: '/cache' });
  assert.match(page, /^# MobileCLIP-S0: model not loaded/);
  assert.match(page, /\/m\/onnx\/vision_model\.onnx/);
});

test('Verify ends with a one-line verdict', () => {
  const replay = { samples: 6, augmentations: 60, texts: 30, maxImageDeviation: 0, maxTextDeviation: 0, minImageCosine: 1, tolerance: 1e-3 };
  assert.equal(verifyToastText({ ok: true, samples: 6, problems: [], replay }), 'OK: 6 samples, 60 views replayed.');
  assert.equal(
    verifyToastText({
      ok: false,
      samples: 6,
      problems: [
        { where: 'a', problem: 'b' },
        { where: 'c', problem: 'd' },
      ],
      replay,
    }),
    'FAILED: 2 problems in 6 samples, 60 views replayed.',
  );
  assert.equal(verifyToastText({ ok: true, samples: 1, problems: [], replaySkipped: 'no teachers' }), 'OK: 1 sample (not replayed: the teachers are not available).');
});

test('captions read as a page: each image with its captions, yours marked, no hashes', () => {
  const store = emptyCaptionStore('/work/ws');
  store.runs.set('0123456789abcdef', {
    model: 'captioner-vit-gpt2',
    modelFingerprint: 'f'.repeat(64),
    dtype: {},
    samplerVersion: 1,
    settings: { count: 2, seed: 0, topK: 20, temperature: 1, maxNewTokens: 20 },
  });
  store.images.set('icons/cat.png', { sha256: 'a'.repeat(64), run: '0123456789abcdef', generated: ['a cat sitting on a mat', 'a black cat'], user: ['our mascot'] });
  store.images.set('empty.png', { generated: [], user: [] });
  const md = captionsMarkdown(store, { title: 'ws', modelNames: new Map([['captioner-vit-gpt2', 'ViT-GPT2 captioner']]) });
  assert.match(md, /^# Captions: ws\n\n1 image with captions\./);
  assert.match(md, /## icons\/cat\.png\n\n- our mascot \*\(yours\)\*\n- a cat sitting on a mat\n- a black cat\n/);
  assert.match(md, /Generated by ViT-GPT2 captioner \(2 per image, seed 0, top-k 20, temperature 1\)/);
  assert.doesNotMatch(md, /aaaaaaaa|0123456789abcdef|ffffffff/, 'no hashes');
  assert.doesNotMatch(md, /empty\.png/);
});

test('Select Model rows say which model is current, which is the default, and what a download costs', () => {
  const m = { id: 'mobileclip-s0', name: 'MobileCLIP-S0', description: 'Smallest.' } as ClipManifest;
  assert.deepEqual(registryRow(m, { current: true, downloaded: true, missingBytes: 0 }), {
    spec: 'mobileclip-s0',
    label: '$(pass-filled) MobileCLIP-S0',
    description: 'mobileclip-s0 (current, default) · $(check) downloaded',
    detail: 'Smallest.',
  });
  const b = { id: 'mobileclip-b', name: 'MobileCLIP-B', description: 'Big.' } as ClipManifest;
  assert.equal(registryRow(b, { current: false, downloaded: false, missingBytes: 345_000_000 }).description, 'mobileclip-b · $(cloud-download) 345 MB download');
});

test('download sizes come from the manifests: pinned sizes, else the reported ones, else which tower is unknown', async () => {
  const s0 = await describeModel('mobileclip-s0');
  assert.equal(s0.name, 'MobileCLIP-S0');
  assert.equal(downloadSizeText({ spec: 'mobileclip-s0', name: s0.name, registry: true, towerBytes: s0.towerBytes }), '46 MB + 43 MB');
  assert.equal(downloadSizeText({ spec: 'x', name: 'x', registry: true, towerBytes: [86_048_150, undefined] }), '86 MB + text tower');
  assert.equal(downloadSizeText({ spec: 'x', name: 'x', registry: true, towerBytes: [undefined, undefined] }), undefined);
});
