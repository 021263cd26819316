// A synthetic index for the memory and query benchmarks: `rows` random unit vectors with
// plausible entries, written through the product's IndexStore so its in-memory layout is real.
import type { IndexStore } from '../../src/engine/index/store';
import { randomUnitVectors } from './util';

/** Adds `rows` entries to `store`; `seed` picks the vectors (each block of 4,096 draws from seed + its start). */
export function fillSyntheticIndex(store: IndexStore, rows: number, dim: number, seed: number): void {
  const block = 4096;
  for (let start = 0; start < rows; start += block) {
    const n = Math.min(block, rows - start);
    const vecs = randomUnitVectors(n, dim, start + seed);
    for (let i = 0; i < n; i++) {
      const r = start + i;
      const row = store.addVector(vecs.subarray(i * dim, (i + 1) * dim));
      store.setEntry({
        path: `folder${r % 97}/image-${String(r).padStart(7, '0')}.png`,
        size: 10_000 + r,
        mtimeMs: 1.7e12 + r,
        sha256: r.toString(16).padStart(64, '0'),
        row,
        width: 640,
        height: 480,
      });
    }
  }
}
