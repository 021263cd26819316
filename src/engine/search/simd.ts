// Brute-force scoring at memory speed. A JS loop over a Float32Array computes dot products several
// times slower than the vectors can be read; a WebAssembly SIMD kernel keeps up with memory. A
// WebAssembly module can only read its own memory, so index vectors are allocated in one:
// allocVectorBytes() gives bytes over a WebAssembly.Memory of their own (never grown, so views
// stay valid) plus scratch pages for the query and a block of scores. simdDot() scores rows of
// such bytes in place, in any of the three storage precisions; for anything else (or without
// WebAssembly SIMD) it declines and the caller runs its JS loop.
//
// Row layouts (the same as in the index's vector file, see index/format.ts):
//   f32: dim float32;  f16: dim IEEE half floats, widened on the fly;
//   i8:  a float32 scale, then dim int8 (value = scale * int8), scored with int16 dot products.

const PAGE = 65536;
/** wasm32 memories stop at 4 GiB; up to 32 pages are scratch. */
const MAX_VECTOR_BYTES = 4 * 2 ** 30 - 33 * PAGE;

export type RowKind = 'f32' | 'f16' | 'i8';

// --- the kernels, assembled by hand (no toolchain needed) ------------------------------------
// dot<kind><S>(v, q, out, n, dim) scores S streams of n rows at once: stream k is rows
// k*n .. k*n+n-1 and out[k*n + i] = dot(row k*n + i, query). Several streams far apart keep more
// memory reads in flight than one (a single stream leaves bandwidth unused), and share each load
// of the query. Two accumulators per stream. Each inner step reads 32 bytes of the query:
//   f32: 8 values (dim % 8 == 0), 32 bytes of the row;
//   f16: 8 values (dim % 8 == 0), 16 bytes of the row, widened by moving the half's bits into a
//        float32 (sign kept, exponent unbiased by 112) and a query pre-scaled by 2^112;
//   i8:  16 values (dim % 16 == 0), 16 bytes of the row, the query as int16: i32x4.dot_i16x8_s.

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
const SIMD = 0xfd;
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
const i32 = (n: number) => [0x41, n]; // small non-negative constants only (< 64)
const simd = (op: number) => [SIMD, ...uleb(op)];
const load = (offset: number) => [SIMD, 0x00, 0x00, ...uleb(offset)]; // v128.load align=1
const v128Const = (bytes: number[]) => [SIMD, 0x0c, ...bytes];
const zero = v128Const(new Array<number>(16).fill(0));
const f32x4Lane = (k: number) => [SIMD, 0x1f, k];
const i32x4Lane = (k: number) => [SIMD, 0x1b, k];
const op = {
  and: simd(0x4e),
  i16x8ExtendLowI8: simd(0x87),
  i16x8ExtendHighI8: simd(0x88),
  i32x4ExtendLowI16: simd(0xa7),
  i32x4ExtendHighI16: simd(0xa8),
  i32x4Shl: simd(0xab),
  i32x4Add: simd(0xae),
  i32x4DotI16: simd(0xba),
  f32x4Add: simd(0xe4),
  f32x4Mul: simd(0xe6),
};
const I32_ADD = 0x6a;
const I32_MUL = 0x6c;
const I32_SHL = 0x74;
const F32_ADD = 0x92;
const F32_MUL = 0x94;
const F32_LOAD = [0x2a, 0x00, 0x00]; // align=1 (rows of dim+4 bytes are not 4-aligned)
const F32_STORE = [0x38, 0x02, 0x00];
const F32_CONVERT_I32 = 0xb2;

/** Bytes per row of `dim` values (the i8 row leads with its float32 scale). */
export function rowBytes(kind: RowKind, dim: number): number {
  return kind === 'f32' ? dim * 4 : kind === 'f16' ? dim * 2 : dim + 4;
}

function dotBody(kind: RowKind, streams: number): number[] {
  // params: v=0 q=1 out=2 n=3 dim=4; i32 locals: r=5 qp=6 qEnd=7 outStride=8 rowBytes=9 p_k=10+k;
  // v128 locals: qa, qb, acc_m, mask; f32 locals: scale_k.
  const p = (k: number) => 10 + k;
  const qa = 10 + streams;
  const qb = qa + 1;
  const acc = (m: number) => qb + 1 + m;
  const mask = acc(2 * streams);
  const scale = (k: number) => mask + 1 + k;
  const qBytesShift = kind === 'i8' ? 1 : 2; // the query is int16 for i8, float32 otherwise
  const code: number[] = [
    ...get(1),
    ...get(4),
    ...i32(qBytesShift),
    I32_SHL,
    I32_ADD,
    ...set(7), // qEnd = q + dim * sizeof(q)
    ...get(3),
    ...i32(2),
    I32_SHL,
    ...set(8), // outStride = n * 4
  ];
  // rowBytes
  if (kind === 'f32') code.push(...get(4), ...i32(2), I32_SHL, ...set(9));
  else if (kind === 'f16') code.push(...get(4), ...i32(1), I32_SHL, ...set(9));
  else code.push(...get(4), ...i32(4), I32_ADD, ...set(9));
  for (let k = 0; k < streams; k++) {
    // p_k = v + k * n * rowBytes
    code.push(...get(0), ...get(3), ...get(9), I32_MUL, ...i32(k), I32_MUL, I32_ADD, ...set(p(k)));
  }
  if (kind === 'f16') code.push(...v128Const([0xff, 0xff, 0xff, 0x8f, 0xff, 0xff, 0xff, 0x8f, 0xff, 0xff, 0xff, 0x8f, 0xff, 0xff, 0xff, 0x8f]), ...set(mask));
  code.push(0x02, 0x40, 0x03, 0x40); // block, loop over rows
  code.push(...get(5), ...get(3), 0x4f, 0x0d, 1); // r >= n: done
  for (let m = 0; m < 2 * streams; m++) code.push(...zero, ...set(acc(m)));
  if (kind === 'i8') {
    // The row's scale, then its values.
    for (let k = 0; k < streams; k++) code.push(...get(p(k)), ...F32_LOAD, ...set(scale(k)), ...get(p(k)), ...i32(4), I32_ADD, ...set(p(k)));
  }
  code.push(...get(1), ...set(6), 0x03, 0x40); // qp = q; loop over the row
  code.push(...get(6), ...load(0), ...set(qa), ...get(6), ...load(16), ...set(qb));
  for (let k = 0; k < streams; k++) {
    const a0 = acc(2 * k);
    const a1 = acc(2 * k + 1);
    if (kind === 'f32') {
      code.push(...get(a0), ...get(p(k)), ...load(0), ...get(qa), ...op.f32x4Mul, ...op.f32x4Add, ...set(a0));
      code.push(...get(a1), ...get(p(k)), ...load(16), ...get(qb), ...op.f32x4Mul, ...op.f32x4Add, ...set(a1));
      code.push(...get(p(k)), ...i32(32), I32_ADD, ...set(p(k)));
    } else if (kind === 'f16') {
      // Sign-extend each half to 32 bits, shift its exponent and mantissa into float32 position
      // and clear the three sign copies that land in the exponent: value * 2^-112, exactly.
      const widen = (extend: number[]) => [...get(p(k)), ...load(0), ...extend, ...i32(13), ...op.i32x4Shl, ...get(mask), ...op.and];
      code.push(...get(a0), ...widen(op.i32x4ExtendLowI16), ...get(qa), ...op.f32x4Mul, ...op.f32x4Add, ...set(a0));
      code.push(...get(a1), ...widen(op.i32x4ExtendHighI16), ...get(qb), ...op.f32x4Mul, ...op.f32x4Add, ...set(a1));
      code.push(...get(p(k)), ...i32(16), I32_ADD, ...set(p(k)));
    } else {
      code.push(...get(a0), ...get(p(k)), ...load(0), ...op.i16x8ExtendLowI8, ...get(qa), ...op.i32x4DotI16, ...op.i32x4Add, ...set(a0));
      code.push(...get(a1), ...get(p(k)), ...load(0), ...op.i16x8ExtendHighI8, ...get(qb), ...op.i32x4DotI16, ...op.i32x4Add, ...set(a1));
      code.push(...get(p(k)), ...i32(16), I32_ADD, ...set(p(k)));
    }
  }
  code.push(...get(6), ...i32(32), I32_ADD, ...tee(6), ...get(7), 0x49, 0x0d, 0, 0x0b); // qp += 32 while qp < qEnd
  for (let k = 0; k < streams; k++) {
    const a = acc(2 * k);
    // &out[k*n + r] = out + r*4 + k*outStride
    code.push(...get(2), ...get(5), ...i32(2), I32_SHL, I32_ADD);
    if (k) code.push(...get(8), ...i32(k), I32_MUL, I32_ADD);
    if (kind === 'i8') {
      code.push(...get(a), ...get(acc(2 * k + 1)), ...op.i32x4Add, ...set(a));
      code.push(...get(a), ...i32x4Lane(0), ...get(a), ...i32x4Lane(1), I32_ADD, ...get(a), ...i32x4Lane(2), I32_ADD, ...get(a), ...i32x4Lane(3), I32_ADD);
      code.push(F32_CONVERT_I32, ...get(scale(k)), F32_MUL);
    } else {
      code.push(...get(a), ...get(acc(2 * k + 1)), ...op.f32x4Add, ...set(a));
      code.push(...get(a), ...f32x4Lane(0), ...get(a), ...f32x4Lane(1), F32_ADD, ...get(a), ...f32x4Lane(2), F32_ADD, ...get(a), ...f32x4Lane(3), F32_ADD);
    }
    code.push(...F32_STORE);
  }
  code.push(...get(5), ...i32(1), I32_ADD, ...set(5), 0x0c, 0, 0x0b, 0x0b, 0x0b); // r++; continue
  const locals = [3, 5 + streams, I32, 3 + 2 * streams, V128, streams, F32];
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

const KINDS: readonly RowKind[] = ['f32', 'f16', 'i8'];

/** The module: import env.memory; export dot<kind>1 and dot<kind>4 for each kind. */
function kernelBytes(): Uint8Array<ArrayBuffer> {
  const name = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'latin1')];
  const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
  const functions = KINDS.flatMap((kind) => [
    { name: `${kind}x1`, body: dotBody(kind, 1) },
    { name: `${kind}x4`, body: dotBody(kind, 4) },
  ]);
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]), // type (i32 x5) -> ()
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x00]), // import memory, min 0
    ...section(3, [functions.length, ...functions.map(() => 0)]),
    ...section(7, [functions.length, ...functions.flatMap((f, i) => [...name(f.name), 0x00, i])]),
    ...section(10, [functions.length, ...functions.flatMap((f) => f.body)]),
  ]);
}

type DotFn = (v: number, q: number, out: number, rows: number, dim: number) => void;

interface Kernel {
  memory: WebAssembly.Memory;
  dot: Record<RowKind, { x1: DotFn; x4: DotFn }>;
  /** Byte offset and size of the scratch pages. */
  scratch: number;
  scratchBytes: number;
}

let compiled: WebAssembly.Module | null | undefined;
const kernels = new WeakMap<ArrayBufferLike, Kernel>();

function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      const bytes = kernelBytes();
      compiled = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * `byteLength` zeroed bytes that simdDot can score in place; plain bytes when WebAssembly SIMD is
 * unavailable or the size exceeds a wasm32 memory. The offset is 0, so any typed view fits.
 */
export function allocVectorBytes(byteLength: number): Uint8Array {
  const mod = kernelModule();
  if (!mod || byteLength > MAX_VECTOR_BYTES) return new Uint8Array(byteLength);
  try {
    const dataPages = Math.ceil(byteLength / PAGE);
    // Scratch for the query and a block of scores: ~1.5 % of the data, 1 to 32 pages. Larger
    // blocks put the four streams further apart, which measured ~10 % faster at 100k rows.
    const scratchPages = Math.min(32, Math.max(1, Math.ceil(dataPages / 64)));
    const pages = dataPages + scratchPages;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const exports = new WebAssembly.Instance(mod, { env: { memory } }).exports as Record<string, DotFn>;
    const dot = Object.fromEntries(KINDS.map((kind) => [kind, { x1: exports[`${kind}x1`]!, x4: exports[`${kind}x4`]! }])) as Kernel['dot'];
    kernels.set(memory.buffer, { memory, dot, scratch: dataPages * PAGE, scratchBytes: scratchPages * PAGE });
    return new Uint8Array(memory.buffer, 0, byteLength);
  } catch {
    return new Uint8Array(byteLength); // address space or memory limits: the JS path still works
  }
}

/** Whether simdDot can score `dim`-value rows of this kind held in `bytes` in place. */
export function isSimdDottable(bytes: ArrayBufferView, kind: RowKind, dim: number): boolean {
  const step = kind === 'i8' ? 16 : 8;
  return kernels.has(bytes.buffer) && dim > 0 && dim % step === 0 && dim * 4 <= PAGE / 2;
}

/** Whether simdDotRows can score `vectors` (float32 rows) in place. */
export function isSimdScorable(vectors: Float32Array, dim: number): boolean {
  return isSimdDottable(vectors, 'f32', dim);
}

/** Largest int16 query value such that no int32 sum of `dim` products with int8 can overflow. */
function int16QueryRange(dim: number): number {
  return Math.min(32767, Math.floor((2 ** 31 - 1) / (127 * dim)));
}

/**
 * out[r] = dot(row r, query) for the `rows` rows of `kind` at the start of `bytes`, with the SIMD
 * kernel. Returns false (and does nothing) when `bytes` is not from allocVectorBytes or `dim`
 * does not suit the kernel.
 */
export function simdDot(bytes: Uint8Array, kind: RowKind, rows: number, dim: number, query: Float32Array, out: Float32Array): boolean {
  if (!isSimdDottable(bytes, kind, dim)) return false;
  const k = kernels.get(bytes.buffer)!;
  const buffer = k.memory.buffer;
  // The query in the kernel's form, at the start of the scratch pages.
  let after = 1; // a factor every score is multiplied by afterwards (the int16 query's scale)
  if (kind === 'f32') {
    new Float32Array(buffer, k.scratch, dim).set(query.subarray(0, dim));
  } else if (kind === 'f16') {
    const q = new Float32Array(buffer, k.scratch, dim);
    for (let j = 0; j < dim; j++) q[j] = query[j]! * 2 ** 112;
  } else {
    let max = 0;
    for (let j = 0; j < dim; j++) max = Math.max(max, Math.abs(query[j]!));
    const s = max > 0 ? int16QueryRange(dim) / max : 1;
    const q = new Int16Array(buffer, k.scratch, dim);
    for (let j = 0; j < dim; j++) q[j] = Math.round(query[j]! * s);
    after = 1 / s;
  }
  const outOffset = k.scratch + dim * 4;
  const stride = rowBytes(kind, dim);
  const { x1, x4 } = k.dot[kind];
  // Scores go through the scratch pages a block at a time; a block is scored as four streams.
  const block = ((k.scratchBytes - dim * 4) >> 2) & ~3;
  const scores = new Float32Array(buffer, outOffset, block);
  for (let r = 0; r < rows; r += block) {
    const n = Math.min(block, rows - r);
    const quarter = n >> 2;
    const start = bytes.byteOffset + r * stride;
    if (quarter) x4(start, k.scratch, outOffset, quarter, dim);
    if (n > 4 * quarter) x1(start + 4 * quarter * stride, k.scratch, outOffset + 16 * quarter, n - 4 * quarter, dim);
    out.set(n === block ? scores : scores.subarray(0, n), r);
  }
  if (after !== 1) for (let r = 0; r < rows; r++) out[r]! *= after;
  return true;
}

/**
 * out[r] = dot(vectors[r], query) for every float32 row, with the SIMD kernel. Returns false (and
 * does nothing) when `vectors` is not from allocVectors or `dim` does not suit the kernel.
 */
export function simdDotRows(vectors: Float32Array, dim: number, query: Float32Array, out: Float32Array): boolean {
  const bytes = new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength);
  return simdDot(bytes, 'f32', Math.floor(vectors.length / dim), dim, query, out);
}
