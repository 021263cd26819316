// Image embedding with a pipeline: several files decode at once (sharp works on libuv threads)
// while the previous batch runs in onnxruntime. At most `window` decoded tensors wait at any
// time, so memory stays bounded however long the list is.
import { cpus } from 'node:os';
import type { ImageRequestItem, ImageResult } from '../../types';
import { preprocessImage, SharedSources, type PreprocessedImage } from '../../preprocess/pipeline';
import { Limiter } from '../../util/limiter';
import type { Handler, HandlerContext } from './context';
import { CancelledError, requireModel } from './context';

type Prepared = { ok: true; item: ImageRequestItem; image: PreprocessedImage } | { ok: false; item: ImageRequestItem; error: string };

export function decodeConcurrency(): number {
  return Math.max(2, Math.min(4, cpus().length));
}

// Long: decode slots, batching and inference are one streaming pipeline over shared queues.
export const embedImages: Handler<'embedImages'> = async (req, ctx) => {
  const model = requireModel(ctx.state);
  const items = req.items;
  const batchSize = Math.max(1, ctx.state.options.batchSize ?? 16);
  const concurrency = decodeConcurrency();
  const window = batchSize + concurrency;
  const limiter = new Limiter(concurrency);
  const pending = new Map<number, Promise<Prepared>>();
  // Items naming the same file (e.g. a reinforcement request's augmented views) decode it once.
  const sources = new SharedSources(items.map((item) => item.path));
  let next = 0;

  const started = performance.now();
  let decodeMs = 0;
  let inferMs = 0;
  const prepare = (item: ImageRequestItem): Promise<Prepared> =>
    limiter.run(async () => {
      const shared = sources.take(item.path);
      if (ctx.cancelled()) return { ok: false, item, error: 'cancelled' };
      const t0 = performance.now();
      try {
        const image = await preprocessImage(item.path, {
          ...ctx.state.decode,
          model: model.preprocess,
          augment: item.augment,
          thumbnails: req.thumbnails,
          shared,
        });
        return { ok: true, item, image };
      } catch (err) {
        return { ok: false, item, error: (err as Error).message };
      } finally {
        decodeMs += performance.now() - t0;
      }
    });
  const launch = () => {
    while (next < items.length && pending.size < window) {
      pending.set(next, prepare(items[next]));
      next++;
    }
  };

  for (let i = 0; i < items.length;) {
    const batch: Array<{ index: number; prepared: Extract<Prepared, { ok: true }> }> = [];
    while (batch.length < batchSize && i < items.length) {
      launch();
      const index = i++;
      const prepared = await pending.get(index)!;
      pending.delete(index);
      if (ctx.cancelled()) throw new CancelledError();
      if (prepared.ok) batch.push({ index, prepared });
      else emit(ctx, index, { input: prepared.item.path, error: prepared.error });
    }
    launch(); // keep decoding while this batch runs
    if (!batch.length) continue;
    let embeddings: Float32Array[] | undefined;
    let failure: string | undefined;
    const t0 = performance.now();
    try {
      embeddings = await model.vision.embed(
        batch.map((b) => b.prepared.image.tensor!),
        batchSize,
      );
    } catch (err) {
      failure = `inference failed: ${(err as Error).message}`;
    }
    inferMs += performance.now() - t0;
    for (let j = 0; j < batch.length; j++) {
      const { index, prepared } = batch[j];
      const img = prepared.image;
      const result: ImageResult = embeddings
        ? {
            input: prepared.item.path,
            embedding: embeddings[j],
            sha256: img.sha256,
            width: img.width,
            height: img.height,
            ...(img.thumbnail ? { thumbnail: img.thumbnail } : {}),
          }
        : { input: prepared.item.path, error: failure ?? 'inference failed' };
      emit(ctx, index, result);
    }
  }
  if (items.length >= 50) {
    // Where the time goes: decode time is summed over the concurrent decodes.
    const wall = performance.now() - started;
    ctx.log(
      `embedded ${items.length} images in ${(wall / 1000).toFixed(2)} s (${(items.length / (wall / 1000)).toFixed(1)}/s): ` +
        `decode+preprocess ${(decodeMs / 1000).toFixed(2)} s busy over ${concurrency} slots, inference ${(inferMs / 1000).toFixed(2)} s`,
    );
  }
  return { count: items.length };
};

function emit(ctx: HandlerContext, index: number, result: ImageResult): void {
  ctx.send({ type: 'item', id: ctx.id, index, result });
}
