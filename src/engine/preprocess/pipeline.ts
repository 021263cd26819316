// One read and one decode per file: read the bytes once, hash them, decode them once into 8-bit
// sRGB RGB (EXIF orientation applied, alpha flattened, first frame, SVG rasterized), then derive
// the model tensor (float32 CHW) and optionally a WebP thumbnail from that same decode.
//
// Memory stays bounded whatever the image's size: an image larger than the model input is
// decoded and resized in one streaming libvips pipeline (sequential access: rows flow from the
// decoder through the resize, shrink-on-load where the format has it), so only the resized image
// is ever held, and the thumbnail is made from it. Formats libvips must decode whole (interlaced
// PNG, progressive JPEG, GIF, WebP, HEIF...) keep a lower pixel limit, since theirs is held in
// full. The pixel limit then guards time rather than memory, together with a per-file time
// budget and, for SVG, a complexity budget checked before librsvg parses anything.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import type { AugmentParams, ThumbnailOptions } from '../types';
import { thumbnailPath } from '../index/thumbnails';
import { writeFileAtomic } from '../util/atomic';
import { readRegularFile, UnreadableFileError } from '../util/files';
import { WeightedLimiter } from '../util/limiter';
import { MAX_IMAGE_FILE_BYTES } from '../util/limits';
import { type PreprocessConfig, type ResizeKernel, type ResolvedGeometry, resizedSize } from './config';
import type { Rgb } from './background';
import { ImageDecodeError, describeDecodeFailure, describeUnrecognised, formatLabel, formatMegapixels, sniffFormat } from './errors';

/** Default pixel limit (decompression-bomb guard): 1.5 gigapixels, streamed in bounded memory (see MAX_STREAM_WIDTH). */
export const DEFAULT_MAX_PIXELS = 1_500_000_000;
/** Limit for formats libvips decodes whole into memory (3-4 bytes a pixel). */
export const WHOLE_DECODE_MAX_PIXELS = 100_000_000;
/** SVG complexity budget: librsvg holds several KiB per element and re-walks all of them per raster. */
export const MAX_SVG_ELEMENTS = 30_000;
export const MAX_SVG_BYTES = 8 * 1024 * 1024;
export { DEFAULT_BACKGROUND, parseBackground, type Rgb } from './background';

export interface DecodeOptions {
  background: Rgb;
  maxPixels: number;
}

export interface ModelPreprocess {
  config: PreprocessConfig;
  geometry: ResolvedGeometry;
  /** Square model input size (the augment path resizes its crop straight to this). */
  imageSize: number;
}

export interface PreprocessRequest extends DecodeOptions {
  /** Omit to only decode (and thumbnail). */
  model?: ModelPreprocess;
  augment?: AugmentParams;
  thumbnails?: ThumbnailOptions;
  /** Shares one read + decode between the items of a request that name the same file. */
  shared?: SharedSource;
}

/**
 * What the items of one request naming the same file share: the read + probe and the full-size
 * decode (the raw RGB that augment crops and non-shrunk plain items start from). Reinforcement
 * asks for K augmented views of each image, and decoding the file K times dominated its cost;
 * cropping from one decode gives the very same pixels. Filled by the first item that needs it.
 */
export interface SharedSource {
  probe?: Promise<Probe>;
  decoded?: Promise<RgbImage>;
}

/**
 * Hands out the SharedSource of each use of a path in a request (the paths in request order).
 * An entry is forgotten when its last use takes it, and at most `capacity` are kept otherwise,
 * so memory stays bounded whatever the order of the items.
 */
export class SharedSources {
  private readonly usesLeft = new Map<string, number>();
  private readonly entries = new Map<string, SharedSource>(); // insertion order = least recent first

  constructor(
    paths: readonly string[],
    private readonly capacity = 4,
  ) {
    for (const p of paths) this.usesLeft.set(p, (this.usesLeft.get(p) ?? 0) + 1);
  }

  take(file: string): SharedSource {
    const entry = this.entries.get(file) ?? {};
    this.entries.delete(file);
    const left = (this.usesLeft.get(file) ?? 1) - 1;
    if (left <= 0) {
      this.usesLeft.delete(file);
      return entry;
    }
    this.usesLeft.set(file, left);
    this.entries.set(file, entry);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }
}

export interface PreprocessedImage {
  /** float32 CHW, absent when no model was requested. */
  tensor?: Float32Array;
  tensorWidth?: number;
  tensorHeight?: number;
  sha256: string;
  /** Oriented source size in pixels (SVG: the rasterized size). */
  width: number;
  height: number;
  thumbnail?: string;
}

/** 8-bit RGB pixels, row-major, 3 channels. */
interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

interface Probe {
  bytes: Buffer;
  sha256: string;
  format: string;
  /** Oriented (displayed) size. */
  width: number;
  height: number;
  hasAlpha: boolean;
  /** Interlaced PNG / progressive JPEG: libvips decodes these whole. */
  progressive: boolean;
  /** Width as stored (before EXIF rotation): what a streaming decode holds rows of. */
  storedWidth: number;
  /** SVG only: rasterization DPI, and the size at the file's own DPI. */
  density?: number;
  svgBase?: { width: number; height: number; density: number };
}

export async function preprocessImage(file: string, req: PreprocessRequest): Promise<PreprocessedImage> {
  const shared = req.shared ?? {};
  const probe = await (shared.probe ??= readImageFile(file).then((bytes) => probeImage(file, bytes, req)));
  const out: PreprocessedImage = { sha256: probe.sha256, width: probe.width, height: probe.height };

  const thumbPath = req.thumbnails ? thumbnailPath(path.resolve(req.thumbnails.dir), probe.sha256, req.thumbnails.size) : undefined;
  const needThumb = thumbPath !== undefined && !(await exists(thumbPath));
  const model = req.model;

  if (!model) {
    if (needThumb && req.thumbnails && thumbPath) {
      const p = svgRasterFor(probe, req.thumbnails.size, req.maxPixels);
      const img = await decode(p, req, thumbnailShrinkTarget(p, req.thumbnails.size));
      await writeThumbnail(img, req.thumbnails.size, thumbPath);
    }
    if (thumbPath) out.thumbnail = thumbPath;
    return out;
  }

  const resize = model.geometry.resize;
  const target = resize && !req.augment ? resizedSize(resize, probe.width, probe.height) : undefined;
  if (target) checkResizedSize(probe, target, req.maxPixels);
  else if (!req.augment) checkWholeDecode(probe, req.maxPixels, 'a model that does not resize');

  let source: RgbImage; // what the thumbnail may be made from: the full decode or the resized image
  let tensorImage: RgbImage;
  if (req.augment) {
    checkWholeDecode(probe, req.maxPixels, 'augmentation replay');
    source = await (shared.decoded ??= decode(probe, req));
    tensorImage = await augmentCrop(source, req.augment, model.imageSize, model.config.kernel);
  } else {
    let resized: RgbImage;
    if (target && streamsToTarget(probe, target)) {
      // Larger than the model input: decode and resize in one streaming pass (JPEG/WebP of at
      // least 4x the pixels also shrink while decoding), so the full-size pixels never exist.
      const shrinkOnLoad = probe.width * probe.height >= 4 * target.width * target.height;
      resized = await decode(probe, req, { ...target, kernel: model.config.kernel, shrinkOnLoad });
      source = resized;
    } else {
      // At most the model's size (or an SVG, rasterized near it): decode whole, then resize.
      source = await (shared.decoded ??= decode(probe, req));
      resized = target ? await resizeRgb(source, target.width, target.height, model.config.kernel) : source;
    }
    const crop = model.geometry.crop;
    tensorImage = crop ? centerCrop(resized, crop.width, crop.height) : resized;
  }
  out.tensor = toTensor(tensorImage, model.config);
  out.tensorWidth = tensorImage.width;
  out.tensorHeight = tensorImage.height;

  if (needThumb && req.thumbnails && thumbPath) {
    const size = req.thumbnails.size;
    // The decode above is a fit source when it is at least the thumbnail size (or the whole
    // image); otherwise (a small vector raster, a model input smaller than thumbnails) decode
    // once more for the thumbnail alone.
    const svgThumb = svgRasterFor(probe, size, req.maxPixels);
    const longSide = Math.max(source.width, source.height);
    const thumbSource =
      svgThumb !== probe
        ? await decode(svgThumb, req, thumbnailShrinkTarget(svgThumb, size))
        : longSide >= Math.min(size, Math.max(probe.width, probe.height))
          ? source
          : await decode(probe, req, thumbnailShrinkTarget(probe, size));
    await writeThumbnail(thumbSource, size, thumbPath);
  }
  if (thumbPath) out.thumbnail = thumbPath;
  return out;
}

/** The image's bytes: regular files only (not /dev/zero, not a FIFO named x.png), at most the image size cap. */
async function readImageFile(file: string): Promise<Buffer> {
  try {
    return await readRegularFile(file, { maxBytes: MAX_IMAGE_FILE_BYTES });
  } catch (err) {
    if (!(err instanceof UnreadableFileError)) throw new ImageDecodeError(`cannot read file: ${(err as Error).message}`);
    if (err.reason === 'too-large') throw new ImageDecodeError(`file is larger than the ${MAX_IMAGE_FILE_BYTES / 2 ** 20} MB an image may have`);
    if (/directory/.test(err.message)) throw new ImageDecodeError('is a directory, not an image file');
    throw new ImageDecodeError(err.message);
  }
}

async function probeImage(file: string, bytes: Buffer, opts: DecodeOptions & { model?: ModelPreprocess }): Promise<Probe> {
  if (bytes.length === 0) throw new ImageDecodeError('empty file (0 bytes)');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  // librsvg parses the whole document even for the header: check its complexity first.
  checkSvgComplexity(bytes);
  let meta: sharp.Metadata;
  try {
    // Header only: no pixel limit here so the guard below can say how big the image is.
    meta = await sharp(bytes, { limitInputPixels: false, pages: 1 }).metadata();
  } catch (err) {
    if (/unsupported image format/i.test((err as Error).message)) {
      throw new ImageDecodeError(describeUnrecognised(file, bytes));
    }
    throw new ImageDecodeError(describeDecodeFailure(sniffFormat(bytes), err));
  }
  const format = meta.format ?? 'image';
  // Oriented size of the first frame (metadata reports one page when pages = 1).
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  if (!width || !height) throw new ImageDecodeError(`${format} image has no size (corrupt header)`);
  checkPixels(width, height, opts.maxPixels);

  const probe: Probe = {
    bytes,
    sha256,
    format,
    width,
    height,
    hasAlpha: meta.hasAlpha ?? false,
    progressive: meta.isProgressive ?? false,
    storedWidth: meta.width ?? width,
  };
  if (format === 'svg') {
    // Rasterize big enough for the model (never past the pixel budget); only the model decides,
    // so the pixels the model sees do not depend on thumbnail settings.
    probe.svgBase = { width, height, density: meta.density ?? 72 };
    let scale = 1;
    const m = opts.model;
    if (m) {
      const t = m.geometry.resize ? resizedSize(m.geometry.resize, width, height) : undefined;
      scale = t ? Math.max(t.width / width, t.height / height) : m.imageSize / Math.min(width, height);
    }
    return svgRaster(probe, scale, opts.maxPixels);
  }
  if (!streams(probe)) checkWholeDecode(probe, opts.maxPixels);
  else checkStreamWidth(probe);
  return probe;
}

/** The probe of an SVG rasterized at `scale` x its own size (at least 1x, within the budget). */
function svgRaster(probe: Probe, scale: number, maxPixels: number): Probe {
  const base = probe.svgBase!;
  let s = Math.max(1, scale);
  const budget = Math.min(maxPixels > 0 ? maxPixels : Infinity, SVG_RASTER_MAX_PIXELS);
  s = Math.min(s, Math.sqrt(budget / (base.width * base.height)));
  s = Math.min(s, 100_000 / base.density);
  return {
    ...probe,
    density: base.density * s,
    width: Math.max(1, Math.round(base.width * s)),
    height: Math.max(1, Math.round(base.height * s)),
  };
}

/** For a thumbnail with this longest side: the same probe, or an SVG one rasterized larger. */
function svgRasterFor(probe: Probe, longSide: number, maxPixels: number): Probe {
  if (!probe.svgBase || Math.max(probe.width, probe.height) >= longSide) return probe;
  return svgRaster(probe, longSide / Math.max(probe.svgBase.width, probe.svgBase.height), maxPixels);
}

/** SVGs are rasterized whole (at their own size or the model's, whichever is larger), up to this. */
const SVG_RASTER_MAX_PIXELS = 4096 * 4096;
/** The resized (pre-crop) model input is held in memory: a 1-pixel strip must not become a huge one. */
const MAX_RESIZED_PIXELS = 16_000_000;
/**
 * A streaming decode holds a few thousand full-width rows in libvips' caches (~7 KiB a column,
 * measured with libvips 8.18): the width bounds its memory as the pixel count bounds time.
 */
export const MAX_STREAM_WIDTH = 40_000;
/**
 * Memory the decodes running at once in a process may hold between them (estimated, see
 * workingSetBytes): small images decode side by side, a big one waits for room, and one larger
 * than this runs alone.
 */
const DECODE_MEMORY_BUDGET = 96 * 1024 * 1024;
const decodeMemory = new WeightedLimiter(DECODE_MEMORY_BUDGET);

/**
 * Per-file time budget: a floor for every file plus time in proportion to its pixels. Wall time,
 * so it is generous: ~5 s per 100 MP on an idle core, measured 10x that on a shared 2-core machine.
 */
export function decodeBudgetSeconds(pixels: number): number {
  return Math.ceil(30 + pixels / 5_000_000);
}

function checkPixels(width: number, height: number, maxPixels: number, what = ''): void {
  const pixels = width * height;
  if (maxPixels > 0 && pixels > maxPixels) {
    throw new ImageDecodeError(`image is ${width}×${height} = ${formatMegapixels(pixels)}, above the ${formatMegapixels(maxPixels)} limit${what}`);
  }
}

/** Whether libvips decodes this image a strip at a time (else it holds the whole frame). */
function streams(probe: Probe): boolean {
  switch (probe.format) {
    case 'png':
    case 'jpeg':
      return !probe.progressive; // interlaced PNG and progressive JPEG are decoded whole
    case 'tiff':
    case 'svg':
      return true;
    default:
      return false; // GIF, WebP, HEIF/AVIF, JPEG 2000/XL, ...: whole frames
  }
}

function formatName(probe: Probe): string {
  if (probe.format === 'png' && probe.progressive) return 'interlaced PNG';
  if (probe.format === 'jpeg' && probe.progressive) return 'progressive JPEG';
  return formatLabel(probe.format);
}

/** Images decoded whole are held in full: their pixels bound memory, so they keep a lower limit. */
function checkWholeDecode(probe: Probe, maxPixels: number, why?: string): void {
  if (probe.svgBase) return; // rasterized at a size we chose
  const limit = Math.min(maxPixels > 0 ? maxPixels : Infinity, WHOLE_DECODE_MAX_PIXELS);
  checkPixels(probe.width, probe.height, limit, ` for ${why ?? `${formatName(probe)} (decoded whole)`}`);
}

function checkStreamWidth(probe: Probe): void {
  if (probe.storedWidth > MAX_STREAM_WIDTH) {
    throw new ImageDecodeError(`image is ${probe.storedWidth.toLocaleString('en-US')} pixels wide, above the ${MAX_STREAM_WIDTH.toLocaleString('en-US')} limit`);
  }
}

function checkResizedSize(probe: Probe, target: { width: number; height: number }, maxPixels: number): void {
  const limit = Math.min(maxPixels > 0 ? maxPixels : Infinity, MAX_RESIZED_PIXELS);
  if (target.width * target.height > limit) {
    // A 1-pixel-wide strip would be upscaled to an enormous image before cropping.
    throw new ImageDecodeError(`aspect ratio too extreme: ${probe.width}×${probe.height} would resize to ${target.width}×${target.height}`);
  }
}

/** Larger than the target on both sides, and not a vector raster: decode and resize in one pass. */
function streamsToTarget(probe: Probe, target: { width: number; height: number }): boolean {
  return !probe.svgBase && probe.width >= target.width && probe.height >= target.height && (probe.width > target.width || probe.height > target.height);
}

/**
 * Whether to resize across, then down, in two passes: for images beyond the whole-decode limit
 * (none of which the single pass ever decoded, so no earlier output changes) in formats without
 * shrink-on-load, stored upright, that shrink in both directions.
 */
function resizesAcrossFirst(probe: Probe, target: DecodeTarget): boolean {
  return (
    (probe.format === 'png' || probe.format === 'tiff') &&
    probe.width * probe.height > WHOLE_DECODE_MAX_PIXELS &&
    probe.storedWidth === probe.width &&
    target.width < probe.width &&
    target.height < probe.height
  );
}

/** Bytes a decode of this probe may hold at once (see MAX_STREAM_WIDTH; whole frames: RGBA). */
function workingSetBytes(probe: Probe, target?: DecodeTarget): number {
  if (!streams(probe)) return probe.width * probe.height * 4;
  if (!target) return probe.width * probe.height * 3; // a full decode is handed over whole
  return probe.storedWidth * 7 * 1024 + target.width * target.height * 3;
}

/**
 * SVG complexity budget, checked on the bytes before librsvg sees them: a 12 MB SVG of 100k
 * paths took librsvg seconds and ~500 MB per parse (and we parse for the header, the model
 * raster and the thumbnail). Elements are counted as "<" followed by a letter.
 */
function checkSvgComplexity(bytes: Buffer): void {
  let text: Buffer = bytes;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    // svgz: look inside, never inflating past the byte budget.
    try {
      text = gunzipSync(bytes, { maxOutputLength: MAX_SVG_BYTES + 1 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new ImageDecodeError(`compressed SVG inflates past the ${formatBytes(MAX_SVG_BYTES)} limit`);
      }
      return; // not gzip after all: let the decoder say what it is
    }
    if (!mayBeSvg(text)) return;
  } else if (!mayBeSvg(bytes)) {
    return;
  }
  if (text.length > MAX_SVG_BYTES) {
    throw new ImageDecodeError(`SVG is ${formatBytes(text.length)}, above the ${formatBytes(MAX_SVG_BYTES)} limit for vector images`);
  }
  let elements = 0;
  for (let i = text.indexOf(0x3c); i >= 0 && i + 1 < text.length; i = text.indexOf(0x3c, i + 1)) {
    const c = text[i + 1]! | 0x20; // lower-case ASCII letters
    if (c >= 0x61 && c <= 0x7a && ++elements > MAX_SVG_ELEMENTS) {
      throw new ImageDecodeError(`SVG has more than ${MAX_SVG_ELEMENTS.toLocaleString('en-US')} elements, above the complexity limit for vector images`);
    }
  }
}

/** SVG, or XML that may hold one past its first KiB (a long comment or doctype first). */
function mayBeSvg(bytes: Buffer): boolean {
  if (sniffFormat(bytes) === 'svg') return true;
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0; // UTF-8 BOM
  const head = bytes.toString('latin1', start, start + 64).trimStart();
  return head.startsWith('<?xml') || head.startsWith('<!--') || head.startsWith('<!DOCTYPE') || head.startsWith('<svg');
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Number((n / (1024 * 1024)).toFixed(1))} MiB` : `${Math.ceil(n / 1024)} KiB`;
}

/** Exact output size of a decode (aspect ratio already decided by the caller). */
interface DecodeTarget {
  width: number;
  height: number;
  kernel: ResizeKernel;
  /** Let JPEG/WebP shrink while decoding (default true). */
  shrinkOnLoad?: boolean;
}

/**
 * The single libvips decode: oriented, flattened, first frame, 8-bit sRGB, 3 channels; with a
 * target, resized in the same streaming pass. Decodes share a memory budget, and every decode
 * has a time budget.
 */
async function decode(probe: Probe, opts: DecodeOptions, target?: DecodeTarget): Promise<RgbImage> {
  return decodeMemory.run(workingSetBytes(probe, target), () => decodeNow(probe, opts, target));
}

async function decodeNow(probe: Probe, opts: DecodeOptions, target?: DecodeTarget): Promise<RgbImage> {
  if (target && resizesAcrossFirst(probe, target)) {
    // libvips resizes vertically first, over full-width rows (~7 KiB a column in its caches);
    // across first, the rows it keeps are only the target's width. Two passes, same kernels.
    const narrow = await decodeNow(probe, opts, { ...target, height: probe.height });
    return resizeRgb(narrow, target.width, target.height, target.kernel);
  }
  // The rasterized SVG size is bounded by the density chosen in probeImage.
  const limit = probe.format === 'svg' ? false : opts.maxPixels > 0 ? opts.maxPixels : false;
  const budget = decodeBudgetSeconds(probe.width * probe.height);
  let img = sharp(probe.bytes, {
    limitInputPixels: limit,
    failOn: 'error',
    pages: 1,
    density: probe.density,
    autoOrient: true,
    sequentialRead: true,
  }).timeout({ seconds: budget });
  if (probe.hasAlpha) img = img.flatten({ background: opts.background });
  if (target) {
    img = img.resize({
      width: target.width,
      height: target.height,
      fit: 'fill',
      kernel: target.kernel,
      fastShrinkOnLoad: target.shrinkOnLoad ?? true,
    });
  }
  let result: { data: Buffer; info: sharp.OutputInfo };
  try {
    result = await img.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    const msg = (err as Error).message;
    if (/pixel limit/i.test(msg)) checkPixels(probe.width, probe.height, opts.maxPixels);
    if (/^timeout\b/i.test(msg)) {
      throw new ImageDecodeError(`decoding took longer than its ${budget} s budget (${formatMegapixels(probe.width * probe.height)} ${formatLabel(probe.format)})`);
    }
    throw new ImageDecodeError(describeDecodeFailure(probe.format, err));
  }
  return toRgb(result.data, result.info.width, result.info.height, result.info.channels);
}

function toRgb(data: Buffer, width: number, height: number, channels: number): RgbImage {
  if (channels === 3) return { data, width, height };
  const n = width * height;
  const out = Buffer.allocUnsafe(n * 3);
  for (let i = 0; i < n; i++) {
    if (channels <= 2) {
      const v = data[i * channels];
      out[i * 3] = v;
      out[i * 3 + 1] = v;
      out[i * 3 + 2] = v;
    } else {
      out[i * 3] = data[i * channels];
      out[i * 3 + 1] = data[i * channels + 1];
      out[i * 3 + 2] = data[i * channels + 2];
    }
  }
  return { data: out, width, height };
}

async function resizeRgb(img: RgbImage, width: number, height: number, kernel: ResizeKernel): Promise<RgbImage> {
  if (img.width === width && img.height === height) return img;
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize({ width, height, fit: 'fill', kernel })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return toRgb(data, info.width, info.height, info.channels);
}

/** RandomResizedCrop replay: crop box in oriented source pixels, optional mirror, resize to S x S. */
async function augmentCrop(img: RgbImage, aug: AugmentParams, size: number, kernel: ResizeKernel): Promise<RgbImage> {
  // The box is clipped to the image; a box that misses it entirely is an error.
  const [x, y, w, h] = aug.crop.map((v) => Math.round(v));
  const left = Math.max(0, x);
  const top = Math.max(0, y);
  const width = Math.min(img.width, x + w) - left;
  const height = Math.min(img.height, y + h) - top;
  if (!(width > 0 && height > 0)) {
    throw new ImageDecodeError(`augmentation crop ${JSON.stringify(aug.crop)} lies outside the ${img.width}×${img.height} image`);
  }
  let p = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).extract({ left, top, width, height });
  if (aug.flip) p = p.flop();
  const { data, info } = await p.resize({ width: size, height: size, fit: 'fill', kernel }).raw().toBuffer({ resolveWithObject: true });
  return toRgb(data, info.width, info.height, info.channels);
}

/** HF center crop: offsets floor((in - out) / 2), zero padding when the image is smaller. */
function centerCrop(img: RgbImage, width: number, height: number): RgbImage {
  if (img.width === width && img.height === height) return img;
  const left = Math.floor((img.width - width) / 2);
  const top = Math.floor((img.height - height) / 2);
  const out = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= img.height) continue;
    const x0 = Math.max(0, -left);
    const x1 = Math.min(width, img.width - left);
    if (x1 <= x0) continue;
    img.data.copy(out, (y * width + x0) * 3, (sy * img.width + x0 + left) * 3, (sy * img.width + x1 + left) * 3);
  }
  return { data: out, width, height };
}

/** HWC uint8 -> CHW float32 with the config's rescale and (optional) mean/std normalization. */
export function toTensor(img: RgbImage, cfg: PreprocessConfig): Float32Array {
  const plane = img.width * img.height;
  const out = new Float32Array(plane * 3);
  const scale = cfg.doRescale ? cfg.rescaleFactor : 1;
  for (let c = 0; c < 3; c++) {
    const mean = cfg.doNormalize ? cfg.mean[c] : 0;
    const inv = cfg.doNormalize ? 1 / cfg.std[c] : 1;
    const base = c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = (img.data[i * 3 + c] * scale - mean) * inv;
  }
  return out;
}

/** Longest side `size`, aspect kept (exact sizes, so huge ones resize across first too). */
function thumbnailShrinkTarget(probe: Probe, size: number): DecodeTarget | undefined {
  const scale = size / Math.max(probe.width, probe.height);
  if (scale >= 1) return undefined;
  const width = Math.max(1, Math.round(probe.width * scale));
  const height = Math.max(1, Math.round(probe.height * scale));
  return { width, height, kernel: 'lanczos3' };
}

async function writeThumbnail(img: RgbImage, size: number, target: string): Promise<void> {
  const webp = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true, kernel: 'lanczos3' })
    .webp({ quality: 82, effort: 2 })
    .toBuffer();
  await writeFileAtomic(target, webp);
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
