// Seeded pseudo-random numbers for augmentation sampling. Each image gets its own stream,
// derived from (global seed, image uid), so an image's augmentations do not depend on which
// other images are in the run, on their order, or on where a resumed run restarted.
import { createHash } from 'node:crypto';

/** Uniform doubles in [0, 1) plus the torch-style helpers the samplers need. */
export interface Rng {
  /** Uniform in [0, 1), 53 bits of randomness. */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Integer in [lo, hiExclusive), like torch.randint(lo, hi). */
  int(lo: number, hiExclusive: number): number;
}

/** Name of the generator and its seeding, recorded in the dataset manifest. */
export const RNG_DESCRIPTION = 'xoshiro128** seeded with the first 16 bytes of sha256("mobileclip-assets/reinforce/v1\\0" + seed + "\\0" + uid)';

/** The per-image generator: identical (seed, uid) pairs always give identical streams. */
export function imageRng(seed: number, uid: string): Rng {
  const digest = createHash('sha256').update(`mobileclip-assets/reinforce/v1\0${seed}\0${uid}`).digest();
  return xoshiro128ss([digest.readUInt32LE(0), digest.readUInt32LE(4), digest.readUInt32LE(8), digest.readUInt32LE(12)]);
}

/** xoshiro128** (Blackman & Vigna): small state, good statistical quality, trivially portable. */
export function xoshiro128ss(state: readonly [number, number, number, number] | number[]): Rng {
  let [a, b, c, d] = state.map((v) => v >>> 0) as [number, number, number, number];
  if ((a | b | c | d) === 0) a = 1; // the all-zero state is a fixed point
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const next = (): number => {
    const hi = nextU32() >>> 5; // 27 bits
    const lo = nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  };
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hiExclusive) => {
      if (!(hiExclusive > lo)) throw new Error(`empty integer range [${lo}, ${hiExclusive})`);
      return lo + Math.floor(next() * (hiExclusive - lo));
    },
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
