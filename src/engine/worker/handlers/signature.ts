// Pixel signatures for near-duplicate checks, computed from each image's gallery thumbnail: a
// ~192 px WebP decodes in about a millisecond, where the original may be megapixels. An image
// without a thumbnail gets one first, through the one preprocessing pipeline (which also applies
// orientation, alpha flattening, SVG rasterization and the pixel limit).
import * as path from 'node:path';
import sharp from 'sharp';
import { thumbnailPath } from '../../index/thumbnails';
import { preprocessImage } from '../../preprocess/pipeline';
import { encodeSignature, signatureOf } from '../../duplicates/signature';
import { readRegularFile } from '../../util/files';
import type { PixelSignatureResult } from '../protocol';
import { CancelledError, type Handler } from './context';
import { decodeConcurrency } from './embed';

/** Thumbnails are ours and small; anything bigger in the thumbnail folder is not one. */
const MAX_THUMBNAIL_BYTES = 8 * 2 ** 20;
const MAX_THUMBNAIL_PIXELS = 4096 * 4096;
const SHA256 = /^[0-9a-f]{64}$/;

export const pixelSignatures: Handler<'pixelSignatures'> = async (req, ctx) => {
  const items = req.items;
  let next = 0;
  const one = async (index: number): Promise<PixelSignatureResult> => {
    const item = items[index]!;
    try {
      let sha256 = item.sha256 && SHA256.test(item.sha256) ? item.sha256 : undefined;
      let thumb: Buffer | undefined;
      if (sha256)
        thumb = await readRegularFile(thumbnailPath(path.resolve(req.thumbnails.dir), sha256, req.thumbnails.size), { maxBytes: MAX_THUMBNAIL_BYTES }).catch(() => undefined); // no usable cached thumbnail: decode below
      if (!thumb) {
        const made = await preprocessImage(item.path, { ...ctx.state.decode, thumbnails: req.thumbnails });
        sha256 = made.sha256;
        thumb = await readRegularFile(made.thumbnail!, { maxBytes: MAX_THUMBNAIL_BYTES });
      }
      const { data, info } = await sharp(thumb, { limitInputPixels: MAX_THUMBNAIL_PIXELS, failOn: 'error' })
        .flatten({ background: ctx.state.decode.background })
        .toColourspace('srgb')
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
      const signature = signatureOf({ data, width: info.width, height: info.height, channels: info.channels });
      return { input: item.path, sha256: sha256!, signature: encodeSignature(signature) };
    } catch (err) {
      return { input: item.path, error: (err as Error).message };
    }
  };
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      if (ctx.cancelled()) throw new CancelledError();
      const index = next++;
      const result = await one(index);
      ctx.send({ type: 'item', id: ctx.id, index, result });
    }
  };
  await Promise.all(Array.from({ length: Math.min(decodeConcurrency(), items.length) }, lane));
  return { count: items.length };
};
