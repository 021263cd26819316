import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { updateIndex } from '../../src/engine/index/indexer';
import type { IndexEntry, IndexSnapshot } from '../../src/engine/index/format';
import { VectorTable } from '../../src/engine/search/vectors';
import { QueryError, SearchEngine } from '../../src/engine/search/search';
import { FakeEmbedder, normalize, tempDir, textVector, wordVector, writeFiles } from '../index/helpers';

const DIM = 32;

/** A folder whose "images" embed like their text, indexed with the fake embedder. */
async function indexed(name: string, files: Record<string, string>): Promise<{ engine: SearchEngine; root: string; fake: FakeEmbedder; snapshot: IndexSnapshot }> {
  const base = await tempDir(name);
  const root = path.join(base, 'folder');
  await writeFiles(root, files);
  const fake = new FakeEmbedder({ dim: DIM });
  const { snapshot } = await updateIndex({ root, indexDir: path.join(base, 'index'), embedder: fake });
  return { engine: new SearchEngine(snapshot, root, fake), root, fake, snapshot };
}

const paths = (r: { results: { path: string }[] }) => r.results.map((x) => x.path);

test('text query ranks by cosine, best first, with scores', async () => {
  const { engine } = await indexed('search-text', { 'cat.png': 'cat', 'dog.png': 'dog', 'cat-sofa.png': 'cat sofa', 'car.png': 'car' });
  const res = await engine.search('cat', { threshold: 0.3 });
  assert.deepEqual(paths(res), ['cat.png', 'cat-sofa.png']);
  assert.ok(Math.abs(res.results[0]!.score - 1) < 1e-3, 'identical content scores 1 (up to float16 storage)');
  assert.ok(res.results[0]!.score > res.results[1]!.score);
  assert.equal(res.noGoodMatch, false);
  assert.equal(res.candidates, 4);
});

test('negatives demote what they name', async () => {
  const { engine } = await indexed('search-negative', { 'cat-dog.png': 'cat dog', 'cat-sun.png': 'cat sun', 'cat.png': 'cat' });
  const plain = await engine.search('cat', { threshold: 0 });
  const withNeg = await engine.search('cat -dog', { threshold: 0 });
  const rankOf = (r: typeof plain, p: string) => paths(r).indexOf(p);
  assert.ok(rankOf(withNeg, 'cat-dog.png') > rankOf(plain, 'cat-dog.png') || rankOf(withNeg, 'cat-dog.png') === 2);
  assert.equal(paths(withNeg).at(-1), 'cat-dog.png');
  const hit = withNeg.results.find((r) => r.path === 'cat-dog.png')!;
  assert.ok(hit.score < hit.relevance, 'the score includes the negative; relevance does not');
});

test('weights shift the balance between terms', async () => {
  const { engine } = await indexed('search-weights', { 'red.png': 'red', 'blue.png': 'blue' });
  assert.equal(paths(await engine.search('red +3:blue', { threshold: 0 }))[0], 'blue.png');
  assert.equal(paths(await engine.search('3:red +blue', { threshold: 0 }))[0], 'red.png');
});

test('an indexed image as the query reuses its vector and is left out of its results', async () => {
  const { engine, fake, root } = await indexed('search-image', { 'a/red-car.png': 'red car', 'red.png': 'red', 'blue.png': 'blue' });
  const before = fake.embedded.length;
  const res = await engine.similar('a/red-car.png', { threshold: 0 });
  assert.equal(fake.embedded.length, before, 'no embedding needed');
  assert.deepEqual(paths(res)[0], 'red.png');
  assert.ok(!paths(res).includes('a/red-car.png'));
  // The same through the query syntax, by absolute path, combined with a negative text.
  const combined = await engine.search(`${path.join(root, 'a', 'red-car.png')} -red`, { threshold: 0 });
  assert.equal(combined.terms[0]!.kind, 'image');
  assert.equal(paths(combined).at(-1), 'red.png');
});

test('an image outside the index is embedded for the query', async () => {
  const { engine, fake, root } = await indexed('search-outside', { 'red.png': 'red', 'blue.png': 'blue' });
  const outside = path.join(root, '..', 'query-blue.png');
  await fs.writeFile(outside, 'blue');
  const res = await engine.similar(outside, { threshold: 0 });
  assert.equal(fake.embedded.at(-1), outside);
  assert.equal(paths(res)[0], 'blue.png');
  await assert.rejects(engine.similar(path.join(root, 'missing.png')), QueryError);
  await fs.writeFile(outside, 'BROKEN');
  await assert.rejects(engine.similar(outside), /cannot use .* as a query image: cannot decode image/);
});

test('filters: folder, glob, type and tags (AND across kinds, OR within)', async () => {
  const { engine } = await indexed('search-filters', {
    'icons/cat.png': 'cat',
    'icons/cat.svg': 'cat',
    'photos/cat.jpg': 'cat',
    'photos/cat2.jpeg': 'cat',
    'vendor/cat.png': 'cat',
    'logo-cat.png': 'cat',
  });
  const q = async (query: string) =>
    paths(await engine.search(query, { threshold: 0, tagsOf: (p) => (p.startsWith('icons/') ? ['Icon'] : p.includes('2') ? ['draft'] : []) })).sort();
  assert.deepEqual(await q('cat in:icons'), ['icons/cat.png', 'icons/cat.svg']);
  assert.deepEqual(await q('cat in:icons/ in:vendor'), ['icons/cat.png', 'icons/cat.svg', 'vendor/cat.png']);
  assert.deepEqual(await q('cat type:jpg'), ['photos/cat.jpg', 'photos/cat2.jpeg'], 'jpg and jpeg are one type');
  assert.deepEqual(await q('cat type:png -in:vendor'), ['icons/cat.png', 'logo-cat.png']);
  assert.deepEqual(await q('cat path:logo-*'), ['logo-cat.png'], 'a glob without / matches the file name');
  assert.deepEqual(await q('cat path:photos/**'), ['photos/cat.jpg', 'photos/cat2.jpeg']);
  assert.deepEqual(await q('cat tag:icon -type:svg'), ['icons/cat.png']);
  assert.deepEqual(await q('cat -tag:draft in:photos'), ['photos/cat.jpg']);
  assert.deepEqual(await q('cat in:icon'), [], 'in: matches whole folder names');
});

test('no good match: an empty result with the nearest image, instead of junk', async () => {
  const { engine } = await indexed('search-nomatch', { 'cat.png': 'cat', 'dog.png': 'dog' });
  const res = await engine.search('submarine', { threshold: 0.9 });
  assert.deepEqual(res.results, []);
  assert.equal(res.noGoodMatch, true);
  assert.ok(res.best && ['cat.png', 'dog.png'].includes(res.best.path));
  const good = await engine.search('cat', { threshold: 0.9 });
  assert.equal(good.noGoodMatch, false);
  assert.equal(good.best, undefined);
  // Nothing passing the filters is not "no good match": there was nothing to match.
  const none = await engine.search('cat type:gif');
  assert.deepEqual({ results: none.results, noGoodMatch: none.noGoodMatch, candidates: none.candidates }, { results: [], noGoodMatch: false, candidates: 0 });
});

test('the default threshold cuts unrelated results', async () => {
  const { engine } = await indexed('search-default-threshold', { 'cat.png': 'cat', 'dog.png': 'dog', 'car.png': 'car' });
  const res = await engine.search('cat');
  assert.deepEqual(paths(res), ['cat.png']);
});

test('top-k limits the results', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 30; i++) files[`img${i}.png`] = i % 2 ? `cat w${i}` : `dog w${i}`;
  const { engine } = await indexed('search-topk', files);
  const res = await engine.search('cat', { topK: 5, threshold: 0.2 });
  assert.equal(res.results.length, 5);
  assert.ok(res.results.every((r) => Number(r.path.match(/\d+/)![0]) % 2 === 1));
});

test('queries that cannot run say why', async () => {
  const { engine, snapshot, root } = await indexed('search-errors', { 'cat.png': 'cat' });
  // Messages talk about what was typed, and only that.
  await assert.rejects(
    engine.search('-dog'),
    (err: Error) => err instanceof QueryError && /^-dog only pushes matching images down: add what to look for, e\.g\. “cat -dog”$/.test(err.message),
  );
  await assert.rejects(engine.search('-"big dog"'), /: -"big dog" only pushes/);
  await assert.rejects(engine.search('tag:'), (err: Error) => /type what to look for/.test(err.message) && !/negative/.test(err.message));
  await assert.rejects(engine.search('cat -cat'), /cancel/);
  const otherModel = new SearchEngine(snapshot, root, new FakeEmbedder({ dim: DIM, fingerprint: 'other' }));
  await assert.rejects(otherModel.search('cat'), /built with fake.*update the index/);
  const noModel = new SearchEngine(snapshot, root);
  await assert.rejects(noModel.search('cat'), /needs the model/);
});

test('a query of filters only lists every image that passes them, by path, without the model', async () => {
  const { engine, snapshot, root } = await indexed('search-filter-only', {
    'assets/a.png': 'cat',
    'assets/b.jpg': 'dog',
    'assets/icons/c.png': 'car',
    'other/d.png': 'sun',
    'e.svg': 'moon',
  });
  const noModel = new SearchEngine(snapshot, root); // filters need no embedder
  const png = await noModel.search('type:png');
  assert.equal(png.ranked, false);
  assert.deepEqual(paths(png), ['assets/a.png', 'assets/icons/c.png', 'other/d.png']);
  assert.equal(png.noGoodMatch, false);
  assert.deepEqual(paths(await noModel.search('in:assets/')), ['assets/a.png', 'assets/b.jpg', 'assets/icons/c.png']);
  assert.deepEqual(paths(await noModel.search('in:assets -type:jpg')), ['assets/a.png', 'assets/icons/c.png']);
  const tags: Record<string, string[]> = { 'assets/b.jpg': ['icon'], 'e.svg': ['icon', 'logo'] };
  assert.deepEqual(paths(await noModel.search('tag:icon', { tagsOf: (p) => tags[p] ?? [] })), ['assets/b.jpg', 'e.svg']);
  // Every match is listed: a filter is a listing, not a ranking (no top-k cut).
  assert.equal((await noModel.search('type:png', { topK: 1 })).results.length, 3);
  const none = await noModel.search('type:gif');
  assert.deepEqual([none.results.length, none.candidates, none.noGoodMatch], [0, 0, false]);
  // With words the query is ranked as before.
  assert.equal((await engine.search('cat type:png', { threshold: 0.3 })).ranked, true);
});

test('scores on a large synthetic index agree with a direct computation', () => {
  // Exercises the whole ranking path on vectors that did not come from the fake embedder.
  const n = 2000;
  const vectors = new Float32Array(n * DIM);
  const entries: IndexEntry[] = [];
  for (let i = 0; i < n; i++) {
    vectors.set(wordVector(`v${i}`, DIM), i * DIM);
    entries.push({ path: `p${String(i).padStart(4, '0')}.png`, size: 1, mtimeMs: 1, sha256: '0'.repeat(64), row: i, width: 1, height: 1 });
  }
  const snapshot: IndexSnapshot = {
    model: { id: 'fake', fingerprint: 'fake-fingerprint-1', dim: DIM },
    preprocessing: {},
    dim: DIM,
    vectors: VectorTable.fromFloat32(vectors, DIM),
    entries,
  };
  const engine = new SearchEngine(snapshot, '/nowhere', new FakeEmbedder({ dim: DIM }));
  return engine.search('v17', { topK: 3, threshold: -1 }).then((res) => {
    const q = normalize(textVector('v17', DIM));
    const direct = entries
      .map((e) => ({ path: e.path, score: vectors.subarray(e.row * DIM, (e.row + 1) * DIM).reduce((s, x, j) => s + x * q[j]!, 0) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 3);
    assert.deepEqual(
      paths(res),
      direct.map((d) => d.path),
    );
    res.results.forEach((r, i) => assert.ok(Math.abs(r.score - direct[i]!.score) < 1e-5));
  });
});
