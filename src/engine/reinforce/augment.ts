// Augmentations stored as parameters (the MobileCLIP paper's DataCompDR does the same): a
// RandomResizedCrop box and a horizontal flip per stored augmentation. Sampling follows
// torchvision's RandomResizedCrop.get_params (10 tries of scale/log-ratio draws, then the
// centre-crop fallback) and RandomHorizontalFlip; replay hands the box + flip to the worker
// (ImageRequestItem.augment), which crops the EXIF-oriented source and resizes the crop
// straight to the model's input size.
import type { AugmentParams, ImageRequestItem } from '../types';
import { imageRng, type Rng } from './rng';

export interface AugmentSettings {
  /** Augmentations stored per image. */
  count: number;
  /** Fraction of the image area a crop covers, [min, max] (torchvision default 0.08..1). */
  scale: [number, number];
  /** Crop aspect ratio w/h range (torchvision default 3/4..4/3), sampled log-uniformly. */
  ratio: [number, number];
  /** Probability of a horizontal flip (default 0.5). */
  flipProbability: number;
}

export const DEFAULT_AUGMENT_SETTINGS: Readonly<AugmentSettings> = Object.freeze({
  count: 10,
  scale: [0.08, 1] as [number, number],
  ratio: [3 / 4, 4 / 3] as [number, number],
  flipProbability: 0.5,
});

/** Contents of a sample's `paug.json`. */
export interface StoredAugmentations {
  /** Oriented source size [width, height] the boxes refer to. */
  image_size: [number, number];
  /** One entry per stored augmentation, row k of `image_emb` belongs to params[k]. */
  params: AugmentParams[];
}

export function validateAugmentSettings(s: AugmentSettings): void {
  if (!Number.isInteger(s.count) || s.count < 1) throw new Error(`augmentation count must be a positive integer, got ${s.count}`);
  const [smin, smax] = s.scale;
  if (!(smin > 0 && smin <= smax && smax <= 1)) throw new Error(`augmentation scale must satisfy 0 < min <= max <= 1, got [${s.scale}]`);
  const [rmin, rmax] = s.ratio;
  if (!(rmin > 0 && rmin <= rmax)) throw new Error(`augmentation ratio must satisfy 0 < min <= max, got [${s.ratio}]`);
  if (!(s.flipProbability >= 0 && s.flipProbability <= 1)) throw new Error(`flip probability must be in [0, 1], got ${s.flipProbability}`);
}

/** Python's round(): halves go to the even neighbour (torchvision's boxes depend on it). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** torchvision RandomResizedCrop.get_params, returning [x, y, w, h]. */
export function sampleCropBox(
  width: number, height: number, scale: readonly [number, number], ratio: readonly [number, number], rng: Rng,
): [number, number, number, number] {
  const area = width * height;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const y = rng.int(0, height - h + 1);
      const x = rng.int(0, width - w + 1);
      return [x, y, w, h];
    }
  }
  // Fallback: the largest centred crop whose aspect ratio lies within the range.
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
  return [Math.floor((width - w) / 2), Math.floor((height - h) / 2), w, h];
}

/**
 * The stored augmentations of one image: a pure function of (seed, uid, oriented size, settings).
 * Draw order per augmentation: crop box, then flip.
 */
export function sampleAugmentations(
  seed: number, uid: string, width: number, height: number, settings: AugmentSettings,
): StoredAugmentations {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`cannot sample crops for an image of size ${width}x${height}`);
  }
  const rng = imageRng(seed, uid);
  const params: AugmentParams[] = [];
  for (let k = 0; k < settings.count; k++) {
    const crop = sampleCropBox(width, height, settings.scale, settings.ratio, rng);
    const flip = rng.next() < settings.flipProbability;
    params.push({ crop, flip });
  }
  return { image_size: [width, height], params };
}

/** The worker requests that replay stored augmentations exactly. */
export function replayRequests(absolutePath: string, stored: StoredAugmentations): ImageRequestItem[] {
  return stored.params.map((p) => ({ path: absolutePath, augment: { crop: [...p.crop], flip: p.flip } }));
}

/** Structural check of a parsed paug.json; returns problems (empty when fine). */
export function checkStoredAugmentations(value: unknown): string[] {
  const problems: string[] = [];
  const v = value as Partial<StoredAugmentations> | null;
  if (!v || typeof v !== 'object') return ['paug.json is not an object'];
  const size = v.image_size;
  if (!Array.isArray(size) || size.length !== 2 || !size.every((n) => Number.isInteger(n) && n > 0)) {
    problems.push('paug.json image_size must be [width, height] positive integers');
  }
  if (!Array.isArray(v.params) || v.params.length === 0) {
    problems.push('paug.json params must be a non-empty array');
    return problems;
  }
  v.params.forEach((p, k) => {
    const c = (p as AugmentParams | null)?.crop;
    if (!Array.isArray(c) || c.length !== 4 || !c.every((n) => Number.isInteger(n) && n >= 0) || c[2] === 0 || c[3] === 0) {
      problems.push(`paug.json params[${k}].crop must be [x, y, w, h] non-negative integers with w, h > 0`);
    } else if (Array.isArray(size) && (c[0] + c[2] > size[0]! || c[1] + c[3] > size[1]!)) {
      problems.push(`paug.json params[${k}].crop [${c}] exceeds the image size ${size[0]}x${size[1]}`);
    }
    if (typeof (p as AugmentParams | null)?.flip !== 'boolean') problems.push(`paug.json params[${k}].flip must be a boolean`);
  });
  return problems;
}
