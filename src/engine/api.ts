// The engine's public surface. The CLI, the VS Code adapters, the index, tagging and
// reinforcement all talk to models through this interface (implemented by `Engine` in
// ./engine.ts, which forwards to the worker process).
import type { ImageRequestItem, ImageResult, ModelInfo, Progress, TextEmbedding, ThumbnailOptions } from './types';

export interface EmbedImagesOptions {
  /** Write a WebP thumbnail from the same decode that feeds the model. */
  thumbnails?: ThumbnailOptions;
  /** Streamed as each input finishes (in completion order), before the promise resolves. */
  onResult?: (result: ImageResult, index: number, progress: Progress) => void;
  signal?: AbortSignal;
}

export interface EmbedTextsOptions {
  signal?: AbortSignal;
}

export interface ImageTextEmbedder {
  readonly info: ModelInfo;
  /** Results are in input order; a file that fails yields `{input, error}` and never throws. */
  embedImages(items: ReadonlyArray<string | ImageRequestItem>, options?: EmbedImagesOptions): Promise<ImageResult[]>;
  /** L2-normalized text embeddings, in input order. */
  embedTexts(texts: readonly string[], options?: EmbedTextsOptions): Promise<TextEmbedding[]>;
  dispose(): Promise<void>;
}
