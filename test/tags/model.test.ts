// Tagging end to end with the colour fixture model: real Engine (worker process), real images
// (solid colours and openclipart PNGs), the real index, the real tags file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { Engine } from '../../src/engine/engine';
import { updateIndex } from '../../src/engine/index/indexer';
import { resolveModel } from '../../src/engine/models/resolve';
import { isItemError } from '../../src/engine/types';
import { AutoTagger, TagEmbeddingCache, TagStore, imagesFromSnapshot, vocabularyFromNames, type TagImageInput } from '../../src/engine/tags';
import { FIXTURE_COLORS, colorModelDir } from '../fixtures/models';
import { writeSolidImage } from '../fixtures/images';
import { tempFolder } from './helpers';
import { CLIPART_DIR as CLIPART } from '../fixtures/paths';

// Clip art: two mostly-red flags, and drawings on white that are neither red, green nor blue.
const RED_FLAGS = ['signs_and_symbols/france_comtat_venaissin.png', 'signs_and_symbols/france_aquitaine.png'];
const PLAIN = ['animals/cani_e_gatti_cat_and_do_01.png', 'animals/cigno_di_spalle_architet_01.png'];

let engine: Engine;
let work: string;
const cache = new TagEmbeddingCache();

before(async () => {
  work = await tempFolder('model');
  engine = await Engine.create(await resolveModel(await colorModelDir(), { cacheDir: path.join(work, 'model-cache') }), {});
});

after(async () => {
  await engine?.dispose();
});

async function indexedFolder(name: string, files: Record<string, readonly [number, number, number] | string>) {
  const root = path.join(work, name);
  for (const [rel, src] of Object.entries(files)) {
    const file = path.join(root, rel);
    if (typeof src === 'string') {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.copyFile(src, file);
    } else await writeSolidImage(file, src, { width: 48, height: 40 });
  }
  const indexDir = path.join(work, `${name}-index`);
  const reindex = async () => {
    const { summary, snapshot } = await updateIndex({ root, indexDir, embedder: engine, thumbnails: false });
    assert.deepEqual(summary.failed, []);
    return imagesFromSnapshot(snapshot, engine.info);
  };
  return { root, reindex, images: await reindex() };
}

test('colour words tag coloured images and clip art; images matching no tag stay untagged', async () => {
  const { root, images } = await indexedFolder('colours', {
    'red.png': FIXTURE_COLORS.red,
    'green.png': FIXTURE_COLORS.green,
    'blue.png': FIXTURE_COLORS.blue,
    'gray.png': FIXTURE_COLORS.gray,
    'yellow.png': FIXTURE_COLORS.yellow,
    'art/flag1.png': path.join(CLIPART, RED_FLAGS[0]!),
    'art/flag2.png': path.join(CLIPART, RED_FLAGS[1]!),
    'art/plain1.png': path.join(CLIPART, PLAIN[0]!),
    'art/plain2.png': path.join(CLIPART, PLAIN[1]!),
  });
  const store = await TagStore.load(root);
  const tagger = await AutoTagger.create({ embedder: engine, vocab: vocabularyFromNames(['red', 'green', 'blue']), store, cache });
  const r = await tagger.tagImages({ images });
  assert.equal(r.tagged, 9);
  assert.deepEqual(r.issues, []);
  const tags = Object.fromEntries(store.paths().map((p) => [p, store.tagsOf(p)]));
  assert.deepEqual(tags, {
    'art/flag1.png': ['red'],
    'art/flag2.png': ['red'],
    'art/plain1.png': [],
    'art/plain2.png': [],
    'blue.png': ['blue'],
    'gray.png': [],
    'green.png': ['green'],
    'red.png': ['red'],
    'yellow.png': [],
  });
  await store.save();
  assert.deepEqual((await TagStore.load(root)).tagsOf('red.png'), ['red']);

  // A {red, green} vocabulary leaves gray and blue untagged instead of picking the least-bad tag.
  const store2 = await TagStore.load(root, { file: path.join(root, 'other-tags.json') });
  const rg = await AutoTagger.create({ embedder: engine, vocab: vocabularyFromNames(['red', 'green']), store: store2, cache });
  await rg.tagImages({ images });
  assert.deepEqual(store2.tagsOf('gray.png'), []);
  assert.deepEqual(store2.tagsOf('blue.png'), []);
  const gray = rg.suggestTags('gray.png');
  assert.ok(
    gray.every((s) => !s.wouldSuggest && s.score! < 0.5),
    JSON.stringify(gray),
  );
});

test('user tags survive re-tagging; a rejected tag is never suggested again; renames keep tags', async () => {
  const { root, images, reindex } = await indexedFolder('decisions', {
    'a.png': FIXTURE_COLORS.red,
    'b.png': FIXTURE_COLORS.blue,
    'c.png': FIXTURE_COLORS.green,
  });
  const store = await TagStore.load(root);
  const tagger = await AutoTagger.create({ embedder: engine, vocab: vocabularyFromNames(['red', 'green', 'blue']), store, cache });
  await tagger.tagImages({ images });
  store.reject('a.png', 'red');
  store.setUserTags('b.png', ['blue', 'sky']);
  store.confirm('c.png', 'red'); // the user disagrees with the model
  await store.save();
  for (const mode of ['all', 'incremental'] as const) await tagger.tagImages({ images, mode });
  assert.deepEqual(store.tagsOf('a.png'), []);
  assert.equal(store.get('a.png')!.tags.red!.state, 'rejected');
  assert.deepEqual(store.tagsOf('b.png'), ['blue', 'sky']);
  assert.deepEqual(store.tagsOf('c.png'), ['red', 'green']);

  // Rename a file on disk; the index reuses its embedding and the tagger moves its tags.
  await fs.rename(path.join(root, 'b.png'), path.join(root, 'renamed-b.png'));
  const r = await tagger.tagImages({ images: await reindex() });
  assert.deepEqual(r.renamed, [{ from: 'b.png', to: 'renamed-b.png' }]);
  assert.deepEqual(store.tagsOf('renamed-b.png'), ['blue', 'sky']);
  assert.equal(store.get('b.png'), undefined);
  await store.save();
  const reloaded = await TagStore.load(root);
  assert.deepEqual(reloaded.tagsOf('renamed-b.png'), ['blue', 'sky']);
  assert.equal(reloaded.get('a.png')!.tags.red!.state, 'rejected');
});

test('few-shot: confirmations flip a borderline reddish image on, rejections flip one off', async () => {
  const root = path.join(work, 'fewshot');
  const store = await TagStore.load(root);
  const vocab = vocabularyFromNames(['red']);
  const tagger = await AutoTagger.create({ embedder: engine, vocab, store, cache });
  // Gray images with the first `k` pixels red, at the model's input size so nothing is resampled:
  // the mean colour (all the fixture model sees) moves in steps fine enough to sit right on the
  // zero-shot decision boundary, which 8-bit solid colours cannot.
  const side = engine.info.imageSize;
  const pixels = side * side;
  let n = 0;
  const embed = async (k: number): Promise<TagImageInput> => {
    const raw = Buffer.alloc(pixels * 3);
    for (let p = 0; p < pixels; p++) raw.set(p < k ? FIXTURE_COLORS.red : FIXTURE_COLORS.gray, p * 3);
    const file = path.join(root, `mix-${n++}.png`);
    await fs.mkdir(root, { recursive: true });
    await sharp(raw, { raw: { width: side, height: side, channels: 3 } })
      .png()
      .toFile(file);
    const [res] = await engine.embedImages([file]);
    assert.ok(res && !isItemError(res), JSON.stringify(res));
    return { path: path.relative(root, file), sha256: res.sha256, embedding: res.embedding };
  };
  const zeroShot = (img: TagImageInput) => {
    tagger.setImages([img]);
    return tagger.suggestTags(img.path)[0]!;
  };
  // Bisect the number of red pixels for the zero-shot decision boundary of "red".
  let lo = 0,
    hi = pixels;
  assert.equal(zeroShot(await embed(lo)).wouldSuggest, false);
  assert.equal(zeroShot(await embed(hi)).wouldSuggest, true);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zeroShot(await embed(mid)).wouldSuggest) hi = mid;
    else lo = mid;
  }
  const step = Math.round(pixels * 0.01);
  const query = await embed(lo);
  const query2 = await embed(hi);
  const positives = await Promise.all([lo - 2 * step, lo - 4 * step].map(embed));
  const negatives = await Promise.all([hi + 2 * step, hi + 4 * step].map(embed));
  const images = [query, query2, ...positives, ...negatives];
  await tagger.tagImages({ images, mode: 'all' });
  assert.deepEqual(store.tagsOf(query.path), [], 'zero-shot: just below the boundary');
  assert.deepEqual(store.tagsOf(query2.path), ['red'], 'zero-shot: just above the boundary');
  assert.deepEqual(
    positives.map((p) => store.tagsOf(p.path)),
    [[], []],
    'the model misses these too',
  );
  assert.deepEqual(
    negatives.map((p) => store.tagsOf(p.path)),
    [['red'], ['red']],
    'and tags these',
  );

  // The user confirms "red" on two slightly less red images: the borderline one follows them.
  for (const p of positives) store.confirm(p.path, 'red');
  await tagger.tagImages({ mode: 'all' });
  assert.deepEqual(store.tagsOf(query.path), ['red'], 'similar confirmed images pull it over');
  assert.deepEqual(store.tagsOf(query2.path), ['red']);

  // Instead, the user removes "red" from two slightly redder images: the borderline one above follows.
  for (const p of positives) store.clearDecision(p.path, 'red');
  for (const p of negatives) store.reject(p.path, 'red');
  await tagger.tagImages({ mode: 'all' });
  assert.deepEqual(store.tagsOf(query2.path), [], 'similar rejected images push it under');
  assert.deepEqual(store.tagsOf(query.path), []);
});

test('a tag the model cannot tell from "an image" gets no score (not a constant 0.50) and is never suggested', async () => {
  const { root, images } = await indexedFolder('blind', { 'red.png': FIXTURE_COLORS.red, 'blue.png': FIXTURE_COLORS.blue });
  const store = await TagStore.load(root);
  // The fixture's text tower knows colour words only: "icon" embeds like its background prompts.
  const tagger = await AutoTagger.create({ embedder: engine, vocab: vocabularyFromNames(['red', 'icon'], { threshold: 0.5 }), store, cache });
  assert.equal(tagger.prepared.issues.length, 1);
  assert.match(tagger.prepared.issues[0]!, /^tag icon: the model cannot tell its prompts from a plain "an image", so it is never suggested/);
  await tagger.tagImages({ images, mode: 'all' });
  assert.deepEqual(store.tagsOf('red.png'), ['red'], 'a threshold of 0.50 does not let the blind tag through');
  assert.deepEqual(store.tagsOf('blue.png'), []);
  const suggestions = tagger.suggestTags('blue.png');
  assert.equal(suggestions.find((s) => s.tag === 'icon')!.score, undefined, 'no score rather than 0.50');
  assert.equal(typeof suggestions.find((s) => s.tag === 'red')!.score, 'number');
});
