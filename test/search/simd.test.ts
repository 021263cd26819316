// The WebAssembly SIMD scoring kernel must give the same scores as a plain dot product on every
// view of vectors from allocVectors (offsets, row counts across its internal blocks), and must
// decline (so the JS loop runs) for arrays it cannot read in place or dimensions it cannot do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSimdScorable, simdDotRows } from '../../src/engine/search/simd';
import { allocVectors, dotRows } from '../../src/engine/vectors';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function naive(vectors: Float32Array, dim: number, q: Float32Array): Float64Array {
  const rows = vectors.length / dim;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += vectors[r * dim + j]! * q[j]!;
    out[r] = s;
  }
  return out;
}

test('allocVectors gives zeroed storage that the kernel scores like a plain dot product', () => {
  const rand = rng(5);
  // 40,000 rows of 8 crosses the kernel's block of scores several times.
  for (const [rows, dim] of [
    [1, 8],
    [3, 16],
    [37, 512],
    [40_000, 8],
    [9, 768],
  ] as const) {
    const vectors = allocVectors(rows * dim);
    assert.equal(vectors.length, rows * dim);
    assert.ok(vectors.every((v) => v === 0));
    for (let i = 0; i < vectors.length; i++) vectors[i] = rand();
    const q = Float32Array.from({ length: dim }, rand);
    const out = new Float32Array(rows).fill(Number.NaN);
    assert.ok(simdDotRows(vectors, dim, q, out), `rows ${rows} dim ${dim}`);
    const expected = naive(vectors, dim, q);
    for (let r = 0; r < rows; r++) assert.ok(Math.abs(out[r]! - expected[r]!) < 1e-5, `rows ${rows} dim ${dim} row ${r}`);
  }
});

test('views at an offset into the storage (a store snapshot) score their own rows', () => {
  const rand = rng(9);
  const dim = 64;
  const storage = allocVectors(dim * 100);
  for (let i = 0; i < storage.length; i++) storage[i] = rand();
  const view = storage.subarray(dim * 10, dim * 30);
  const q = Float32Array.from({ length: dim }, rand);
  const out = new Float32Array(20);
  assert.ok(simdDotRows(view, dim, q, out));
  const expected = naive(storage.subarray(dim * 10, dim * 30), dim, q);
  out.forEach((v, r) => assert.ok(Math.abs(v - expected[r]!) < 1e-5, `row ${r}`));
});

test('the kernel declines plain arrays and dimensions it cannot do; dotRows then still scores them', () => {
  const rand = rng(13);
  const plain = Float32Array.from({ length: 64 * 3 }, rand);
  const q64 = Float32Array.from({ length: 64 }, rand);
  assert.equal(isSimdScorable(plain, 64), false);
  assert.equal(simdDotRows(plain, 64, q64, new Float32Array(3)), false);
  for (const dim of [1, 7, 12, 33]) {
    const v = allocVectors(dim * 5);
    for (let i = 0; i < v.length; i++) v[i] = rand();
    const q = Float32Array.from({ length: dim }, rand);
    assert.equal(simdDotRows(v, dim, q, new Float32Array(5)), false, `dim ${dim}`);
    const out = dotRows(v, dim, q, new Float32Array(5));
    const expected = naive(v, dim, q);
    out.forEach((s, r) => assert.ok(Math.abs(s - expected[r]!) < 1e-5, `dim ${dim} row ${r}`));
  }
});
