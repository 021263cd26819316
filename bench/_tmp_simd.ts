import { dotRows } from '../src/engine/search/topk';
import { randomUnitVectors } from './lib/util';

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}
const str = (s: string) => [...leb(s.length), ...Buffer.from(s)];
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const I32 = 0x7f, V128 = 0x7b;
const get = (i: number) => [0x20, i], set = (i: number) => [0x21, i], tee = (i: number) => [0x22, i];
const i32c = (n: number) => [0x41, ...sleb(n)];
const SIMD = 0xfd;
const v128load = (offset: number) => [SIMD, 0x00, 0x00, ...leb(offset)];
const f32x4add = [SIMD, ...leb(0xe4)], f32x4mul = [SIMD, ...leb(0xe6)];
const lane = (k: number) => [SIMD, 0x1f, k];
// params: v=0 q=1 out=2 rows=3 dim=4; locals r=5 j=6 p=7 bytes=8 a=9 b=10
const body = [
  ...get(4), ...i32c(2), 0x74, ...set(8),
  ...get(0), ...set(7),
  0x02, 0x40,
  0x03, 0x40,
  ...get(5), ...get(3), 0x4f, 0x0d, 1,
  SIMD, 0x0c, ...new Array(16).fill(0), ...set(9),
  SIMD, 0x0c, ...new Array(16).fill(0), ...set(10),
  ...i32c(0), ...set(6),
  0x03, 0x40,
  ...get(9), ...get(7), ...get(6), 0x6a, ...v128load(0), ...get(1), ...get(6), 0x6a, ...v128load(0), ...f32x4mul, ...f32x4add, ...set(9),
  ...get(10), ...get(7), ...get(6), 0x6a, ...v128load(16), ...get(1), ...get(6), 0x6a, ...v128load(16), ...f32x4mul, ...f32x4add, ...set(10),
  ...get(6), ...i32c(32), 0x6a, ...tee(6), ...get(8), 0x49, 0x0d, 0,
  0x0b,
  ...get(9), ...get(10), ...f32x4add, ...set(9),
  ...get(2), ...get(5), ...i32c(2), 0x74, 0x6a,
  ...get(9), ...lane(0), ...get(9), ...lane(1), 0x92, ...get(9), ...lane(2), 0x92, ...get(9), ...lane(3), 0x92,
  0x38, 0x02, 0x00,
  ...get(7), ...get(8), 0x6a, ...set(7),
  ...get(5), ...i32c(1), 0x6a, ...set(5),
  0x0c, 0,
  0x0b,
  0x0b,
  0x0b,
];
const locals = [2, 4, I32, 2, V128];
const func = [...locals, ...body];
const bytes = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]),
  ...section(2, [1, ...str('env'), ...str('memory'), 0x02, 0x00, 0x00]),
  ...section(3, [1, 0]),
  ...section(7, [1, ...str('dot'), 0x00, 0]),
  ...section(10, [1, ...leb(func.length), ...func]),
]);
console.log('valid', WebAssembly.validate(bytes));
const mod = new WebAssembly.Module(bytes);

const rows = Number(process.argv[2] ?? 100000), dim = 512;
const floats = rows * dim;
const pages = Math.ceil((floats * 4) / 65536) + 1 + Math.ceil(rows * 4 / 65536);
const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
const inst = new WebAssembly.Instance(mod, { env: { memory } });
const dot = inst.exports.dot as (v: number, q: number, out: number, rows: number, dim: number) => void;
const v = new Float32Array(memory.buffer, 0, floats);
v.set(randomUnitVectors(rows, dim, 1));
const qOff = floats * 4;
const outOff = qOff + dim * 4;
const q = new Float32Array(memory.buffer, qOff, dim);
q.set(randomUnitVectors(1, dim, 2));
const wout = new Float32Array(memory.buffer, outOff, rows);
const jsv = new Float32Array(v);
const jout = new Float32Array(rows);
const qq = new Float32Array(q);
dot(0, qOff, outOff, rows, dim);
dotRows(jsv, dim, qq, jout);
let maxd = 0; for (let i = 0; i < rows; i++) maxd = Math.max(maxd, Math.abs(jout[i]! - wout[i]!));
console.log('max diff', maxd);
const buf = Buffer.from(v.buffer, 0, floats * 4), other = Buffer.from(jsv.buffer);
const t = (name: string, f: () => unknown) => { f(); const ts: number[] = []; for (let i = 0; i < 9; i++) { const s = performance.now(); f(); ts.push(performance.now() - s); } ts.sort((a, b) => a - b); console.log(name, ts[0]!.toFixed(1), ts[4]!.toFixed(1)); };
for (let k = 0; k < 2; k++) {
  t('memcmp/2', () => Buffer.compare(buf, other));
  t('indexOf', () => new Float64Array(v.buffer, 0, floats / 2).indexOf(1.2345e300));
  t('js dotRows', () => dotRows(jsv, dim, qq, jout));
  t('wasm in place', () => dot(0, qOff, outOff, rows, dim));
}
