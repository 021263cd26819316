// The pixel operations Apple's training loader applies when it replays stored augmentations, done
// exactly as Pillow does them (its C code in libImaging: Resample.c, Geometry.c, Filter.c, Blend.c,
// Convert.c, and ImageOps/ImageEnhance), for 8-bit RGB images. torchvision hands PIL images to
// these functions, so a view computed here is the view the trainer computes: same fixed-point
// filters, same float32 rounding, same nearest-neighbour sampling. Tests compare every operation
// with Python's PIL pixel by pixel.

/** 8-bit RGB, row-major, 3 bytes per pixel (Pillow's "RGB" mode without the padding byte). */
export interface RgbPixels {
  width: number;
  height: number;
  data: Uint8Array;
}

export function rgbPixels(width: number, height: number, data?: Uint8Array): RgbPixels {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new Error(`bad image size ${width}x${height}`);
  const bytes = data ?? new Uint8Array(width * height * 3);
  if (bytes.length !== width * height * 3) throw new Error(`${bytes.length} bytes for a ${width}x${height} RGB image`);
  return { width, height, data: bytes };
}

/** Image.crop((left, top, left + width, top + height)) for a box inside the image. */
export function crop(img: RgbPixels, left: number, top: number, width: number, height: number): RgbPixels {
  if (!(left >= 0 && top >= 0 && width > 0 && height > 0 && left + width <= img.width && top + height <= img.height)) {
    throw new Error(`crop box (left ${left}, top ${top}, ${width}x${height}) is not inside the ${img.width}x${img.height} image`);
  }
  const out = rgbPixels(width, height);
  for (let y = 0; y < height; y++) {
    const src = ((top + y) * img.width + left) * 3;
    out.data.set(img.data.subarray(src, src + width * 3), y * width * 3);
  }
  return out;
}

/** Image.transpose(FLIP_LEFT_RIGHT). */
export function flipLeftRight(img: RgbPixels): RgbPixels {
  const out = rgbPixels(img.width, img.height);
  const { width, height, data } = img;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      const d = (y * width + (width - 1 - x)) * 3;
      out.data[d] = data[s]!;
      out.data[d + 1] = data[s + 1]!;
      out.data[d + 2] = data[s + 2]!;
    }
  }
  return out;
}

// ------------------------------------------------------------------ resize (Resample.c)

/** Pillow's resampling filters (torchvision's InterpolationMode names). */
export type PilFilter = 'nearest' | 'box' | 'bilinear' | 'hamming' | 'bicubic' | 'lanczos';
export const PIL_FILTERS: readonly PilFilter[] = ['nearest', 'box', 'bilinear', 'hamming', 'bicubic', 'lanczos'];

interface Kernel {
  support: number;
  fn: (x: number) => number;
}

const F32_054 = Math.fround(0.54);
const F32_046 = Math.fround(0.46);
const sinc = (x: number): number => {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
};
const KERNELS: Record<Exclude<PilFilter, 'nearest'>, Kernel> = {
  box: { support: 0.5, fn: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: {
    support: 1,
    fn: (x) => {
      const a = Math.abs(x);
      return a < 1 ? 1 - a : 0;
    },
  },
  hamming: {
    support: 1,
    fn: (x) => {
      let a = Math.abs(x);
      if (a === 0) return 1;
      if (a >= 1) return 0;
      a = a * Math.PI;
      return (Math.sin(a) / a) * (F32_054 + F32_046 * Math.cos(a));
    },
  },
  bicubic: {
    support: 2,
    fn: (x) => {
      const A = -0.5;
      const a = Math.abs(x);
      if (a < 1) return ((A + 2) * a - (A + 3)) * a * a + 1;
      if (a < 2) return (((a - 5) * a + 8) * a - 4) * A;
      return 0;
    },
  },
  lanczos: { support: 3, fn: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

const PRECISION_BITS = 22; // 32 - 8 - 2

/** Pillow's int32 fixed-point coefficients, held as doubles: sums of these integer products stay exact (< 2^53) and V8 runs double arithmetic faster than checked int32. */
interface Coefficients {
  ksize: number;
  bounds: Int32Array;
  kk: Float64Array;
}

/** precompute_coeffs + normalize_coeffs_8bpc for a full-image box. */
function coefficients(inSize: number, outSize: number, kernel: Kernel): Coefficients {
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = kernel.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Float64Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = 0 + (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = kernel.fn((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x++) {
      let v = x < xmax ? k[x]! : 0;
      if (x < xmax && ww !== 0) v /= ww;
      kk[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

const SCALE = 2 ** PRECISION_BITS;
/** clip8(ss >> PRECISION_BITS) for an exact integer sum held in a double. */
const clip8 = (ss: number): number => {
  const v = Math.floor(ss / SCALE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
};

/**
 * One pass of Pillow's ImagingResampleHorizontal_8bpc / ImagingResampleVertical_8bpc: output
 * pixel (x, y) sums the input pixels along one axis with that position's coefficients. The
 * horizontal pass reads input rows from `rowOffset` on; the vertical one reads a horizontal pass's
 * output, whose first row is input row `rowOffset`.
 */
function resamplePass(img: RgbPixels, outWidth: number, outHeight: number, c: Coefficients, horizontal: boolean, rowOffset: number): RgbPixels {
  const out = rgbPixels(outWidth, outHeight);
  const half = 1 << (PRECISION_BITS - 1);
  const src = img.data;
  const dst = out.data;
  const { bounds, kk, ksize } = c;
  const w3 = img.width * 3;
  const tapStride = horizontal ? 3 : w3;
  let o = 0;
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const j = horizontal ? x : y;
      const taps = bounds[j * 2 + 1]!;
      const kBase = j * ksize;
      let p = horizontal ? (y + rowOffset) * w3 + bounds[j * 2]! * 3 : (bounds[j * 2]! - rowOffset) * w3 + x * 3;
      let s0 = half;
      let s1 = half;
      let s2 = half;
      for (let t = 0; t < taps; t++, p += tapStride) {
        const w = kk[kBase + t]!;
        s0 += src[p]! * w;
        s1 += src[p + 1]! * w;
        s2 += src[p + 2]! * w;
      }
      dst[o++] = clip8(s0);
      dst[o++] = clip8(s1);
      dst[o++] = clip8(s2);
    }
  }
  return out;
}

/** Image.resize((width, height), filter) of a whole RGB image. */
export function resize(img: RgbPixels, width: number, height: number, filter: PilFilter): RgbPixels {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new Error(`bad resize target ${width}x${height}`);
  if (img.width === width && img.height === height) return rgbPixels(width, height, img.data.slice());
  if (filter === 'nearest') return affine(img, [img.width / width, 0, 0, 0, img.height / height, 0], width, height);
  const kernel = KERNELS[filter];
  const horizontal = coefficients(img.width, width, kernel);
  const vertical = coefficients(img.height, height, kernel);
  const needHorizontal = width !== img.width;
  const needVertical = height !== img.height;
  const firstRow = vertical.bounds[0]!;
  const lastRow = vertical.bounds[height * 2 - 2]! + vertical.bounds[height * 2 - 1]!;
  let current = img;
  let shift = 0;
  if (needHorizontal) {
    current = resamplePass(img, width, lastRow - firstRow, horizontal, true, firstRow);
    shift = firstRow;
  }
  if (needVertical) current = resamplePass(current, current.width, height, vertical, false, shift);
  return current;
}

// ------------------------------------------------------------------ affine (Geometry.c, NEAREST)

/** C's (int) cast of a coordinate as Geometry.c's COORD macro does it: negatives become -1. */
const coord = (v: number): number => (v < 0 ? -1 : Math.trunc(v));

/**
 * Image.transform((width, height), AFFINE, a, NEAREST, fillcolor=black): output pixel (x, y) takes
 * the input pixel at a · (x + 0.5, y + 0.5, 1); pixels mapping outside stay black. The three code
 * paths of ImagingTransformAffine (pure scaling, 16.16 fixed point, float) are reproduced, as they
 * round differently.
 */
// Long: kept statement for statement next to Pillow's C so the two can be compared when pixels differ.
export function affine(img: RgbPixels, a: readonly number[], width = img.width, height = img.height): RgbPixels {
  const out = rgbPixels(width, height);
  const src = img.data;
  const dst = out.data;
  const copy = (x: number, y: number, xin: number, yin: number) => {
    const s = (yin * img.width + xin) * 3;
    const d = (y * width + x) * 3;
    dst[d] = src[s]!;
    dst[d + 1] = src[s + 1]!;
    dst[d + 2] = src[s + 2]!;
  };
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  if (a1 === 0 && a3 === 0) {
    // ImagingScaleAffine: pretabulated columns, accumulated in double.
    const xintab = new Int32Array(width);
    let xmin = width;
    let xmax = 0;
    let xo = a2 + a0 * 0.5;
    for (let x = 0; x < width; x++) {
      const xin = coord(xo);
      if (xin >= 0 && xin < img.width) {
        xmax = x + 1;
        if (x < xmin) xmin = x;
        xintab[x] = xin;
      }
      xo += a0;
    }
    let yo = a5 + a4 * 0.5;
    for (let y = 0; y < height; y++) {
      const yi = coord(yo);
      if (yi >= 0 && yi < img.height) for (let x = xmin; x < xmax; x++) copy(x, y, xintab[x]!, yi);
      yo += a4;
    }
    return out;
  }
  const fits = (x: number, y: number) => Math.abs(x * a0 + y * a1 + a2) < 32768 && Math.abs(x * a3 + y * a4 + a5) < 32768;
  if (fits(0, 0) && fits(width, height) && fits(0, height) && fits(width, 0)) {
    // affine_fixed: 16.16 fixed point, int32 accumulation.
    const fix = (v: number) => Math.floor(v * 65536 + 0.5) | 0;
    const f0 = fix(a0);
    const f1 = fix(a1);
    const f3 = fix(a3);
    const f4 = fix(a4);
    let f2 = fix(a2 + a0 * 0.5 + a1 * 0.5);
    let f5 = fix(a5 + a3 * 0.5 + a4 * 0.5);
    for (let y = 0; y < height; y++) {
      let xx = f2;
      let yy = f5;
      for (let x = 0; x < width; x++) {
        const xin = xx >> 16;
        if (xin >= 0 && xin < img.width) {
          const yin = yy >> 16;
          if (yin >= 0 && yin < img.height) copy(x, y, xin, yin);
        }
        xx = (xx + f0) | 0;
        yy = (yy + f3) | 0;
      }
      f2 = (f2 + f1) | 0;
      f5 = (f5 + f4) | 0;
    }
    return out;
  }
  let xo = a2 + a1 * 0.5 + a0 * 0.5;
  let yo = a5 + a4 * 0.5 + a3 * 0.5;
  for (let y = 0; y < height; y++) {
    let xx = xo;
    let yy = yo;
    for (let x = 0; x < width; x++) {
      const xin = coord(xx);
      if (xin >= 0 && xin < img.width) {
        const yin = coord(yy);
        if (yin >= 0 && yin < img.height) copy(x, y, xin, yin);
      }
      xx += a0;
      yy += a3;
    }
    xo += a1;
    yo += a4;
  }
  return out;
}

/** Python's round(x, 15) (correctly rounded to 15 decimals; exact ties never occur for cos/sin). */
const round15 = (x: number): number => Number(x.toFixed(15));

/** Image.rotate(angle, NEAREST, expand=False, fillcolor=black) about the image centre. */
export function rotate(img: RgbPixels, angleDegrees: number): RgbPixels {
  let angle = angleDegrees % 360;
  if (angle < 0) angle += 360;
  if (angle === 0) return rgbPixels(img.width, img.height, img.data.slice());
  if (angle === 180) return transposeRotate(img, 180);
  if ((angle === 90 || angle === 270) && img.width === img.height) return transposeRotate(img, angle);
  const w = img.width;
  const h = img.height;
  const cx = w / 2;
  const cy = h / 2;
  const rad = -(angle * (Math.PI / 180));
  const m = [round15(Math.cos(rad)), round15(Math.sin(rad)), 0, round15(-Math.sin(rad)), round15(Math.cos(rad)), 0];
  const tx = -cx - 0;
  const ty = -cy - 0;
  const m2 = m[0]! * tx + m[1]! * ty + m[2]!;
  const m5 = m[3]! * tx + m[4]! * ty + m[5]!;
  m[2] = m2 + cx;
  m[5] = m5 + cy;
  return affine(img, m);
}

/** Image.transpose(ROTATE_90 / ROTATE_180 / ROTATE_270) (counter-clockwise, square images for 90/270). */
function transposeRotate(img: RgbPixels, angle: 90 | 180 | 270): RgbPixels {
  const { width: w, height: h, data } = img;
  const out = rgbPixels(angle === 180 ? w : h, angle === 180 ? h : w);
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      let sx: number;
      let sy: number;
      if (angle === 180) {
        sx = w - 1 - x;
        sy = h - 1 - y;
      } else if (angle === 90) {
        sx = w - 1 - y;
        sy = x;
      } else {
        sx = y;
        sy = h - 1 - x;
      }
      const s = (sy * w + sx) * 3;
      const d = (y * out.width + x) * 3;
      out.data[d] = data[s]!;
      out.data[d + 1] = data[s + 1]!;
      out.data[d + 2] = data[s + 2]!;
    }
  }
  return out;
}

// ------------------------------------------------------------------ colour (Blend.c, Convert.c, ImageEnhance)

/** Image.blend(a, b, alpha): alpha is a C float and the arithmetic is float32. */
export function blend(a: RgbPixels, b: RgbPixels, alphaDouble: number): RgbPixels {
  const alpha = Math.fround(alphaDouble);
  if (alpha === 0) return rgbPixels(a.width, a.height, a.data.slice());
  if (alpha === 1) return rgbPixels(b.width, b.height, b.data.slice());
  const out = rgbPixels(a.width, a.height);
  const n = a.data.length;
  if (alpha >= 0 && alpha <= 1) {
    for (let i = 0; i < n; i++) {
      const v = Math.fround(a.data[i]! + Math.fround(alpha * (b.data[i]! - a.data[i]!)));
      out.data[i] = Math.trunc(v);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = Math.fround(a.data[i]! + Math.fround(alpha * (b.data[i]! - a.data[i]!)));
      out.data[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
    }
  }
  return out;
}

/** Image.convert("L") luma, ITU-R 601-2 in Pillow's 16-bit fixed point. */
export function luma(img: RgbPixels): Uint8Array {
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  const d = img.data;
  for (let i = 0; i < n; i++) out[i] = (d[i * 3]! * 19595 + d[i * 3 + 1]! * 38470 + d[i * 3 + 2]! * 7471 + 0x8000) >> 16;
  return out;
}

function grayToRgb(gray: Uint8Array, width: number, height: number): RgbPixels {
  const out = rgbPixels(width, height);
  for (let i = 0; i < gray.length; i++) out.data[i * 3] = out.data[i * 3 + 1] = out.data[i * 3 + 2] = gray[i]!;
  return out;
}

/** ImageEnhance.Brightness(img).enhance(factor). */
export function brightness(img: RgbPixels, factor: number): RgbPixels {
  return blend(rgbPixels(img.width, img.height), img, factor);
}

/** ImageEnhance.Color(img).enhance(factor) (torchvision's adjust_saturation for PIL images). */
export function color(img: RgbPixels, factor: number): RgbPixels {
  return blend(grayToRgb(luma(img), img.width, img.height), img, factor);
}

/** ImageEnhance.Contrast(img).enhance(factor): blend with the rounded mean luma. */
export function contrast(img: RgbPixels, factor: number): RgbPixels {
  const l = luma(img);
  const hist = new Float64Array(256);
  for (const v of l) hist[v]!++;
  let sum = 0;
  for (let i = 0; i < 256; i++) sum += i * hist[i]!;
  const mean = Math.trunc(sum / l.length + 0.5);
  const degenerate = rgbPixels(img.width, img.height, new Uint8Array(img.data.length).fill(mean));
  return blend(degenerate, img, factor);
}

/** ImageEnhance.Sharpness(img).enhance(factor): blend with ImageFilter.SMOOTH (borders unfiltered). */
export function sharpness(img: RgbPixels, factor: number): RgbPixels {
  return blend(smooth(img), img, factor);
}

/** ImageFilter.SMOOTH: 3x3 kernel [1 1 1; 1 5 1; 1 1 1] / 13 in float32, +0.5 and truncation. */
export function smooth(img: RgbPixels): RgbPixels {
  const k1 = Math.fround(Math.fround(1) / Math.fround(13));
  const k5 = Math.fround(Math.fround(5) / Math.fround(13));
  const kernel = [k1, k1, k1, k1, k5, k1, k1, k1, k1];
  const { width: w, height: h, data } = img;
  const out = rgbPixels(w, h, data.slice());
  if (w < 3 || h < 3) return out;
  const f = Math.fround;
  const offset = f(0 + 0.5);
  const row3 = (p: number, k0: number, k1x: number, k2: number) => f(f(f(data[p - 3]! * k0) + f(data[p]! * k1x)) + f(data[p + 3]! * k2));
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      for (let c = 0; c < 3; c++) {
        const p = (y * w + x) * 3 + c;
        let ss = offset;
        ss = f(ss + row3(p + w * 3, kernel[0]!, kernel[1]!, kernel[2]!));
        ss = f(ss + row3(p, kernel[3]!, kernel[4]!, kernel[5]!));
        ss = f(ss + row3(p - w * 3, kernel[6]!, kernel[7]!, kernel[8]!));
        out.data[p] = ss <= 0 ? 0 : ss >= 255 ? 255 : Math.trunc(ss);
      }
    }
  }
  return out;
}

function applyLut(img: RgbPixels, luts: readonly Uint8Array[]): RgbPixels {
  const out = rgbPixels(img.width, img.height);
  for (let i = 0; i < img.data.length; i++) out.data[i] = luts[i % 3]![img.data[i]!]!;
  return out;
}

function histograms(img: RgbPixels): Float64Array[] {
  const h = [new Float64Array(256), new Float64Array(256), new Float64Array(256)];
  for (let i = 0; i < img.data.length; i++) h[i % 3]![img.data[i]!]!++;
  return h;
}

/** ImageOps.posterize(img, bits). */
export function posterize(img: RgbPixels, bits: number): RgbPixels {
  const mask = ~(2 ** (8 - bits) - 1);
  const lut = Uint8Array.from({ length: 256 }, (_, i) => i & mask);
  return applyLut(img, [lut, lut, lut]);
}

/** ImageOps.solarize(img, threshold): values >= threshold are inverted. */
export function solarize(img: RgbPixels, threshold: number): RgbPixels {
  const lut = Uint8Array.from({ length: 256 }, (_, i) => (i < threshold ? i : 255 - i));
  return applyLut(img, [lut, lut, lut]);
}

/** ImageOps.autocontrast(img) (cutoff 0, no ignore, per band). */
export function autocontrast(img: RgbPixels): RgbPixels {
  const luts = histograms(img).map((h) => {
    let lo = 0;
    while (lo < 255 && !h[lo]) lo++;
    let hi = 255;
    while (hi > 0 && !h[hi]) hi--;
    const lut = new Uint8Array(256);
    if (hi <= lo) for (let i = 0; i < 256; i++) lut[i] = i;
    else {
      const scale = 255 / (hi - lo);
      const offset = -lo * scale;
      for (let i = 0; i < 256; i++) {
        const v = Math.trunc(i * scale + offset);
        lut[i] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
    return lut;
  });
  return applyLut(img, luts);
}

/** ImageOps.equalize(img) (no mask, per band). */
export function equalize(img: RgbPixels): RgbPixels {
  const luts = histograms(img).map((h) => {
    const used = [...h].filter((v) => v > 0);
    const lut = new Uint8Array(256);
    const identity = () => {
      for (let i = 0; i < 256; i++) lut[i] = i;
      return lut;
    };
    if (used.length <= 1) return identity();
    const step = Math.floor((used.reduce((a, b) => a + b, 0) - used[used.length - 1]!) / 255);
    if (!step) return identity();
    let n = Math.floor(step / 2);
    for (let i = 0; i < 256; i++) {
      const v = Math.floor(n / step);
      lut[i] = v > 255 ? 255 : v;
      n += h[i]!;
    }
    return lut;
  });
  return applyLut(img, luts);
}
