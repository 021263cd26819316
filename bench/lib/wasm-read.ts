// Memory-bandwidth readers for the query baseline: WebAssembly SIMD passes that load every 16
// bytes of a buffer once and fold them with xor (no arithmetic worth the name), so their time is
// the time to stream those bytes through one core.

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

/** read(p, stride, end) -> i32: `streams` passes in lockstep at p, p+stride, ... until p reaches end. */
function readerBytes(streams: number): Uint8Array<ArrayBuffer> {
  const name = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'latin1')];
  const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
  const I32 = 0x7f;
  const V128 = 0x7b;
  const get = (i: number) => [0x20, i];
  const set = (i: number) => [0x21, i];
  const SIMD = 0xfd;
  const load = (offset: number) => [SIMD, 0x00, 0x00, ...uleb(offset)];
  const xor = [SIMD, ...uleb(0x51)]; // v128.xor
  // params p=0 stride=1 end=2; locals acc_k = 3+k (v128)
  const code = [0x02, 0x40, 0x03, 0x40, ...get(0), ...get(2), 0x4f, 0x0d, 1];
  for (let k = 0; k < streams; k++) {
    const at = [...get(0)];
    for (let m = 0; m < k; m++) at.push(...get(1), 0x6a);
    code.push(...get(3 + k), ...at, ...load(0), ...xor, ...at, ...load(16), ...xor, ...set(3 + k));
  }
  code.push(...get(0), 0x41, 32, 0x6a, ...set(0), 0x0c, 0, 0x0b, 0x0b, ...get(3));
  for (let k = 1; k < streams; k++) code.push(...get(3 + k), ...xor);
  code.push(SIMD, 0x1b, 0, 0x0b); // i32x4.extract_lane 0
  const body = [1, streams, V128, ...code];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [1, 0x60, 3, I32, I32, I32, 1, I32]),
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x00]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('read'), 0x00, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

/**
 * Readers of a copy of `bytes` in a WebAssembly memory, by number of streams: each reads every
 * byte once, split into that many parts read in lockstep (more streams keep more reads in flight).
 */
export function wasmReaders(bytes: Uint8Array, streams: readonly number[] = [1, 2, 4, 8]): Map<number, () => number> {
  const out = new Map<number, () => number>();
  try {
    const unit = 32 * Math.max(...streams);
    const length = Math.floor(bytes.byteLength / unit) * unit;
    const pages = Math.ceil(length / 65536) + 1;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    new Uint8Array(memory.buffer, 0, length).set(bytes.subarray(0, length));
    for (const n of streams) {
      const read = new WebAssembly.Instance(new WebAssembly.Module(readerBytes(n)), { env: { memory } }).exports.read as (p: number, stride: number, end: number) => number;
      const stride = length / n;
      out.set(n, () => read(0, stride, stride));
    }
  } catch {
    // no WebAssembly SIMD or no room: the other readers still give a baseline
  }
  return out;
}
