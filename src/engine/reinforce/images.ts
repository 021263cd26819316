// The two image decodes of reinforcement, both in the worker process (they use sharp):
//  - the image a sample stores: the pixels the teachers see, written so that Apple's loader
//    (PIL `Image.open(...).convert('RGBA').convert('RGB')`, no EXIF rotation, alpha dropped)
//    decodes exactly them: EXIF orientation and alpha flattening are baked in;
//  - the decode of a stored image the way PIL does it, which every replay starts from.
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { ImageDecodeError, describeDecodeFailure, sniffFormat } from '../preprocess/errors';
import type { Rgb } from '../preprocess/pipeline';
import { rgbPixels, type RgbPixels } from './pil';

export interface StoredImage {
  /** Bytes of the `<uid>.png` / `<uid>.jpg` member. */
  bytes: Uint8Array;
  ext: 'png' | 'jpg';
  width: number;
  height: number;
  /** sha256 of the source file's bytes. */
  sourceSha256: string;
  /** How the stored bytes were made ("source JPEG unchanged", "PNG of the flattened pixels", ...). */
  how: string;
}

/** Lossless source formats: stored as PNG. Lossy ones that need re-encoding are stored as JPEG. */
const LOSSLESS = new Set(['png', 'gif', 'tiff', 'webp', 'svg', 'bmp', 'ppm', 'pgm', 'pbm', 'pnm']);
const JPEG_QUALITY = 95;

function checkPixels(width: number, height: number, maxPixels: number): void {
  if (maxPixels > 0 && width * height > maxPixels) {
    throw new ImageDecodeError(`image is ${width}×${height}, above the ${(maxPixels / 1e6).toFixed(0)} MP limit`);
  }
}

/**
 * The stored image of a source file. A JPEG that PIL already decodes as displayed (no EXIF
 * rotation, no colour profile, RGB or grey) is kept byte for byte; anything else is decoded once
 * (EXIF-oriented, flattened onto `background`, converted to sRGB, first frame), and written as
 * 8-bit RGB: PNG when the source was lossless (so PIL reads back exactly these pixels), JPEG
 * quality 95 when it was lossy (the teachers then embed the decode of that JPEG).
 */
export async function makeStoredImage(source: Buffer, background: Rgb, maxPixels: number): Promise<StoredImage> {
  if (source.length === 0) throw new ImageDecodeError('empty file (0 bytes)');
  const sourceSha256 = createHash('sha256').update(source).digest('hex');
  let meta: sharp.Metadata;
  try {
    meta = await sharp(source, { limitInputPixels: false, pages: 1 }).metadata();
  } catch (err) {
    throw new ImageDecodeError(describeDecodeFailure(sniffFormat(source), err));
  }
  const format = meta.format ?? 'image';
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  if (!width || !height) throw new ImageDecodeError(`${format} image has no size (corrupt header)`);
  checkPixels(width, height, maxPixels);
  if (format === 'svg') throw new ImageDecodeError('SVG has no fixed pixel size; rasterize it first');

  const plainJpeg =
    format === 'jpeg' && (meta.orientation ?? 1) === 1 && !meta.icc && (meta.space === 'srgb' || meta.space === 'b-w') && (meta.channels === 3 || meta.channels === 1);
  if (plainJpeg) {
    // Decode it fully once, so a truncated or corrupt file fails here and not in the trainer.
    await decodeLikePil(source, maxPixels);
    return { bytes: source, ext: 'jpg', width, height, sourceSha256, how: 'source JPEG unchanged' };
  }
  let img = sharp(source, { limitInputPixels: maxPixels > 0 ? maxPixels : false, failOn: 'error', pages: 1, autoOrient: true });
  if (meta.hasAlpha) img = img.flatten({ background });
  img = img.toColourspace('srgb').removeAlpha();
  const lossless = LOSSLESS.has(format);
  try {
    const bytes = lossless
      ? await img.png({ compressionLevel: 6, adaptiveFiltering: false, palette: false }).toBuffer()
      : await img.jpeg({ quality: JPEG_QUALITY, chromaSubsampling: '4:4:4', mozjpeg: false, progressive: false }).toBuffer();
    const out = await sharp(bytes).metadata();
    return {
      bytes,
      ext: lossless ? 'png' : 'jpg',
      width: out.width!,
      height: out.height!,
      sourceSha256,
      how: lossless ? `PNG of the ${describeSteps(meta)} pixels` : `JPEG (quality ${JPEG_QUALITY}) of the ${describeSteps(meta)} pixels`,
    };
  } catch (err) {
    throw new ImageDecodeError(describeDecodeFailure(format, err));
  }
}

function describeSteps(meta: sharp.Metadata): string {
  const steps = [];
  if ((meta.orientation ?? 1) !== 1) steps.push('EXIF-oriented');
  if (meta.hasAlpha) steps.push('flattened');
  if (meta.icc || (meta.space !== 'srgb' && meta.space !== 'b-w')) steps.push('sRGB-converted');
  return steps.length ? steps.join(', ') : 'decoded';
}

/**
 * What `PIL.Image.open(bytes).convert('RGBA').convert('RGB')` returns: no EXIF rotation, colour
 * profiles ignored, alpha dropped (the RGB stored under transparent pixels is kept), palette
 * expanded, 16-bit RGB reduced to the high byte, 16-bit grey clipped at 255 (PIL's "I" to "RGBA"
 * conversion clips). CMYK is refused: PIL's CMYK conversion is its own formula, not replayed here.
 */
export async function decodeLikePil(bytes: Uint8Array, maxPixels: number): Promise<RgbPixels> {
  if (bytes.length === 0) throw new ImageDecodeError('empty image (0 bytes)');
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let meta: sharp.Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false, pages: 1 }).metadata();
  } catch (err) {
    throw new ImageDecodeError(describeDecodeFailure(sniffFormat(input), err));
  }
  if (!meta.width || !meta.height) throw new ImageDecodeError(`${meta.format ?? 'image'} has no size (corrupt header)`);
  checkPixels(meta.width, meta.height, maxPixels);
  if (meta.space === 'cmyk') throw new ImageDecodeError('CMYK image: PIL converts CMYK with its own formula, which is not replayed here');
  if (meta.format === 'svg') throw new ImageDecodeError('SVG is not an image PIL opens');
  const base = () => sharp(input, { limitInputPixels: maxPixels > 0 ? maxPixels : false, failOn: 'error', pages: 1, autoOrient: false, ignoreIcc: true });
  try {
    if (meta.depth === 'ushort') {
      const grey = (meta.channels ?? 3) <= 2;
      const { data, info } = await base()
        .toColourspace(grey ? 'grey16' : 'rgb16')
        .raw({ depth: 'ushort' })
        .toBuffer({ resolveWithObject: true });
      const values = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
      const out = rgbPixels(info.width, info.height);
      const ch = info.channels;
      for (let i = 0; i < info.width * info.height; i++) {
        if (grey) {
          // 16-bit grey opens as mode "I"; I -> RGBA clips. Grey + alpha opens as "LA" (high byte).
          const v = values[i * ch]!;
          const g = ch === 1 ? (v > 255 ? 255 : v) : v >> 8;
          out.data[i * 3] = out.data[i * 3 + 1] = out.data[i * 3 + 2] = g;
        } else {
          out.data[i * 3] = values[i * ch]! >> 8;
          out.data[i * 3 + 1] = values[i * ch + 1]! >> 8;
          out.data[i * 3 + 2] = values[i * ch + 2]! >> 8;
        }
      }
      return out;
    }
    const { data, info } = await base().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const ch = info.channels;
    if (ch === 3) return rgbPixels(info.width, info.height, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const out = rgbPixels(info.width, info.height);
    for (let i = 0; i < info.width * info.height; i++) {
      if (ch <= 2) out.data[i * 3] = out.data[i * 3 + 1] = out.data[i * 3 + 2] = data[i * ch]!;
      else {
        out.data[i * 3] = data[i * ch]!;
        out.data[i * 3 + 1] = data[i * ch + 1]!;
        out.data[i * 3 + 2] = data[i * ch + 2]!;
      }
    }
    return out;
  } catch (err) {
    if (err instanceof ImageDecodeError) throw err;
    throw new ImageDecodeError(describeDecodeFailure(meta.format ?? 'image', err));
  }
}
