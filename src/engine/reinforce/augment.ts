// The augmentations a reinforcement run stores: settings, the reinforcement config they amount to
// (Apple's format, written next to the shards), and the seeded draw of each image's parameters.
// Draw order per augmentation is Compose order: crop box, flip (when flips are on), RandAugment
// (when on), each as torchvision draws it (see transforms.ts), from a generator seeded per
// (seed, uid) so that an image's augmentations never depend on the other images.
import type { PilFilter } from './pil';
import { imageRng } from './rng';
import {
  RAND_AUGMENT_OPS,
  augmentationBlock,
  parseAugmentationConfig,
  sampleCrop,
  sampleRandAugment,
  type AugmentParams,
  type AugmentationConfig,
  type RandAugmentSpec,
} from './transforms';

export interface AugmentSettings {
  /** Augmentations stored per image. */
  count: number;
  /** Fraction of the image area a crop covers, [min, max] (torchvision default 0.08..1). */
  scale: [number, number];
  /** Crop aspect ratio w/h range (torchvision default 3/4..4/3), sampled log-uniformly. */
  ratio: [number, number];
  /** Probability of a horizontal flip; 0 leaves random_horizontal_flip out of the config. */
  flipProbability: number;
  /** Store RandAugment ops (two per augmentation, magnitude bin 9 of 31, as Apple's config). */
  randAugment: boolean;
  /** Resampling of the crop to the teacher's input size. */
  interpolation: PilFilter;
}

export const DEFAULT_AUGMENT_SETTINGS: Readonly<AugmentSettings> = Object.freeze({
  count: 10,
  scale: [0.08, 1] as [number, number],
  ratio: [3 / 4, 4 / 3] as [number, number],
  // Apple's DataCompDR config has no flip: data without one loads under that stock config too.
  flipProbability: 0,
  randAugment: false,
  interpolation: 'bicubic' as PilFilter,
});

/** torchvision RandAugment defaults (Apple's config: {"p": 1.0}). */
export const RAND_AUGMENT = Object.freeze({ p: 1, numOps: 2, magnitude: 9, numMagnitudeBins: 31 });
/** Ops the sampler draws from: all of RandAugment.op_names, each replayed pixel-exactly (see pil.test.ts). */
export const SAMPLED_OPS: readonly number[] = RAND_AUGMENT_OPS.map((_, i) => i);

export function validateAugmentSettings(s: AugmentSettings): void {
  if (!Number.isInteger(s.count) || s.count < 1) throw new Error(`augmentation count must be a positive integer, got ${s.count}`);
  const [smin, smax] = s.scale;
  if (!(smin > 0 && smin <= smax && smax <= 1)) throw new Error(`augmentation scale must satisfy 0 < min <= max <= 1, got [${s.scale}]`);
  const [rmin, rmax] = s.ratio;
  if (!(rmin > 0 && rmin <= rmax)) throw new Error(`augmentation ratio must satisfy 0 < min <= max, got [${s.ratio}]`);
  if (!(s.flipProbability >= 0 && s.flipProbability <= 1)) throw new Error(`flip probability must be in [0, 1], got ${s.flipProbability}`);
}

/** The file written as rdata_config.json: Apple's config layout (see training/configs/datacompdr12m.json). */
export interface ReinforcementConfigFile {
  model_name: string;
  num_samples: number;
  pretrained: string;
  reinforce: { image_augmentation: Record<string, Record<string, unknown>> };
}

/**
 * The run's reinforcement config. The crop size is the largest teacher input size (RayGen's rule);
 * each teacher embeds the view replayed at its own input size (`reapply(..., size)`). `normalize`
 * is the first teacher's (Apple's trainer replaces it with the student's own).
 */
export function reinforcementConfig(
  s: AugmentSettings,
  teachers: ReadonlyArray<{ id: string; fingerprint: string; imageSize: number }>,
  normalize: { mean: number[]; std: number[] },
): { file: ReinforcementConfigFile; config: AugmentationConfig } {
  const block = augmentationBlock({
    size: Math.max(...teachers.map((t) => t.imageSize)),
    interpolation: s.interpolation,
    scale: s.scale,
    ratio: s.ratio,
    flipProbability: s.flipProbability,
    randAugment: s.randAugment ? RAND_AUGMENT : null,
    mean: normalize.mean,
    std: normalize.std,
  });
  const parsed = parseAugmentationConfig(block);
  if (!parsed.config) throw new Error(`internal: the written config does not parse: ${parsed.problems.join('; ')}`);
  return {
    file: {
      model_name: teachers.map((t) => t.id).join(','),
      num_samples: s.count,
      pretrained: teachers.map((t) => t.fingerprint).join(','),
      reinforce: { image_augmentation: block },
    },
    config: parsed.config,
  };
}

/** The stored augmentations of one image: a pure function of (seed, uid, stored image size, config). */
export function sampleAugmentations(seed: number, uid: string, width: number, height: number, count: number, cfg: AugmentationConfig): AugmentParams[] {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`cannot sample crops for an image of size ${width}x${height}`);
  }
  const rng = imageRng(seed, uid);
  const out: AugmentParams[] = [];
  for (let k = 0; k < count; k++) {
    const p: AugmentParams = {};
    let size: [number, number] = [height, width];
    for (const t of cfg.transforms) {
      if (t.name === 'random_resized_crop') {
        p.random_resized_crop = sampleCrop(width, height, t.scale, t.ratio, rng);
        size = t.size;
      } else if (t.name === 'random_horizontal_flip') {
        p.random_horizontal_flip = rng.next() < t.p;
      } else if (t.name === 'rand_augment') {
        const ops = sampleRandAugment(t as RandAugmentSpec, size[0], size[1], SAMPLED_OPS, rng);
        if (ops) p.rand_augment = ops;
      }
    }
    out.push(p);
  }
  return out;
}
