// Exact brute-force scoring over an index's vectors (a VectorTable in any storage precision) or
// one contiguous Float32Array, and partial top-k selection with a bounded min-heap (O(n log k), no
// full sort).
import { simdDotRows } from './simd';
import type { VectorTable } from './vectors';

/** out[r] = dot(vectors[r], query) for every row (cosine, as both sides are L2-normalized). */
export function dotRows(vectors: Float32Array | VectorTable, dim: number, query: Float32Array, out: Float32Array): Float32Array {
  if (!(vectors instanceof Float32Array)) return vectors.dotRows(query, out);
  // Index vectors live where the SIMD kernel reads them at memory speed; this loop is the fallback.
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

export interface Ranked {
  index: number;
  score: number;
}

/**
 * Keeps the k best (score descending, then index ascending: the same order a full stable sort
 * gives) of everything pushed.
 */
export class TopK {
  private readonly k: number;
  private readonly scores: Float64Array;
  private readonly indices: Int32Array;
  private size = 0;

  constructor(k: number) {
    this.k = Math.max(0, Math.floor(k));
    this.scores = new Float64Array(this.k);
    this.indices = new Int32Array(this.k);
  }

  /** Whether a beats b in the final order. */
  private static better(sa: number, ia: number, sb: number, ib: number): boolean {
    return sa > sb || (sa === sb && ia < ib);
  }

  /** Whether push(index, score) would keep the item (lets callers skip costly checks). */
  accepts(index: number, score: number): boolean {
    if (this.k === 0 || Number.isNaN(score)) return false;
    return this.size < this.k || TopK.better(score, index, this.scores[0]!, this.indices[0]!);
  }

  push(index: number, score: number): void {
    if (this.k === 0 || Number.isNaN(score)) return;
    if (this.size < this.k) {
      // Sift up: the root holds the worst kept item.
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!TopK.better(this.scores[parent]!, this.indices[parent]!, score, index)) break;
        this.scores[i] = this.scores[parent]!;
        this.indices[i] = this.indices[parent]!;
        i = parent;
      }
      this.scores[i] = score;
      this.indices[i] = index;
      return;
    }
    if (!TopK.better(score, index, this.scores[0]!, this.indices[0]!)) return;
    // Replace the root and sift down.
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.size) break;
      const right = left + 1;
      let worst = left;
      if (right < this.size && TopK.better(this.scores[left]!, this.indices[left]!, this.scores[right]!, this.indices[right]!)) worst = right;
      if (!TopK.better(score, index, this.scores[worst]!, this.indices[worst]!)) break;
      this.scores[i] = this.scores[worst]!;
      this.indices[i] = this.indices[worst]!;
      i = worst;
    }
    this.scores[i] = score;
    this.indices[i] = index;
  }

  get length(): number {
    return this.size;
  }

  /** The kept items, best first. */
  sorted(): Ranked[] {
    const out: Ranked[] = [];
    for (let i = 0; i < this.size; i++) out.push({ index: this.indices[i]!, score: this.scores[i]! });
    return out.sort((a, b) => (TopK.better(a.score, a.index, b.score, b.index) ? -1 : 1));
  }
}
