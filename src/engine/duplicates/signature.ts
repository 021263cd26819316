// The cheap pixel check behind near-duplicate groups: a "tiny image" signature of an image's
// thumbnail, computed once per content hash (in the worker, which decodes) and compared in
// microseconds (here, on the caller's side).
//
// The signature is the image cropped to its content (uniform margins trimmed, so the same icon
// with more padding still matches), box-averaged to 32x32 grey and 4x4 RGB. Two images are the
// same picture when
//   - their content boxes have about the same shape,
//   - their colour grids are close (a recoloured icon is another asset),
//   - their grey grids correlate at 16x16 (normalized cross-correlation: brightness and contrast
//     shifts from re-encoding do not count), and
//   - no small region of the 32x32 grids differs much: icons drawn in one style correlate well
//     overall; a clock's hands, a smiley's mouth or a badge's symbol differ in a region.
//
// Why not a 64-bit dHash/pHash: on clip art (thin lines on white) most of a 9x8 difference
// grid is flat background, whose bits collide between unrelated drawings: measured while this
// was designed, on the kind of set test/duplicates/grouping.test.ts generates, dHash reached
// precision 0.6-0.75 at usable recall (pHash ~0.8), where this signature reaches ~0.99.
// Candidates come from embedding neighbours, not from a hash lookup, so the signature need not
// be indexable.

export const SIGNATURE_VERSION = 2;
/** Side of the stored grey grid. */
export const GRID = 32;
/** Side of the grid the overall correlation is measured on (2x2 means of the stored one). */
const COARSE = 16;
export const COLOUR_GRID = 4;
const GREY_BYTES = GRID * GRID;
const COLOUR_BYTES = COLOUR_GRID * COLOUR_GRID * 3;
/** A pixel is content when it differs from the margin colour by more than this in a channel. */
const TRIM_THRESHOLD = 24;

export interface PixelSignature {
  /** 32x32 grey levels of the content box, row-major. */
  grey: Uint8Array;
  /** 4x4 RGB means of the content box, row-major, 3 bytes per cell. */
  colour: Uint8Array;
  /** Width / height of the content box. */
  aspect: number;
}

/** Raw 8-bit pixels, row-major (1 = grey, 3 = RGB, 4 = RGBA: alpha is ignored). */
export interface RawPixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The signature of decoded pixels (alpha already flattened, as thumbnails are). */
export function signatureOf(img: RawPixels): PixelSignature {
  const box = contentBox(img);
  const rgb = boxAverage(img, box, GRID, GRID);
  const grey = new Uint8Array(GREY_BYTES);
  for (let i = 0; i < GREY_BYTES; i++) {
    grey[i] = Math.round(0.299 * rgb[i * 3]! + 0.587 * rgb[i * 3 + 1]! + 0.114 * rgb[i * 3 + 2]!);
  }
  // Each colour cell is an equal block of grey-grid cells, so its mean is the mean of theirs.
  const colour = new Uint8Array(COLOUR_BYTES);
  const f = GRID / COLOUR_GRID;
  for (let cy = 0; cy < COLOUR_GRID; cy++) {
    for (let cx = 0; cx < COLOUR_GRID; cx++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let y = cy * f; y < (cy + 1) * f; y++) for (let x = cx * f; x < (cx + 1) * f; x++) sum += rgb[(y * GRID + x) * 3 + c]!;
        colour[(cy * COLOUR_GRID + cx) * 3 + c] = Math.round(sum / (f * f));
      }
    }
  }
  return { grey, colour, aspect: box.width / box.height };
}

/** Offsets of the R, G and B samples of a pixel (grey images repeat their one channel). */
function channelOffsets(img: RawPixels): [number, number, number] {
  return img.channels < 3 ? [0, 0, 0] : [0, 1, 2];
}

/**
 * The bounding box of what differs from the margin colour, when the four corners agree on one
 * (clip art, icons, screenshots with a plain border); the whole image otherwise (photos), and
 * when nothing differs (a flat image).
 */
function contentBox(img: RawPixels): Box {
  const { data, width, height, channels } = img;
  const [o0, o1, o2] = channelOffsets(img);
  const whole = { left: 0, top: 0, width, height };
  const r0 = data[o0]!;
  const g0 = data[o1]!;
  const b0 = data[o2]!;
  const differs = (x: number, y: number) => {
    const i = (y * width + x) * channels;
    return Math.abs(data[i + o0]! - r0) > TRIM_THRESHOLD || Math.abs(data[i + o1]! - g0) > TRIM_THRESHOLD || Math.abs(data[i + o2]! - b0) > TRIM_THRESHOLD;
  };
  if (differs(width - 1, 0) || differs(0, height - 1) || differs(width - 1, height - 1)) return whole;
  let left = width;
  let right = -1;
  let top = height;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!differs(x, y)) continue;
      if (x < left) left = x;
      if (x > right) right = x;
      if (y < top) top = y;
      bottom = y;
    }
  }
  if (right < 0) return whole;
  return { left, top, width: right - left + 1, height: bottom - top + 1 };
}

/**
 * Mean RGB of each cell of an outW x outH grid laid over `box`, weighting source pixels by how
 * much of them a cell covers (exact for any size, up- or downsampling).
 */
function boxAverage(img: RawPixels, box: Box, outW: number, outH: number): Float64Array {
  const { data, width, channels } = img;
  const [o0, o1, o2] = channelOffsets(img);
  const out = new Float64Array(outW * outH * 3);
  const xs = axisWeights(box.left, box.width, outW);
  const ys = axisWeights(box.top, box.height, outH);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let total = 0;
      for (const [y, wy] of ys[oy]!) {
        for (const [x, wx] of xs[ox]!) {
          const w = wx * wy;
          const i = (y * width + x) * channels;
          r += w * data[i + o0]!;
          g += w * data[i + o1]!;
          b += w * data[i + o2]!;
          total += w;
        }
      }
      const o = (oy * outW + ox) * 3;
      out[o] = r / total;
      out[o + 1] = g / total;
      out[o + 2] = b / total;
    }
  }
  return out;
}

/** For each of `cells` equal parts of [start, start + length): the source pixels it covers, with overlap. */
function axisWeights(start: number, length: number, cells: number): Array<Array<[number, number]>> {
  const step = length / cells;
  const out: Array<Array<[number, number]>> = [];
  for (let i = 0; i < cells; i++) {
    const from = i * step;
    const to = from + step;
    const list: Array<[number, number]> = [];
    for (let p = Math.floor(from); p < Math.ceil(to); p++) {
      const w = Math.min(to, p + 1) - Math.max(from, p);
      if (w > 1e-9) list.push([start + Math.min(p, length - 1), w]);
    }
    out.push(list);
  }
  return out;
}

// --- comparing ---------------------------------------------------------------------------------

/** A signature prepared for many comparisons. */
export interface PreparedSignature {
  /** Unit vector of the mean-centred 16x16 grid; all zeros for a flat image. */
  coarse: Float32Array;
  /** Standard scores of the 32x32 grid; all zeros for a flat image. */
  detail: Float32Array;
  flat: boolean;
  colour: Uint8Array;
  aspect: number;
}

export function prepareSignature(sig: PixelSignature): PreparedSignature {
  const n = sig.grey.length;
  let mean = 0;
  for (const v of sig.grey) mean += v;
  mean /= n;
  let sum = 0;
  for (const v of sig.grey) sum += (v - mean) ** 2;
  // A spread under ~1 grey level per cell is noise, not structure.
  const flat = sum < n;
  const detail = new Float32Array(n);
  const coarse = new Float32Array(COARSE * COARSE);
  if (!flat) {
    const sd = Math.sqrt(sum / n);
    for (let i = 0; i < n; i++) detail[i] = (sig.grey[i]! - mean) / sd;
    const f = GRID / COARSE;
    for (let y = 0; y < GRID; y++) for (let x = 0; x < GRID; x++) coarse[Math.floor(y / f) * COARSE + Math.floor(x / f)]! += detail[y * GRID + x]!;
    let norm = 0;
    for (const v of coarse) norm += v * v;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < coarse.length; i++) coarse[i]! /= norm;
  }
  return { coarse, detail, flat, colour: sig.colour, aspect: sig.aspect };
}

/** Correlation of the 16x16 grids, 1 = same structure; two flat images count as the same. */
export function structureSimilarity(a: PreparedSignature, b: PreparedSignature): number {
  if (a.flat || b.flat) return a.flat && b.flat ? 1 : 0;
  let s = 0;
  for (let i = 0; i < a.coarse.length; i++) s += a.coarse[i]! * b.coarse[i]!;
  return s;
}

const BLOCK = 4;

/** The largest mean absolute difference of two grids of standard scores in any 4x4-cell block. */
function worstBlock(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let by = 0; by < GRID; by += BLOCK) {
    for (let bx = 0; bx < GRID; bx += BLOCK) {
      let sum = 0;
      for (let y = by; y < by + BLOCK; y++) {
        for (let x = bx; x < bx + BLOCK; x++) sum += Math.abs(a[y * GRID + x]! - b[y * GRID + x]!);
      }
      if (sum > worst) worst = sum;
    }
  }
  return worst / (BLOCK * BLOCK);
}

/**
 * How much the most different small region of two images differs: the mean absolute
 * difference of their standard scores in the worst 4x4-cell block of the 32x32 grids (0 = same;
 * resized and re-encoded copies mostly stay under 0.5, a smiley with another mouth is ~0.6 and
 * up). Infinity when one image is flat and the other is not.
 */
export function localDifference(a: PreparedSignature, b: PreparedSignature): number {
  if (a.flat || b.flat) return a.flat && b.flat ? 0 : Infinity;
  return worstBlock(a.detail, b.detail);
}

/** Mean absolute difference of the colour grids, in 0..255 levels. */
export function colourDistance(a: PreparedSignature, b: PreparedSignature): number {
  let s = 0;
  for (let i = 0; i < a.colour.length; i++) s += Math.abs(a.colour[i]! - b.colour[i]!);
  return s / a.colour.length;
}

/** Content boxes whose shapes differ more than this (ratio of aspect ratios) are never the same image. */
export const MAX_ASPECT_RATIO_CHANGE = 1.35;

export function aspectCompatible(a: PreparedSignature, b: PreparedSignature): boolean {
  const r = a.aspect > b.aspect ? a.aspect / b.aspect : b.aspect / a.aspect;
  return r <= MAX_ASPECT_RATIO_CHANGE;
}

// --- storage -----------------------------------------------------------------------------------

/** Base64 of grey, colour and the aspect ratio (log2, in 1/1024 steps, int16). */
export function encodeSignature(sig: PixelSignature): string {
  const bytes = Buffer.alloc(GREY_BYTES + COLOUR_BYTES + 2);
  bytes.set(sig.grey, 0);
  bytes.set(sig.colour, GREY_BYTES);
  const q = Math.max(-32768, Math.min(32767, Math.round(Math.log2(sig.aspect) * 1024)));
  bytes.writeInt16LE(q, GREY_BYTES + COLOUR_BYTES);
  return bytes.toString('base64');
}

/** Undefined for anything that is not a signature of this version (a cache entry is then recomputed). */
export function decodeSignature(text: unknown): PixelSignature | undefined {
  if (typeof text !== 'string') return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== GREY_BYTES + COLOUR_BYTES + 2) return undefined;
  return {
    grey: new Uint8Array(bytes.subarray(0, GREY_BYTES)),
    colour: new Uint8Array(bytes.subarray(GREY_BYTES, GREY_BYTES + COLOUR_BYTES)),
    aspect: 2 ** (bytes.readInt16LE(GREY_BYTES + COLOUR_BYTES) / 1024),
  };
}
