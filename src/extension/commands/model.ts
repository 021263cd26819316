// The model and its worker: Download Model, Select Model, Restart Inference Worker, Show Log.
import type { CommandFactory } from '../ctx';
import { log } from '../log';
import { selectModel as pickModel } from '../model/selectModel';

export const downloadModel: CommandFactory = (ctx) => () => ctx.modelActions.download();

/** Resolves to whether a model was chosen (callers wait for the model it leads to). */
export const selectModel: CommandFactory = (ctx) => () => pickModel(ctx.prompts);

export const restartWorker: CommandFactory = (ctx) => () => ctx.modelActions.restartWorker();

export const showLog: CommandFactory = () => () => log().show();
