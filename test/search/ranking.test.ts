// The ranking rule (src/engine/search/ranking.ts): semantic order by default; the hybrid adds a
// bounded, query-relative lift for paths that name the query's words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { updateIndex } from '../../src/engine/index/indexer';
import { NAME_MATCH_WEIGHT, isRankingMode, nameBoost, nameMatch, nameQuery, pathWords, scoreSpread, words } from '../../src/engine/search/ranking';
import { SearchEngine } from '../../src/engine/search/search';
import { FakeEmbedder, tempDir, writeFiles } from '../index/helpers';

const text = (t: string, weight = 1) => ({ text: t, weight, kind: 'text' as const });

test('words split paths and queries alike: separators, camelCase, digits, plural "s", case', () => {
  assert.deepEqual(words('assets/Icons/btnRedHerring24px.PNG'), ['asset', 'icon', 'btn', 'red', 'herring', '24', 'px', 'png']);
  assert.deepEqual(words('SVGLogo_dark-mode'), ['svg', 'logo', 'dark', 'mode']);
  assert.deepEqual(words('a photo of a glass bus'), ['photo', 'of', 'glass', 'bus'], 'single letters dropped; "ss" and short words keep their s');
  assert.deepEqual(words('Straße café 日本'), ['straße', 'café', '日本']);
  assert.deepEqual(words('logos'), words('logo'));
});

test('nameQuery takes words from text terms only; a word both wanted and unwanted counts as wanted', () => {
  assert.deepEqual(nameQuery([text('red error icons'), text('dark', -1), { text: 'logo.png', weight: 1, kind: 'image' }]), {
    positive: ['red', 'error', 'icon'],
    negative: ['dark'],
  });
  assert.deepEqual(nameQuery([text('red'), text('red', -0.5)]), { positive: ['red'], negative: [] });
  assert.equal(nameQuery([{ text: 'a.png', weight: 1, kind: 'image' }]), undefined, 'an image-only query has no words');
  assert.equal(nameQuery([text('a')]), undefined);
});

test('nameMatch: file-name words count 1, folder words 0.5, negative words subtract, clamped to [-1, 1]', () => {
  const q = nameQuery([text('red logo')])!;
  assert.equal(nameMatch(pathWords('brand/red-logo.svg'), q), 1);
  assert.equal(nameMatch(pathWords('brand/logo.svg'), q), 0.5);
  assert.equal(nameMatch(pathWords('logos/red/mark.svg'), q), 0.5, 'both words only in folders');
  assert.equal(nameMatch(pathWords('brand/redo.svg'), q), 0, 'whole words only: "red" is not "redo"');
  assert.equal(nameMatch(pathWords('logo.svg/red'), q), 0.75, 'the extension is not a word; folders may contain dots');
  const neg = nameQuery([text('logo'), text('dark', -1)])!;
  assert.equal(nameMatch(pathWords('logo-dark.svg'), neg), 0, '"logo -dark" does not lift logo-dark.svg');
  assert.equal(nameMatch(pathWords('dark.svg'), neg), -1);
  assert.equal(nameMatch(pathWords('themes/dark/bg.png'), nameQuery([text('logo'), text('dark theme', -1)])!), -1, 'clamped');
});

test('scoreSpread is best minus median (odd and even counts, any order, rows subset)', () => {
  assert.equal(scoreSpread([0.5]), 0);
  assert.equal(scoreSpread([]), 0);
  assert.ok(Math.abs(scoreSpread([0.9, 0.1, 0.3]) - 0.6) < 1e-6);
  assert.ok(Math.abs(scoreSpread([0.1, 0.9, 0.2, 0.4]) - 0.6) < 1e-6);
  assert.ok(Math.abs(scoreSpread(new Float32Array([5, 0.9, 0.1, 0.3]), [1, 2, 3]) - 0.6) < 1e-6, 'row 0 is not an entry');
  let seed = 7;
  const rand = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  for (const n of [2, 3, 10, 101, 1000]) {
    const values = Float32Array.from({ length: n }, () => Math.round(rand() * 20) / 20); // many ties
    const sorted = [...values].sort((a, b) => a - b);
    const median = n % 2 ? sorted[n >> 1]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
    assert.ok(Math.abs(scoreSpread(values) - (sorted[n - 1]! - median)) < 1e-6, `n=${n}`);
  }
});

test('the lift is bounded: a full name match adds half the spread, so clearly better images stay ahead', () => {
  assert.equal(NAME_MATCH_WEIGHT, 0.5);
  assert.equal(nameBoost(1, 0.8), 0.4);
  assert.equal(nameBoost(0, 0.8), 0);
  assert.equal(nameBoost(-1, 0.8), -0.4);
  assert.ok(isRankingMode('hybrid') && isRankingMode('semantic') && !isRankingMode('names') && !isRankingMode(undefined));
});

/** A folder whose "images" embed like their text content (test/index/helpers.ts FakeEmbedder). */
async function indexed(name: string, files: Record<string, string>): Promise<SearchEngine> {
  const base = await tempDir(name);
  const root = path.join(base, 'folder');
  await writeFiles(root, files);
  const fake = new FakeEmbedder({ dim: 32 });
  const { snapshot } = await updateIndex({ root, indexDir: path.join(base, 'index'), embedder: fake });
  return new SearchEngine(snapshot, root, fake);
}

const FILLERS = Object.fromEntries(['tree', 'house', 'cloud', 'river', 'stone', 'chair', 'bread', 'piano'].map((w, i) => [`misc/img-${i}.png`, w]));

test('"red": red pixels with neutral names outrank a blue red-herring.png, in both modes', async () => {
  const engine = await indexed('ranking-red', {
    ...FILLERS,
    'photos/IMG_0001.png': 'red',
    'photos/IMG_0002.png': 'red red sunset',
    'scans/scan-7.png': 'red sunset',
    'art/red-herring.png': 'blue',
  });
  const reds = ['photos/IMG_0001.png', 'photos/IMG_0002.png', 'scans/scan-7.png'];
  const semantic = await engine.search('red', { threshold: -1, topK: 100 });
  assert.deepEqual(
    semantic.results.slice(0, 3).map((r) => r.path),
    reds,
    'descending cosine',
  );
  assert.ok(
    semantic.results.every((r) => r.nameBoost === undefined),
    'semantic ranking ignores names',
  );

  const hybrid = await engine.search('red', { threshold: -1, topK: 100, ranking: 'hybrid' });
  const paths = hybrid.results.map((r) => r.path);
  assert.deepEqual(paths.slice(0, 3), reds, 'the red images keep the top, in the same order');
  const herring = hybrid.results.find((r) => r.path === 'art/red-herring.png')!;
  assert.ok(herring.nameBoost! > 0, 'the name did lift it');
  assert.ok(paths.indexOf('art/red-herring.png') < semantic.results.findIndex((r) => r.path === 'art/red-herring.png'), 'it moved up');
  assert.ok(herring.score < hybrid.results[2]!.score, 'but stays below every red image');
  for (let i = 1; i < hybrid.results.length; i++) assert.ok(hybrid.results[i - 1]!.score >= hybrid.results[i]!.score, 'ordered by the fused score');
});

test('"logo" with hybrid ranking lifts logo.svg to the top, and finds it even below the cut-off', async () => {
  const engine = await indexed('ranking-logo', {
    ...FILLERS,
    'marketing/poster.png': 'logo poster',
    'ui/badge.png': 'badge logo shiny',
    'brand/logo.svg': 'logo mark red blue green',
    'brand/mark.png': 'mark',
  });
  const semantic = (await engine.search('logo', { threshold: 0.3 })).results.map((r) => r.path);
  assert.deepEqual([...semantic].sort(), ['brand/logo.svg', 'marketing/poster.png', 'ui/badge.png']);
  assert.notEqual(semantic[0], 'brand/logo.svg', 'by meaning alone, logo.svg is not first');
  const hybrid = (await engine.search('logo', { threshold: 0.3, ranking: 'hybrid' })).results.map((r) => r.path);
  assert.equal(hybrid[0], 'brand/logo.svg');
  assert.deepEqual(
    hybrid.slice(1),
    semantic.filter((p) => p !== 'brand/logo.svg'),
    'the rest keep their order',
  );

  // The cut-off compares relevance plus the lift: a file named for the query is found even when
  // the model sees little of it; in semantic mode it is not.
  const weak = await indexed('ranking-logo-weak', { ...FILLERS, 'marketing/poster.png': 'logo poster', 'brand/logo.svg': 'mark' });
  assert.ok(!(await weak.search('logo', { threshold: 0.3 })).results.some((r) => r.path === 'brand/logo.svg'));
  const found = await weak.search('logo', { threshold: 0.3, ranking: 'hybrid' });
  assert.ok(
    found.results.some((r) => r.path === 'brand/logo.svg'),
    JSON.stringify(found.results),
  );
});

test('the engine orders hybrid results exactly as the documented rule computes them', async () => {
  const files = { ...FILLERS, 'icons/red-cat.png': 'cat', 'cats/cat.png': 'red', 'red/cat/red.png': 'dog', 'a/b.png': 'red cat', 'dark/cat.png': 'cat cat' };
  const engine = await indexed('ranking-rule', files);
  const query = 'red cat -dark';
  const semantic = await engine.search(query, { threshold: -1, topK: 100 });
  const hybrid = await engine.search(query, { threshold: -1, topK: 100, ranking: 'hybrid' });
  const cos = new Map(semantic.results.map((r) => [r.path, r.score]));
  const spread = scoreSpread([...cos.values()]);
  const q = nameQuery([text('red cat'), text('dark', -1)])!;
  const expected = [...cos]
    .map(([p, c]) => ({ p, s: c + NAME_MATCH_WEIGHT * spread * nameMatch(pathWords(p), q) }))
    .sort((a, b) => b.s - a.s)
    .map((x) => x.p);
  assert.deepEqual(
    hybrid.results.map((r) => r.path),
    expected,
  );
  for (const r of hybrid.results) {
    assert.ok(Math.abs(r.score - cos.get(r.path)! - (r.nameBoost ?? 0)) < 1e-6, `${r.path}: score = cosine + nameBoost`);
    assert.ok(Math.abs(r.nameBoost ?? 0) <= NAME_MATCH_WEIGHT * spread + 1e-9, 'bounded by half the spread');
  }
  // Image-only queries (Find Similar) have no words: hybrid changes nothing.
  const similar = await engine.similar('a/b.png', { threshold: -1, ranking: 'hybrid' });
  assert.deepEqual(similar.results, (await engine.similar('a/b.png', { threshold: -1 })).results);
});
