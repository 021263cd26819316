// Generation settings for synthetic captions, their validation, and the identity ("run key")
// that makes captioning incremental: an image is skipped when the captions file already holds
// captions for the same image bytes (sha256) made by the same model with the same settings.
import { createHash } from 'node:crypto';
import { stableStringify } from '../util/atomic';
import { limitProblem, LIMITS } from '../util/limits';

export interface CaptionSettings {
  /** Distinct captions wanted per image. */
  count: number;
  /** Base seed; each image's sampling is seeded from (seed, image sha256, round). */
  seed: number;
  /** Sample only among the k most likely next tokens (0 = the whole vocabulary). */
  topK: number;
  /** Softmax temperature (> 0); higher gives more varied captions. */
  temperature: number;
  /** Upper bound on generated tokens per caption. */
  maxNewTokens: number;
}

export const DEFAULT_CAPTION_SETTINGS: Readonly<CaptionSettings> = Object.freeze({
  count: 5,
  seed: 0,
  topK: 20,
  temperature: 1,
  maxNewTokens: 32,
});

export const MAX_CAPTIONS_PER_IMAGE = LIMITS['captions.count'].max;

/**
 * Version of the sampling procedure (batching, seeding, retry rounds). Part of the run key, so a
 * change to how captions are drawn re-captions images instead of mixing old and new results.
 */
export const SAMPLER_VERSION = 1;

/** Fill defaults and reject values that cannot work, with messages that name the setting. */
export function resolveCaptionSettings(partial: Partial<CaptionSettings> = {}): CaptionSettings {
  const s: CaptionSettings = { ...DEFAULT_CAPTION_SETTINGS };
  for (const [key, value] of Object.entries(partial) as Array<[keyof CaptionSettings, number | undefined]>) {
    if (value !== undefined) s[key] = value;
  }
  // The ranges are the settings' (util/limits.ts), so a flag and a setting accept the same values.
  for (const name of ['count', 'seed', 'topK', 'temperature', 'maxNewTokens'] as const) {
    const problem = limitProblem(`captions.${name}`, s[name]);
    if (problem) throw new Error(`caption ${name} ${problem}, got ${s[name]}`);
  }
  return s;
}

/** What identifies a set of generated captions besides the image itself. */
export interface CaptionRun {
  /** Captioner registry id, or "local:<dir>" for a user folder. */
  model: string;
  /** Identity of the captioner's exact files (see resolveCaptioner). */
  modelFingerprint: string;
  /** ONNX precision per session, e.g. { encoder_model: "fp32", decoder_model_merged: "q8" }. */
  dtype: Record<string, string>;
  settings: CaptionSettings;
  samplerVersion: number;
}

/** Short stable hash of a run: the key the captions file records generated captions under. */
export function runKey(run: CaptionRun): string {
  return createHash('sha256').update(stableStringify(run)).digest('hex').slice(0, 16);
}

/**
 * The seed of sampling round `round` for one image: a 48-bit integer from (seed, sha256, round),
 * so results depend only on the settings and the image bytes, not on order or batch.
 */
export function imageSeed(seed: number, sha256: string, round: number): number {
  const h = createHash('sha256').update(`${seed}:${sha256}:${round}`).digest();
  return h.readUIntBE(0, 6);
}
