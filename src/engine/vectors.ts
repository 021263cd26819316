// Vector maths the whole engine shares (as transformers.js keeps its utils/maths.js): L2
// normalisation, dot products of rows against a query or of two matrices, and float32 storage the
// SIMD kernel scores in place. Storage in other precisions is search/vectors.ts's VectorTable.
import { allocVectorBytes, simdDotRows } from './search/simd';
import type { VectorTable } from './search/vectors';

/** Vectors whose norm is below this are treated as "no direction" (e.g. a text with no known words). */
export const MIN_NORM = 1e-6;

/** |v|, summed in float64, over the first `length` values. */
export function l2Norm(v: ArrayLike<number>, length = v.length): number {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += v[i]! * v[i]!;
  return Math.sqrt(sum);
}

/** A float32 copy of `v` scaled to unit length, or undefined when its norm is below `minNorm` or not finite. */
export function normalized(v: ArrayLike<number>, minNorm = MIN_NORM): Float32Array | undefined {
  const norm = l2Norm(v);
  if (!(norm >= minNorm) || !Number.isFinite(norm)) return undefined;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / norm;
  return out;
}

/** A float32 copy of `v` scaled to unit length; an all-zero (or non-finite) vector stays zero. */
export function l2Normalize(v: ArrayLike<number>): Float32Array {
  return normalized(v, 1e-12) ?? new Float32Array(v.length);
}

/** Scales `v` to unit length in place (a zero vector stays zero) and returns its norm before. */
export function normalizeInPlace(v: Float32Array | Float64Array): number {
  const norm = l2Norm(v);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return norm;
}

/** dst[at + j] = v[j] / |v| for the first `length` values of v; a zero (or NaN) vector writes zeros. */
export function writeNormalized(dst: Float32Array | Float64Array, at: number, v: ArrayLike<number>, length = v.length): void {
  const norm = l2Norm(v, length);
  const inv = norm > 0 ? 1 / norm : 0;
  for (let j = 0; j < length; j++) dst[at + j] = v[j]! * inv;
}

/** A zeroed Float32Array of `length` values in kernel memory, which dotRows scores with SIMD. */
export function allocVectors(length: number): Float32Array {
  const bytes = allocVectorBytes(length * 4);
  return new Float32Array(bytes.buffer, bytes.byteOffset, length);
}

/** out[r] = dot(vectors[r], query) for every row (cosine, as both sides are L2-normalized). */
export function dotRows(vectors: Float32Array | VectorTable, dim: number, query: Float32Array, out: Float32Array): Float32Array {
  if (!(vectors instanceof Float32Array)) return vectors.dotRows(query, out);
  // Vectors from allocVectors (or the index) are scored at memory speed; this loop is the fallback.
  if (simdDotRows(vectors, dim, query, out)) return out;
  const rows = Math.floor(vectors.length / dim);
  let r = 0;
  // Four rows per pass: each query value is loaded once for four rows and the four sums are
  // independent, which measured ~25% faster than one row with four accumulators.
  for (; r + 3 < rows; r += 4) {
    const o0 = r * dim;
    const o1 = o0 + dim;
    const o2 = o1 + dim;
    const o3 = o2 + dim;
    let a = 0;
    let b = 0;
    let c = 0;
    let d = 0;
    for (let j = 0; j < dim; j++) {
      const x = query[j]!;
      a += vectors[o0 + j]! * x;
      b += vectors[o1 + j]! * x;
      c += vectors[o2 + j]! * x;
      d += vectors[o3 + j]! * x;
    }
    out[r] = a;
    out[r + 1] = b;
    out[r + 2] = c;
    out[r + 3] = d;
  }
  for (; r < rows; r++) {
    const o = r * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) s += vectors[o + j]! * query[j]!;
    out[r] = s;
  }
  return out;
}

/** dot(vectors[row], query) for one row. */
export function dotRow(vectors: Float32Array | VectorTable, dim: number, row: number, query: Float32Array): number {
  if (!(vectors instanceof Float32Array)) return vectors.dotRow(row, query);
  const o = row * dim;
  let s = 0;
  for (let j = 0; j < dim; j++) s += vectors[o + j]! * query[j]!;
  return s;
}

/**
 * out[i, j] = a[i] · b[j] for a [n, dim] and b [m, dim], both row-major; out is [n, m].
 * The inner loop is unrolled by four, which roughly doubles V8's throughput on long rows.
 */
export function dotMatrix(a: Float32Array, n: number, b: Float32Array, m: number, dim: number, out = new Float32Array(n * m)): Float32Array {
  const tail = dim - (dim % 4);
  for (let i = 0; i < n; i++) {
    const ai = i * dim;
    for (let j = 0; j < m; j++) {
      const bj = j * dim;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      let k = 0;
      for (; k < tail; k += 4) {
        s0 += a[ai + k]! * b[bj + k]!;
        s1 += a[ai + k + 1]! * b[bj + k + 1]!;
        s2 += a[ai + k + 2]! * b[bj + k + 2]!;
        s3 += a[ai + k + 3]! * b[bj + k + 3]!;
      }
      for (; k < dim; k++) s0 += a[ai + k]! * b[bj + k]!;
      out[i * m + j] = s0 + s1 + s2 + s3;
    }
  }
  return out;
}
