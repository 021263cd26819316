// The captions file: format, incremental keys, user edits, search, untrusted paths, settings.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import {
  addUserCaption,
  captionsByPath,
  captionsFileFor,
  captionsFor,
  editCaption,
  emptyCaptionStore,
  loadCaptionStore,
  needsCaptions,
  relativeCaptionPath,
  removeCaption,
  saveCaptionStore,
  searchCaptions,
  setGeneratedCaptions,
  absoluteCaptionPath,
} from '../../src/engine/captions/store';
import { imageSeed, resolveCaptionSettings, runKey, SAMPLER_VERSION, type CaptionRun } from '../../src/engine/captions/settings';
import { addDistinct, normalizeCaption } from '../../src/engine/captions/text';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});
async function tempRoot(): Promise<string> {
  const base = path.resolve(__dirname, '../../.cache/test-captions');
  await fs.mkdir(base, { recursive: true });
  const d = await fs.mkdtemp(path.join(base, 'store-'));
  dirs.push(d);
  return d;
}

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

function makeRun(overrides: Partial<CaptionRun> = {}): CaptionRun {
  return {
    model: 'captioner-test',
    modelFingerprint: 'f'.repeat(64),
    dtype: { encoder_model: 'fp32', decoder_model_merged: 'q8' },
    settings: resolveCaptionSettings(),
    samplerVersion: SAMPLER_VERSION,
    ...overrides,
  };
}

test('normalizeCaption ignores case, punctuation and spacing; addDistinct drops such duplicates', () => {
  assert.equal(normalizeCaption('  A  Red, circle! '), 'a red circle');
  assert.equal(normalizeCaption('A red circle.'), normalizeCaption('a red   circle'));
  const kept = ['A red circle.'];
  const added = addDistinct(kept, ['a red circle', 'A RED CIRCLE!!', '', '   ', 'a blue circle', 'a Blue circle.'], 10);
  assert.equal(added, 1);
  assert.deepEqual(kept, ['A red circle.', 'a blue circle']);
  assert.deepEqual(addDistinct([], ['x one', 'x two', 'x three'], 2), 2);
});

test('settings are validated with the setting named; run keys change with every setting', () => {
  assert.deepEqual(resolveCaptionSettings(), { count: 5, seed: 0, topK: 20, temperature: 1, maxNewTokens: 32 });
  assert.throws(() => resolveCaptionSettings({ count: 0 }), /count/);
  assert.throws(() => resolveCaptionSettings({ count: 2.5 }), /count/);
  assert.throws(() => resolveCaptionSettings({ temperature: 0 }), /temperature/);
  assert.throws(() => resolveCaptionSettings({ seed: -1 }), /seed/);
  assert.throws(() => resolveCaptionSettings({ topK: -3 }), /topK/);
  const base = runKey(makeRun());
  assert.equal(runKey(makeRun()), base, 'stable');
  assert.match(base, /^[0-9a-f]{16}$/);
  const variants = [
    makeRun({ model: 'other' }),
    makeRun({ modelFingerprint: '0'.repeat(64) }),
    makeRun({ dtype: { encoder_model: 'fp32', decoder_model_merged: 'fp32' } }),
    makeRun({ settings: resolveCaptionSettings({ seed: 1 }) }),
    makeRun({ settings: resolveCaptionSettings({ count: 4 }) }),
    makeRun({ settings: resolveCaptionSettings({ topK: 5 }) }),
    makeRun({ settings: resolveCaptionSettings({ temperature: 0.7 }) }),
    makeRun({ settings: resolveCaptionSettings({ maxNewTokens: 10 }) }),
    makeRun({ samplerVersion: SAMPLER_VERSION + 1 }),
  ];
  assert.equal(new Set([base, ...variants.map(runKey)]).size, variants.length + 1);
  assert.equal(imageSeed(0, SHA_A, 0), imageSeed(0, SHA_A, 0));
  assert.equal(new Set([imageSeed(0, SHA_A, 0), imageSeed(1, SHA_A, 0), imageSeed(0, SHA_B, 0), imageSeed(0, SHA_A, 1)]).size, 4);
  assert.ok(Number.isSafeInteger(imageSeed(7, SHA_B, 3)));
});

test('the file lives in <folder>/.mobileclip/, round-trips, sorts keys and records model, seed and settings', async () => {
  const root = await tempRoot();
  const store = emptyCaptionStore(root);
  const run = makeRun();
  const key = runKey(run);
  setGeneratedCaptions(store, 'z/last.png', SHA_B, run, key, ['a blue square', 'a blue icon']);
  setGeneratedCaptions(store, 'a/first.png', SHA_A, run, key, ['a red circle', 'A red circle.', 'a red shape']);
  await saveCaptionStore(store);
  const file = captionsFileFor(root);
  assert.equal(file, path.join(root, '.mobileclip', 'captions.json'));
  const text = await fs.readFile(file, 'utf8');
  const json = JSON.parse(text);
  assert.deepEqual(Object.keys(json), ['format', 'images', 'runs', 'version']);
  assert.deepEqual(Object.keys(json.images), ['a/first.png', 'z/last.png']);
  assert.deepEqual(json.images['a/first.png'].generated, ['a red circle', 'a red shape'], 'duplicates are not stored');
  assert.deepEqual(json.runs[key].settings, run.settings);
  assert.equal(json.runs[key].model, 'captioner-test');
  assert.equal(json.runs[key].settings.seed, 0);

  const again = await loadCaptionStore(root);
  assert.deepEqual(again.problems, []);
  assert.deepEqual(captionsFor(again, 'z/last.png'), ['a blue square', 'a blue icon']);
  await saveCaptionStore(again);
  assert.equal(await fs.readFile(file, 'utf8'), text, 'saving an unchanged store writes identical bytes');
});

test('needsCaptions: up to date only for the same bytes and the same run', async () => {
  const store = emptyCaptionStore(await tempRoot());
  const run = makeRun();
  const key = runKey(run);
  assert.equal(needsCaptions(store, 'x.png', SHA_A, key), true);
  setGeneratedCaptions(store, 'x.png', SHA_A, run, key, ['a caption']);
  assert.equal(needsCaptions(store, 'x.png', SHA_A, key), false);
  assert.equal(needsCaptions(store, 'x.png', SHA_B, key), true, 'image changed');
  assert.equal(needsCaptions(store, 'x.png', SHA_A, runKey(makeRun({ settings: resolveCaptionSettings({ seed: 9 }) }))), true, 'settings changed');
});

test("user captions and edits survive re-captioning; editing a generated caption marks it as the user's", async () => {
  const root = await tempRoot();
  const store = emptyCaptionStore(root);
  const run1 = makeRun();
  setGeneratedCaptions(store, 'cat.png', SHA_A, run1, runKey(run1), ['a cat on a sofa', 'a grey cat', 'a cat sleeping']);
  addUserCaption(store, 'cat.png', 'My cat Tom');
  editCaption(store, 'cat.png', 'a grey cat', 'a grey tabby cat');
  removeCaption(store, 'cat.png', 'a cat sleeping');
  assert.deepEqual(store.images.get('cat.png'), {
    sha256: SHA_A,
    run: runKey(run1),
    generated: ['a cat on a sofa'],
    user: ['My cat Tom', 'a grey tabby cat'],
  });
  assert.throws(() => editCaption(store, 'cat.png', 'no such caption', 'x'), /no caption/);
  assert.throws(() => editCaption(store, 'cat.png', 'My cat Tom', '   '), /empty/);

  const run2 = makeRun({ settings: resolveCaptionSettings({ seed: 5 }) });
  setGeneratedCaptions(store, 'cat.png', SHA_B, run2, runKey(run2), ['a kitten', 'a grey tabby cat']);
  assert.deepEqual(store.images.get('cat.png')!.user, ['My cat Tom', 'a grey tabby cat'], 'user captions untouched');
  assert.deepEqual(store.images.get('cat.png')!.generated, ['a kitten', 'a grey tabby cat']);
  assert.deepEqual(captionsFor(store, 'cat.png'), ['My cat Tom', 'a grey tabby cat', 'a kitten'], 'user first, no duplicates');

  await saveCaptionStore(store);
  const json = JSON.parse(await fs.readFile(captionsFileFor(root), 'utf8'));
  assert.deepEqual(Object.keys(json.runs), [runKey(run2)], 'runs no image uses are dropped');
  assert.deepEqual(json.images['cat.png'].user, ['My cat Tom', 'a grey tabby cat']);
});

test('searchCaptions: phrase matches rank above word matches; captionsByPath feeds the gallery', () => {
  const store = emptyCaptionStore(os.tmpdir());
  const run = makeRun();
  const key = runKey(run);
  setGeneratedCaptions(store, 'dog.png', SHA_A, run, key, ['a brown dog running on grass', 'a dog outside']);
  setGeneratedCaptions(store, 'park.png', SHA_B, run, key, ['children in a park', 'a dog and a ball']);
  setGeneratedCaptions(store, 'cup.png', SHA_B, run, key, ['a red cup']);
  addUserCaption(store, 'note.png', 'Brown paper note');

  const hits = searchCaptions(store, 'Brown dog!');
  assert.deepEqual(
    hits.map((h) => h.path),
    ['dog.png', 'note.png', 'park.png'],
  );
  assert.equal(hits[0]!.score, 2);
  assert.deepEqual(hits[0]!.captions, ['a brown dog running on grass', 'a dog outside']);
  assert.equal(hits[1]!.score, 0.5);
  assert.deepEqual(
    searchCaptions(store, 'red cup').map((h) => h.path),
    ['cup.png'],
  );
  assert.deepEqual(searchCaptions(store, 'zebra'), []);
  assert.deepEqual(searchCaptions(store, '  ?! '), []);

  const byPath = captionsByPath(store);
  assert.deepEqual([...byPath.keys()], ['cup.png', 'dog.png', 'note.png', 'park.png']);
  assert.deepEqual(byPath.get('note.png'), ['Brown paper note']);
});

test('paths read from the file are not trusted; corrupt or foreign files are refused, not overwritten', async () => {
  const root = await tempRoot();
  const file = captionsFileFor(root);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const sha = SHA_A;
  await fs.writeFile(
    file,
    JSON.stringify({
      format: 'mobileclip-assets/captions',
      version: 1,
      runs: {},
      images: {
        '../outside.png': { user: ['escape'] },
        '/etc/passwd': { user: ['absolute'] },
        'a/../../b.png': { user: ['sneaky'] },
        'sub\\win.png': { user: ['backslash'] },
        'ok/fine.png': { sha256: sha, run: 'missing-run', generated: ['kept', 3, ''], user: ['mine'] },
      },
    }),
  );
  const store = await loadCaptionStore(root);
  assert.deepEqual([...store.images.keys()], ['ok/fine.png']);
  assert.equal(store.problems.filter((p) => /outside the folder/.test(p)).length, 4);
  const entry = store.images.get('ok/fine.png')!;
  assert.equal(entry.run, undefined, 'a run the file does not describe is not trusted');
  assert.deepEqual(entry.generated, ['kept']);
  assert.equal(absoluteCaptionPath(store, 'ok/fine.png'), path.join(root, 'ok', 'fine.png'));
  assert.throws(() => absoluteCaptionPath(store, '../x.png'), /outside/);
  assert.throws(() => addUserCaption(store, '../x.png', 'nope'), /outside/);
  assert.throws(() => relativeCaptionPath(root, path.join(root, '..', 'elsewhere.png')));
  assert.equal(relativeCaptionPath(root, path.join(root, 'd', 'e.png')), 'd/e.png');

  await fs.writeFile(file, '{"format": "mobileclip-assets/captions", "images": {');
  await assert.rejects(loadCaptionStore(root), /not valid JSON/);
  await fs.writeFile(file, JSON.stringify({ hello: 'world' }));
  await assert.rejects(loadCaptionStore(root), /not a captions file/);
  await fs.writeFile(file, JSON.stringify({ format: 'mobileclip-assets/captions', version: 99, images: {} }));
  await assert.rejects(loadCaptionStore(root), /version 99/);
});
