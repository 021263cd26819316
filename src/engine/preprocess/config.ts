// Reads a Hugging Face `preprocessor_config.json` (CLIPImageProcessor and friends) into the few
// numbers the image pipeline needs. Missing fields fall back to MobileCLIP v1 behaviour:
// bilinear shortest-edge resize to the model's input size, center crop, x/255, no normalization.
import { readRegularFileIfExists } from '../util/files';
import { FILE_LIMITS } from '../util/limits';

/** sharp's resize kernels. */
export type ResizeKernel = 'nearest' | 'linear' | 'cubic' | 'mitchell' | 'lanczos2' | 'lanczos3';

/** How the image is resized before cropping. */
export type ResizeTarget = { kind: 'shortestEdge'; shortestEdge: number; longestEdge?: number } | { kind: 'exact'; width: number; height: number };

export interface PreprocessConfig {
  /** Resize step; undefined = shortest edge to the model's input size. */
  resize?: ResizeTarget;
  doResize: boolean;
  kernel: ResizeKernel;
  doCenterCrop: boolean;
  /** Crop size; undefined = the model's input size. */
  crop?: { width: number; height: number };
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  mean: [number, number, number];
  std: [number, number, number];
}

/**
 * PIL resample ids used in HF configs -> sharp kernels. 1 (LANCZOS) -> lanczos3 (PIL's Lanczos
 * has a=3); 4 (BOX) and 5 (HAMMING) have no sharp equivalent: the nearest antialiased kernel
 * (linear) stands in.
 */
const RESAMPLE_KERNELS: Record<number, ResizeKernel> = {
  0: 'nearest',
  1: 'lanczos3',
  2: 'linear',
  3: 'cubic',
  4: 'linear',
  5: 'linear',
};

const DEFAULTS: PreprocessConfig = {
  doResize: true,
  kernel: 'linear',
  doCenterCrop: true,
  doRescale: true,
  rescaleFactor: 1 / 255,
  doNormalize: false,
  mean: [0, 0, 0],
  std: [1, 1, 1],
};

export function defaultPreprocessConfig(): PreprocessConfig {
  return { ...DEFAULTS, mean: [...DEFAULTS.mean], std: [...DEFAULTS.std] };
}

export async function loadPreprocessConfig(file: string | undefined): Promise<PreprocessConfig> {
  if (!file) return defaultPreprocessConfig();
  const bytes = await readRegularFileIfExists(file, { maxBytes: FILE_LIMITS.config });
  if (bytes === undefined) return defaultPreprocessConfig();
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`preprocessor config ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parsePreprocessConfig(json, file);
}

/** Parse the JSON object of a preprocessor config; tolerant of the several shapes HF uses. */
export function parsePreprocessConfig(json: unknown, source = 'preprocessor config'): PreprocessConfig {
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error(`${source}: expected a JSON object`);
  }
  const raw = json as Record<string, unknown>;
  const cfg = defaultPreprocessConfig();

  cfg.doResize = bool(raw.do_resize, cfg.doResize);
  const resize = parseResize(raw.size, source);
  if (resize) cfg.resize = resize;
  if (raw.resample !== undefined) {
    const id = typeof raw.resample === 'number' ? raw.resample : Number.NaN;
    const kernel = RESAMPLE_KERNELS[id];
    if (!kernel) throw new Error(`${source}: unsupported resample ${JSON.stringify(raw.resample)}`);
    cfg.kernel = kernel;
  }
  cfg.doCenterCrop = bool(raw.do_center_crop, cfg.doCenterCrop);
  const crop = parseSquareOrBox(raw.crop_size, source, 'crop_size');
  if (crop) cfg.crop = crop;
  cfg.doRescale = bool(raw.do_rescale, cfg.doRescale);
  if (raw.rescale_factor !== undefined) cfg.rescaleFactor = positive(raw.rescale_factor, source, 'rescale_factor');
  cfg.doNormalize = bool(raw.do_normalize, cfg.doNormalize);
  if (cfg.doNormalize) {
    cfg.mean = triple(raw.image_mean, source, 'image_mean') ?? [0.48145466, 0.4578275, 0.40821073];
    cfg.std = triple(raw.image_std, source, 'image_std') ?? [0.26862954, 0.26130258, 0.27577711];
  }
  const problems = implausible(cfg);
  if (problems.length) throw new Error(`${source}: implausible preprocessing (${problems.join('; ')}); refusing to load this model`);
  return cfg;
}

/**
 * Sizes and factors beyond any real image model. A config is someone else's file: `crop_size:
 * 20000` would make every image a 4.8 GB tensor, and `image_std: 1e-320` turns every embedding
 * into zeros (or infinities) without any error.
 */
export const PREPROCESS_BOUNDS = {
  /** Longest side of a resize or crop target, in pixels (CLIP-family models use 224 to 1024). */
  maxSide: 2048,
  std: { min: 1e-3, max: 1e3 },
  mean: { min: -1e3, max: 1e3 },
  rescaleFactor: { min: 1e-6, max: 1e3 },
} as const;

function implausible(cfg: PreprocessConfig): string[] {
  const problems: string[] = [];
  const side = (what: string, n: number | undefined) => {
    if (n !== undefined && n > PREPROCESS_BOUNDS.maxSide) problems.push(`${what} ${n} is above ${PREPROCESS_BOUNDS.maxSide} px`);
  };
  const r = cfg.resize;
  if (r?.kind === 'shortestEdge') {
    side('size.shortest_edge', r.shortestEdge);
    side('size.longest_edge', r.longestEdge);
  } else if (r?.kind === 'exact') {
    side('size.width', r.width);
    side('size.height', r.height);
  }
  side('crop_size width', cfg.crop?.width);
  side('crop_size height', cfg.crop?.height);
  const range = (what: string, v: number, b: { min: number; max: number }) => {
    if (!(v >= b.min && v <= b.max)) problems.push(`${what} ${v} is outside ${b.min}..${b.max}`);
  };
  if (cfg.doRescale) range('rescale_factor', cfg.rescaleFactor, PREPROCESS_BOUNDS.rescaleFactor);
  if (cfg.doNormalize) {
    cfg.std.forEach((v) => range('image_std', v, PREPROCESS_BOUNDS.std));
    cfg.mean.forEach((v) => range('image_mean', v, PREPROCESS_BOUNDS.mean));
  }
  return problems;
}

function parseResize(size: unknown, source: string): ResizeTarget | undefined {
  if (size === undefined || size === null) return undefined;
  if (typeof size === 'number') return { kind: 'shortestEdge', shortestEdge: positiveInt(size, source, 'size') };
  if (typeof size === 'object' && !Array.isArray(size)) {
    const s = size as Record<string, unknown>;
    if (s.shortest_edge !== undefined) {
      const out: ResizeTarget = { kind: 'shortestEdge', shortestEdge: positiveInt(s.shortest_edge, source, 'size.shortest_edge') };
      if (s.longest_edge !== undefined && s.longest_edge !== null) {
        out.longestEdge = positiveInt(s.longest_edge, source, 'size.longest_edge');
      }
      return out;
    }
    if (s.height !== undefined && s.width !== undefined) {
      return {
        kind: 'exact',
        height: positiveInt(s.height, source, 'size.height'),
        width: positiveInt(s.width, source, 'size.width'),
      };
    }
  }
  if (Array.isArray(size) && size.length === 2) {
    return { kind: 'exact', height: positiveInt(size[0], source, 'size[0]'), width: positiveInt(size[1], source, 'size[1]') };
  }
  throw new Error(`${source}: unsupported size ${JSON.stringify(size)}`);
}

function parseSquareOrBox(v: unknown, source: string, field: string): { width: number; height: number } | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') {
    const n = positiveInt(v, source, field);
    return { width: n, height: n };
  }
  if (Array.isArray(v) && v.length === 2) {
    return { height: positiveInt(v[0], source, field), width: positiveInt(v[1], source, field) };
  }
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (o.height !== undefined && o.width !== undefined) {
      return { height: positiveInt(o.height, source, `${field}.height`), width: positiveInt(o.width, source, `${field}.width`) };
    }
    if (o.shortest_edge !== undefined) {
      const n = positiveInt(o.shortest_edge, source, `${field}.shortest_edge`);
      return { width: n, height: n };
    }
  }
  throw new Error(`${source}: unsupported ${field} ${JSON.stringify(v)}`);
}

function bool(v: unknown, fallback: boolean): boolean {
  return typeof v === 'boolean' ? v : fallback;
}

function positive(v: unknown, source: string, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new Error(`${source}: ${field} must be a positive number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function positiveInt(v: unknown, source: string, field: string): number {
  const n = positive(v, source, field);
  if (!Number.isInteger(n)) throw new Error(`${source}: ${field} must be an integer, got ${n}`);
  return n;
}

function triple(v: unknown, source: string, field: string): [number, number, number] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return [v, v, v];
  if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    return [v[0], v[1], v[2]];
  }
  throw new Error(`${source}: ${field} must be 3 numbers, got ${JSON.stringify(v)}`);
}

/** Final geometry once the model's input size is known. */
export interface ResolvedGeometry {
  resize?: ResizeTarget;
  crop?: { width: number; height: number };
}

/**
 * Fill in the model size where the config is silent. `imageSize` is the square input the vision
 * graph takes (from its input shape or the config's crop size).
 */
export function resolveGeometry(cfg: PreprocessConfig, imageSize: number): ResolvedGeometry {
  // The vision graph's own input size is checked like the config's (both come with the model).
  if (!(imageSize >= 1 && imageSize <= PREPROCESS_BOUNDS.maxSide)) {
    throw new Error(`implausible preprocessing: the model's input size ${imageSize} is outside 1..${PREPROCESS_BOUNDS.maxSide} px; refusing to load this model`);
  }
  const resize = cfg.doResize ? (cfg.resize ?? { kind: 'shortestEdge' as const, shortestEdge: imageSize }) : undefined;
  const crop = cfg.doCenterCrop ? (cfg.crop ?? { width: imageSize, height: imageSize }) : undefined;
  return { resize, crop };
}

/** Output size of the resize step for a source of w x h (HF/Python rounding: floor the long side). */
export function resizedSize(target: ResizeTarget, w: number, h: number): { width: number; height: number } {
  if (target.kind === 'exact') return { width: target.width, height: target.height };
  let scale = target.shortestEdge / Math.min(w, h);
  if (target.longestEdge !== undefined && Math.max(w, h) * scale > target.longestEdge) {
    scale = target.longestEdge / Math.max(w, h);
  }
  // The epsilon keeps 383.99999999 from flooring to 383.
  const width = Math.max(1, Math.floor(w * scale + 1e-6));
  const height = Math.max(1, Math.floor(h * scale + 1e-6));
  return { width, height };
}
