// Types shared by the engine, the worker process, the CLI and the VS Code adapters.
// Nothing here may import `vscode`.

export type Precision = 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'bnb4';
export type ExecutionProviderSetting = 'auto' | 'cpu' | 'cuda' | 'coreml' | 'dml';

/** A model folder laid out like the Hugging Face ONNX exports, resolved to absolute paths. */
export interface ResolvedModel {
  /** Registry id (e.g. "mobileclip-s0") or "local:<absolute dir>" for a user folder. */
  id: string;
  dir: string;
  visionModelPath: string;
  textModelPath: string;
  tokenizerPath: string;
  /** preprocessor_config.json; absent files fall back to MobileCLIP v1 defaults. */
  preprocessorConfigPath?: string;
  configPath?: string;
  /**
   * Identity of the exact weights + preprocessing (hash of file sizes/sha256s and the
   * preprocessor config). Indexes store it: a different fingerprint invalidates embeddings.
   */
  fingerprint: string;
}

/** What the loaded model says about itself (read from the ONNX graphs and configs, never assumed). */
export interface ModelInfo {
  id: string;
  fingerprint: string;
  /** Embedding dimension read from the vision/text output shapes (or a probe run). */
  dim: number;
  /** Square input size the vision tower expects, in pixels. */
  imageSize: number;
  /** Text context length (77 for CLIP). */
  contextLength: number;
  /** Execution provider that actually runs, after fallback (e.g. "cpu"). */
  executionProvider: string;
  /** Whether the vision graph has a dynamic batch axis. */
  dynamicBatch: boolean;
}

/** Engine-wide options that a user controls through settings or CLI flags. */
export interface EngineOptions {
  executionProvider?: ExecutionProviderSetting;
  /** Intra-op threads for onnxruntime; 0 = onnxruntime's default. */
  threads?: number;
  /** Images per inference batch when the graph allows batching. */
  batchSize?: number;
  /** Background colour that transparent pixels are flattened onto (CSS hex, default "#ffffff"). */
  background?: string;
  /** Refuse images whose pixel count exceeds this (decompression-bomb guard). */
  maxPixels?: number;
  /**
   * Run the worker process below normal scheduling priority, so background indexing never makes
   * the editor stutter (the extension sets it; the CLI runs at normal priority).
   */
  lowPriority?: boolean;
  /** Script run as the worker process (defaults to worker.js next to the running bundle). */
  workerScript?: string;
  /** Called with human-readable log lines (which provider ran, restarts, ...). */
  log?: (line: string) => void;
  /** The worker process died unexpectedly; it is restarted on the next request (or Engine.revive()). */
  onWorkerCrash?: (message: string) => void;
  /** A worker restarted after a crash has the model loaded again. */
  onWorkerRecovered?: () => void;
}

/** RandomResizedCrop-style augmentation parameters, in source-image pixels after EXIF rotation. */
export interface AugmentParams {
  /** Crop box [x, y, width, height] in the oriented source image. */
  crop: [number, number, number, number];
  flip: boolean;
}

export interface ImageRequestItem {
  path: string;
  /** When set, this crop/flip is applied and the crop is resized to the model size directly. */
  augment?: AugmentParams;
}

export interface ThumbnailOptions {
  /** Directory of the thumbnail cache; files are named `<sha256>-<size>.webp`. */
  dir: string;
  /** Longest side in pixels. */
  size: number;
}

export interface ImageEmbedding {
  input: string;
  /** L2-normalized, length = ModelInfo.dim. */
  embedding: Float32Array;
  /** sha256 of the file bytes (hex). */
  sha256: string;
  width: number;
  height: number;
  /** Absolute path of the thumbnail when thumbnails were requested. */
  thumbnail?: string;
}

export interface ItemError {
  input: string;
  error: string;
}

export type ImageResult = ImageEmbedding | ItemError;

export interface TextEmbedding {
  input: string;
  embedding: Float32Array;
}

export function isItemError(r: ImageResult): r is ItemError {
  return (r as ItemError).error !== undefined;
}

export interface Progress {
  done: number;
  total: number;
}
