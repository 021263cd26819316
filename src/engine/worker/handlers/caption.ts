// Synthetic captions: decode each image with the project's decoder, then sample distinct captions
// with the captioner (Transformers.js, see captions/generator.ts). The next image decodes while
// the current one is captioned. A file that fails yields an item with `error`; the rest go on.
import { Captioner, CancelledCaptioning } from '../../captions/generator';
import { resolveCaptionSettings } from '../../captions/settings';
import { DEFAULT_MAX_PIXELS, parseBackground, type PreprocessedImage } from '../../preprocess/pipeline';
import { boundedEngineOptions } from '../../util/limits';
import type { CaptionResult } from '../protocol';
import { CancelledError, type Handler, type HandlerContext } from './context';

/** The captioner stays loaded between requests; a different folder/precision replaces it. */
let current: Captioner | undefined;

async function captionerFor(dir: string, dtype: Record<string, string> | undefined, threads: number | undefined, ctx: HandlerContext): Promise<Captioner> {
  const key = Captioner.keyOf({ dir, dtype, threads });
  if (current?.key === key) return current;
  const previous = current;
  current = undefined;
  await previous?.dispose();
  const started = Date.now();
  try {
    current = await Captioner.load({ dir, dtype, threads });
  } catch (err) {
    throw new Error(`cannot load the captioner in ${dir}: ${(err as Error).message}`);
  }
  ctx.log(`captioner loaded from ${dir} (${current.architecture}) in ${Date.now() - started} ms`);
  return current;
}

type Prepared = { ok: true; image: PreprocessedImage } | { ok: false; error: string };

export const caption: Handler<'caption'> = async (req, ctx) => {
  const settings = resolveCaptionSettings({
    count: req.count,
    seed: req.seed,
    topK: req.topK,
    temperature: req.temperature,
    maxNewTokens: req.maxNewTokens,
  });
  const options = req.options ? boundedEngineOptions(req.options, DEFAULT_MAX_PIXELS) : ctx.state.options;
  const decode = req.options ? { background: parseBackground(options.background), maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS } : ctx.state.decode;
  const captioner = await captionerFor(req.modelDir, req.dtype, options.threads, ctx);

  const prepare = (file: string): Promise<Prepared> =>
    captioner.prepare(file, decode).then(
      (image) => ({ ok: true as const, image }),
      (err: Error) => ({ ok: false as const, error: err.message }),
    );
  const emit = (index: number, result: CaptionResult) => ctx.send({ type: 'item', id: ctx.id, index, result });

  let next = req.paths.length ? prepare(req.paths[0]!) : undefined;
  for (let i = 0; i < req.paths.length; i++) {
    const prepared = await next!;
    next = i + 1 < req.paths.length ? prepare(req.paths[i + 1]!) : undefined;
    if (ctx.cancelled()) throw new CancelledError();
    const input = req.paths[i]!;
    if (!prepared.ok) {
      emit(i, { input, error: prepared.error });
      continue;
    }
    const img = prepared.image;
    try {
      const captions = await captioner.caption(img.tensor!, img.tensorWidth!, img.tensorHeight!, img.sha256, settings, ctx.cancelled);
      emit(i, { input, captions, sha256: img.sha256 });
    } catch (err) {
      if (err instanceof CancelledCaptioning || ctx.cancelled()) throw new CancelledError();
      emit(i, { input, error: `captioning failed: ${(err as Error).message}` });
    }
  }
  await next; // a cancelled loop leaves the last prefetch running (prepare never rejects)
  return { count: req.paths.length };
};
