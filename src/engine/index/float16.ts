// IEEE 754 half-precision conversion for the optional float16 vector storage.
// Node 20 has no Float16Array, so values are stored as Uint16 bit patterns and decoded once at
// load time through a 64K-entry lookup table.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Float32 → half bits, rounding to nearest, ties to even (what hardware conversions do). */
export function toHalfBits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large: Inf
  if (e <= 0) {
    // Subnormal half (or zero): shift the 24-bit significand down to what is left.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to Inf).
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

let table: Float32Array | undefined;
function decodeTable(): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = fromHalfBits(h);
  }
  return table;
}

export function encodeFloat16(src: Float32Array, dst: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i]!;
    const e = ((x >>> 23) & 0xff) - 112;
    if (e > 0 && e < 0x1f) {
      // The common case (normal half), inlined: round to nearest, ties to even.
      let half = (e << 10) | ((x & 0x7fffff) >>> 13);
      const rest = x & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
      dst[i] = ((x >>> 16) & 0x8000) | half;
    } else {
      dst[i] = toHalfBits(src[i]!);
    }
  }
  return dst;
}

export function decodeFloat16(src: Uint16Array, dst: Float32Array = new Float32Array(src.length)): Float32Array {
  const t = decodeTable();
  for (let i = 0; i < src.length; i++) dst[i] = t[src[i]!]!;
  return dst;
}

/** Round values in place to what float16 storage will give back, so in-memory and reloaded rows agree. */
export function roundToFloat16(values: Float32Array): void {
  const t = decodeTable();
  for (let i = 0; i < values.length; i++) values[i] = t[toHalfBits(values[i]!)]!;
}
