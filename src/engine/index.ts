// Public surface of the engine for the CLI, the extension and the tests.
export * from './types';
export type { EmbedImagesOptions, EmbedTextsOptions, ImageTextEmbedder } from './api';
export { Engine } from './engine';
export { WorkerClient, findWorkerScript } from './worker/client';
export type { RequestOptions } from './worker/client';
export type { ThumbnailResult, CaptionResult } from './worker/protocol';
export { DEFAULT_BACKGROUND, DEFAULT_MAX_PIXELS, parseBackground, thumbnailPath } from './preprocess/pipeline';
