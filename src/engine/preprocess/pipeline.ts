// One decode per file: read the bytes once, hash them, decode them once into 8-bit sRGB RGB
// (EXIF orientation applied, alpha flattened, first frame, SVG rasterized), then derive the
// model tensor (float32 CHW) and optionally a WebP thumbnail from that same decoded buffer.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import type { AugmentParams, ThumbnailOptions } from '../types';
import { writeFileAtomic } from '../util/atomic';
import { readRegularFile, UnreadableFileError } from '../util/files';
import { MAX_IMAGE_FILE_BYTES } from '../util/limits';
import { type PreprocessConfig, type ResizeKernel, type ResolvedGeometry, resizedSize } from './config';
import type { Rgb } from './background';
import { ImageDecodeError, describeDecodeFailure, describeUnrecognised, formatMegapixels, sniffFormat } from './errors';

export const DEFAULT_MAX_PIXELS = 100_000_000;
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

  constructor(paths: readonly string[], private readonly capacity = 4) {
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
  width: number;
  height: number;
  hasAlpha: boolean;
  /** SVG only: rasterization DPI, and the size at the file's own DPI. */
  density?: number;
  svgBase?: { width: number; height: number; density: number };
}

export async function preprocessImage(file: string, req: PreprocessRequest): Promise<PreprocessedImage> {
  const shared = req.shared ?? {};
  const probe = await (shared.probe ??= readImageFile(file).then((bytes) => probeImage(file, bytes, req)));
  const fullDecode = () => (shared.decoded ??= decode(probe, req));
  const out: PreprocessedImage = { sha256: probe.sha256, width: probe.width, height: probe.height };

  const thumbPath = req.thumbnails ? thumbnailPath(probe.sha256, req.thumbnails) : undefined;
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

  // JPEG/WebP much larger than the model needs: let libvips shrink while decoding (DCT/libwebp
  // scaling) straight to the resize size. The model input then depends only on the file and the
  // model, never on thumbnail settings.
  const resize = model.geometry.resize;
  const target = resize ? resizedSize(resize, probe.width, probe.height) : undefined;
  if (target && !req.augment && req.maxPixels > 0 && target.width * target.height > req.maxPixels) {
    // A 1-pixel-wide strip would be upscaled to an enormous image before cropping.
    throw new ImageDecodeError(`aspect ratio too extreme: ${probe.width}×${probe.height} would resize to ${target.width}×${target.height}`);
  }
  const shrinkOnLoad = !req.augment && target !== undefined && (probe.format === 'jpeg' || probe.format === 'webp')
    && probe.width * probe.height >= 4 * target.width * target.height;

  let decoded: RgbImage;
  let resized: RgbImage;
  let tensorImage: RgbImage;
  if (req.augment) {
    decoded = await fullDecode();
    tensorImage = await augmentCrop(decoded, req.augment, model.imageSize, model.config.kernel);
    resized = decoded;
  } else {
    if (shrinkOnLoad && target) {
      decoded = await decode(probe, req, { ...target, kernel: model.config.kernel, fit: 'fill' });
      resized = decoded;
    } else {
      decoded = await fullDecode();
      resized = target ? await resizeRgb(decoded, target.width, target.height, model.config.kernel) : decoded;
    }
    const crop = model.geometry.crop;
    tensorImage = crop ? centerCrop(resized, crop.width, crop.height) : resized;
  }
  out.tensor = toTensor(tensorImage, model.config);
  out.tensorWidth = tensorImage.width;
  out.tensorHeight = tensorImage.height;

  if (needThumb && req.thumbnails && thumbPath) {
    const size = req.thumbnails.size;
    // The shrunk decode (or a vector raster made for the model) is only a fit source when it
    // is at least the thumbnail size; otherwise decode once more for the thumbnail alone.
    const svgThumb = svgRasterFor(probe, size, req.maxPixels);
    const source = svgThumb !== probe
      ? await decode(svgThumb, req, thumbnailShrinkTarget(svgThumb, size))
      : !shrinkOnLoad || Math.max(decoded.width, decoded.height) >= Math.min(size, Math.max(probe.width, probe.height))
        ? decoded
        : await decode(probe, req, thumbnailShrinkTarget(probe, size));
    await writeThumbnail(source, size, thumbPath);
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

  const probe: Probe = { bytes, sha256, format, width, height, hasAlpha: meta.hasAlpha ?? false };
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
  return probe;
}

/** The probe of an SVG rasterized at `scale` x its own size (at least 1x, within the budget). */
function svgRaster(probe: Probe, scale: number, maxPixels: number): Probe {
  const base = probe.svgBase!;
  let s = Math.max(1, scale);
  if (maxPixels > 0) s = Math.min(s, Math.sqrt(maxPixels / (base.width * base.height)));
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

function checkPixels(width: number, height: number, maxPixels: number): void {
  const pixels = width * height;
  if (maxPixels > 0 && pixels > maxPixels) {
    throw new ImageDecodeError(
      `image is ${width}×${height} = ${formatMegapixels(pixels)}, above the ${formatMegapixels(maxPixels)} limit`,
    );
  }
}

interface DecodeTarget {
  width: number;
  height: number;
  kernel: ResizeKernel;
  fit: 'fill' | 'inside';
}

/** The single libvips decode: oriented, flattened, first frame, 8-bit sRGB, 3 channels. */
async function decode(probe: Probe, opts: DecodeOptions, target?: DecodeTarget): Promise<RgbImage> {
  // The rasterized SVG size is bounded by the density chosen in probeImage.
  const limit = probe.format === 'svg' ? false : opts.maxPixels > 0 ? opts.maxPixels : false;
  let img = sharp(probe.bytes, {
    limitInputPixels: limit,
    failOn: 'error',
    pages: 1,
    density: probe.density,
    autoOrient: true,
  });
  if (probe.hasAlpha) img = img.flatten({ background: opts.background });
  if (target) {
    img = img.resize({
      width: target.width,
      height: target.height,
      fit: target.fit,
      kernel: target.kernel,
      withoutEnlargement: target.fit === 'inside',
      fastShrinkOnLoad: true,
    });
  }
  let result: { data: Buffer; info: sharp.OutputInfo };
  try {
    result = await img.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    const msg = (err as Error).message;
    if (/pixel limit/i.test(msg)) checkPixels(probe.width, probe.height, opts.maxPixels);
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
      out[i * 3] = v; out[i * 3 + 1] = v; out[i * 3 + 2] = v;
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
  let p = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .extract({ left, top, width, height });
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

export function thumbnailPath(sha256: string, opts: ThumbnailOptions): string {
  return path.join(path.resolve(opts.dir), `${sha256}-${opts.size}.webp`);
}

function thumbnailShrinkTarget(probe: Probe, size: number): DecodeTarget | undefined {
  return Math.max(probe.width, probe.height) > size
    ? { width: size, height: size, kernel: 'lanczos3', fit: 'inside' }
    : undefined;
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
