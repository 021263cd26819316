// same-process A/B: the old JS dotRows loop on a plain Float32Array vs the SIMD kernel on store vectors
import { IndexStore } from '../src/engine/index/store';
import { dotRows } from '../src/engine/search/topk';
import { randomUnitVectors } from './lib/util';
import { wasmReaders } from './lib/wasm-read';
function jsDot(vectors: Float32Array, dim: number, query: Float32Array, out: Float32Array) {
  const rows = Math.floor(vectors.length / dim); let r = 0;
  for (; r + 3 < rows; r += 4) { const o0 = r * dim, o1 = o0 + dim, o2 = o1 + dim, o3 = o2 + dim; let a = 0, b = 0, c = 0, d = 0;
    for (let j = 0; j < dim; j++) { const x = query[j]!; a += vectors[o0 + j]! * x; b += vectors[o1 + j]! * x; c += vectors[o2 + j]! * x; d += vectors[o3 + j]! * x; }
    out[r] = a; out[r + 1] = b; out[r + 2] = c; out[r + 3] = d; }
  return out;
}
const rows = Number(process.argv[2] ?? 100000), dim = 512;
const store = IndexStore.empty('/tmp/x', { model: { id: 'x', fingerprint: 'x', dim }, preprocessing: {} });
const v = randomUnitVectors(rows, dim, 1);
for (let r = 0; r < rows; r++) store.addVector(v.subarray(r * dim, (r + 1) * dim));
const snap = store.snapshot().vectors;
const plain = new Float32Array(snap);
const q = randomUnitVectors(1, dim, 3), out = new Float32Array(rows);
const readers = wasmReaders(new Uint8Array(plain.buffer));
const t = (f: () => unknown) => { f(); const ts: number[] = []; for (let i = 0; i < 15; i++) { const s = performance.now(); f(); ts.push(performance.now() - s); } ts.sort((a, b) => a - b); return ts[7]!; };
const res: Record<string, number[]> = {};
for (let k = 0; k < 5; k++) {
  (res['JS loop (before)'] ??= []).push(t(() => jsDot(plain, dim, q, out)));
  (res['SIMD kernel (after)'] ??= []).push(t(() => dotRows(snap, dim, q, out)));
  (res['bandwidth (8 streams)'] ??= []).push(t(() => readers.get(8)!()));
}
for (const [k, v] of Object.entries(res)) { v.sort((a, b) => a - b); console.log(k.padEnd(24), 'median', v[2]!.toFixed(1), 'ms  min', v[0]!.toFixed(1), 'max', v[4]!.toFixed(1)); }
