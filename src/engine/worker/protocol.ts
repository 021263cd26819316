// The one message interface between the engine (parent) and the inference worker process.
// Messages travel over Node's IPC channel with `serialization: 'advanced'`, so Float32Arrays
// cross without JSON encoding.
import type { StoredImage } from '../reinforce/images';
import type { AugmentationConfig, AugmentParams } from '../reinforce/transforms';
import type { EngineOptions, ImageRequestItem, ImageResult, ModelInfo, ResolvedModel, TextEmbedding, ThumbnailOptions } from '../types';

export interface LoadRequest {
  type: 'load';
  model: ResolvedModel;
  options: Omit<EngineOptions, 'log' | 'workerScript' | 'onWorkerCrash' | 'onWorkerRecovered'>;
}
export interface EmbedImagesRequest {
  type: 'embedImages';
  items: ImageRequestItem[];
  thumbnails?: ThumbnailOptions;
}
export interface EmbedTextsRequest {
  type: 'embedTexts';
  texts: string[];
}
/** Decode + thumbnail only, no model (used by the gallery for files that are not embedded yet). */
export interface ThumbnailRequest {
  type: 'thumbnail';
  path: string;
  thumbnails: ThumbnailOptions;
}
export interface CaptionRequest {
  type: 'caption';
  /** Captioner model folder (Transformers.js layout). */
  modelDir: string;
  paths: string[];
  count: number;
  seed: number;
  topK: number;
  temperature: number;
  maxNewTokens: number;
  /** ONNX precision per session (e.g. { encoder_model: 'fp32' }); absent = what the folder has. */
  dtype?: Record<string, string>;
  /** Decode/thread options for a worker that has no CLIP model loaded (else the load's options). */
  options?: Omit<EngineOptions, 'log' | 'workerScript' | 'onWorkerCrash' | 'onWorkerRecovered'>;
}

/** Reinforcement: the image a sample stores, made from a source file (see reinforce/images.ts). */
export interface StoreImageRequest {
  type: 'storeImage';
  path: string;
}
/** Where the image of an embedViews request comes from: stored bytes, or a file the caller vetted. */
export type ViewSource = { bytes: Uint8Array } | { path: string };
/**
 * Reinforcement: replay stored augmentations on one image (decoded as PIL decodes it) and embed
 * each view. `sizing` says how a view reaches the model's input size: 'reapply' renders it at that
 * size (Apple's reapply(..., size)); 'raygen' renders it at the config's crop size and resizes the
 * normalized tensor with torch's bicubic interpolate, as RayGen feeds smaller teachers.
 */
export interface EmbedViewsRequest {
  type: 'embedViews';
  image: ViewSource;
  config: AugmentationConfig;
  /** Stored augmentations, or { center: true } for open_clip's evaluation view (resize + centre crop). */
  views: Array<AugmentParams | { center: true }>;
  sizing: 'reapply' | 'raygen';
}
export interface EmbedViewsResult {
  /** Size of the decoded image. */
  width: number;
  height: number;
  /** sha256 of the image bytes. */
  sha256: string;
  views: Array<{ embedding: Float32Array } | { error: string }>;
}
/** Pixel signatures for near-duplicate checks (../duplicates/signature.ts), from each image's thumbnail. */
export interface PixelSignaturesRequest {
  type: 'pixelSignatures';
  /** `sha256` (when known) finds an existing thumbnail without reading the image. */
  items: Array<{ path: string; sha256?: string }>;
  /** Where thumbnails are (and missing ones are written). */
  thumbnails: ThumbnailOptions;
}

/** The worker's memory now and its high-water mark since it started (tests, benchmarks). */
export interface MemoryRequest {
  type: 'memory';
}

export type WorkerRequestBody =
  LoadRequest | EmbedImagesRequest | EmbedTextsRequest | ThumbnailRequest | CaptionRequest | StoreImageRequest | EmbedViewsRequest | PixelSignaturesRequest | MemoryRequest;

export type WorkerRequest = WorkerRequestBody & { id: number };

/** Parent → worker control message: stop work on request `target` as soon as possible. */
export interface CancelMessage {
  type: 'cancel';
  target: number;
}

export interface ThumbnailResult {
  input: string;
  thumbnail?: string;
  sha256?: string;
  width?: number;
  height?: number;
  error?: string;
}

export type CaptionResult = { input: string; captions: string[]; sha256?: string } | { input: string; error: string };

/** `signature` is encodeSignature()'s text. */
export type PixelSignatureResult = { input: string; sha256: string; signature: string } | { input: string; error: string };

export interface WorkerMemory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size since the worker started (`process.resourceUsage().maxRSS`), bytes. */
  maxRss: number;
}

/** Result type of each request kind. */
export interface WorkerResults {
  load: ModelInfo;
  embedImages: { count: number };
  embedTexts: TextEmbedding[];
  thumbnail: ThumbnailResult;
  caption: { count: number };
  storeImage: StoredImage;
  embedViews: EmbedViewsResult;
  pixelSignatures: { count: number };
  memory: WorkerMemory;
}

/** Worker → parent messages. `item` messages stream per-input results of long requests. */
export type WorkerMessage =
  | { type: 'ready'; pid: number }
  | { type: 'item'; id: number; index: number; result: ImageResult | CaptionResult | PixelSignatureResult }
  | { type: 'done'; id: number; result: unknown }
  | { type: 'failed'; id: number; error: string }
  | { type: 'log'; line: string };
