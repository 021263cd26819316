// Vectorized tag scoring: images [n, dim] against tags [T, dim], all in contiguous Float32Arrays.
//
// For image x and tag t (every vector L2-normalized):
//   c  = cos(x, tag_t)                 zero-shot similarity to the tag's prompt ensemble
//   b  = cos(x, background_t)          similarity to "nothing in particular" in the same wording
//   Δ  = a⁺ − a⁻                       few-shot evidence from the user's own decisions, where
//        a± = max over the tag's confirmed (+) / rejected (−) example images e of exp(−β(1 − cos(x, e)))
//   s  = c + (α / LOGIT_SCALE) · Δ     blended similarity, still on the cosine scale
//   score = σ(LOGIT_SCALE · (s − b))   in 0..1
// A tag is suggested when score ≥ its threshold AND s ≥ minSimilarity, best-first, at most topK.
//
// Why this calibration: CLIP-style models always have a "least bad" label, and raw cosines sit in
// a narrow model-dependent band (≈0.15–0.35), so neither argmax nor a fixed cosine cut-off says
// "nothing here". Comparing each tag with a background embedded from generic prompts ("an image.",
// or the tag's own templates filled with "something") asks the model the right question — is this
// image more "<tag>" than "an image"? — and σ(LOGIT_SCALE · margin) is exactly CLIP's own softmax
// over the two texts {tag, background} at its trained logit scale of 100, so the score reads as
// a probability and thresholds transfer across models better than raw cosines. The absolute floor
// catches images so unlike every prompt that even the background margin is meaningless.
//
// Why this few-shot rule (training-free, after Tip-Adapter): Tip-Adapter adds
// α · exp(−β(1 − cos)) affinities to confirmed examples to CLIP's logits. We use it per tag with
// positives AND negatives, and take the nearest example (max) instead of Tip-Adapter's sum so the
// boost is bounded (a folder with 500 confirmations must not push every image over threshold).
//   β = 5.5: Tip-Adapter's default sharpness. A near-duplicate (cos ≈ 1) gets affinity ≈ 1, a
//            similar image (cos 0.9) ≈ 0.58, an unrelated one (cos 0.5) ≈ 0.06.
//   α = 4:   at most ±4 logits. Tip-Adapter uses α ≈ 1 against 100·cos logits for N-way argmax; a
//            binary tag-vs-background decision sits near 0 logits, where +4 lifts a borderline
//            0.5 to 0.98 for a near-duplicate of a confirmed image, while a zero-shot margin
//            beyond ~0.05 cosine (5 logits) still needs more than one contrary example to flip.
import { dotMatrix, normalized } from '../vectors';

export const LOGIT_SCALE = 100;
export const FEWSHOT_ALPHA = 4;
export const FEWSHOT_BETA = 5.5;

/** Normalized mean of unit vectors (CLIP prompt ensembling), or undefined when it has no direction. */
export function meanDirection(vectors: readonly Float32Array[], dim: number): Float32Array | undefined {
  if (vectors.length === 0) return undefined;
  const sum = new Float64Array(dim);
  for (const v of vectors) for (let j = 0; j < dim; j++) sum[j]! += v[j]!;
  return normalized(sum);
}

export interface FewShotCache {
  /** Example image embeddings [count, dim]. */
  examples: Float32Array;
  count: number;
  /** Owner id of each example row (the image it came from), so an image is never its own evidence. */
  owners: Int32Array;
  /** Per tag: example rows the user confirmed the tag on / removed it from. */
  positives: Int32Array[];
  negatives: Int32Array[];
  alpha: number;
  beta: number;
}

export interface TagScorer {
  dim: number;
  tagCount: number;
  /** [tagCount, dim] unit tag directions. */
  tags: Float32Array;
  /** [backgroundCount, dim] unit background directions. */
  backgrounds: Float32Array;
  backgroundCount: number;
  /** Per tag: its row in `backgrounds`, or -1 when it has none (then minSimilarity stands in). */
  backgroundOf: Int32Array;
  /** Per tag threshold on the calibrated score. */
  thresholds: Float32Array;
  /**
   * Per tag: 1 when the model tells its prompts from its background, 0 when it cannot (its score
   * is a constant 0.50 that means nothing; such a tag is never suggested). Absent: all informative.
   */
  informative?: Uint8Array;
  minSimilarity: number;
  fewShot?: FewShotCache;
}

export interface ScoredBatch {
  n: number;
  tagCount: number;
  /** [n, T] zero-shot cosine. */
  cosine: Float32Array;
  /** [n, T] blended similarity s (cosine scale, few-shot included). */
  similarity: Float32Array;
  /** [n, T] similarity minus background: the logit margin before scaling (sorts without σ's saturation ties). */
  margin: Float32Array;
  /** [n, T] calibrated score in 0..1. */
  score: Float32Array;
}

/**
 * Score `n` images (rows of `images`, unit length) against every tag. `owners[i]` is image i's
 * owner id, matched against FewShotCache.owners to exclude self-evidence.
 */
export function scoreImages(scorer: TagScorer, images: Float32Array, n: number, owners?: Int32Array): ScoredBatch {
  const { dim, tagCount: T } = scorer;
  const cosine = dotMatrix(images, n, scorer.tags, T, dim);
  const background = scorer.backgroundCount > 0 ? dotMatrix(images, n, scorer.backgrounds, scorer.backgroundCount, dim) : new Float32Array(0);
  const similarity = new Float32Array(cosine);
  const fs = scorer.fewShot;
  if (fs && fs.count > 0) {
    const affinity = dotMatrix(images, n, fs.examples, fs.count, dim);
    const weight = fs.alpha / LOGIT_SCALE;
    for (let i = 0; i < n; i++) {
      const row = i * fs.count;
      const self = owners ? owners[i]! : -1;
      for (let t = 0; t < T; t++) {
        const pos = nearest(affinity, row, fs.positives[t]!, fs.owners, self);
        const neg = nearest(affinity, row, fs.negatives[t]!, fs.owners, self);
        if (pos === -Infinity && neg === -Infinity) continue;
        // max over examples of exp(−β(1 − cos)) = exp(−β(1 − max cos)); no examples -> 0.
        const aPos = pos === -Infinity ? 0 : Math.exp(-fs.beta * (1 - pos));
        const aNeg = neg === -Infinity ? 0 : Math.exp(-fs.beta * (1 - neg));
        similarity[i * T + t]! += weight * (aPos - aNeg);
      }
    }
  }
  const margin = new Float32Array(n * T);
  const score = new Float32Array(n * T);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < T; t++) {
      const bRow = scorer.backgroundOf[t]!;
      const b = bRow >= 0 ? background[i * scorer.backgroundCount + bRow]! : scorer.minSimilarity;
      const m = similarity[i * T + t]! - b;
      margin[i * T + t] = m;
      score[i * T + t] = sigmoid(LOGIT_SCALE * m);
    }
  }
  return { n, tagCount: T, cosine, similarity, margin, score };
}

function nearest(affinity: Float32Array, row: number, rows: Int32Array, owners: Int32Array, self: number): number {
  let best = -Infinity;
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    if (owners[r] === self) continue;
    const a = affinity[row + r]!;
    if (a > best) best = a;
  }
  return best;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * Tags (indices) suggested for image `i` of a scored batch: score ≥ threshold and similarity ≥
 * floor, best first, at most `topK` (0 = no limit). `skip(t)` excludes tags the user decided on.
 */
export function pickTags(scorer: TagScorer, batch: ScoredBatch, i: number, topK: number, skip?: (t: number) => boolean): number[] {
  const T = batch.tagCount;
  const picked: number[] = [];
  for (let t = 0; t < T; t++) {
    if (skip?.(t) || scorer.informative?.[t] === 0) continue;
    const s = batch.score[i * T + t]!;
    if (s >= scorer.thresholds[t]! && batch.similarity[i * T + t]! >= scorer.minSimilarity) picked.push(t);
  }
  picked.sort((x, y) => batch.margin[i * T + y]! - batch.margin[i * T + x]! || x - y);
  return topK > 0 ? picked.slice(0, topK) : picked;
}
