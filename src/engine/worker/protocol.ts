// The one message interface between the engine (parent) and the inference worker process.
// Messages travel over Node's IPC channel with `serialization: 'advanced'`, so Float32Arrays
// cross without JSON encoding.
import type {
  EngineOptions,
  ImageRequestItem,
  ImageResult,
  ModelInfo,
  ResolvedModel,
  TextEmbedding,
  ThumbnailOptions,
} from '../types';

export interface LoadRequest {
  type: 'load';
  model: ResolvedModel;
  options: Omit<EngineOptions, 'log' | 'workerScript'>;
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
  options?: Omit<EngineOptions, 'log' | 'workerScript'>;
}

/** The worker's memory now and its high-water mark since it started (tests, benchmarks). */
export interface MemoryRequest {
  type: 'memory';
}

export type WorkerRequestBody =
  | LoadRequest
  | EmbedImagesRequest
  | EmbedTextsRequest
  | ThumbnailRequest
  | CaptionRequest
  | MemoryRequest;

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
  memory: WorkerMemory;
}

/** Worker → parent messages. `item` messages stream per-input results of long requests. */
export type WorkerMessage =
  | { type: 'ready'; pid: number }
  | { type: 'item'; id: number; index: number; result: ImageResult | CaptionResult }
  | { type: 'done'; id: number; result: unknown }
  | { type: 'failed'; id: number; error: string }
  | { type: 'log'; line: string };
