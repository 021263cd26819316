// Request type -> handler. Adding a request kind = one protocol type + one line here.
import type { WorkerRequestBody } from '../protocol';
import { caption } from './caption';
import type { Handler } from './context';
import { embedImages } from './embed';
import { load } from './load';
import { pixelSignatures } from './signature';
import { memory } from './memory';
import { embedTexts } from './texts';
import { thumbnail } from './thumbnail';
import { embedViews, storeImage } from './views';

export type HandlerTable = { [T in WorkerRequestBody['type']]: Handler<T> };

export const handlers: HandlerTable = {
  load,
  embedImages,
  embedTexts,
  thumbnail,
  caption,
  storeImage,
  embedViews,
  pixelSignatures,
  memory,
};
