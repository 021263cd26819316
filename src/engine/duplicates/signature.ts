// The cheap pixel check behind near-duplicate groups: a "tiny image" signature of an image's
// thumbnail, computed once per content hash (in the worker, which decodes) and compared in
// microseconds (here, on the caller's side).
//
// The signature is the image cropped to its content (uniform margins trimmed, so the same icon
// with more padding still matches), then box-averaged to 16x16 grey for structure and 4x4 RGB
// for colour. Two images match when their grey grids correlate (normalized cross-correlation,
// so brightness and contrast shifts from re-encoding do not count), no 4x4 region of them
// differs much (two icons on the same badge correlate well overall; their symbols differ
// locally), and their colour grids are close (so a recoloured icon is a different asset).
//
// Why not a 64-bit dHash/pHash: on clip art (thin lines on white) most of a 9x8 difference
// grid is flat background, whose bits collide between unrelated drawings. On the generated test
// set (test/duplicates/grouping.test.ts) dHash reached precision 0.6-0.75 at usable recall;
// this signature, ~0.9+. Candidates come from embedding neighbours, not from a hash lookup, so
// the signature need not be indexable.

export const SIGNATURE_VERSION = 1;
export const GRID = 16;
export const COLOUR_GRID = 4;
const GREY_BYTES = GRID * GRID;
const COLOUR_BYTES = COLOUR_GRID * COLOUR_GRID * 3;
/** A pixel is content when it differs from the margin colour by more than this in a channel. */
const TRIM_THRESHOLD = 24;

export interface PixelSignature {
  /** 16x16 grey levels of the content box, row-major. */
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
  const colour = Uint8Array.from(boxAverage(img, box, COLOUR_GRID, COLOUR_GRID), (v) => Math.round(v));
  return { grey, colour, aspect: box.width / box.height };
}

function pixel(img: RawPixels, x: number, y: number, c: number): number {
  const ch = img.channels;
  return img.data[(y * img.width + x) * ch + (ch < 3 ? 0 : c)]!;
}

/**
 * The bounding box of what differs from the margin colour, when the four corners agree on one
 * (clip art, icons, screenshots with a plain border); the whole image otherwise (photos), and
 * when nothing differs (a flat image).
 */
function contentBox(img: RawPixels): Box {
  const whole = { left: 0, top: 0, width: img.width, height: img.height };
  const corners = [[0, 0], [img.width - 1, 0], [0, img.height - 1], [img.width - 1, img.height - 1]] as const;
  const bg = [0, 1, 2].map((c) => pixel(img, 0, 0, c));
  const differs = (x: number, y: number) => {
    for (let c = 0; c < 3; c++) if (Math.abs(pixel(img, x, y, c) - bg[c]!) > TRIM_THRESHOLD) return true;
    return false;
  };
  if (corners.some(([x, y]) => differs(x, y))) return whole;
  let left = img.width;
  let right = -1;
  let top = img.height;
  let bottom = -1;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
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
          r += w * pixel(img, x, y, 0);
          g += w * pixel(img, x, y, 1);
          b += w * pixel(img, x, y, 2);
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

/** A signature prepared for many comparisons: the grey grid mean-centred and unit-length. */
export interface PreparedSignature {
  /** Unit vector of the centred grey grid (standard scores / 16); all zeros for a flat image. */
  structure: Float32Array;
  flat: boolean;
  colour: Uint8Array;
  aspect: number;
}

export function prepareSignature(sig: PixelSignature): PreparedSignature {
  const n = sig.grey.length;
  let mean = 0;
  for (const v of sig.grey) mean += v;
  mean /= n;
  const structure = new Float32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    structure[i] = sig.grey[i]! - mean;
    sum += structure[i]! * structure[i]!;
  }
  // A spread under ~1 grey level per cell is noise, not structure.
  const flat = sum < n;
  if (flat) structure.fill(0);
  else {
    const norm = Math.sqrt(sum);
    for (let i = 0; i < n; i++) structure[i]! /= norm;
  }
  return { structure, flat, colour: sig.colour, aspect: sig.aspect };
}

/** Correlation of the grey grids, 1 = same structure; two flat images count as the same. */
export function structureSimilarity(a: PreparedSignature, b: PreparedSignature): number {
  if (a.flat || b.flat) return a.flat && b.flat ? 1 : 0;
  let s = 0;
  for (let i = 0; i < a.structure.length; i++) s += a.structure[i]! * b.structure[i]!;
  return s;
}

/**
 * The most two grey grids differ in any 4x4 block of cells: the mean absolute difference of
 * their standard scores there (0 = same; ~0.7 for two symbols on the same badge). Infinity when
 * one image is flat and the other is not.
 */
export function localDifference(a: PreparedSignature, b: PreparedSignature): number {
  if (a.flat || b.flat) return a.flat && b.flat ? 0 : Infinity;
  const scale = GRID; // structure values are standard scores / sqrt(GRID * GRID)
  const block = GRID / 4;
  let worst = 0;
  for (let by = 0; by < GRID; by += block) {
    for (let bx = 0; bx < GRID; bx += block) {
      let sum = 0;
      for (let y = by; y < by + block; y++) {
        for (let x = bx; x < bx + block; x++) sum += Math.abs(a.structure[y * GRID + x]! - b.structure[y * GRID + x]!);
      }
      worst = Math.max(worst, (sum * scale) / (block * block));
    }
  }
  return worst;
}

/**
 * Above this local difference two images are not the same picture. Same-asset pairs of the
 * generated test set stay under 0.53 (99th percentile), icons drawn on one badge start at 0.72.
 */
export const MAX_LOCAL_DIFFERENCE = 0.6;

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
