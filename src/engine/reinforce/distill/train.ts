// "Show the value, measured": fit a small adapter on top of a frozen student model with the
// MobileCLIP loss against the teacher knowledge stored in a reinforced dataset, and report
// held-out retrieval recall before and after. See loss.ts for the loss and gradients.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { Engine } from '../../engine';
import { loadDataset, type DatasetOptions, type ReinforcedSample } from '../dataset';
import { teacherSlices } from '../format';
import { imageRng, type Rng } from '../rng';
import { type Adapter, identityMatrix, saveAdapter } from './adapter';
import { Adam, type AdapterParams, type PairBatch, TEACHER_LOGIT_SCALE, batchLoss, projectNormalize, teacherLogits, zeroGradients } from './loss';
import { writeNormalized } from '../../vectors';

export type DistillStudent = Pick<Engine, 'info' | 'embedTexts' | 'embedViews'>;

export interface DistillOptions extends DatasetOptions {
  dataset: string;
  student: DistillStudent;
  /** Weight of the distillation loss (paper: 1.0 for S variants, 0.75 for B). Default 1. */
  lambda?: number;
  epochs?: number;
  /** Fraction of samples held out for evaluation (default 0.2). */
  holdout?: number;
  batchSize?: number;
  learningRate?: number;
  /** Also fit a text-side map (default false: texts pass through). */
  textAdapter?: boolean;
  seed?: number;
  /** Adapter file (default <dataset>/adapter.json). */
  out?: string;
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
}

export interface Recall {
  imageToText: { r1: number; r5: number };
  textToImage: { r1: number; r5: number };
  /** Mean of the four figures. */
  mean: number;
}

export interface DistillReport {
  adapterPath: string;
  trainSamples: number;
  holdoutSamples: number;
  skipped: Array<{ path: string; error: string }>;
  settings: { lambda: number; epochs: number; batchSize: number; learningRate: number; textAdapter: boolean; seed: number; holdout: number; logitScale: string };
  before: Recall;
  after: Recall;
  /** The teachers' own recall on the held-out split (stored embeddings; images = mean over augmentations). */
  teachers: Recall;
  improved: boolean;
  verdict: string;
  /** Mean training loss per epoch. */
  loss: number[];
  finalLogitScale: number;
  seconds: number;
}

interface StudentSample {
  sample: ReinforcedSample;
  /** [K, d] student embeddings of the replayed augmentations. */
  augs: Float64Array;
  /** [1 + syn, d] student text embeddings (row 0 = real caption; zero when none). */
  texts: Float64Array;
}

interface HoldoutSample {
  sample: ReinforcedSample;
  image: Float64Array;
  text: Float64Array;
}

// Long: split, embed, train and evaluate share the dataset, the adapter and the report; each step is commented in place.
export async function distillAdapter(opts: DistillOptions): Promise<DistillReport> {
  const started = Date.now();
  const lambda = opts.lambda ?? 1;
  const epochs = opts.epochs ?? 30;
  const holdout = opts.holdout ?? 0.2;
  const batchSize = opts.batchSize ?? 64;
  const learningRate = opts.learningRate ?? 0.01;
  const seed = opts.seed ?? 0;
  const textAdapter = opts.textAdapter ?? false;
  if (!(lambda >= 0 && lambda <= 1)) throw new Error(`lambda must be in [0, 1], got ${lambda}`);
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`epochs must be a whole number, got ${epochs}`);
  if (!(holdout > 0 && holdout < 1)) throw new Error(`holdout must be a fraction in (0, 1), got ${holdout}`);
  if (!Number.isInteger(batchSize) || batchSize < 2) throw new Error(`batch size must be at least 2, got ${batchSize}`);
  if (!(learningRate > 0)) throw new Error(`learning rate must be positive, got ${learningRate}`);
  const log = opts.onProgress ?? (() => undefined);

  const loaded = await loadDataset(opts.dataset, opts);
  const ds = loaded.dataset;
  const config = ds.config!;
  const teacherBlocks = teacherSlices(ds.teacherDims!).map(([a, b]) => ({ offset: a, dim: b - a }));
  const skipped: Array<{ path: string; error: string }> = loaded.problems.map((p) => ({ path: p.where, error: p.problem }));
  const d = opts.student.info.dim;
  const name = (s: ReinforcedSample) => s.url ?? s.key;

  // A fixed split by hash of (seed, key): the same samples are held out on every run.
  const order = [...loaded.samples].sort((a, b) => compare(splitHash(seed, a.key), splitHash(seed, b.key)));
  const evaluable = order.filter((s) => s.captionEmbedded && s.caption !== '');
  const nHold = Math.max(2, Math.round(holdout * loaded.samples.length));
  if (evaluable.length < nHold + 2) throw new Error(`too few samples with captions (${evaluable.length}) for a ${nHold}-sample holdout and training`);
  const holdSet = new Set(evaluable.slice(0, nHold).map((s) => s.key));
  const trainSamples = order.filter((s) => !holdSet.has(s.key));
  const holdSamples = order.filter((s) => holdSet.has(s.key));

  log(`embedding ${trainSamples.length} training samples and ${holdSamples.length} held-out images with the student ${opts.student.info.id}`);
  const train: StudentSample[] = [];
  for (const s of trainSamples) {
    if (opts.signal?.aborted) throw new Error('cancelled');
    // The student sees each stored augmentation as Apple's trainer replays it, at its own input size.
    let views;
    try {
      views = await opts.student.embedViews(s.image, config, s.augmentations, 'reapply', { signal: opts.signal });
    } catch (err) {
      skipped.push({ path: name(s), error: (err as Error).message });
      continue;
    }
    const bad = views.views.find((v): v is { error: string } => 'error' in v);
    if (bad) {
      skipped.push({ path: name(s), error: bad.error });
      continue;
    }
    const texts = s.captionEmbedded ? [s.caption, ...s.syn] : s.syn;
    const txt = texts.length ? await opts.student.embedTexts(texts, { signal: opts.signal }) : [];
    const textRows = new Float64Array((1 + s.syn.length) * d);
    const first = s.captionEmbedded ? 0 : 1;
    txt.forEach((t, j) => writeNormalized(textRows, (first + j) * d, t.embedding));
    const augs = new Float64Array(views.views.length * d);
    views.views.forEach((v, k) => {
      if ('embedding' in v) writeNormalized(augs, k * d, v.embedding);
    });
    train.push({ sample: s, augs, texts: textRows });
  }
  const hold: HoldoutSample[] = [];
  for (const s of holdSamples) {
    let r;
    try {
      r = (await opts.student.embedViews(s.image, config, [{ center: true }], 'reapply', { signal: opts.signal })).views[0];
    } catch (err) {
      skipped.push({ path: name(s), error: (err as Error).message });
      continue;
    }
    if (!r || 'error' in r) {
      skipped.push({ path: name(s), error: r ? r.error : 'no result' });
      continue;
    }
    const [t] = await opts.student.embedTexts([s.caption], { signal: opts.signal });
    const image = new Float64Array(d);
    const text = new Float64Array(d);
    writeNormalized(image, 0, r.embedding);
    writeNormalized(text, 0, t!.embedding);
    hold.push({ sample: s, image, text });
  }
  if (train.length < 2 || hold.length < 2) throw new Error(`not enough usable samples (train ${train.length}, holdout ${hold.length})`);

  const params: AdapterParams = {
    dim: d,
    w: Float64Array.from(identityMatrix(d)),
    v: textAdapter ? Float64Array.from(identityMatrix(d)) : undefined,
    logScale: Math.log(TEACHER_LOGIT_SCALE),
  };
  const before = evaluate(params, hold);
  const teachers = teacherRecall(hold, teacherBlocks, loaded.samples[0]!.imageEmb.shape[1]);
  log(`before: ${formatRecall(before)}; teachers: ${formatRecall(teachers)}`);

  const adam = new Adam(params, learningRate);
  const rng = imageRng(seed, 'distill');
  const lossHistory: number[] = [];
  const maxLogScale = Math.log(TEACHER_LOGIT_SCALE);
  for (let epoch = 0; epoch < epochs; epoch++) {
    if (opts.signal?.aborted) throw new Error('cancelled');
    const idx = shuffle(
      train.map((_, i) => i),
      rng,
    );
    let sum = 0;
    let steps = 0;
    for (let start = 0; start + 2 <= idx.length; start += batchSize) {
      const members = idx.slice(start, start + batchSize).map((i) => train[i]!);
      if (members.length < 2) break;
      const grad = zeroGradients(params);
      let loss = 0;
      for (const batch of makeBatches(members, teacherBlocks, loaded.samples[0]!.imageEmb.shape[1], d, rng)) loss += batchLoss(params, batch, lambda, grad).loss;
      adam.step(params, grad, maxLogScale);
      sum += loss;
      steps++;
    }
    lossHistory.push(steps ? sum / steps : 0);
    if (epoch === 0 || epoch === epochs - 1 || (epoch + 1) % 10 === 0) log(`epoch ${epoch + 1}/${epochs}: loss ${lossHistory[epoch]!.toFixed(4)}`);
  }
  const after = evaluate(params, hold);
  log(`after: ${formatRecall(after)}`);

  const delta = after.mean - before.mean;
  const improved = delta > 1e-9;
  const noisy = hold.length < 20 ? ` (only ${hold.length} held-out samples: treat these figures as noisy)` : '';
  const verdict = improved
    ? `the adapter improved held-out retrieval: mean recall ${pct(before.mean)} -> ${pct(after.mean)}${noisy}`
    : delta < -1e-9
      ? `the adapter made held-out retrieval WORSE: mean recall ${pct(before.mean)} -> ${pct(after.mean)}; do not use it${noisy}`
      : `the adapter did not change held-out retrieval (mean recall ${pct(before.mean)}); distillation did not help on this dataset${noisy}`;

  const adapter: Adapter = {
    student: { id: opts.student.info.id, fingerprint: opts.student.info.fingerprint, dim: d },
    image: Float32Array.from(params.w),
    text: params.v ? Float32Array.from(params.v) : undefined,
    logitScale: Math.exp(params.logScale),
  };
  const settings = {
    lambda,
    epochs,
    batchSize,
    learningRate,
    textAdapter,
    seed,
    holdout,
    logitScale: `learned, initialised at ${TEACHER_LOGIT_SCALE}, clamped to [1, ${TEACHER_LOGIT_SCALE}]`,
  };
  const adapterPath = path.resolve(opts.out ?? path.join(ds.root, 'adapter.json'));
  await saveAdapter(adapterPath, adapter, {
    dataset: ds.manifest
      ? { runKey: ds.manifest.runKey, teachers: ds.manifest.teachers.map((t) => ({ id: t.id, fingerprint: t.fingerprint })) }
      : { kind: ds.kind, teacherDims: ds.teacherDims },
    settings,
    trainSamples: train.length,
    holdoutSamples: hold.length,
    before,
    after,
    teachers,
    improved,
    verdict,
  });
  return {
    adapterPath,
    trainSamples: train.length,
    holdoutSamples: hold.length,
    skipped,
    settings,
    before,
    after,
    teachers,
    improved,
    verdict,
    loss: lossHistory,
    finalLogitScale: Math.exp(params.logScale),
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * One (augmented image, real caption) batch and one (augmented image, synthetic caption) batch,
 * each augmentation and synthetic caption picked at random per sample (as the paper's trainer does).
 */
type TeacherBlock = { offset: number; dim: number };

function makeBatches(members: StudentSample[], teachers: TeacherBlock[], dim: number, d: number, rng: Rng): PairBatch[] {
  const K = members[0]!.sample.imageEmb.shape[0];
  const picks = members.map((m) => ({ m, k: rng.int(0, K), syn: m.sample.syn.length ? 1 + rng.int(0, m.sample.syn.length) : -1 }));
  const real = picks.filter((p) => p.m.sample.captionEmbedded).map((p) => ({ ...p, row: 0 }));
  const syn = picks.filter((p) => p.syn > 0).map((p) => ({ ...p, row: p.syn }));
  const out: PairBatch[] = [];
  for (const group of [real, syn]) {
    const b = group.length;
    if (b < 2) continue;
    const x = new Float64Array(b * d);
    const y = new Float64Array(b * d);
    group.forEach((p, i) => {
      x.set(p.m.augs.subarray(p.k * d, (p.k + 1) * d), i * d);
      y.set(p.m.texts.subarray(p.row * d, (p.row + 1) * d), i * d);
    });
    const teacherLogitsList = teachers.map((t) => {
      const ti = new Float64Array(b * t.dim);
      const tt = new Float64Array(b * t.dim);
      group.forEach((p, i) => {
        const { imageEmb, textEmb } = p.m.sample;
        for (let j = 0; j < t.dim; j++) {
          ti[i * t.dim + j] = imageEmb.data[p.k * dim + t.offset + j]!;
          tt[i * t.dim + j] = textEmb.data[p.row * dim + t.offset + j]!;
        }
      });
      return teacherLogits(ti, tt, b, t.dim);
    });
    out.push({ size: b, x, y, teacherLogits: teacherLogitsList });
  }
  return out;
}

/** Retrieval recall on the held-out split with the adapter applied (identity = plain student). */
function evaluate(p: AdapterParams, hold: HoldoutSample[]): Recall {
  const n = hold.length;
  const d = p.dim;
  const x = new Float64Array(n * d);
  const y = new Float64Array(n * d);
  hold.forEach((h, i) => {
    x.set(h.image, i * d);
    y.set(h.text, i * d);
  });
  const img = projectNormalize(x, p.w, n, d).s;
  const txt = projectNormalize(y, p.v, n, d).s;
  const sims = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let a = 0; a < d; a++) s += img[i * d + a]! * txt[j * d + a]!;
      sims[i * n + j] = s;
    }
  return recallFromSimilarities(
    sims,
    hold.map((h) => h.sample.caption),
  );
}

/** The teacher ensemble's recall: per-teacher cosine (image = normalized mean of its stored augmentations), averaged over teachers. */
function teacherRecall(hold: HoldoutSample[], teachers: TeacherBlock[], dim: number): Recall {
  const n = hold.length;
  const sims = new Float64Array(n * n);
  for (const t of teachers) {
    const imgs = hold.map((h) => {
      const { data, shape } = h.sample.imageEmb;
      const v = new Float64Array(t.dim);
      for (let k = 0; k < shape[0]; k++) for (let j = 0; j < t.dim; j++) v[j]! += data[k * dim + t.offset + j]!;
      const norm = Math.hypot(...v) || 1;
      return v.map((e) => e / norm);
    });
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const txt = hold[j]!.sample.textEmb.data;
        let s = 0;
        for (let a = 0; a < t.dim; a++) s += imgs[i]![a]! * txt[t.offset + a]!;
        sims[i * n + j]! += s / teachers.length;
      }
  }
  return recallFromSimilarities(
    sims,
    hold.map((h) => h.sample.caption),
  );
}

/**
 * Recall@1/5 both ways from an [images, texts] similarity matrix where image i and text i belong
 * together. Identical caption strings count as the same text (a retrieved duplicate is a hit).
 */
export function recallFromSimilarities(sims: Float64Array, captions: string[]): Recall {
  const n = captions.length;
  const hits = (scores: (j: number) => number, target: string, k: number): boolean => {
    const ranked = Array.from({ length: n }, (_, j) => j).sort((a, b) => scores(b) - scores(a) || a - b);
    return ranked.slice(0, k).some((j) => captions[j] === target);
  };
  const r = { i2t1: 0, i2t5: 0, t2i1: 0, t2i5: 0 };
  for (let i = 0; i < n; i++) {
    const row = (j: number) => sims[i * n + j]!;
    const col = (j: number) => sims[j * n + i]!;
    if (hits(row, captions[i]!, 1)) r.i2t1++;
    if (hits(row, captions[i]!, 5)) r.i2t5++;
    if (hits(col, captions[i]!, 1)) r.t2i1++;
    if (hits(col, captions[i]!, 5)) r.t2i5++;
  }
  const f = (v: number) => v / n;
  const out = { imageToText: { r1: f(r.i2t1), r5: f(r.i2t5) }, textToImage: { r1: f(r.t2i1), r5: f(r.t2i5) } };
  return { ...out, mean: (out.imageToText.r1 + out.imageToText.r5 + out.textToImage.r1 + out.textToImage.r5) / 4 };
}

export function formatRecall(r: Recall): string {
  return `image->text R@1 ${pct(r.imageToText.r1)} R@5 ${pct(r.imageToText.r5)}, text->image R@1 ${pct(r.textToImage.r1)} R@5 ${pct(r.textToImage.r5)}`;
}

function pct(v: number): string {
  return `${(100 * v).toFixed(1)}%`;
}

function splitHash(seed: number, uid: string): string {
  return createHash('sha256').update(`holdout\0${seed}\0${uid}`).digest('hex');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
