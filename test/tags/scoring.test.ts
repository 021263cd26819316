import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanDirection, pickTags, scoreImages, sigmoid, LOGIT_SCALE, type TagScorer } from '../../src/engine/tags/scoring';
import { dotMatrix } from '../../src/engine/vectors';
import { unit } from './helpers';

function rand(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
}

test('dotMatrix matches a naive product for dims that are and are not multiples of four', () => {
  const r = rand(7);
  for (const dim of [1, 3, 4, 7, 24, 33]) {
    const n = 5,
      m = 3;
    const a = Float32Array.from({ length: n * dim }, r);
    const b = Float32Array.from({ length: m * dim }, r);
    const out = dotMatrix(a, n, b, m, dim);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let k = 0; k < dim; k++) s += a[i * dim + k]! * b[j * dim + k]!;
        assert.ok(Math.abs(out[i * m + j]! - s) < 1e-5, `dim ${dim} [${i},${j}]`);
      }
  }
});

test('meanDirection is the normalized mean and refuses vectors with no direction', () => {
  const m = meanDirection([Float32Array.of(1, 0), Float32Array.of(0, 1)], 2)!;
  assert.ok(Math.abs(m[0]! - Math.SQRT1_2) < 1e-6 && Math.abs(m[1]! - Math.SQRT1_2) < 1e-6);
  assert.equal(meanDirection([Float32Array.of(1, 0), Float32Array.of(-1, 0)], 2), undefined);
  assert.equal(meanDirection([], 2), undefined);
});

// Axes: 0 = "cat", 1 = "dog", 2 = generic. Tag rows and one shared background.
const cat = unit(Float32Array.of(1, 0, 0.25));
const dog = unit(Float32Array.of(0, 1, 0.25));
const background = unit(Float32Array.of(0, 0, 1));

function scorer(over: Partial<TagScorer> = {}): TagScorer {
  return {
    dim: 3,
    tagCount: 2,
    tags: Float32Array.from([...cat, ...dog]),
    backgrounds: Float32Array.from(background),
    backgroundCount: 1,
    backgroundOf: Int32Array.of(0, 0),
    thresholds: Float32Array.of(0.7, 0.7),
    minSimilarity: 0.15,
    ...over,
  };
}

test('score is the two-way softmax of tag vs background at CLIP logit scale', () => {
  const img = unit(Float32Array.of(0.6, 0.1, 0.3));
  const batch = scoreImages(scorer(), img, 1);
  let c = 0,
    b = 0;
  for (let k = 0; k < 3; k++) {
    c += img[k]! * cat[k]!;
    b += img[k]! * background[k]!;
  }
  const expected = Math.exp(LOGIT_SCALE * c) / (Math.exp(LOGIT_SCALE * c) + Math.exp(LOGIT_SCALE * b));
  assert.ok(Math.abs(batch.score[0]! - expected) < 1e-5);
  assert.ok(Math.abs(sigmoid(-800) - 0) < 1e-12 && sigmoid(800) === 1, 'no overflow at the extremes');
});

test('an image matching nothing gets no tag, though one tag is always the least bad', () => {
  // Mostly "generic": closer to the background than to either tag.
  const plain = unit(Float32Array.of(0.05, 0.02, 1));
  const s = scorer();
  const batch = scoreImages(s, plain, 1);
  assert.ok(batch.cosine[0]! > batch.cosine[1]!, 'cat is the least-bad tag');
  assert.deepEqual(pickTags(s, batch, 0, 0), []);
  const catImage = unit(Float32Array.of(1, 0.05, 0.3));
  assert.deepEqual(pickTags(s, scoreImages(s, catImage, 1), 0, 0), [0]);
});

test('the absolute floor vetoes a tag that only beats a background that matches nothing', () => {
  // Orthogonal to the background: any positive cosine "beats" it, but 0.1 is no match.
  const odd = new Float32Array(3);
  const catDir = cat;
  // An image at cosine 0.1 with "cat" and 0 with the background.
  odd[0] = 0.1 / catDir[0]!;
  odd[1] = Math.sqrt(1 - odd[0]! * odd[0]!);
  const s = scorer({ tags: Float32Array.from([...cat, ...cat]), thresholds: Float32Array.of(0.7, 0.7) });
  const batch = scoreImages(s, odd, 1);
  assert.ok(batch.score[0]! > 0.7, 'the margin alone would tag it');
  assert.deepEqual(pickTags(s, batch, 0, 0), []);
  assert.deepEqual(pickTags({ ...s, minSimilarity: 0.05 }, batch, 0, 0), [0, 1]);
});

test('per-tag thresholds, topK and the skip predicate', () => {
  const both = unit(Float32Array.of(1, 0.9, 0.2));
  const s = scorer();
  const batch = scoreImages(s, both, 1);
  assert.deepEqual(pickTags(s, batch, 0, 0), [0, 1], 'best first');
  assert.deepEqual(pickTags(s, batch, 0, 1), [0]);
  assert.deepEqual(
    pickTags(s, batch, 0, 0, (t) => t === 0),
    [1],
  );
  assert.deepEqual(pickTags({ ...s, thresholds: Float32Array.of(0.7, 1.01) }, batch, 0, 0), [0]);
});

test('few-shot: confirmed neighbours lift a tag, rejected neighbours sink it, an image is not its own evidence', () => {
  // A borderline cat-ish image (as close to "cat" as to the background) and two near-duplicates.
  const query = unit(Float32Array.of(0.78, 0, 1));
  const near1 = unit(Float32Array.of(0.8, 0.01, 1));
  const near2 = unit(Float32Array.of(0.76, 0.02, 1));
  const examples = Float32Array.from([...near1, ...near2, ...query]);
  const base = scorer({ thresholds: Float32Array.of(0.5, 0.5) });
  const zero = scoreImages(base, query, 1);
  assert.ok(zero.score[0]! > 0.2 && zero.score[0]! < 0.8, `borderline: ${zero.score[0]}`);
  const withCache = (pos: number[], neg: number[]): TagScorer => ({
    ...base,
    fewShot: {
      examples,
      count: 3,
      owners: Int32Array.of(101, 102, 100),
      positives: [Int32Array.from(pos), Int32Array.of()],
      negatives: [Int32Array.from(neg), Int32Array.of()],
      alpha: 4,
      beta: 5.5,
    },
  });
  const up = scoreImages(withCache([0, 1], []), query, 1, Int32Array.of(100));
  const down = scoreImages(withCache([], [0, 1]), query, 1, Int32Array.of(100));
  assert.ok(up.score[0]! > zero.score[0]! + 0.2, `confirmations lift: ${zero.score[0]} -> ${up.score[0]}`);
  assert.ok(down.score[0]! < zero.score[0]! - 0.2, `rejections sink: ${zero.score[0]} -> ${down.score[0]}`);
  assert.equal(up.score[1], zero.score[1], 'other tags are untouched');
  // The query's own row (owner 100) as a positive is ignored for the query itself.
  const self = scoreImages(withCache([2], []), query, 1, Int32Array.of(100));
  assert.equal(self.score[0], zero.score[0]);
  // A far-away confirmed example barely matters: bounded, nearest-example evidence.
  const far = unit(Float32Array.of(0, 1, 0));
  const farScorer: TagScorer = {
    ...withCache([], []),
    fewShot: { ...withCache([], []).fewShot!, examples: Float32Array.from([...far, ...far, ...far]), positives: [Int32Array.of(0, 1, 2), Int32Array.of()] },
  };
  const farBatch = scoreImages(farScorer, query, 1, Int32Array.of(100));
  assert.ok(Math.abs(farBatch.similarity[0]! - zero.similarity[0]!) < 0.002);
});
