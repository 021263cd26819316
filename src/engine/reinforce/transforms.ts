// Apple's reproducible augmentations (apple/ml-mobileclip training/dr/transforms.py, the same file
// in ml-mobileclip-dr's RayGen): the config that names the transforms, the compressed parameter
// list stored per augmentation in `paug.json` ("param_aug"), and the replay of one stored
// augmentation on a PIL-decoded image. Sampling follows torchvision (RandomResizedCrop.get_params,
// RandomHorizontalFlip, RandAugment) with our own seeded generator; replay follows torchvision's
// PIL code paths through ./pil.ts, so a view computed here is the view Apple's loader computes.
import * as pil from './pil';
import type { Rng } from './rng';

/** Compose order (TRANSFORMATION_TO_NAME): transforms apply in this order, whatever the config's order. */
export const TRANSFORM_ORDER = [
  'uint8',
  'resize',
  'center_crop',
  'random_crop',
  'random_resized_crop',
  'random_horizontal_flip',
  'rand_augment',
  'to_tensor',
  'random_erase',
  'normalize',
  'mixup',
  'cutmix',
] as const;
export type TransformName = (typeof TRANSFORM_ORDER)[number];
/** NO_PARAM_TRANSFORMS: they take no slot in a compressed parameter list. */
const NO_PARAM: ReadonlySet<string> = new Set(['uint8', 'center_crop', 'to_tensor', 'normalize']);
/** Transforms this replay implements; configs naming the others cannot be replayed here. */
const REPLAYED: ReadonlySet<string> = new Set(['uint8', 'random_resized_crop', 'random_horizontal_flip', 'rand_augment', 'to_tensor', 'normalize']);

/** RandAugment.op_names: a compressed op is [index into this list, magnitude]. */
export const RAND_AUGMENT_OPS = [
  'Identity',
  'ShearX',
  'ShearY',
  'TranslateX',
  'TranslateY',
  'Rotate',
  'Brightness',
  'Color',
  'Contrast',
  'Sharpness',
  'Posterize',
  'Solarize',
  'AutoContrast',
  'Equalize',
] as const;
export type RandAugmentOp = (typeof RAND_AUGMENT_OPS)[number];
/** Ops whose magnitude is signed (a random sign is drawn after the op). */
const SIGNED: ReadonlySet<RandAugmentOp> = new Set(['ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate', 'Brightness', 'Color', 'Contrast', 'Sharpness']);

export interface RandomResizedCropSpec {
  name: 'random_resized_crop';
  /** Output [height, width] of the config (replay may ask for another size per teacher). */
  size: [number, number];
  interpolation: pil.PilFilter;
  scale: [number, number];
  ratio: [number, number];
}
export interface FlipSpec {
  name: 'random_horizontal_flip';
  p: number;
}
export interface RandAugmentSpec {
  name: 'rand_augment';
  p: number;
  numOps: number;
  magnitude: number;
  numMagnitudeBins: number;
}
export interface NormalizeSpec {
  name: 'normalize';
  mean: number[];
  std: number[];
}
export type TransformSpec = RandomResizedCropSpec | FlipSpec | RandAugmentSpec | NormalizeSpec | { name: 'to_tensor' | 'uint8' };

/** A parsed `image_augmentation` block, in Compose order. */
export interface AugmentationConfig {
  transforms: TransformSpec[];
  /** Names of the transforms that take a parameter slot, in slot order. */
  slots: TransformName[];
}

export interface ParsedConfig {
  config?: AugmentationConfig;
  /** Why the config cannot be replayed (empty when it can). */
  problems: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const INTERPOLATIONS: Record<string, pil.PilFilter> = {
  nearest: 'nearest',
  'nearest-exact': 'nearest',
  bilinear: 'bilinear',
  bicubic: 'bicubic',
  box: 'box',
  hamming: 'hamming',
  lanczos: 'lanczos',
};

/** A key of Apple's own configs that names no transform (compose_from_config skips it). */
const IGNORED_KEYS: ReadonlySet<string> = new Set(['to_rgb']);

/**
 * Reads Apple's `image_augmentation` dict the way compose_from_config does: clean_config drops
 * entries with "enable": false and the key "enable"; each kept entry is that transform's keyword
 * arguments. Apple silently skips names outside TRANSFORMATION_TO_NAME; here such a name (a typo
 * like "random_resize_crop" would train without that transform) is a problem, except "to_rgb",
 * which Apple's own configs carry.
 */
export function parseAugmentationConfig(block: unknown): ParsedConfig {
  if (!isObject(block)) return { problems: ['image_augmentation must be an object of transform name -> arguments'] };
  const problems: string[] = [];
  const kept = new Map<string, Record<string, unknown>>();
  for (const [name, value] of Object.entries(block)) {
    if (!isObject(value)) {
      problems.push(`${name}: arguments must be an object`);
      continue;
    }
    const { enable, ...args } = value;
    if (enable === false || enable === 0) continue;
    if (!(TRANSFORM_ORDER as readonly string[]).includes(name)) {
      if (!IGNORED_KEYS.has(name)) problems.push(`unknown transform name ${JSON.stringify(name)}: Apple's compose_from_config ignores it (known: ${TRANSFORM_ORDER.join(', ')})`);
      continue;
    }
    kept.set(name, args);
  }
  const transforms: TransformSpec[] = [];
  const slots: TransformName[] = [];
  for (const name of TRANSFORM_ORDER) {
    const args = kept.get(name);
    if (!args) continue;
    if (!NO_PARAM.has(name)) slots.push(name);
    if (!REPLAYED.has(name)) {
      problems.push(`transform ${name} cannot be replayed (supported: ${[...REPLAYED].join(', ')})`);
      continue;
    }
    const spec = parseTransform(name, args, problems);
    if (spec) transforms.push(spec);
  }
  if (!transforms.some((t) => t.name === 'random_resized_crop')) problems.push('no random_resized_crop: replayed views would not have a fixed size');
  return problems.length ? { problems } : { config: { transforms, slots }, problems };
}

function numberPair(v: unknown, fallback: [number, number]): [number, number] | undefined {
  if (v === undefined) return fallback;
  if (Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number' && Number.isFinite(n))) return [v[0], v[1]];
  return undefined;
}

// Long: one case per torchvision/Apple transform, each a few lines of argument checks.
function parseTransform(name: TransformName, args: Record<string, unknown>, problems: string[]): TransformSpec | undefined {
  const unknown = (allowed: string[]) => {
    const extra = Object.keys(args).filter((k) => !allowed.includes(k));
    if (extra.length) problems.push(`${name}: unsupported argument${extra.length > 1 ? 's' : ''} ${extra.join(', ')}`);
    return extra.length > 0;
  };
  switch (name) {
    case 'random_resized_crop': {
      if (unknown(['size', 'interpolation', 'scale', 'ratio', 'antialias'])) return undefined;
      const s = args.size;
      const size: [number, number] | undefined =
        typeof s === 'number'
          ? [s, s]
          : Array.isArray(s) && s.length === 1 && typeof s[0] === 'number'
            ? [s[0], s[0]]
            : Array.isArray(s) && s.length === 2 && s.every((n) => typeof n === 'number')
              ? [s[0], s[1]]
              : undefined;
      if (!size || !size.every((n) => Number.isInteger(n) && n > 0 && n <= 8192)) {
        problems.push(`${name}: size must be a positive integer or [height, width]`);
        return undefined;
      }
      const interp = args.interpolation === undefined ? 'bilinear' : typeof args.interpolation === 'string' ? INTERPOLATIONS[args.interpolation] : undefined;
      if (!interp) {
        problems.push(`${name}: unknown interpolation ${JSON.stringify(args.interpolation)}`);
        return undefined;
      }
      const scale = numberPair(args.scale, [0.08, 1]);
      const ratio = numberPair(args.ratio, [3 / 4, 4 / 3]);
      if (!scale || !ratio || !(scale[0] > 0 && scale[0] <= scale[1] && scale[1] <= 1) || !(ratio[0] > 0 && ratio[0] <= ratio[1])) {
        problems.push(`${name}: scale and ratio must be [min, max] with 0 < min <= max (scale <= 1)`);
        return undefined;
      }
      return { name, size, interpolation: interp, scale, ratio };
    }
    case 'random_horizontal_flip': {
      if (unknown(['p'])) return undefined;
      const p = args.p === undefined ? 0.5 : args.p;
      if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
        problems.push(`${name}: p must be in [0, 1]`);
        return undefined;
      }
      return { name, p };
    }
    case 'rand_augment': {
      if (unknown(['p', 'num_ops', 'magnitude', 'num_magnitude_bins'])) return undefined;
      const p = args.p ?? 1;
      const numOps = args.num_ops ?? 2;
      const magnitude = args.magnitude ?? 9;
      const bins = args.num_magnitude_bins ?? 31;
      if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
        problems.push(`${name}: p must be in [0, 1]`);
        return undefined;
      }
      if (
        ![numOps, magnitude, bins].every((n) => Number.isInteger(n)) ||
        (numOps as number) < 0 ||
        (bins as number) < 2 ||
        (magnitude as number) < 0 ||
        (magnitude as number) >= (bins as number)
      ) {
        problems.push(`${name}: num_ops, magnitude and num_magnitude_bins must be whole numbers with 0 <= magnitude < num_magnitude_bins`);
        return undefined;
      }
      return { name, p, numOps: numOps as number, magnitude: magnitude as number, numMagnitudeBins: bins as number };
    }
    case 'normalize': {
      if (unknown(['mean', 'std', 'inplace'])) return undefined;
      const ok = (v: unknown) => Array.isArray(v) && v.length === 3 && v.every((n) => typeof n === 'number' && Number.isFinite(n));
      if (!ok(args.mean) || !ok(args.std) || (args.std as number[]).some((s) => !(s > 0))) {
        problems.push(`${name}: mean and std must be 3 numbers (std > 0)`);
        return undefined;
      }
      return { name, mean: args.mean as number[], std: args.std as number[] };
    }
    case 'to_tensor':
    case 'uint8':
      return { name };
    default:
      return undefined;
  }
}

/** The augmentation block of the config we write: what an AugmentSettings run produces. */
export function augmentationBlock(s: {
  size: number;
  interpolation: pil.PilFilter;
  scale: [number, number];
  ratio: [number, number];
  flipProbability: number;
  randAugment: { numOps: number; magnitude: number; numMagnitudeBins: number; p: number } | null;
  mean: number[];
  std: number[];
}): Record<string, Record<string, unknown>> {
  const block: Record<string, Record<string, unknown>> = {
    normalize: { mean: s.mean, std: s.std },
    random_resized_crop: { interpolation: s.interpolation, size: s.size, scale: s.scale, ratio: s.ratio },
  };
  if (s.flipProbability > 0) block.random_horizontal_flip = { p: s.flipProbability };
  if (s.randAugment) {
    block.rand_augment = {
      enable: true,
      p: s.randAugment.p,
      num_ops: s.randAugment.numOps,
      magnitude: s.randAugment.magnitude,
      num_magnitude_bins: s.randAugment.numMagnitudeBins,
    };
  }
  block.to_rgb = { enable: true };
  block.to_tensor = { enable: true };
  return block;
}

// ------------------------------------------------------------------ parameters

/** torchvision's (top, left, height, width). */
export type CropParams = [number, number, number, number];
export type RandAugmentParams = Array<[number, number]>;

/** One augmentation, decompressed: a transform absent here is not applied (Apple: `p is None`). */
export interface AugmentParams {
  random_resized_crop?: CropParams;
  random_horizontal_flip?: boolean;
  rand_augment?: RandAugmentParams;
}

/** Compose.compress without mixup/cutmix: one entry per parameterised transform, in slot order. */
export function compressParams(cfg: AugmentationConfig, p: AugmentParams): unknown[] {
  return cfg.slots.map((name) => {
    const v = (p as Record<string, unknown>)[name];
    return v === undefined ? null : v;
  });
}

/**
 * Compose.decompress + the checks Apple's reapply would fail on later: `zip` stops at the shorter
 * list, a null entry skips its transform, and each entry must fit its transform. Returns the
 * parameters or the problems (per field).
 */
export function decompressParams(cfg: AugmentationConfig, entry: unknown, imageSize?: { width: number; height: number }): { params?: AugmentParams; problems: string[] } {
  const problems: string[] = [];
  if (!Array.isArray(entry)) return { problems: ['must be a list with one entry per parameterised transform'] };
  if (entry.length < cfg.slots.length)
    problems.push(`has ${entry.length} entries for ${cfg.slots.length} parameterised transforms (${cfg.slots.join(', ')}): Apple's decompress would leave the last ones out`);
  if (entry.length > cfg.slots.length) problems.push(`has ${entry.length} entries but the config has ${cfg.slots.length} parameterised transforms (${cfg.slots.join(', ')})`);
  const params: AugmentParams = {};
  cfg.slots.forEach((name, i) => {
    const v: unknown = entry[i];
    if (v === null || v === undefined) return;
    if (name === 'random_resized_crop') {
      if (!Array.isArray(v) || v.length !== 4 || !v.every((n) => Number.isInteger(n))) {
        problems.push(`random_resized_crop entry ${JSON.stringify(v)} is not [top, left, height, width] integers`);
        return;
      }
      const [top, left, h, w] = v as CropParams;
      if (!(top >= 0 && left >= 0 && h > 0 && w > 0)) {
        problems.push(`random_resized_crop box ${JSON.stringify(v)} has a negative offset or an empty size`);
        return;
      }
      if (imageSize && (top + h > imageSize.height || left + w > imageSize.width)) {
        problems.push(`random_resized_crop box (top ${top}, left ${left}, ${w}x${h}) exceeds the ${imageSize.width}x${imageSize.height} image`);
        return;
      }
      params.random_resized_crop = [top, left, h, w];
    } else if (name === 'random_horizontal_flip') {
      if (typeof v !== 'boolean') {
        problems.push(`random_horizontal_flip entry ${JSON.stringify(v)} is not a boolean`);
        return;
      }
      params.random_horizontal_flip = v;
    } else if (name === 'rand_augment') {
      const spec = cfg.transforms.find((t): t is RandAugmentSpec => t.name === 'rand_augment')!;
      if (!Array.isArray(v) || v.length < spec.numOps) {
        problems.push(`rand_augment entry ${JSON.stringify(v)} is not a list of ${spec.numOps} [op index, magnitude] pairs`);
        return;
      }
      const ops: RandAugmentParams = [];
      for (const op of v.slice(0, spec.numOps)) {
        if (!Array.isArray(op) || op.length !== 2 || !Number.isInteger(op[0]) || typeof op[1] !== 'number' || !Number.isFinite(op[1])) {
          problems.push(`rand_augment op ${JSON.stringify(op)} is not [op index, magnitude]`);
          return;
        }
        const [index, magnitude] = op as [number, number];
        if (index < 0 || index >= RAND_AUGMENT_OPS.length) {
          problems.push(`rand_augment op index ${index} is unknown (RandAugment.op_names has ${RAND_AUGMENT_OPS.length} ops)`);
          return;
        }
        const problem = opProblem(RAND_AUGMENT_OPS[index]!, magnitude);
        if (problem) {
          problems.push(`rand_augment ${RAND_AUGMENT_OPS[index]} magnitude ${magnitude}: ${problem}`);
          return;
        }
        ops.push([index, magnitude]);
      }
      params.rand_augment = ops;
    }
  });
  if (!params.random_resized_crop && !problems.length) problems.push('no random_resized_crop parameters (null): the view would keep the image size');
  return problems.length ? { problems } : { params, problems };
}

function opProblem(op: RandAugmentOp, m: number): string | undefined {
  if (op === 'Posterize' && !(Math.trunc(m) >= 0 && Math.trunc(m) <= 8)) return 'bits must be 0..8';
  if ((op === 'ShearX' || op === 'ShearY') && !(Math.abs(m) < 1e6)) return 'out of range';
  if ((op === 'TranslateX' || op === 'TranslateY') && !(Math.abs(m) < 1e6)) return 'out of range';
  return undefined;
}

// ------------------------------------------------------------------ sampling

/** Python's round(): halves go to the even neighbour (torchvision's boxes depend on it). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** torchvision RandomResizedCrop.get_params: (top, left, height, width). */
export function sampleCrop(width: number, height: number, scale: readonly [number, number], ratio: readonly [number, number], rng: Rng): CropParams {
  const area = width * height;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(0, height - h + 1);
      const left = rng.int(0, width - w + 1);
      return [top, left, h, w];
    }
  }
  const inRatio = width / height;
  let w: number;
  let h: number;
  if (inRatio < Math.min(...ratio)) {
    w = width;
    h = roundHalfEven(w / Math.min(...ratio));
  } else if (inRatio > Math.max(...ratio)) {
    h = height;
    w = roundHalfEven(h * Math.max(...ratio));
  } else {
    w = width;
    h = height;
  }
  return [Math.floor((height - h) / 2), Math.floor((width - w) / 2), h, w];
}

/** torch.linspace(start, end, steps)[index] in float32, as its CPU kernel computes it. */
export function linspaceF32(start: number, end: number, steps: number, index: number): number {
  const f = Math.fround;
  const s = f(start);
  const e = f(end);
  if (steps === 1) return s;
  const step = f(f(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  return index < halfway ? f(s + f(step * index)) : f(e - f(step * (steps - index - 1)));
}

/** RandAugment._augmentation_space(num_bins, (height, width))[op][magnitude index], unsigned. */
export function opMagnitude(op: RandAugmentOp, spec: RandAugmentSpec, height: number, width: number): number {
  const bins = spec.numMagnitudeBins;
  const m = spec.magnitude;
  switch (op) {
    case 'ShearX':
    case 'ShearY':
      return linspaceF32(0, 0.3, bins, m);
    case 'TranslateX':
      return linspaceF32(0, (150 / 331) * width, bins, m);
    case 'TranslateY':
      return linspaceF32(0, (150 / 331) * height, bins, m);
    case 'Rotate':
      return linspaceF32(0, 30, bins, m);
    case 'Brightness':
    case 'Color':
    case 'Contrast':
    case 'Sharpness':
      return linspaceF32(0, 0.9, bins, m);
    case 'Posterize': {
      const q = Math.fround(m / Math.fround((bins - 1) / 4));
      return 8 - roundHalfEven(q);
    }
    case 'Solarize':
      return linspaceF32(255, 0, bins, m);
    default:
      return 0;
  }
}

/**
 * RandAugment's parameter draw (when it applies, probability p): `numOps` ops, each an op index
 * drawn uniformly from `allowedOps` (indices into RAND_AUGMENT_OPS), the configured magnitude bin,
 * and a random sign for signed ops. Null when the draw skips RandAugment.
 */
export function sampleRandAugment(spec: RandAugmentSpec, height: number, width: number, allowedOps: readonly number[], rng: Rng): RandAugmentParams | null {
  if (rng.next() > spec.p) return null;
  const ops: RandAugmentParams = [];
  for (let i = 0; i < spec.numOps; i++) {
    const index = allowedOps[rng.int(0, allowedOps.length)]!;
    const op = RAND_AUGMENT_OPS[index]!;
    let magnitude = opMagnitude(op, spec, height, width);
    if (SIGNED.has(op) && rng.int(0, 2) === 1) magnitude *= -1;
    ops.push([index, magnitude]);
  }
  return ops;
}

// ------------------------------------------------------------------ replay

/** torchvision's _get_inverse_affine_matrix (the matrix PIL's transform wants). */
function inverseAffineMatrix(center: [number, number], angle: number, translate: [number, number], scale: number, shear: [number, number]): number[] {
  const rad = (d: number) => d * (Math.PI / 180);
  const rot = rad(angle);
  const sx = rad(shear[0]);
  const sy = rad(shear[1]);
  const [cx, cy] = center;
  const [tx, ty] = translate;
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d, -b, 0, -c, a, 0].map((x) => x / scale);
  m[2]! += m[0]! * (-cx - tx) + m[1]! * (-cy - ty);
  m[5]! += m[3]! * (-cx - tx) + m[4]! * (-cy - ty);
  m[2]! += cx;
  m[5]! += cy;
  return m;
}

const degrees = (r: number) => r * (180 / Math.PI);

/** torchvision's _apply_op for a PIL image (interpolation NEAREST, fill None). */
export function applyRandAugmentOp(img: pil.RgbPixels, op: RandAugmentOp, magnitude: number): pil.RgbPixels {
  const centre: [number, number] = [img.width * 0.5, img.height * 0.5];
  switch (op) {
    case 'Identity':
      return img;
    case 'ShearX':
      return pil.affine(img, inverseAffineMatrix([0, 0], 0, [0, 0], 1, [degrees(Math.atan(magnitude)), 0]));
    case 'ShearY':
      return pil.affine(img, inverseAffineMatrix([0, 0], 0, [0, 0], 1, [0, degrees(Math.atan(magnitude))]));
    case 'TranslateX':
      return pil.affine(img, inverseAffineMatrix(centre, 0, [Math.trunc(magnitude), 0], 1, [0, 0]));
    case 'TranslateY':
      return pil.affine(img, inverseAffineMatrix(centre, 0, [0, Math.trunc(magnitude)], 1, [0, 0]));
    case 'Rotate':
      return pil.rotate(img, magnitude);
    case 'Brightness':
      return pil.brightness(img, 1 + magnitude);
    case 'Color':
      return pil.color(img, 1 + magnitude);
    case 'Contrast':
      return pil.contrast(img, 1 + magnitude);
    case 'Sharpness':
      return pil.sharpness(img, 1 + magnitude);
    case 'Posterize':
      return pil.posterize(img, Math.trunc(magnitude));
    case 'Solarize':
      return pil.solarize(img, magnitude);
    case 'AutoContrast':
      return pil.autocontrast(img);
    case 'Equalize':
      return pil.equalize(img);
  }
}

/**
 * Compose.reapply on the RGB image Apple's loader decoded, up to (not including) to_tensor:
 * RandomResizedCrop with the stored box resized to `size` ([height, width]; Apple's `size`
 * argument, the config's size by default), then the flip, then the RandAugment ops.
 */
export function replayView(img: pil.RgbPixels, cfg: AugmentationConfig, params: AugmentParams, size?: [number, number]): pil.RgbPixels {
  let out = img;
  for (const t of cfg.transforms) {
    if (t.name === 'random_resized_crop') {
      const box = params.random_resized_crop;
      if (!box) continue;
      const [top, left, h, w] = box;
      const [oh, ow] = size ?? t.size;
      out = pil.resize(pil.crop(out, left, top, w, h), ow, oh, t.interpolation);
    } else if (t.name === 'random_horizontal_flip') {
      if (params.random_horizontal_flip) out = pil.flipLeftRight(out);
    } else if (t.name === 'rand_augment') {
      const ops = params.rand_augment;
      if (!ops) continue;
      for (let i = 0; i < t.numOps; i++) out = applyRandAugmentOp(out, RAND_AUGMENT_OPS[ops[i]![0]]!, ops[i]![1]);
    }
  }
  return out;
}

/**
 * open_clip's evaluation view (Resize(size, bicubic) of the shorter side, then CenterCrop(size)),
 * as torchvision computes it for PIL images: what a held-out image looks like to a trained model.
 */
export function centerView(img: pil.RgbPixels, size: number): pil.RgbPixels {
  const { width: w, height: h } = img;
  const [short, long] = w <= h ? [w, h] : [h, w];
  const newLong = Math.trunc((size * long) / short);
  const [rw, rh] = w <= h ? [size, newLong] : [newLong, size];
  const resized = pil.resize(img, rw, rh, 'bicubic');
  if (rw < size || rh < size) throw new Error(`the image is too small to centre-crop to ${size}`);
  const top = roundHalfEven((rh - size) / 2);
  const left = roundHalfEven((rw - size) / 2);
  return pil.crop(resized, left, top, size, size);
}
