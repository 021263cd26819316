// Tagging end to end with the colour fixture model: real Engine (worker process), real images
// (solid colours and openclipart PNGs), the real index, the real tags file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { updateIndex } from '../../src/engine/index/indexer';
import { resolveModel } from '../../src/engine/models/resolve';
import { isItemError } from '../../src/engine/types';
import {
  AutoTagger, TagEmbeddingCache, TagStore, imagesFromSnapshot, vocabularyFromNames, type TagImageInput,
} from '../../src/engine/tags';
import { FIXTURE_COLORS, colorModelDir } from '../fixtures/models';
import { writeSolidImage } from '../fixtures/images';
import { tempFolder } from './helpers';

const CLIPART = '/work/shared/data/images/openclipart';
// Clip art whose pixels are mostly one colour (checked by eye): a red flag, a green camera icon,
// and drawings on white that are neither red, green nor blue.
const RED_FLAG = 'signs_and_symbols/france_comtat_venaissin.png';
const GREEN_ICON = 'electronics/camera_icon_stuart_moore_01.png';
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
    'red.png': FIXTURE_COLORS.red, 'green.png': FIXTURE_COLORS.green, 'blue.png': FIXTURE_COLORS.blue,
    'gray.png': FIXTURE_COLORS.gray, 'yellow.png': FIXTURE_COLORS.yellow,
    'art/flag.png': path.join(CLIPART, RED_FLAG), 'art/camera.png': path.join(CLIPART, GREEN_ICON),
    'art/plain1.png': path.join(CLIPART, PLAIN[0]!), 'art/plain2.png': path.join(CLIPART, PLAIN[1]!),
  });
  const store = await TagStore.load(root);
  const tagger = await AutoTagger.create({ embedder: engine, vocab: vocabularyFromNames(['red', 'green', 'blue']), store, cache });
  const r = await tagger.tagImages({ images });
  assert.equal(r.tagged, 9);
  assert.deepEqual(r.issues, []);
  const tags = Object.fromEntries(store.paths().map((p) => [p, store.tagsOf(p)]));
  assert.deepEqual(tags, {
    'art/camera.png': ['green'], 'art/flag.png': ['red'], 'art/plain1.png': [], 'art/plain2.png': [],
    'blue.png': ['blue'], 'gray.png': [], 'green.png': ['green'], 'red.png': ['red'], 'yellow.png': [],
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
  assert.ok(gray.every((s) => !s.wouldSuggest && s.score! < 0.5), JSON.stringify(gray));
});

test('user tags survive re-tagging; a rejected tag is never suggested again; renames keep tags', async () => {
  const { root, images, reindex } = await indexedFolder('decisions', {
    'a.png': FIXTURE_COLORS.red, 'b.png': FIXTURE_COLORS.blue, 'c.png': FIXTURE_COLORS.green,
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
  const gray = FIXTURE_COLORS.gray, red = FIXTURE_COLORS.red;
  const mix = (t: number) => gray.map((g, i) => Math.round(g + t * (red[i]! - g))) as unknown as readonly [number, number, number];
  let n = 0;
  const embed = async (t: number): Promise<TagImageInput> => {
    const file = await writeSolidImage(path.join(root, `mix-${n++}.png`), mix(t), { width: 32, height: 32 });
    const [res] = await engine.embedImages([file]);
    assert.ok(res && !isItemError(res), JSON.stringify(res));
    return { path: path.relative(root, file), sha256: res.sha256, embedding: res.embedding };
  };
  const zeroShot = (img: TagImageInput) => {
    tagger.setImages([img]);
    return tagger.suggestTags(img.path)[0]!;
  };
  // Bisect the gray→red line for the zero-shot decision boundary of "red".
  let lo = 0, hi = 1;
  assert.equal(zeroShot(await embed(lo)).wouldSuggest, false);
  assert.equal(zeroShot(await embed(hi)).wouldSuggest, true);
  for (let i = 0; i < 12; i++) {
    const mid = (lo + hi) / 2;
    if (zeroShot(await embed(mid)).wouldSuggest) hi = mid; else lo = mid;
  }
  const query = await embed(lo);
  const query2 = await embed(hi);
  const positives = await Promise.all([lo - 0.03, lo - 0.05].map(embed));
  const negatives = await Promise.all([hi + 0.03, hi + 0.05].map(embed));
  const images = [query, query2, ...positives, ...negatives];
  await tagger.tagImages({ images, mode: 'all' });
  assert.deepEqual(store.tagsOf(query.path), [], 'zero-shot: just below the boundary');
  assert.deepEqual(store.tagsOf(query2.path), ['red'], 'zero-shot: just above the boundary');
  assert.deepEqual(positives.map((p) => store.tagsOf(p.path)), [[], []]);

  for (const p of positives) store.confirm(p.path, 'red');
  for (const p of negatives) store.reject(p.path, 'red');
  await tagger.tagImages({ mode: 'all' });
  assert.deepEqual(store.tagsOf(query.path), ['red'], 'similar confirmed images pull it over');
  assert.deepEqual(store.tagsOf(query2.path), [], 'similar rejected images push it under');
});
