// Every bound the product enforces on numbers it is given, in one table: settings (from user or
// workspace), CLI flags and engine options all go through it. A repository's .vscode/settings.json
// is someone else's input: `maxImageMegapixels: 0` must not switch off the decompression-bomb
// guard, and `batchSize: 1e9` must not reserve gigabytes.
// Settings are clamped into range (VS Code has no way to reject a value); CLI flags outside the
// range are usage errors that quote it. Nothing here imports `vscode`.

export interface NumericLimit {
  min: number;
  max: number;
  integer: boolean;
  /** How the value reads in messages. */
  unit?: string;
  /** The bound itself is out of range (e.g. a learning rate must be above 0). */
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

const MIB = 1024 * 1024;

/** Largest image file any reader of the engine loads (the size cap of readImageFile). */
export const MAX_IMAGE_FILE_BYTES = 512 * MIB;

/** Size caps of the other files the engine reads whole (see util/files.ts). */
export const FILE_LIMITS = {
  /** index.json: about 200 bytes per image. */
  indexManifest: 512 * MIB,
  /** captions.json, asset-tags.data.json, the tag vocabulary and embedding caches. */
  metadata: 128 * MIB,
  /** Model configs, preprocessor/tokenizer configs, registry manifests, lock files, .gitignore, XMP sidecars. */
  config: 16 * MIB,
  /** tokenizer.json (CLIP's is 2-4 MB; large multilingual ones reach ~30 MB). */
  tokenizer: 128 * MIB,
  /** ONNX weights hashed for fingerprints (streamed, never held in memory). */
  modelWeights: 16 * 1024 * MIB,
} as const;

/**
 * Ranges of every numeric setting and flag, by setting key (package.json `mobileclipAssets.*`)
 * or, for CLI-only values, by flag name.
 */
export const LIMITS = {
  threads: { min: 0, max: 256, integer: true },
  batchSize: { min: 1, max: 256, integer: true },
  maxImageMegapixels: { min: 1, max: 2000, integer: false, unit: 'MP' },
  'index.maxFileSizeMB': { min: 0, max: MAX_IMAGE_FILE_BYTES / MIB, integer: false, unit: 'MB' },
  'search.threshold': { min: -1, max: 1, integer: false },
  'search.maxResults': { min: 1, max: 1000, integer: true },
  'tags.maxPerImage': { min: 1, max: 50, integer: true },
  'captions.count': { min: 1, max: 50, integer: true },
  'captions.seed': { min: 0, max: 0xffffffff, integer: true },
  'captions.topK': { min: 0, max: 1_000_000, integer: true },
  'captions.temperature': { min: 0.01, max: 100, integer: false },
  'captions.maxNewTokens': { min: 1, max: 512, integer: true },
  'reinforce.augmentations': { min: 1, max: 100, integer: true },
  'reinforce.seed': { min: 0, max: 0xffffffff, integer: true },
  'duplicates.embeddingThreshold': { min: -1, max: 1, integer: false },
  'duplicates.pixelThreshold': { min: 0, max: 1, integer: false },
  'duplicates.detailThreshold': { min: 0, max: 100, integer: false },
  'duplicates.colorThreshold': { min: 0, max: 255, integer: false },
  // CLI-only flags
  'max-file-size': { min: 1, max: MAX_IMAGE_FILE_BYTES, integer: true, unit: 'bytes' },
  'thumbnail-size': { min: 16, max: 1024, integer: true, unit: 'px' },
  'checkpoint-every': { min: 1, max: 1_000_000, integer: true },
  top: { min: 1, max: 100_000, integer: true },
  'tag.top': { min: 0, max: 1000, integer: true },
  'tag.threshold': { min: 0, max: 1, integer: false },
  'reinforce.flip': { min: 0, max: 1, integer: false },
  'reinforce.shard-size': { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true },
  /** Synthetic captions per image (0: none), at most as many as captions.count allows. */
  'reinforce.syn': { min: 0, max: 50, integer: true },
  'distill.lambda': { min: 0, max: 1, integer: false },
  'distill.holdout': { min: 0, max: 1, integer: false, minExclusive: true, maxExclusive: true },
  'distill.lr': { min: 0, max: Infinity, integer: false, minExclusive: true },
  'distill.epochs': { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
  'distill.batch-size': { min: 2, max: Number.MAX_SAFE_INTEGER, integer: true },
  'verify.sample': { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
  'verify.tolerance': { min: 0, max: Infinity, integer: false, minExclusive: true },
} as const satisfies Record<string, NumericLimit>;

export type LimitKey = keyof typeof LIMITS;

/** `value` brought into the range of `key`; anything not a finite number becomes `fallback` (itself clamped). */
export function clampSetting(key: LimitKey, value: unknown, fallback: number): number {
  const limit: NumericLimit = LIMITS[key];
  const n = typeof value === 'number' && Number.isFinite(value) ? value : fallback;
  const v = limit.integer ? Math.round(n) : n;
  return Math.min(limit.max, Math.max(limit.min, v));
}

/** Why `value` is not acceptable for `key`, or undefined when it is (for CLI flags and engine options). */
export function limitProblem(key: LimitKey, value: number): string | undefined {
  const limit: NumericLimit = LIMITS[key];
  const kind = limit.integer ? 'a whole number' : 'a number';
  const below = limit.minExclusive ? value <= limit.min : value < limit.min;
  const above = limit.maxExclusive ? value >= limit.max : value > limit.max;
  if (!Number.isFinite(value) || (limit.integer && !Number.isInteger(value)) || below || above) {
    return `must be ${kind} ${rangeText(limit)}${limit.unit ? ` ${limit.unit}` : ''}`;
  }
  return undefined;
}

/** "from 0 to 1", "above 0", "at least 2", "above 0 and below 1": the range as a message says it. */
function rangeText(limit: NumericLimit): string {
  const open = limit.max >= Number.MAX_SAFE_INTEGER;
  if (!limit.minExclusive && !limit.maxExclusive && !open) return `from ${limit.min} to ${limit.max}`;
  const low = `${limit.minExclusive ? 'above' : 'at least'} ${limit.min}`;
  return open ? low : `${low} and ${limit.maxExclusive ? 'below' : 'at most'} ${limit.max}`;
}

/** Megapixels setting → the decoder's pixel budget (never 0, which would mean "no limit"). */
export function maxPixelsFromMegapixels(megapixels: unknown, fallback = 100): number {
  return Math.round(clampSetting('maxImageMegapixels', megapixels, fallback) * 1e6);
}

/** A pixel budget from any caller (worker requests, engine options), kept within the table's range. */
export function clampMaxPixels(pixels: unknown, fallback: number): number {
  const mp = typeof pixels === 'number' && Number.isFinite(pixels) && pixels > 0 ? pixels / 1e6 : fallback / 1e6;
  return maxPixelsFromMegapixels(mp, fallback / 1e6);
}

/** index.maxFileSizeMB → bytes; 0 (formerly "no limit") means the engine's hard cap. */
export function maxFileSizeBytesFromMB(mb: unknown, fallback = 64): number {
  const v = clampSetting('index.maxFileSizeMB', mb, fallback);
  return v === 0 ? MAX_IMAGE_FILE_BYTES : Math.floor(v * MIB);
}

/** Engine options from any caller with their numbers in range (the worker applies this on load). */
export function boundedEngineOptions<T extends { threads?: number; batchSize?: number; maxPixels?: number }>(o: T, defaultMaxPixels: number): T & { maxPixels: number } {
  return {
    ...o,
    ...(o.threads !== undefined ? { threads: clampSetting('threads', o.threads, 0) } : {}),
    ...(o.batchSize !== undefined ? { batchSize: clampSetting('batchSize', o.batchSize, 16) } : {}),
    maxPixels: clampMaxPixels(o.maxPixels, defaultMaxPixels),
  };
}
