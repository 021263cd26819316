import { loadModel } from '../../inference/model';
import { DEFAULT_MAX_PIXELS, parseBackground } from '../../preprocess/pipeline';
import type { Handler } from './context';

export const load: Handler<'load'> = async (req, ctx) => {
  const { state } = ctx;
  const decode = { background: parseBackground(req.options.background), maxPixels: req.options.maxPixels ?? DEFAULT_MAX_PIXELS };
  const previous = state.model;
  state.model = undefined;
  await previous?.release();
  const model = await loadModel(req.model, { ...req.options, log: ctx.log });
  state.model = model;
  state.options = req.options;
  state.decode = decode;
  return model.info;
};
