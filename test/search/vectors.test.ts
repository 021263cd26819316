// Vector storage precisions: the SIMD kernels score float16 and int8 rows exactly like a plain dot
// product over the values those rows give back, and float16 keeps recall@10 against float32 at
// 0.99 or more on CLIP-like embeddings (the index's default precision rests on that).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSimdDottable } from '../../src/engine/search/simd';
import { TopK } from '../../src/engine/search/topk';
import { VectorTable, bytesPerRow, type VectorDType } from '../../src/engine/search/vectors';
import { clipLikeEmbeddings } from '../fixtures/embeddings';
import { mulberry32 } from '../fixtures/generate';

const DTYPES: readonly VectorDType[] = ['float32', 'float16', 'int8'];

function randomUnitRows(rows: number, dim: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const out = Float32Array.from({ length: rows * dim }, () => random() - 0.5);
  for (let r = 0; r < rows; r++) {
    const v = out.subarray(r * dim, (r + 1) * dim);
    const n = Math.hypot(...v);
    for (let j = 0; j < dim; j++) v[j]! /= n;
  }
  return out;
}

test('the kernels score every precision like a dot product over the stored values', () => {
  // 40,000 rows cross the kernel's block of scores several times; 768 is ViT-B's width.
  for (const dtype of DTYPES) {
    for (const [rows, dim] of [
      [1, 16],
      [5, 32],
      [37, 512],
      [40_000, 16],
      [9, 768],
    ] as const) {
      const table = VectorTable.fromFloat32(randomUnitRows(rows, dim, rows + dim), dim, dtype);
      assert.ok(isSimdDottable(table.bytes, dtype === 'float32' ? 'f32' : dtype === 'float16' ? 'f16' : 'i8', dim), `${dtype} ${dim}: SIMD path`);
      assert.equal(table.byteLength, rows * bytesPerRow(dtype, dim));
      const query = randomUnitRows(1, dim, 7);
      const scores = table.dotRows(query, new Float32Array(rows).fill(Number.NaN));
      for (let r = 0; r < rows; r++) {
        const stored = table.row(r);
        let expected = 0;
        for (let j = 0; j < dim; j++) expected += stored[j]! * query[j]!;
        // int8: the query is rounded to int16 (relative error 2^-15) for the integer dot product.
        const tolerance = dtype === 'int8' ? 2e-4 : 1e-5;
        assert.ok(Math.abs(scores[r]! - expected) <= tolerance, `${dtype} rows ${rows} dim ${dim} row ${r}: ${scores[r]} vs ${expected}`);
        assert.ok(Math.abs(table.dotRow(r, query) - expected) <= 1e-5, `${dtype} dotRow ${r}`);
      }
    }
  }
});

test('dimensions the kernel cannot take are scored by the JS loops', () => {
  for (const dtype of DTYPES) {
    const dim = 12; // not a multiple of 8 (16 for int8)
    const table = VectorTable.fromFloat32(randomUnitRows(6, dim, 3), dim, dtype);
    assert.equal(isSimdDottable(table.bytes, dtype === 'float32' ? 'f32' : dtype === 'float16' ? 'f16' : 'i8', dim), false);
    const query = randomUnitRows(1, dim, 4);
    const scores = table.dotRows(query, new Float32Array(6));
    scores.forEach((s, r) => assert.ok(Math.abs(s - table.dotRow(r, query)) <= 1e-6, `${dtype} row ${r}`));
  }
});

test('stored values stay within each precision’s rounding of the originals', () => {
  const dim = 512;
  const values = randomUnitRows(50, dim, 11);
  for (const [dtype, relative] of [
    ['float32', 0],
    ['float16', 2 ** -11],
  ] as const) {
    const table = VectorTable.fromFloat32(values, dim, dtype);
    const back = table.toFloat32();
    back.forEach((x, i) => assert.ok(Math.abs(x - values[i]!) <= Math.abs(values[i]!) * relative + 2 ** -25, `${dtype} [${i}]`));
  }
  const int8 = VectorTable.fromFloat32(values, dim, 'int8');
  for (let r = 0; r < 50; r++) {
    const row = values.subarray(r * dim, (r + 1) * dim);
    const step = Math.max(...row.map(Math.abs)) / 127;
    int8.row(r).forEach((x, j) => assert.ok(Math.abs(x - row[j]!) <= step / 2 + 1e-7, `int8 row ${r} [${j}]`));
  }
});

function top10(table: VectorTable, query: Float32Array, scores: Float32Array): Set<number> {
  table.dotRows(query, scores);
  const top = new TopK(10);
  scores.forEach((s, i) => top.push(i, s));
  return new Set(top.sorted().map((r) => r.index));
}

test('recall@10 against float32 on CLIP-like embeddings: float16 ≥ 0.99, int8 a coarser ranking', (t) => {
  const set = clipLikeEmbeddings({ count: 20_000, queries: 200, seed: 5 });
  const exact = VectorTable.fromFloat32(set.images, set.dim, 'float32');
  const scores = new Float32Array(exact.rows);
  const truth = set.queries.map((q) => top10(exact, q, scores));
  const recall = (dtype: VectorDType): number => {
    const table = VectorTable.fromFloat32(set.images, set.dim, dtype);
    let hits = 0;
    set.queries.forEach((q, i) => {
      for (const row of top10(table, q, scores)) if (truth[i]!.has(row)) hits++;
    });
    return hits / (10 * set.queries.length);
  };
  const f16 = recall('float16');
  const i8 = recall('int8');
  t.diagnostic(`recall@10: float16 ${f16.toFixed(4)}, int8 ${i8.toFixed(4)}`);
  assert.ok(f16 >= 0.99, `float16 recall@10 ${f16}`);
  // int8 with a per-row scale measured ~0.97 here, below the 0.99 the default needs: the shared
  // direction and outlier dimensions of CLIP-like embeddings spend its 8 bits. Still a usable
  // ranking for an index that must be as small as possible.
  assert.ok(i8 > 0.9, `int8 recall@10 ${i8}`);
});
