import { loadModel } from '../../inference/model';
import { DEFAULT_MAX_PIXELS, parseBackground } from '../../preprocess/pipeline';
import { boundedEngineOptions } from '../../util/limits';
import type { Handler } from './context';

export const load: Handler<'load'> = async (req, ctx) => {
  const { state } = ctx;
  const options = boundedEngineOptions(req.options, DEFAULT_MAX_PIXELS);
  const decode = { background: parseBackground(options.background), maxPixels: options.maxPixels };
  const previous = state.model;
  state.model = undefined;
  await previous?.release();
  const model = await loadModel(req.model, { ...options, log: ctx.log });
  state.model = model;
  state.options = options;
  state.decode = decode;
  return model.info;
};
