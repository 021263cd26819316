import { allocVectors, simdDotRows, isSimdScorable } from '../src/engine/search/simd';
import { dotRows } from '../src/engine/search/topk';
import { randomUnitVectors } from './lib/util';
for (const [rows, dim] of [[1, 8], [13, 512], [50000, 512], [7, 768], [20000, 24]]) {
  const src = randomUnitVectors(rows, dim, 3);
  const v = allocVectors(rows * dim + dim * 5);
  v.set(src);
  const view = v.subarray(0, rows * dim);
  const q = randomUnitVectors(1, dim, 9);
  const a = new Float32Array(rows), b = new Float32Array(rows);
  const ok = simdDotRows(view, dim, q, a);
  dotRows(src, dim, q, b);
  let m = 0; for (let i = 0; i < rows; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  // offset view
  const off = v.subarray(dim * 2, dim * 2 + dim * Math.max(0, rows - 2));
  const c = new Float32Array(Math.max(0, rows - 2)); simdDotRows(off, dim, q, c);
  let m2 = 0; for (let i = 0; i < c.length; i++) m2 = Math.max(m2, Math.abs(c[i]! - b[i + 2]!));
  console.log(rows, dim, ok, isSimdScorable(view, dim), m, m2);
}
