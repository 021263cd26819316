// Reinforcement in the worker: make a sample's stored image from a source file, and embed the
// stored augmentations of an image, replayed exactly as Apple's loader replays them (PIL decode,
// then reinforce/transforms.ts) and preprocessed with the model's own rescale/normalize.
import { makeStoredImage, decodeLikePil } from '../../reinforce/images';
import { centerView, replayView } from '../../reinforce/transforms';
import { toTensor } from '../../preprocess/pipeline';
import { ImageDecodeError } from '../../preprocess/errors';
import { readRegularFile, UnreadableFileError } from '../../util/files';
import type { EmbedViewsResult } from '../protocol';
import type { Handler } from './context';
import { CancelledError, requireModel } from './context';
import { createHash } from 'node:crypto';

/** Largest image file reinforcement reads (a decompression bomb is stopped by the pixel limit). */
export const MAX_IMAGE_FILE_BYTES = 256 * 1024 * 1024;

async function readImage(path: string): Promise<Buffer> {
  try {
    return await readRegularFile(path, { maxBytes: MAX_IMAGE_FILE_BYTES });
  } catch (err) {
    if (err instanceof UnreadableFileError) throw new ImageDecodeError(err.message);
    throw err;
  }
}

export const storeImage: Handler<'storeImage'> = async (req, ctx) => {
  const source = await readImage(req.path);
  return makeStoredImage(source, ctx.state.decode.background, ctx.state.decode.maxPixels);
};

export const embedViews: Handler<'embedViews'> = async (req, ctx) => {
  const model = requireModel(ctx.state);
  const bytes = 'bytes' in req.image ? req.image.bytes : await readImage(req.image.path);
  const image = await decodeLikePil(bytes, ctx.state.decode.maxPixels);
  const size = model.preprocess.imageSize;
  const crop = req.config.transforms.find((t) => t.name === 'random_resized_crop');
  const viewSize: [number, number] = req.sizing === 'raygen' && crop?.name === 'random_resized_crop' ? crop.size : [size, size];
  const tensors: Float32Array[] = [];
  const slots: Array<number | string> = [];
  for (const params of req.views) {
    if (ctx.cancelled()) throw new CancelledError();
    try {
      const view = 'center' in params ? centerView(image, size) : replayView(image, req.config, params, viewSize);
      const data = Buffer.from(view.data.buffer, view.data.byteOffset, view.data.byteLength);
      let tensor = toTensor({ data, width: view.width, height: view.height }, model.preprocess.config);
      if (view.width !== size || view.height !== size) tensor = torchBicubic(tensor, view.height, view.width, size, size);
      slots.push(tensors.length);
      tensors.push(tensor);
    } catch (err) {
      slots.push((err as Error).message);
    }
  }
  const embeddings = tensors.length ? await model.vision.embed(tensors, Math.max(1, ctx.state.options.batchSize ?? 16)) : [];
  const result: EmbedViewsResult = {
    width: image.width,
    height: image.height,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    views: slots.map((s) => (typeof s === 'number' ? { embedding: embeddings[s]! } : { error: s })),
  };
  return result;
};

/**
 * torch.nn.functional.interpolate(mode="bicubic", align_corners=False) of a CHW float tensor: the
 * resize RayGen applies to a normalized view for a teacher smaller than the crop size (A = -0.75,
 * clamped borders, no antialiasing).
 */
export function torchBicubic(src: Float32Array, inH: number, inW: number, outH: number, outW: number): Float32Array {
  const A = -0.75;
  const cc1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  const cc2 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  const taps = (inSize: number, outSize: number) => {
    const scale = inSize / outSize;
    return Array.from({ length: outSize }, (_, o) => {
      const real = scale * (o + 0.5) - 0.5;
      const base = Math.floor(real);
      const t = real - base;
      const w = [cc2(t + 1), cc1(t), cc1(1 - t), cc2(2 - t)];
      const idx = [-1, 0, 1, 2].map((k) => Math.min(Math.max(base + k, 0), inSize - 1));
      return { w, idx };
    });
  };
  const ys = taps(inH, outH);
  const xs = taps(inW, outW);
  const out = new Float32Array(3 * outH * outW);
  for (let c = 0; c < 3; c++) {
    const plane = c * inH * inW;
    for (let oy = 0; oy < outH; oy++) {
      const ty = ys[oy]!;
      for (let ox = 0; ox < outW; ox++) {
        const tx = xs[ox]!;
        let v = 0;
        for (let j = 0; j < 4; j++) {
          const row = plane + ty.idx[j]! * inW;
          let r = 0;
          for (let i = 0; i < 4; i++) r += src[row + tx.idx[i]!]! * tx.w[i]!;
          v += r * ty.w[j]!;
        }
        out[c * outH * outW + oy * outW + ox] = v;
      }
    }
  }
  return out;
}
