// Partial top-k selection with a bounded min-heap (O(n log k), no full sort); the scores come from
// ../vectors.ts's dotRows.

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
