// Brute-force scoring at memory speed. A JS loop over a Float32Array computes dot products several
// times slower than the vectors can be read; a WebAssembly SIMD kernel keeps up with memory. A
// WebAssembly module can only read its own memory, so index vectors are allocated in one:
// allocVectors() gives a Float32Array over a WebAssembly.Memory of its own (never grown, so views
// stay valid) plus one scratch page for the query and a block of scores. simdDotRows() scores any
// view of such an array in place; for anything else (or without WebAssembly SIMD) it declines and
// the caller runs its JS loop.

const PAGE = 65536;
/** wasm32 memories stop at 4 GiB; one page is the scratch. */
const MAX_VECTOR_BYTES = 4 * 2 ** 30 - 2 * PAGE;

// --- the kernel, assembled by hand (no toolchain needed) -------------------------------------
// dot(v, q, out, rows, dim): out[r] = sum_j v[r*dim + j] * q[j] for r < rows; dim % 8 == 0.
// Two f32x4 accumulators per row (8 lanes, 64 products each at dim 512).

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

function kernelBytes(): Uint8Array {
  const name = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'latin1')];
  const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
  const I32 = 0x7f;
  const V128 = 0x7b;
  const get = (i: number) => [0x20, i];
  const set = (i: number) => [0x21, i];
  const tee = (i: number) => [0x22, i];
  const i32 = (n: number) => [0x41, n]; // small non-negative constants only (< 64)
  const SIMD = 0xfd;
  const load = (offset: number) => [SIMD, 0x00, 0x00, ...uleb(offset)]; // v128.load align=1
  const zero = [SIMD, 0x0c, ...new Array<number>(16).fill(0)]; // v128.const 0
  const add = [SIMD, ...uleb(0xe4)]; // f32x4.add
  const mul = [SIMD, ...uleb(0xe6)]; // f32x4.mul
  const lane = (k: number) => [SIMD, 0x1f, k]; // f32x4.extract_lane
  // params: v=0 q=1 out=2 rows=3 dim=4; locals: r=5 j=6 p=7 rowBytes=8 (i32), a=9 b=10 (v128)
  const code = [
    ...get(4), ...i32(2), 0x74, ...set(8), // rowBytes = dim << 2
    ...get(0), ...set(7), // p = v
    0x02, 0x40, // block
    0x03, 0x40, // loop (rows)
    ...get(5), ...get(3), 0x4f, 0x0d, 1, // if r >= rows: break
    ...zero, ...set(9),
    ...zero, ...set(10),
    ...i32(0), ...set(6),
    0x03, 0x40, // loop (8 floats at a time)
    ...get(9), ...get(7), ...get(6), 0x6a, ...load(0), ...get(1), ...get(6), 0x6a, ...load(0), ...mul, ...add, ...set(9),
    ...get(10), ...get(7), ...get(6), 0x6a, ...load(16), ...get(1), ...get(6), 0x6a, ...load(16), ...mul, ...add, ...set(10),
    ...get(6), ...i32(32), 0x6a, ...tee(6), ...get(8), 0x49, 0x0d, 0, // j += 32 bytes; continue while j < rowBytes
    0x0b,
    ...get(9), ...get(10), ...add, ...set(9),
    ...get(2), ...get(5), ...i32(2), 0x74, 0x6a, // &out[r]
    ...get(9), ...lane(0), ...get(9), ...lane(1), 0x92, ...get(9), ...lane(2), 0x92, ...get(9), ...lane(3), 0x92,
    0x38, 0x02, 0x00, // f32.store
    ...get(7), ...get(8), 0x6a, ...set(7), // p += rowBytes
    ...get(5), ...i32(1), 0x6a, ...set(5), // r++
    0x0c, 0, // continue rows
    0x0b,
    0x0b,
    0x0b,
  ];
  const body = [2, 4, I32, 2, V128, ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]), // type (i32 x5) -> ()
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x00]), // import memory, min 0
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('dot'), 0x00, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

type DotFn = (v: number, q: number, out: number, rows: number, dim: number) => void;

interface Kernel {
  memory: WebAssembly.Memory;
  dot: DotFn;
  /** Byte offset of the scratch page. */
  scratch: number;
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
    const pages = Math.ceil(bytes / PAGE) + 1;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const instance = new WebAssembly.Instance(mod, { env: { memory } });
    kernels.set(memory.buffer, { memory, dot: instance.exports.dot as DotFn, scratch: (pages - 1) * PAGE });
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
  const block = (PAGE - dim * 4) >> 2;
  const scores = new Float32Array(buffer, outOffset, block);
  for (let r = 0; r < rows; r += block) {
    const n = Math.min(block, rows - r);
    k.dot(vectors.byteOffset + r * dim * 4, k.scratch, outOffset, n, dim);
    out.set(n === block ? scores : scores.subarray(0, n), r);
  }
  return true;
}
