// "Verify reinforced dataset", for ours and for Apple's (RayGen output, DataCompDR downloads):
// checks every shard and sample field by field (for ours also against the manifest: sha256, sizes,
// and that every stored augmentation is the one the seed draws), says whether Apple's training
// loader would load each sample, then replays a spread of samples the way Apple's loader does
// (the stored image decoded by PIL, Compose.reapply, the teachers) and reports how far the
// re-embedded vectors are from the stored ones.
import { promises as fs } from 'node:fs';
import type { Engine } from '../engine';
import { sampleAugmentations } from './augment';
import { checkSample, datasetSamples, inferTeacherDims, openDataset, type DatasetOptions, type OpenedDataset, type ReinforcedSample } from './dataset';
import { teacherSlices, type ShardEntry } from './format';
import { sha256File } from './shardWriter';
import { END_OF_ARCHIVE, TAR_BLOCK } from './tar';
import { l2Norm } from '../vectors';

export interface VerifyProblem {
  /** Shard file, "shard key", "manifest.json", the config file or "teachers". */
  where: string;
  problem: string;
}

export type VerifyTeacher = Pick<Engine, 'info' | 'embedTexts' | 'embedViews'>;

export interface VerifyOptions extends DatasetOptions {
  dataset: string;
  /** Teachers to replay with: for our datasets matched to the manifest by fingerprint, else in block order. */
  teachers?: VerifyTeacher[];
  /** Samples to replay (default 8; 0 = none). */
  sample?: number;
  /** Largest accepted |stored - replayed| per component beyond the stored precision (default 1e-4). */
  tolerance?: number;
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
}

export interface ReplayReport {
  samples: number;
  augmentations: number;
  texts: number;
  maxImageDeviation: number;
  maxTextDeviation: number;
  /** Smallest cosine between a stored teacher block and its replay. */
  minImageCosine: number;
  tolerance: number;
}

export interface VerifyReport {
  ok: boolean;
  kind?: OpenedDataset['kind'];
  shards: number;
  samples: number;
  problems: VerifyProblem[];
  /** Whether Apple's loader (open_clip + ml-mobileclip's patch, with this config) loads every sample. */
  appleLoader: { loadsEverySample: boolean; notes: string[] };
  teacherDims?: number[];
  replay?: ReplayReport;
  /** Why replay did not run, when it did not. */
  replaySkipped?: string;
}

const MAX_KEPT_FOR_REPLAY = 64;

// Long: the structural pass and the replay pass fill one report and share the opened dataset.
export async function verifyDataset(opts: VerifyOptions): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const report = (where: string, problem: string) => problems.push({ where, problem });
  const appleReasons = new Map<string, string[]>();
  let brokenSamples = 0;
  const finish = (extra: Partial<VerifyReport>): VerifyReport => {
    const notes = [...appleReasons].map(
      ([reason, keys]) => `${keys.length} sample${keys.length === 1 ? '' : 's'}: ${reason} (${keys.slice(0, 3).join(', ')}${keys.length > 3 ? ', ...' : ''})`,
    );
    if (brokenSamples) notes.push(`${brokenSamples} sample${brokenSamples === 1 ? ' has' : 's have'} problems listed above`);
    const loads = extra.kind !== undefined && (extra.samples ?? 0) > 0 && appleReasons.size === 0 && brokenSamples === 0;
    return { ok: problems.length === 0, shards: 0, samples: 0, problems, appleLoader: { loadsEverySample: loads, notes }, ...extra };
  };

  let ds: OpenedDataset;
  try {
    ds = await openDataset(opts.dataset, opts);
  } catch (err) {
    report('dataset', (err as Error).message);
    return finish({});
  }
  for (const p of ds.problems) report(p.where, p.problem);
  const manifest = ds.manifest;
  const byFile = new Map<string, ShardEntry>((manifest?.shards ?? []).map((s) => [s.file, s]));

  // Our shards: bytes and sha256 as the manifest promises, complete tar framing.
  if (manifest) {
    for (const s of ds.shards) {
      const st = await fs.lstat(s.abs).catch(() => undefined);
      if (!st) {
        report(s.file, 'missing');
        continue;
      }
      if (!st.isFile()) {
        report(s.file, 'not a regular file');
        continue;
      }
      const entry = byFile.get(s.file)!;
      if (st.size !== entry.bytes) report(s.file, `size ${st.size} bytes, manifest says ${entry.bytes}`);
      const sha = await sha256File(s.abs);
      if (sha !== entry.sha256) report(s.file, `sha256 ${sha} does not match the manifest (${entry.sha256})`);
      const framing = await checkTarFraming(s.abs, st.size);
      if (framing) report(s.file, framing);
    }
  }

  let dim = ds.teacherDims?.reduce((a, b) => a + b, 0);
  const keys = new Set<string>();
  const perShard = new Map<string, number>();
  let count = 0;
  let stride = 1;
  let kept: ReinforcedSample[] = [];
  let valid = 0;
  for await (const { shard, raw } of datasetSamples(ds, (file, error) => report(file, error))) {
    if (opts.signal?.aborted) break;
    count++;
    perShard.set(shard, (perShard.get(shard) ?? 0) + 1);
    if (count % 100 === 1) opts.onProgress?.(`checking ${shard} (${count} samples)`);
    const where = `${shard} ${raw.key}`;
    if (keys.has(raw.key)) report(where, 'sample key appears twice in the dataset');
    keys.add(raw.key);
    const checked = await checkSample(ds, raw, dim, manifest?.augmentation.count);
    for (const p of checked.problems) report(where, p);
    if (checked.problems.length) brokenSamples++;
    for (const reason of checked.apple) {
      if (!appleReasons.has(reason)) appleReasons.set(reason, []);
      appleReasons.get(reason)!.push(raw.key);
    }
    const s = checked.sample;
    if (!s) continue;
    if (dim === undefined) {
      // Teacher blocks of a dataset that does not record them: measured from the first sample.
      const dims = inferTeacherDims(s.imageEmb, /f4$/.test(s.dtype) ? 1e-3 : 2e-2);
      if (dims) {
        ds.teacherDims = dims;
        dim = s.imageEmb.shape[1];
      } else report('teachers', `cannot tell the teacher blocks apart in ${raw.key}'s image_emb; pass the dims (--teacher-dims d1,d2 as training's --distill-teacher-dimension)`);
    }
    if (manifest && s.info && ds.config) {
      const expected = sampleAugmentations(manifest.seed, raw.key, s.info.width, s.info.height, manifest.augmentation.count, ds.config);
      const k = expected.findIndex((e, i) => JSON.stringify(e) !== JSON.stringify(s.augmentations[i]));
      if (k >= 0) report(where, `paug.json param_aug[${k}] differs from the parameters the seed draws`);
    }
    valid++;
    // Keep an evenly spread subset for replay without holding every image in memory.
    if ((valid - 1) % stride === 0) {
      kept.push(s);
      if (kept.length >= 2 * MAX_KEPT_FOR_REPLAY) {
        kept = kept.filter((_, i) => i % 2 === 0);
        stride *= 2;
      }
    }
  }
  if (manifest) {
    for (const s of ds.shards) {
      const n = perShard.get(s.file) ?? 0;
      const entry = byFile.get(s.file);
      if (entry && n !== entry.samples) report(s.file, `${n} samples, manifest says ${entry.samples}`);
    }
  }
  if (ds.expectedSamples !== undefined && count !== ds.expectedSamples && !opts.signal?.aborted) {
    report(manifest ? 'manifest.json' : 'manifest.jsonl', `shards hold ${count} samples, the dataset lists ${ds.expectedSamples}`);
  }

  const base: Partial<VerifyReport> = { kind: ds.kind, shards: ds.shards.length, samples: count, teacherDims: ds.teacherDims };
  const wanted = Math.min(opts.sample ?? 8, kept.length);
  if (wanted <= 0) return finish({ ...base, replaySkipped: kept.length ? 'no samples requested' : 'no valid samples' });
  if (!opts.teachers?.length) return finish({ ...base, replaySkipped: 'no teacher models given' });
  if (!ds.config || !ds.teacherDims) return finish({ ...base, replaySkipped: !ds.config ? 'no usable reinforcement config' : 'teacher blocks unknown' });

  let teachers: VerifyTeacher[];
  if (manifest) {
    teachers = [];
    for (const t of manifest.teachers) {
      const match = opts.teachers.find((e) => e.info.fingerprint === t.fingerprint);
      if (!match) {
        report('teachers', `teacher ${t.id} (fingerprint ${t.fingerprint}) is not available for replay`);
        return finish({ ...base, replaySkipped: 'teacher models differ from the manifest' });
      }
      teachers.push(match);
    }
  } else {
    teachers = opts.teachers;
    const dims = teachers.map((t) => t.info.dim);
    if (dims.join(',') !== ds.teacherDims.join(',')) {
      report('teachers', `the teachers given have dims ${dims.join(', ')}; the dataset's blocks are ${ds.teacherDims.join(', ')}`);
      return finish({ ...base, replaySkipped: 'teacher dims differ from the dataset' });
    }
  }
  const picked = Array.from({ length: wanted }, (_, i) => kept[Math.floor((i * kept.length) / wanted)]!);
  const replay = await replaySamples(picked, teachers, ds, opts, report);
  return finish({ ...base, replay });
}

/** A tar is a whole number of 512-byte blocks ending with two zero blocks. */
async function checkTarFraming(file: string, size: number): Promise<string | undefined> {
  if (size % TAR_BLOCK !== 0) return `size ${size} is not a multiple of ${TAR_BLOCK} bytes (truncated?)`;
  if (size < END_OF_ARCHIVE.length) return 'too short to be a tar archive';
  const h = await fs.open(file, 'r');
  try {
    const tail = Buffer.alloc(END_OF_ARCHIVE.length);
    await h.read(tail, 0, tail.length, size - tail.length);
    if (!tail.every((b) => b === 0)) return 'missing the end-of-archive blocks (truncated?)';
  } finally {
    await h.close();
  }
  return undefined;
}

async function replaySamples(
  samples: ReinforcedSample[],
  teachers: VerifyTeacher[],
  ds: OpenedDataset,
  opts: VerifyOptions,
  report: (where: string, problem: string) => void,
): Promise<ReplayReport> {
  const tolerance = opts.tolerance ?? 1e-4;
  const r: ReplayReport = { samples: 0, augmentations: 0, texts: 0, maxImageDeviation: 0, maxTextDeviation: 0, minImageCosine: 1, tolerance };
  const slices = teacherSlices(ds.teacherDims!);
  for (const s of samples) {
    if (opts.signal?.aborted) break;
    const where = `replay ${s.key}${s.url ? ` (${s.url})` : ''}`;
    opts.onProgress?.(`replaying ${s.key}`);
    const texts = s.captionEmbedded ? [s.caption, ...s.syn] : s.syn;
    const firstRow = s.captionEmbedded ? 0 : 1;
    let imageExcess = 0;
    let textExcess = 0;
    let failed = false;
    for (let t = 0; t < teachers.length; t++) {
      const teacher = teachers[t]!;
      const [a, b] = slices[t]!;
      let views;
      try {
        [views] = await Promise.all([teacher.embedViews(s.image, ds.config!, s.augmentations, ds.sizing, { signal: opts.signal })]);
      } catch (err) {
        report(where, `${teacher.info.id}: ${(err as Error).message}`);
        failed = true;
        break;
      }
      if (s.info && (views.width !== s.info.width || views.height !== s.info.height)) {
        report(where, `the stored image decodes as ${views.width}x${views.height}, json says ${s.info.width}x${s.info.height}`);
      }
      views.views.forEach((v, k) => {
        if ('error' in v) {
          report(where, `${teacher.info.id} augmentation ${k}: ${v.error}`);
          failed = true;
          return;
        }
        const d = compare(s.imageEmb.data, k * s.imageEmb.shape[1] + a, v.embedding, b - a, s.dtype, tolerance);
        r.maxImageDeviation = Math.max(r.maxImageDeviation, d.deviation);
        r.minImageCosine = Math.min(r.minImageCosine, d.cosine);
        imageExcess = Math.max(imageExcess, d.excess);
      });
      const txts = texts.length ? await teacher.embedTexts(texts, { signal: opts.signal }) : [];
      txts.forEach((v, j) => {
        const d = compare(s.textEmb.data, (firstRow + j) * s.textEmb.shape[1] + a, v.embedding, b - a, s.dtype, tolerance);
        r.maxTextDeviation = Math.max(r.maxTextDeviation, d.deviation);
        textExcess = Math.max(textExcess, d.excess);
      });
    }
    if (failed) continue;
    r.samples++;
    r.augmentations += s.augmentations.length;
    r.texts += texts.length;
    if (imageExcess > 0) report(where, `replayed image embeddings deviate from the stored ones by more than the tolerance (${tolerance} beyond the stored precision)`);
    if (textExcess > 0) report(where, `re-embedded text embeddings deviate from the stored ones by more than the tolerance (${tolerance} beyond the stored precision)`);
  }
  return r;
}

/**
 * |stored - normalize(fresh)| over one teacher block, the cosine between them, and by how much the
 * worst component exceeds `tol` plus the rounding of the stored dtype (bf16/fp16 rows are coarse).
 */
function compare(stored: Float32Array, at: number, fresh: Float32Array, d: number, dtype: string, tol: number): { deviation: number; cosine: number; excess: number } {
  const norm = l2Norm(fresh, d);
  const inv = norm > 0 ? 1 / norm : 0;
  const mantissaBits = dtype === 'bfloat16' ? 7 : /f2$|float16/.test(dtype) ? 10 : 23;
  let max = 0;
  let excess = 0;
  let dot = 0;
  let ss = 0;
  for (let j = 0; j < d; j++) {
    const s = stored[at + j]!;
    const f = fresh[j]! * inv;
    const dev = Math.abs(s - f);
    const rounding = s === 0 ? 0 : 2 ** (Math.floor(Math.log2(Math.abs(s))) - mantissaBits);
    max = Math.max(max, dev);
    excess = Math.max(excess, dev - tol - rounding);
    dot += s * f;
    ss += s * s;
  }
  return { deviation: max, cosine: ss > 0 ? dot / Math.sqrt(ss) : 0, excess };
}
