import assert from 'node:assert/strict';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { clipFilePlan } from '../../src/engine/models/hub';
import { loadManifestFile, registerManifestKind, validateManifest, type ClipManifest, type OtherManifest } from '../../src/engine/models/manifest';
import { hubFileDest } from '../../src/engine/models/paths';
import {
  DEFAULT_MODEL_ID,
  defaultCacheDir,
  defaultModelsDir,
  getManifest,
  isClipManifest,
  listModels,
  ManifestError,
  ModelNotDownloadedError,
  resolveModel,
} from '../../src/engine/models/resolve';
import { makeFiles, makeManifest, tempDir } from './fixture-hub';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});
async function scratch(label: string): Promise<string> {
  const dir = await tempDir(label);
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

test('defaultModelsDir finds the repo models/ folder', () => {
  const dir = defaultModelsDir();
  assert.equal(path.basename(dir), 'models');
  assert.equal(JSON.parse(readFileSync(path.join(dir, '..', 'package.json'), 'utf8')).name, 'mobileclip-assets');
});

test('every manifest in models/ validates; the MobileCLIP family is pinned to commits', async () => {
  const all = await listModels(defaultModelsDir());
  const clip = all.filter(isClipManifest);
  for (const id of ['mobileclip-s0', 'mobileclip-s1', 'mobileclip-s2', 'mobileclip-b', 'mobileclip-blt']) {
    const m = clip.find((c) => c.id === id);
    assert.ok(m, `${id} is in the registry`);
    assert.match(m.hub.repo, /^Xenova\/mobileclip_/);
    assert.match(m.hub.revision, /^[0-9a-f]{40}$/, `${id} pins a commit`);
    assert.ok(m.hub.revisionNote, `${id} says where its pins come from`);
    assert.ok(m.license.note && /apple/i.test(m.license.id + m.license.name));
    for (const key of ['config', 'preprocessorConfig', 'tokenizer', 'tokenizerConfig'] as const) assert.ok(m.files[key], `${id} lists ${key}`);
    assert.ok(m.files.vision.fp32 && m.files.text.fp32, `${id} has full-precision towers`);
    assert.ok(m.imageSize > 0 && m.embeddingDim > 0);
    // The file names follow the export convention the local-folder loader also understands.
    for (const [p, f] of Object.entries(m.files.vision)) assert.match(f!.path, new RegExp(`^onnx/vision_model${p === 'fp32' ? '' : '_'}`));
  }
});

test('the default model is MobileCLIP-S0 with an fp32 vision tower and an int8 text tower', async () => {
  assert.equal(DEFAULT_MODEL_ID, 'mobileclip-s0');
  const m = await getManifest(DEFAULT_MODEL_ID, defaultModelsDir());
  assert.ok(isClipManifest(m));
  assert.deepEqual(m.defaults, { vision: 'fp32', text: 'int8' });
  const { plan, vision, text } = clipFilePlan(m);
  assert.equal(vision.path, 'onnx/vision_model.onnx');
  assert.equal(text.path, 'onnx/text_model_int8.onnx');
  assert.deepEqual(plan.files.map((f) => f.path).sort(), [
    'config.json',
    'onnx/text_model_int8.onnx',
    'onnx/vision_model.onnx',
    'preprocessor_config.json',
    'tokenizer.json',
    'tokenizer_config.json',
  ]);
  // The pinned fp32 vision tower is the one the facts sheet gives.
  assert.equal(vision.size, 45_543_630);
  assert.equal(vision.sha256, '17d3c037b1d488c10c50e09f6009ea5a198caef4e0e8f4ea5617b7cb2d067ac0');
  // What a first start downloads is verified by pins alone, whatever the host reports.
  const unpinned = plan.files.filter((f) => f.size === undefined || f.sha256 === undefined).map((f) => f.path);
  assert.deepEqual(unpinned, [], 'default model files without a pinned size and sha256');
});

test('validation errors name the file and the field', () => {
  const good = JSON.parse(readFileSync(path.join(defaultModelsDir(), 'mobileclip-s0.json'), 'utf8'));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each case breaks the parsed JSON at its own depth
  const cases: Array<[string, (m: any) => void, RegExp]> = [
    [
      'bad sha',
      (m) => {
        m.files.vision.fp32.sha256 = 'XYZ';
      },
      /field "files\.vision\.fp32\.sha256" must be 64 lowercase hex/,
    ],
    [
      'no repo',
      (m) => {
        delete m.hub.repo;
      },
      /field "hub\.repo" must be a non-empty string/,
    ],
    [
      'bad default',
      (m) => {
        m.defaults.text = 'q4';
        delete m.files.text.q4;
      },
      /field "defaults\.text" must name a precision listed under files\.text/,
    ],
    [
      'escaping path',
      (m) => {
        m.files.tokenizer.path = '../../etc/passwd';
      },
      /field "files\.tokenizer\.path" must be a relative path/,
    ],
    [
      'unknown precision',
      (m) => {
        m.files.text.int3 = { path: 'onnx/x.onnx' };
      },
      /field "files\.text\.int3" is not a known precision/,
    ],
    [
      'negative size',
      (m) => {
        m.files.tokenizer.size = -1;
      },
      /field "files\.tokenizer\.size" must be a positive integer/,
    ],
    [
      'future schema',
      (m) => {
        m.schemaVersion = 99;
      },
      /field "schemaVersion" is 99/,
    ],
  ];
  for (const [label, mutate, expected] of cases) {
    const copy = structuredClone(good);
    mutate(copy);
    assert.throws(
      () => validateManifest(copy, 'models/broken.json'),
      (e: Error) => {
        assert.ok(e instanceof ManifestError, label);
        assert.match(e.message, /^models\/broken\.json: /, label);
        assert.match(e.message, expected, label);
        return true;
      },
    );
  }
});

test('a manifest whose id does not match its file name is refused; invalid JSON names the file', async () => {
  const dir = await scratch('manifest-files');
  const m = makeManifest(makeFiles(), { id: 'tiny-clip' });
  await fs.writeFile(path.join(dir, 'other-name.json'), JSON.stringify(m));
  await assert.rejects(loadManifestFile(path.join(dir, 'other-name.json')), /field "id" is "tiny-clip" but the file name says "other-name"/);
  await fs.writeFile(path.join(dir, 'broken.json'), '{ nope');
  await assert.rejects(loadManifestFile(path.join(dir, 'broken.json')), /broken\.json: not valid JSON/);
});

test('other kinds (captioners) load with the common checks, can register a validator, and are filtered by kind', async () => {
  const dir = await scratch('kinds');
  await fs.writeFile(path.join(dir, 'tiny-clip.json'), JSON.stringify(makeManifest(makeFiles())));
  const captioner = {
    schemaVersion: 1,
    kind: 'captioner',
    id: 'tiny-captioner',
    name: 'Captioner',
    hub: { repo: 'a/b', revision: 'main' },
    license: { id: 'mit', name: 'MIT', url: 'https://example.invalid' },
    decoder: 'onnx/decoder.onnx',
  };
  await fs.writeFile(path.join(dir, 'tiny-captioner.json'), JSON.stringify(captioner));
  const all = await listModels(dir);
  assert.deepEqual(
    all.map((m) => `${m.kind}:${m.id}`),
    ['captioner:tiny-captioner', 'clip:tiny-clip'],
  );
  assert.equal((all[0] as OtherManifest).decoder, 'onnx/decoder.onnx', 'unknown fields are kept for the kind owner');
  assert.deepEqual(
    (await listModels(dir, 'clip')).map((m) => m.id),
    ['tiny-clip'],
  );
  await assert.rejects(resolveModel('tiny-captioner', { modelsDir: dir, cacheDir: dir }), /captioner model, not an image-text \(CLIP\) model/);

  registerManifestKind('test-kind', (raw, where, base) => {
    if (typeof raw.special !== 'number') throw new ManifestError(where, 'special', 'must be a number');
    return { ...base, special: raw.special };
  });
  assert.throws(() => validateManifest({ ...captioner, kind: 'test-kind' }, 'x.json'), /x\.json: field "special" must be a number/);
  assert.equal((validateManifest({ ...captioner, kind: 'test-kind', special: 3 }, 'x.json') as OtherManifest).special, 3);
});

test('a registry model that is not downloaded says which file goes where, from which URL', async () => {
  const cacheDir = await scratch('not-downloaded');
  const err = await resolveModel('mobileclip-s0', { cacheDir }).then(
    () => assert.fail('should fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ModelNotDownloadedError, String(err));
  const rev = '757d59c9c6870a76a4b0306f05f5061bca15c39f';
  assert.equal(err.missing.length, 6);
  const vision = err.missing.find((m) => m.path === 'onnx/vision_model.onnx')!;
  assert.equal(vision.dest, path.join(cacheDir, 'Xenova--mobileclip_s0', rev, 'onnx', 'vision_model.onnx'));
  assert.equal(vision.url, `https://huggingface.co/Xenova/mobileclip_s0/resolve/${rev}/onnx/vision_model.onnx`);
  assert.equal(vision.size, 45_543_630);
  for (const m of err.missing) {
    assert.ok(path.isAbsolute(m.dest));
    assert.ok(err.message.includes(m.dest) && err.message.includes(m.url), m.path);
  }
  await assert.rejects(resolveModel('mobileclip-zz', { cacheDir }), /unknown model "mobileclip-zz"\. Known models: .*mobileclip-s0/);
});

test('a cached registry model resolves; a file of the wrong size counts as missing; the fingerprint follows the preprocessing config', async () => {
  const modelsDir = await scratch('registry-models');
  const cacheDir = await scratch('registry-cache');
  const files = makeFiles();
  const manifest: ClipManifest = makeManifest(files);
  await fs.writeFile(path.join(modelsDir, 'tiny-clip.json'), JSON.stringify(manifest));
  const dest = (p: string) => hubFileDest(cacheDir, manifest.hub.repo, manifest.hub.revision, p);
  for (const [p, bytes] of Object.entries(files)) {
    await fs.mkdir(path.dirname(dest(p)), { recursive: true });
    await fs.writeFile(dest(p), bytes);
  }
  const model = await resolveModel('tiny-clip', { modelsDir, cacheDir });
  assert.equal(model.id, 'tiny-clip');
  assert.equal(model.visionModelPath, dest('onnx/vision_model.onnx'));
  assert.equal(model.textModelPath, dest('onnx/text_model_int8.onnx'));
  assert.match(model.fingerprint, /^[0-9a-f]{64}$/);
  assert.equal((await resolveModel('tiny-clip', { modelsDir, cacheDir })).fingerprint, model.fingerprint);

  await fs.writeFile(dest('preprocessor_config.json'), JSON.stringify({ crop_size: 64, do_normalize: true }));
  manifest.files.preprocessorConfig = { path: 'preprocessor_config.json' };
  await fs.writeFile(path.join(modelsDir, 'tiny-clip.json'), JSON.stringify(manifest));
  assert.notEqual((await resolveModel('tiny-clip', { modelsDir, cacheDir })).fingerprint, model.fingerprint);

  await fs.truncate(dest('tokenizer.json'), 10);
  await assert.rejects(resolveModel('tiny-clip', { modelsDir, cacheDir }), (e: ModelNotDownloadedError) => {
    assert.deepEqual(
      e.missing.map((m) => m.path),
      ['tokenizer.json'],
    );
    return true;
  });
});

test('asking for a precision the manifest lacks names the available ones', async () => {
  const cacheDir = await scratch('precision');
  await assert.rejects(resolveModel('mobileclip-blt', { cacheDir, textPrecision: 'fp32', visionPrecision: 'fp16' }), ModelNotDownloadedError);
  const modelsDir = await scratch('precision-models');
  await fs.writeFile(path.join(modelsDir, 'tiny-clip.json'), JSON.stringify(makeManifest(makeFiles())));
  await assert.rejects(resolveModel('tiny-clip', { modelsDir, cacheDir, visionPrecision: 'int8' }), /no int8 vision tower; available: fp32/);
});

test('defaultCacheDir honours the override, then the platform convention', () => {
  assert.equal(defaultCacheDir({ MOBILECLIP_ASSETS_CACHE: '/x/cache' }, 'linux', '/home/u'), '/x/cache');
  assert.equal(defaultCacheDir({ MOBILECLIP_ASSETS_CACHE: '~/c' }, 'linux', '/home/u'), '/home/u/c');
  assert.equal(defaultCacheDir({}, 'linux', '/home/u'), '/home/u/.cache/mobileclip-assets');
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' }, 'linux', '/home/u'), '/xdg/mobileclip-assets');
  assert.equal(defaultCacheDir({}, 'darwin', '/Users/u'), '/Users/u/Library/Caches/mobileclip-assets');
  assert.equal(defaultCacheDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', 'C:\\Users\\u'), path.join('C:\\Users\\u\\AppData\\Local', 'mobileclip-assets'));
  assert.ok(!existsSync('/x/cache'), 'computing the path creates nothing');
});

test('MOBILECLIP_ASSETS_MODELS_DIR adds a private registry whose manifests win over bundled ones', async () => {
  const extra = await scratch('extra-registry');
  await fs.writeFile(path.join(extra, 'private-clip.json'), JSON.stringify(makeManifest(makeFiles(), { id: 'private-clip' })));
  const shadow = { ...makeManifest(makeFiles(), { id: DEFAULT_MODEL_ID }), name: 'Mirror of S0' };
  await fs.writeFile(path.join(extra, `${DEFAULT_MODEL_ID}.json`), JSON.stringify(shadow));
  const previous = process.env.MOBILECLIP_ASSETS_MODELS_DIR;
  process.env.MOBILECLIP_ASSETS_MODELS_DIR = extra;
  try {
    const ids = (await listModels(defaultModelsDir())).map((m) => m.id);
    assert.ok(ids.includes('private-clip') && ids.includes('mobileclip-b'), `both registries listed: ${ids.join(', ')}`);
    assert.equal(ids.filter((id) => id === DEFAULT_MODEL_ID).length, 1, 'an id is listed once');
    assert.equal((await getManifest(DEFAULT_MODEL_ID, defaultModelsDir())).name, 'Mirror of S0');
    assert.equal((await getManifest('private-clip', defaultModelsDir())).id, 'private-clip');
  } finally {
    if (previous === undefined) delete process.env.MOBILECLIP_ASSETS_MODELS_DIR;
    else process.env.MOBILECLIP_ASSETS_MODELS_DIR = previous;
  }
  await assert.rejects(getManifest('private-clip', defaultModelsDir()), /unknown model "private-clip"/);
});
