import { preprocessImage } from '../../preprocess/pipeline';
import type { Handler } from './context';

/** Decode + thumbnail only; a bad file is a result with `error`, not a failed request. */
export const thumbnail: Handler<'thumbnail'> = async (req, ctx) => {
  try {
    const r = await preprocessImage(req.path, { ...ctx.state.decode, thumbnails: req.thumbnails });
    return { input: req.path, thumbnail: r.thumbnail, sha256: r.sha256, width: r.width, height: r.height };
  } catch (err) {
    return { input: req.path, error: (err as Error).message };
  }
};
