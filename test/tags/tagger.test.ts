// The tagger against a fake concept embedder (synthetic vectors): the logic, independent of a model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { IndexEntry, IndexSnapshot } from '../../src/engine/index/format';
import { VectorTable, type VectorDType } from '../../src/engine/search/vectors';
import {
  AutoTagger,
  GENERIC_NULL_PROMPTS,
  TagEmbeddingCache,
  TagStore,
  buildVocabulary,
  imagesFromSnapshot,
  tagImages,
  vocabularyFromNames,
  withOverrides,
  type TagImageInput,
} from '../../src/engine/tags';
import { ConceptEmbedder, SHA, tempFolder } from './helpers';

const embedder = new ConceptEmbedder(['red', 'green', 'blue', 'cat']);
const img = (p: string, weights: Record<string, number>, sha: number, generic = 0.25): TagImageInput => ({
  path: p,
  sha256: SHA(sha),
  embedding: embedder.image(weights, generic),
});

async function setup(names = ['red', 'green', 'blue']) {
  const store = await TagStore.load(await tempFolder('tagger'));
  const vocab = vocabularyFromNames(names);
  return { store, vocab, cache: new TagEmbeddingCache() };
}

test('zero-shot: matching images get their tag, an image matching nothing gets none', async () => {
  const { store, vocab, cache } = await setup(['red', 'green']);
  const images = [img('red.png', { red: 1 }, 1), img('green.png', { green: 1 }, 2), img('gray.png', {}, 3, 1), img('blue.png', { blue: 1 }, 4)];
  const r = await tagImages({ embedder, vocab, store, cache, images });
  assert.equal(r.tagged, 4);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(store.tagsOf('red.png'), ['red']);
  assert.deepEqual(store.tagsOf('green.png'), ['green']);
  assert.deepEqual(store.tagsOf('gray.png'), [], 'gray matches neither red nor green');
  assert.deepEqual(store.tagsOf('blue.png'), [], 'blue is not in the vocabulary: no least-bad tag');
  const red = store.get('red.png')!;
  assert.ok(red.tags.red!.score! > 0.9);
  assert.equal(red.sha256, SHA(1));
});

test('incremental runs tag only new, changed or re-vocabularied images; "all" re-tags everything', async () => {
  const { store, vocab, cache } = await setup();
  const images = [img('a.png', { red: 1 }, 1), img('b.png', { blue: 1 }, 2)];
  const tagger = await AutoTagger.create({ embedder, vocab, store, cache });
  assert.equal((await tagger.tagImages({ images })).tagged, 2);
  assert.equal((await tagger.tagImages({ images })).tagged, 0, 'nothing changed');
  const changed = [img('a.png', { green: 1 }, 11), images[1]!, img('c.png', { red: 1 }, 3)];
  const progress: number[] = [];
  const r = await tagger.tagImages({ images: changed, onProgress: (p) => progress.push(p.done) });
  assert.equal(r.tagged, 2, 'the changed file and the new one');
  assert.deepEqual(store.tagsOf('a.png'), ['green']);
  assert.equal(progress.at(-1), 2);
  assert.equal((await tagger.tagImages({ images: changed, mode: 'all' })).tagged, 3);
  // A different vocabulary (or model) invalidates every entry.
  const other = await AutoTagger.create({ embedder, vocab: vocabularyFromNames(['red', 'green', 'blue', 'cat']), store, cache });
  assert.notEqual(other.signature, tagger.signature);
  assert.equal((await other.tagImages({ images: changed })).tagged, 3);
});

test('user tags survive re-tagging and a rejected tag is never suggested again', async () => {
  const { store, vocab, cache } = await setup();
  const images = [img('a.png', { red: 1, blue: 0.9 }, 1)];
  await tagImages({ embedder, vocab, store, cache, images });
  assert.deepEqual(store.tagsOf('a.png').sort(), ['blue', 'red']);
  store.reject('a.png', 'red');
  store.confirm('a.png', 'hand-made');
  store.confirm('a.png', 'green'); // the user knows better than the model
  for (let i = 0; i < 2; i++) await tagImages({ embedder, vocab, store, cache, images, mode: 'all' });
  const e = store.get('a.png')!;
  assert.equal(e.tags.red!.state, 'rejected');
  assert.ok(e.tags.red!.score! > 0.9, 'still scores high, still not suggested');
  assert.deepEqual(store.tagsOf('a.png'), ['green', 'hand-made', 'blue']);
  // Even a changed file keeps its user decisions.
  await tagImages({ embedder, vocab, store, cache, images: [img('a.png', { red: 1 }, 99)] });
  assert.equal(store.get('a.png')!.tags.red!.state, 'rejected');
  assert.deepEqual(store.tagsOf('a.png'), ['green', 'hand-made']);
});

test('few-shot: confirmations on similar images flip a borderline suggestion on; rejections flip one off', async () => {
  const { store, vocab, cache } = await setup(['cat']);
  // Two look-alike clusters (a "green" style and a "blue" style) with a little "cat" in them.
  // Find the zero-shot borderline weight on a grid, then put one cluster just below and the other
  // just above it.
  const tagger = await AutoTagger.create({ embedder, vocab, store, cache });
  const scoreAt = (w: number) => {
    tagger.setImages([img('probe.png', { cat: w, green: 0.3 }, 500)]);
    return tagger.suggestTags('probe.png').find((s) => s.tag === 'cat')!.score!;
  };
  let w = 0;
  while (scoreAt(w) < vocab.threshold) w += 0.005;
  const below = w - 0.01,
    above = w + 0.01;
  const family = (style: 'green' | 'blue', center: number, prefix: string, sha: number) =>
    [0, 1, 2].map((k) => img(`${prefix}${k}.png`, { cat: center + (k - 1) * 0.01, [style]: 0.3, red: 0.03 * k }, sha + k));
  const query = img('query.png', { cat: below, green: 0.3 }, 1);
  const query2 = img('query2.png', { cat: above, blue: 0.3 }, 2);
  const positives = family('green', below, 'pos', 10);
  const negatives = family('blue', above, 'neg', 20);
  const images = [query, query2, ...positives, ...negatives];
  await tagger.tagImages({ images });
  assert.deepEqual(store.tagsOf('query.png'), [], 'zero-shot misses the borderline image');
  assert.deepEqual(store.tagsOf('query2.png'), ['cat'], 'zero-shot (barely) tags the other one');
  const before = tagger.suggestTags('query.png')[0]!;
  const before2 = tagger.suggestTags('query2.png')[0]!;
  assert.equal(before.wouldSuggest, false);
  assert.equal(before2.wouldSuggest, true);

  for (const l of positives) store.confirm(l.path, 'cat');
  for (const l of negatives) store.reject(l.path, 'cat');
  const after = tagger.suggestTags('query.png')[0]!;
  const after2 = tagger.suggestTags('query2.png')[0]!;
  assert.ok(after.score! > before.score!, `${before.score} -> ${after.score}`);
  assert.ok(after2.score! < before2.score!, `${before2.score} -> ${after2.score}`);
  assert.equal(after.wouldSuggest, true);
  assert.equal(after2.wouldSuggest, false);
  await tagger.tagImages({ mode: 'all' });
  assert.deepEqual(store.tagsOf('query.png'), ['cat']);
  assert.deepEqual(store.tagsOf('query2.png'), []);

  // Without few-shot the same decisions change nothing.
  const plain = await AutoTagger.create({ embedder, vocab, store, cache, fewShot: { enabled: false } });
  plain.setImages(images);
  assert.equal(plain.suggestTags('query.png')[0]!.score, before.score);
});

test('a renamed file keeps its tags, found by content hash', async () => {
  const { store, vocab, cache } = await setup();
  await tagImages({ embedder, vocab, store, cache, images: [img('old.png', { red: 1 }, 7)] });
  store.confirm('old.png', 'favourite');
  store.reject('old.png', 'red');
  const r = await tagImages({ embedder, vocab, store, cache, images: [img('moved/new.png', { red: 1 }, 7)] });
  assert.deepEqual(r.renamed, [{ from: 'old.png', to: 'moved/new.png' }]);
  assert.equal(r.tagged, 0, 'same content, same vocabulary: no re-tagging needed');
  assert.deepEqual(store.paths(), ['moved/new.png']);
  assert.deepEqual(store.tagsOf('moved/new.png'), ['favourite']);
  assert.equal(store.get('moved/new.png')!.tags.red!.state, 'rejected');
});

test('suggestTags lists every tag with score and state, user decisions first', async () => {
  const { store, vocab, cache } = await setup();
  const tagger = await AutoTagger.create({ embedder, vocab, store, cache });
  await tagger.tagImages({ images: [img('a.png', { red: 1, green: 0.95 }, 1)] });
  store.reject('a.png', 'green');
  store.confirm('a.png', 'mine');
  const s = tagger.suggestTags('a.png');
  assert.deepEqual(
    s.map((x) => [x.tag, x.state]),
    [
      ['mine', 'confirmed'],
      ['red', 'suggested'],
      ['blue', 'none'],
      ['green', 'rejected'],
    ],
  );
  assert.equal(s.find((x) => x.tag === 'green')!.wouldSuggest, false, 'rejected: never suggested');
  assert.equal(s.find((x) => x.tag === 'mine')!.inVocabulary, false);
  assert.ok(s.find((x) => x.tag === 'red')!.score! > s.find((x) => x.tag === 'blue')!.score!);
  // An image that is not indexed: the recorded tags, no live scores.
  store.confirm('unindexed.png', 'red');
  assert.deepEqual(
    tagger.suggestTags('unindexed.png').map((x) => [x.tag, x.state, x.wouldSuggest]),
    [
      ['red', 'confirmed', false],
      ['blue', 'none', false],
      ['green', 'none', false],
    ],
  );
});

test('bad inputs give per-image errors and never stop the run', async () => {
  const { store, vocab, cache } = await setup();
  const good = img('good.png', { red: 1 }, 1);
  const r = await tagImages({
    embedder,
    vocab,
    store,
    cache,
    images: [
      good,
      { path: 'short.png', sha256: SHA(2), embedding: new Float32Array(3) },
      { path: 'zero.png', sha256: SHA(3), embedding: new Float32Array(embedder.dim) },
      { path: '../escape.png', sha256: SHA(4), embedding: good.embedding },
      { ...good },
      { path: 'nosha.png', sha256: 'abc', embedding: good.embedding },
    ],
  });
  assert.equal(r.tagged, 1);
  assert.deepEqual(
    r.errors.map((e) => e.input),
    ['short.png', 'zero.png', '../escape.png', 'good.png', 'nosha.png'],
  );
  assert.match(r.errors[0]!.error, /dimension is 5/);
  assert.match(r.errors[3]!.error, /more than once/);
  assert.deepEqual(store.paths(), ['good.png']);
});

test('cancellation stops between chunks and reports it', async () => {
  const { store, vocab, cache } = await setup();
  const images = Array.from({ length: 3000 }, (_, i) => img(`i${i}.png`, { red: (i % 7) / 7 }, i + 1));
  const ac = new AbortController();
  const r = await tagImages({
    embedder,
    vocab,
    store,
    cache,
    images,
    signal: ac.signal,
    onProgress: (p) => {
      if (p.done > 0) ac.abort();
    },
  });
  assert.equal(r.cancelled, true);
  assert.ok(r.tagged > 0 && r.tagged < 3000, `${r.tagged}`);
  assert.equal(store.size, r.tagged);
});

test('tag prompt embeddings are cached per model fingerprint, in memory and on disk', async () => {
  const file = path.join(await tempFolder('cache'), 'tag-embeddings.json');
  const store = await TagStore.load(await tempFolder('tagger'));
  const vocab = vocabularyFromNames(['red', 'green']);
  const e1 = new ConceptEmbedder(['red', 'green'], 'fp-A');
  const cache = new TagEmbeddingCache(file);
  await AutoTagger.create({ embedder: e1, vocab, store, cache });
  const first = e1.textsEmbedded;
  assert.ok(first > 0);
  await AutoTagger.create({ embedder: e1, vocab, store, cache });
  assert.equal(e1.textsEmbedded, first, 'same model: nothing embedded again');
  await cache.save();
  const fresh = new ConceptEmbedder(['red', 'green'], 'fp-A');
  const a = await AutoTagger.create({ embedder: fresh, vocab, store, cache: new TagEmbeddingCache(file) });
  assert.equal(fresh.textsEmbedded, 0, 'loaded from disk');
  const other = new ConceptEmbedder(['red', 'green'], 'fp-B');
  const b = await AutoTagger.create({ embedder: other, vocab, store, cache: new TagEmbeddingCache(file) });
  assert.equal(other.textsEmbedded, first, 'another model never sees these vectors');
  assert.notEqual(a.signature, b.signature);
  // Adding one tag embeds only its prompts.
  await AutoTagger.create({
    embedder: e1,
    vocab: buildVocabulary([{ source: 't', value: { defaults: false, tags: { red: {}, green: {}, extra: ['a red green thing.'] } } }]),
    store,
    cache,
  });
  assert.equal(e1.textsEmbedded, first + 1 + GENERIC_NULL_PROMPTS.length, 'its prompt and the verbatim-prompt background');
});

test('threshold and topK overrides apply to every tag', async () => {
  const { store, vocab, cache } = await setup();
  const strict = vocabularyFromNames(['red', 'green', 'blue'], { threshold: 0.6 });
  strict.tags[2]!.threshold = 0.99; // a per-tag threshold on blue that the override must replace
  const image = img('a.png', { red: 1, green: 0.5, blue: 0.22 }, 1); // blue: a weak match
  const tagWith = async (v: typeof vocab) => {
    const s = await TagStore.load(await tempFolder('tagger'));
    await tagImages({ embedder, vocab: v, store: s, cache, images: [image] });
    return s.tagsOf('a.png').sort();
  };
  assert.deepEqual(await tagWith(vocab), ['blue', 'green', 'red']);
  assert.deepEqual(await tagWith(withOverrides(vocab, { topK: 2 })), ['green', 'red'], 'the two best');
  const scores = await AutoTagger.create({ embedder, vocab, store, cache });
  scores.setImages([image]);
  const blue = scores.suggestTags('a.png').find((x) => x.tag === 'blue')!.score!;
  assert.ok(blue < 0.999, `blue is the weakest match: ${blue}`);
  assert.deepEqual(await tagWith(withOverrides(vocab, { threshold: blue + 0.0005 })), ['green', 'red']);
  assert.deepEqual(await tagWith(strict), ['green', 'red'], 'per-tag threshold 0.99 drops blue');
  assert.deepEqual(await tagWith(withOverrides(strict, { threshold: 0.5 })), ['blue', 'green', 'red'], 'the override replaces it');
});

/** A snapshot over `vectors` (row i = image i, a path and hash each) for the index-backed tests. */
function snapshotOf(vectors: VectorTable, model = embedder.info): IndexSnapshot {
  const entries: IndexEntry[] = Array.from({ length: vectors.rows }, (_, i) => ({
    path: `img-${String(i).padStart(6, '0')}.png`,
    sha256: SHA(i + 1),
    size: 1,
    mtimeMs: 1,
    row: i,
    width: 1,
    height: 1,
  }));
  return { model, preprocessing: {}, dim: vectors.dim, vectors, entries };
}

for (const dtype of ['float32', 'float16', 'int8'] as VectorDType[]) {
  test(`images straight from a ${dtype} index are scored exactly like their decoded embeddings`, async () => {
    const { vocab, cache } = await setup();
    const weights: Record<string, number>[] = [{ red: 1 }, { green: 1, blue: 0.3 }, { blue: 0.8, red: 0.2 }, {}];
    const table = VectorTable.fromFloat32(Float32Array.from(weights.flatMap((w) => [...embedder.image(w)])), embedder.dim, dtype);
    const fromIndex = imagesFromSnapshot(snapshotOf(table), embedder.info);
    assert.ok(
      fromIndex.every((i) => i.embedding === undefined && i.vectors === table),
      'rows, not copies',
    );
    const decoded: TagImageInput[] = fromIndex.map((i) => ({ path: i.path, sha256: i.sha256, embedding: table.row(i.row!) }));
    const scored = async (images: TagImageInput[]) => {
      const store = await TagStore.load(await tempFolder('tagger'));
      const tagger = await AutoTagger.create({ embedder, vocab, store, cache });
      await tagger.tagImages({ images });
      store.confirm(images[2]!.path, 'blue'); // few-shot examples come from the same rows
      await tagger.tagImages({ images, mode: 'all' });
      return images.map((i) => [store.get(i.path)!.tags, tagger.suggestTags(i.path)]);
    };
    assert.deepEqual(await scored(fromIndex), await scored(decoded));
  });
}

test('tagging from the index keeps no float32 copy of its vectors', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const concepts = Array.from({ length: 511 }, (_, i) => `c${i}`);
  const wide = new ConceptEmbedder(concepts);
  const rows = 20_000;
  const table = (() => {
    const values = new Float32Array(rows * wide.dim);
    for (let i = 0; i < rows; i++) values.set(wide.image({ [concepts[i % 511]!]: 1, [concepts[(i * 7) % 511]!]: 0.5 }), i * wide.dim);
    return VectorTable.fromFloat32(values, wide.dim, 'float16'); // 20 MB; as float32 it would be 40 MB
  })();
  const store = await TagStore.load(await tempFolder('tagger'));
  const tagger = await AutoTagger.create({ embedder: wide, vocab: vocabularyFromNames(['c1', 'c2', 'c3']), store, cache: new TagEmbeddingCache() });
  gc();
  const before = process.memoryUsage().arrayBuffers;
  const images = imagesFromSnapshot(snapshotOf(table, wide.info), wide.info);
  const run = await tagger.tagImages({ images, mode: 'all' });
  assert.equal(run.tagged, rows);
  assert.ok(tagger.suggestTags(images[1]!.path).some((t) => t.tag === 'c1' && t.wouldSuggest));
  gc();
  const held = process.memoryUsage().arrayBuffers - before;
  // The tagger and its inputs reference the table's rows; a decoded float32 matrix would hold 40 MB.
  assert.ok(held < 4 * 2 ** 20, `tagger holds ${(held / 2 ** 20).toFixed(1)} MiB of typed arrays`);
  assert.equal(images.length, rows); // both stay alive up to the measurement
});
