// Brute-force scoring at memory speed. A JS loop over a Float32Array computes dot products several
// times slower than the vectors can be read; a WebAssembly SIMD kernel keeps up with memory. A
// WebAssembly module can only read its own memory, so index vectors are allocated in one:
// allocVectors() gives a Float32Array over a WebAssembly.Memory of its own (never grown, so views
// stay valid) plus scratch pages for the query and a block of scores. simdDotRows() scores any
// view of such an array in place; for anything else (or without WebAssembly SIMD) it declines and
// the caller runs its JS loop.

const PAGE = 65536;
/** wasm32 memories stop at 4 GiB; up to 32 pages are scratch. */
const MAX_VECTOR_BYTES = 4 * 2 ** 30 - 33 * PAGE;

// --- the kernels, assembled by hand (no toolchain needed) ------------------------------------
// dotS(v, q, out, n, dim) scores S streams of n rows at once: stream k is rows k*n .. k*n+n-1 and
// out[k*n + i] = sum_j v[(k*n + i)*dim + j] * q[j]; dim % 8 == 0. Several streams far apart
// keep more memory reads in flight than one (a single stream leaves bandwidth unused), and
// share each load of the query. Two f32x4 accumulators per stream.

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
const V128 = 0x7b;
const SIMD = 0xfd;
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
const i32 = (n: number) => [0x41, n]; // small non-negative constants only (< 64)
const load = (offset: number) => [SIMD, 0x00, 0x00, ...uleb(offset)]; // v128.load align=1
const zero = [SIMD, 0x0c, ...new Array<number>(16).fill(0)]; // v128.const 0
const f32x4Add = [SIMD, ...uleb(0xe4)];
const f32x4Mul = [SIMD, ...uleb(0xe6)];
const lane = (k: number) => [SIMD, 0x1f, k]; // f32x4.extract_lane
const I32_ADD = 0x6a;
const I32_MUL = 0x6c;
const I32_SHL = 0x74;

function dotBody(streams: number): number[] {
  // params: v=0 q=1 out=2 n=3 dim=4; locals: r=5 qp=6 qEnd=7 outStride=8 p_k=9+k (i32),
  // qa, qb, acc_m (v128). The stream pointers walk their rows: after a row they point at the next.
  const p = (k: number) => 9 + k;
  const qa = 9 + streams;
  const qb = qa + 1;
  const acc = (m: number) => qb + 1 + m;
  const code: number[] = [
    ...get(1), ...get(4), ...i32(2), I32_SHL, I32_ADD, ...set(7), // qEnd = q + dim * 4
    ...get(3), ...i32(2), I32_SHL, ...set(8), // outStride = n * 4
  ];
  for (let k = 0; k < streams; k++) {
    // p_k = v + k * n * dim * 4
    code.push(...get(0), ...get(3), ...get(4), I32_MUL, ...i32(2), I32_SHL, ...i32(k), I32_MUL, I32_ADD, ...set(p(k)));
  }
  code.push(0x02, 0x40, 0x03, 0x40); // block, loop over rows
  code.push(...get(5), ...get(3), 0x4f, 0x0d, 1); // r >= n: done
  for (let m = 0; m < 2 * streams; m++) code.push(...zero, ...set(acc(m)));
  code.push(...get(1), ...set(6), 0x03, 0x40); // qp = q; loop over 8 floats at a time
  code.push(...get(6), ...load(0), ...set(qa), ...get(6), ...load(16), ...set(qb));
  for (let k = 0; k < streams; k++) {
    code.push(...get(acc(2 * k)), ...get(p(k)), ...load(0), ...get(qa), ...f32x4Mul, ...f32x4Add, ...set(acc(2 * k)));
    code.push(...get(acc(2 * k + 1)), ...get(p(k)), ...load(16), ...get(qb), ...f32x4Mul, ...f32x4Add, ...set(acc(2 * k + 1)));
    code.push(...get(p(k)), ...i32(32), I32_ADD, ...set(p(k)));
  }
  code.push(...get(6), ...i32(32), I32_ADD, ...tee(6), ...get(7), 0x49, 0x0d, 0, 0x0b); // qp += 32 while qp < qEnd
  for (let k = 0; k < streams; k++) {
    const a = acc(2 * k);
    code.push(...get(a), ...get(acc(2 * k + 1)), ...f32x4Add, ...set(a));
    // &out[k*n + r] = out + r*4 + k*outStride
    code.push(...get(2), ...get(5), ...i32(2), I32_SHL, I32_ADD);
    if (k) code.push(...get(8), ...i32(k), I32_MUL, I32_ADD);
    code.push(...get(a), ...lane(0), ...get(a), ...lane(1), 0x92, ...get(a), ...lane(2), 0x92, ...get(a), ...lane(3), 0x92);
    code.push(0x38, 0x02, 0x00); // f32.store
  }
  code.push(...get(5), ...i32(1), I32_ADD, ...set(5), 0x0c, 0, 0x0b, 0x0b, 0x0b); // r++; continue
  const locals = [2, 4 + streams, I32, 2 + 2 * streams, V128];
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

/** The module: import env.memory; export dot1 and dot4. */
function kernelBytes(): Uint8Array<ArrayBuffer> {
  const name = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'latin1')];
  const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]), // type (i32 x5) -> ()
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x00]), // import memory, min 0
    ...section(3, [2, 0, 0]),
    ...section(7, [2, ...name('dot1'), 0x00, 0, ...name('dot4'), 0x00, 1]),
    ...section(10, [2, ...dotBody(1), ...dotBody(4)]),
  ]);
}

type DotFn = (v: number, q: number, out: number, rows: number, dim: number) => void;

interface Kernel {
  memory: WebAssembly.Memory;
  dot1: DotFn;
  dot4: DotFn;
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
 * A zeroed Float32Array of `length` values that simdDotRows can score in place; a plain
 * Float32Array when WebAssembly SIMD is unavailable or the size exceeds a wasm32 memory.
 */
export function allocVectors(length: number): Float32Array {
  const mod = kernelModule();
  const bytes = length * 4;
  if (!mod || bytes > MAX_VECTOR_BYTES) return new Float32Array(length);
  try {
    const dataPages = Math.ceil(bytes / PAGE);
    // Scratch for the query and a block of scores: ~1.5 % of the data, 1 to 32 pages. Larger
    // blocks put the four streams further apart, which measured ~10 % faster at 100k rows.
    const scratchPages = Math.min(32, Math.max(1, Math.ceil(dataPages / 64)));
    const pages = dataPages + scratchPages;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const instance = new WebAssembly.Instance(mod, { env: { memory } });
    const exports = instance.exports as { dot1: DotFn; dot4: DotFn };
    kernels.set(memory.buffer, { memory, dot1: exports.dot1, dot4: exports.dot4, scratch: dataPages * PAGE, scratchBytes: scratchPages * PAGE });
    return new Float32Array(memory.buffer, 0, length);
  } catch {
    return new Float32Array(length); // address space or memory limits: the JS path still works
  }
}

/** Whether simdDotRows can score `vectors` in place. */
export function isSimdScorable(vectors: Float32Array, dim: number): boolean {
  return kernels.has(vectors.buffer) && dim > 0 && dim % 8 === 0 && dim * 4 <= PAGE / 2;
}

/**
 * out[r] = dot(vectors[r], query) for every row, with the SIMD kernel. Returns false (and does
 * nothing) when `vectors` is not from allocVectors or `dim` does not suit the kernel.
 */
export function simdDotRows(vectors: Float32Array, dim: number, query: Float32Array, out: Float32Array): boolean {
  if (!isSimdScorable(vectors, dim)) return false;
  const k = kernels.get(vectors.buffer)!;
  const rows = Math.floor(vectors.length / dim);
  const buffer = k.memory.buffer;
  new Float32Array(buffer, k.scratch, dim).set(query.subarray(0, dim));
  const outOffset = k.scratch + dim * 4;
  // Scores go through the scratch pages a block at a time; a block is scored as four streams.
  const block = ((k.scratchBytes - dim * 4) >> 2) & ~3;
  const scores = new Float32Array(buffer, outOffset, block);
  for (let r = 0; r < rows; r += block) {
    const n = Math.min(block, rows - r);
    const quarter = n >> 2;
    const start = vectors.byteOffset + r * dim * 4;
    if (quarter) k.dot4(start, k.scratch, outOffset, quarter, dim);
    if (n > 4 * quarter) k.dot1(start + 4 * quarter * dim * 4, k.scratch, outOffset + 16 * quarter, n - 4 * quarter, dim);
    out.set(n === block ? scores : scores.subarray(0, n), r);
  }
  return true;
}
