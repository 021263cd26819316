import { randomUnitVectors } from './lib/util';
import { dotRows } from '../src/engine/search/topk';
const n = 100000, dim = 512;
const v = randomUnitVectors(n, dim, 1);
const q = randomUnitVectors(1, dim, 2);
const out = new Float32Array(n);
function sum64(a: Float64Array) { let s0 = 0, s1 = 0, s2 = 0, s3 = 0; const L = a.length; let i = 0; for (; i + 3 < L; i += 4) { s0 += a[i]!; s1 += a[i+1]!; s2 += a[i+2]!; s3 += a[i+3]!; } return s0 + s1 + s2 + s3; }
function xor32(a: Int32Array) { let s0 = 0, s1 = 0, s2 = 0, s3 = 0; const L = a.length; let i = 0; for (; i + 3 < L; i += 4) { s0 ^= a[i]!; s1 ^= a[i+1]!; s2 ^= a[i+2]!; s3 ^= a[i+3]!; } return s0 ^ s1 ^ s2 ^ s3; }
function sum32(a: Float32Array) { let s0 = 0, s1 = 0, s2 = 0, s3 = 0; const L = a.length; let i = 0; for (; i + 3 < L; i += 4) { s0 += a[i]!; s1 += a[i+1]!; s2 += a[i+2]!; s3 += a[i+3]!; } return s0 + s1 + s2 + s3; }
const f64 = new Float64Array(v.buffer, v.byteOffset, v.byteLength / 8);
const i32 = new Int32Array(v.buffer, v.byteOffset, v.length);
const buf = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const copy = Buffer.allocUnsafe(buf.length);
const tests: Record<string, () => unknown> = {
  sum64: () => sum64(f64), xor32: () => xor32(i32), sum32: () => sum32(v),
  indexOf64: () => f64.indexOf(1.2345e300), includes64: () => f64.includes(1.2345e300),
  bufCopy: () => buf.copy(copy), bufCompare: () => Buffer.compare(buf, copy),
  dotRows: () => dotRows(v, dim, q, out),
};
for (let round = 0; round < 2; round++) for (const [k, f] of Object.entries(tests)) {
  f(); const ts: number[] = [];
  for (let i = 0; i < 7; i++) { const t = performance.now(); f(); ts.push(performance.now() - t); }
  ts.sort((a, b) => a - b);
  console.log(k, ts[0]!.toFixed(1), ts[3]!.toFixed(1), 'ms', (buf.length / ts[0]! / 1e6).toFixed(1), 'GB/s');
}
