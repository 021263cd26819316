import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TopK } from '../../src/engine/search/topk';
import { dotRows } from '../../src/engine/vectors';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('dotRows matches a plain dot product for odd dimensions', () => {
  const rand = rng(3);
  for (const dim of [1, 3, 7, 24, 33]) {
    const rows = 13;
    const vectors = Float32Array.from({ length: rows * dim }, () => rand() - 0.5);
    const q = Float32Array.from({ length: dim }, () => rand() - 0.5);
    const out = dotRows(vectors, dim, q, new Float32Array(rows));
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += vectors[r * dim + j]! * q[j]!;
      assert.ok(Math.abs(out[r]! - s) < 1e-5, `dim ${dim} row ${r}`);
    }
  }
});

test('top-k equals the head of a full sort on random vectors, ties included', () => {
  const rand = rng(11);
  const dim = 20;
  for (const [n, k] of [
    [1000, 10],
    [1000, 1],
    [50, 50],
    [30, 100],
    [500, 499],
  ] as const) {
    const vectors = Float32Array.from({ length: n * dim }, () => rand() - 0.5);
    const q = Float32Array.from({ length: dim }, () => rand() - 0.5);
    const scores = dotRows(vectors, dim, q, new Float32Array(n));
    for (let i = 0; i < n; i += 7) scores[i] = scores[0]!; // plenty of exact ties
    const top = new TopK(k);
    for (let i = 0; i < n; i++) top.push(i, scores[i]!);
    const expected = Array.from(scores, (score, index) => ({ index, score }))
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .slice(0, k);
    assert.deepEqual(top.sorted(), expected, `n=${n} k=${k}`);
  }
});

test('top-k of nothing, and k = 0', () => {
  assert.deepEqual(new TopK(5).sorted(), []);
  const none = new TopK(0);
  none.push(1, 1);
  assert.deepEqual(none.sorted(), []);
});
