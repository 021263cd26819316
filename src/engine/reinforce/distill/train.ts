// "Show the value, measured": fit a small adapter on top of a frozen student model with the
// MobileCLIP loss against the teacher knowledge stored in a reinforced dataset, and report
// held-out retrieval recall before and after. See loss.ts for the loss and gradients.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { ImageTextEmbedder } from '../../api';
import { isItemError } from '../../types';
import { resolveInside } from '../../util/atomic';
import { replayRequests } from '../augment';
import { loadDataset } from '../dataset';
import type { ReinforcedSample, TeacherEntry } from '../format';
import { imageRng, type Rng } from '../rng';
import { type Adapter, identityMatrix, saveAdapter } from './adapter';
import { Adam, type AdapterParams, type PairBatch, TEACHER_LOGIT_SCALE, batchLoss, projectNormalize, teacherLogits, zeroGradients } from './loss';

export interface DistillOptions {
  dataset: string;
  student: ImageTextEmbedder;
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
  /** Where the images live, when they moved since the run (default: the manifest's source root). */
  sourceRoot?: string;
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

  const ds = await loadDataset(opts.dataset);
  const { manifest } = ds;
  const skipped: Array<{ path: string; error: string }> = ds.problems.map((p) => ({ path: p.where, error: p.problem }));
  const sourceRoot = path.resolve(opts.sourceRoot ?? manifest.source.root);
  const d = opts.student.info.dim;

  // A fixed split by hash of (seed, uid): the same samples are held out on every run.
  const order = [...ds.samples].sort((a, b) => compare(splitHash(seed, a.info.uid), splitHash(seed, b.info.uid)));
  const evaluable = order.filter((s) => s.info.caption_source !== 'none');
  const nHold = Math.max(2, Math.round(holdout * ds.samples.length));
  if (evaluable.length < nHold + 2) throw new Error(`too few samples with captions (${evaluable.length}) for a ${nHold}-sample holdout and training`);
  const holdSet = new Set(evaluable.slice(0, nHold).map((s) => s.info.uid));
  const trainSamples = order.filter((s) => !holdSet.has(s.info.uid));
  const holdSamples = order.filter((s) => holdSet.has(s.info.uid));

  log(`embedding ${trainSamples.length} training samples (${manifest.augmentation.count} augmentations each) and ${holdSamples.length} held-out images with the student ${opts.student.info.id}`);
  const train: StudentSample[] = [];
  for (const s of trainSamples) {
    if (opts.signal?.aborted) throw new Error('cancelled');
    const file = sourceFile(sourceRoot, s, skipped);
    if (!file) continue;
    const imgs = await opts.student.embedImages(replayRequests(file, s.paug), { signal: opts.signal });
    const bad = imgs.find(isItemError);
    if (bad) { skipped.push({ path: s.url, error: bad.error }); continue; }
    if (imgs.some((r) => !isItemError(r) && r.sha256 !== s.info.sha256)) { skipped.push({ path: s.url, error: 'image bytes changed since the dataset was built' }); continue; }
    const texts = s.info.caption_source === 'none' ? s.syn : [s.info.caption, ...s.syn];
    const txt = texts.length ? await opts.student.embedTexts(texts, { signal: opts.signal }) : [];
    const textRows = new Float64Array((1 + s.syn.length) * d);
    const first = s.info.caption_source === 'none' ? 1 : 0;
    txt.forEach((t, j) => putNormalized(textRows, (first + j) * d, t.embedding));
    const augs = new Float64Array(imgs.length * d);
    imgs.forEach((r, k) => { if (!isItemError(r)) putNormalized(augs, k * d, r.embedding); });
    train.push({ sample: s, augs, texts: textRows });
  }
  const hold: HoldoutSample[] = [];
  for (const s of holdSamples) {
    const file = sourceFile(sourceRoot, s, skipped);
    if (!file) continue;
    const [r] = await opts.student.embedImages([file], { signal: opts.signal });
    if (!r || isItemError(r)) { skipped.push({ path: s.url, error: r ? r.error : 'no result' }); continue; }
    const [t] = await opts.student.embedTexts([s.info.caption], { signal: opts.signal });
    const image = new Float64Array(d);
    const text = new Float64Array(d);
    putNormalized(image, 0, r.embedding);
    putNormalized(text, 0, t!.embedding);
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
  const teachers = teacherRecall(hold, manifest.teachers, manifest.embeddingDim);
  log(`before: ${formatRecall(before)}; teachers: ${formatRecall(teachers)}`);

  const adam = new Adam(params, learningRate);
  const rng = imageRng(seed, 'distill');
  const lossHistory: number[] = [];
  const maxLogScale = Math.log(TEACHER_LOGIT_SCALE);
  for (let epoch = 0; epoch < epochs; epoch++) {
    if (opts.signal?.aborted) throw new Error('cancelled');
    const idx = shuffle(train.map((_, i) => i), rng);
    let sum = 0;
    let steps = 0;
    for (let start = 0; start + 2 <= idx.length; start += batchSize) {
      const members = idx.slice(start, start + batchSize).map((i) => train[i]!);
      if (members.length < 2) break;
      const grad = zeroGradients(params);
      let loss = 0;
      for (const batch of makeBatches(members, manifest.teachers, manifest.embeddingDim, d, rng)) loss += batchLoss(params, batch, lambda, grad).loss;
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
  const settings = { lambda, epochs, batchSize, learningRate, textAdapter, seed, holdout, logitScale: `learned, initialised at ${TEACHER_LOGIT_SCALE}, clamped to [1, ${TEACHER_LOGIT_SCALE}]` };
  const adapterPath = path.resolve(opts.out ?? path.join(ds.root, 'adapter.json'));
  await saveAdapter(adapterPath, adapter, {
    dataset: { runKey: manifest.runKey, teachers: manifest.teachers.map((t) => ({ id: t.id, fingerprint: t.fingerprint })) },
    settings, trainSamples: train.length, holdoutSamples: hold.length, before, after, teachers, improved, verdict,
  });
  return {
    adapterPath, trainSamples: train.length, holdoutSamples: hold.length, skipped, settings, before, after, teachers,
    improved, verdict, loss: lossHistory, finalLogitScale: Math.exp(params.logScale), seconds: (Date.now() - started) / 1000,
  };
}

function sourceFile(root: string, s: ReinforcedSample, skipped: Array<{ path: string; error: string }>): string | undefined {
  try { return resolveInside(root, s.url); } catch (err) {
    skipped.push({ path: s.url, error: (err as Error).message });
    return undefined;
  }
}

/**
 * One (augmented image, real caption) batch and one (augmented image, synthetic caption) batch,
 * each augmentation and synthetic caption picked at random per sample (as the paper's trainer does).
 */
function makeBatches(members: StudentSample[], teachers: TeacherEntry[], dim: number, d: number, rng: Rng): PairBatch[] {
  const K = members[0]!.sample.imageEmb.shape[0];
  const picks = members.map((m) => ({ m, k: rng.int(0, K), syn: m.sample.syn.length ? 1 + rng.int(0, m.sample.syn.length) : -1 }));
  const real = picks.filter((p) => p.m.sample.info.caption_source !== 'none').map((p) => ({ ...p, row: 0 }));
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
  hold.forEach((h, i) => { x.set(h.image, i * d); y.set(h.text, i * d); });
  const img = projectNormalize(x, p.w, n, d).s;
  const txt = projectNormalize(y, p.v, n, d).s;
  const sims = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let a = 0; a < d; a++) s += img[i * d + a]! * txt[j * d + a]!;
    sims[i * n + j] = s;
  }
  return recallFromSimilarities(sims, hold.map((h) => h.sample.info.caption));
}

/** The teacher ensemble's recall: per-teacher cosine (image = normalized mean of its stored augmentations), averaged over teachers. */
function teacherRecall(hold: HoldoutSample[], teachers: TeacherEntry[], dim: number): Recall {
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
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const txt = hold[j]!.sample.textEmb.data;
      let s = 0;
      for (let a = 0; a < t.dim; a++) s += imgs[i]![a]! * txt[t.offset + a]!;
      sims[i * n + j]! += s / teachers.length;
    }
  }
  return recallFromSimilarities(sims, hold.map((h) => h.sample.info.caption));
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

function putNormalized(dst: Float64Array, at: number, v: Float32Array): void {
  let sum = 0;
  for (const e of v) sum += e * e;
  const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  for (let j = 0; j < v.length; j++) dst[at + j] = v[j]! * inv;
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
