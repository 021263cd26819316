// "Verify reinforced dataset": checks every shard against the manifest and the format
// (tar structure, members, JSON fields, npz dtypes/shapes, norms, augmentation parameters
// regenerated from the seed), then replays a sample of augmentations through the teachers and
// reports how far the re-embedded vectors are from the stored ones.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ImageTextEmbedder } from '../api';
import { isItemError } from '../types';
import { resolveInside } from '../util/atomic';
import { checkStoredAugmentations, replayRequests, sampleAugmentations, type AugmentSettings } from './augment';
import {
  DATASET_FORMAT, MANIFEST_FILE, parseSample, teacherSlices, type DatasetManifest, type ParsedSample,
} from './format';
import { sha256File } from './shard-writer';
import { END_OF_ARCHIVE, TAR_BLOCK, readTarFile, splitMemberName } from './tar';

export interface VerifyProblem {
  /** Shard file, sample key or "manifest". */
  where: string;
  problem: string;
}

export interface VerifyOptions {
  dataset: string;
  /** Teachers to replay with, matched to the manifest's by fingerprint. Without them, no replay. */
  teachers?: ImageTextEmbedder[];
  /** Samples to replay (default 8; 0 = none). */
  sample?: number;
  /** Where the images live, when they moved since the run (default: the manifest's source root). */
  sourceRoot?: string;
  /** Largest accepted |stored - replayed| per component (default 1e-4). */
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
  tolerance: number;
}

export interface VerifyReport {
  ok: boolean;
  shards: number;
  samples: number;
  problems: VerifyProblem[];
  replay?: ReplayReport;
  /** Why replay did not run, when it did not. */
  replaySkipped?: string;
}

const NORM_TOLERANCE = 1e-3;

export async function verifyDataset(opts: VerifyOptions): Promise<VerifyReport> {
  const root = path.resolve(opts.dataset);
  const problems: VerifyProblem[] = [];
  const report = (where: string, problem: string) => problems.push({ where, problem });
  const done = (extra: Partial<VerifyReport> = {}): VerifyReport => ({ ok: problems.length === 0, shards: 0, samples: 0, problems, ...extra });

  let manifest: DatasetManifest;
  try {
    manifest = JSON.parse(await fs.readFile(path.join(root, MANIFEST_FILE), 'utf8')) as DatasetManifest;
  } catch (err) {
    report(MANIFEST_FILE, `cannot read: ${(err as Error).message}`);
    return done();
  }
  const manifestProblems = checkManifest(manifest);
  for (const p of manifestProblems) report(MANIFEST_FILE, p);
  if (manifestProblems.length) return done();

  const dim = manifest.embeddingDim;
  const slices = teacherSlices(manifest.teachers);
  const augment: AugmentSettings = {
    count: manifest.augmentation.count, scale: manifest.augmentation.scale,
    ratio: manifest.augmentation.ratio, flipProbability: manifest.augmentation.flipProbability,
  };
  const good: ParsedSample[] = [];
  const seenKeys = new Set<string>();
  let sampleCount = 0;

  for (const shard of manifest.shards) {
    if (opts.signal?.aborted) break;
    const where = shard.file;
    let file: string;
    try { file = resolveInside(root, shard.file); } catch (err) { report(where, (err as Error).message); continue; }
    const stat = await fs.stat(file).catch(() => undefined);
    if (!stat) { report(where, 'missing'); continue; }
    opts.onProgress?.(`checking ${shard.file}`);
    if (stat.size !== shard.bytes) report(where, `size ${stat.size} bytes, manifest says ${shard.bytes}`);
    const sha = await sha256File(file);
    if (sha !== shard.sha256) report(where, `sha256 ${sha} does not match the manifest (${shard.sha256})`);
    const rawProblem = await checkTarFraming(file, stat.size);
    if (rawProblem) report(where, rawProblem);

    let members;
    try { members = await readTarFile(file); } catch (err) { report(where, `unreadable tar: ${(err as Error).message}`); continue; }
    // Group members into samples; a key must not reappear after its sample ended.
    const groups: Array<[string, Map<string, Buffer>]> = [];
    for (const m of members) {
      const split = m.type === 'file' ? splitMemberName(m.name) : undefined;
      if (!split) { report(where, `unexpected tar entry ${JSON.stringify(m.name)} (${m.type})`); continue; }
      const [key, ext] = split;
      let group = groups[groups.length - 1];
      if (!group || group[0] !== key) {
        if (seenKeys.has(key)) report(where, `sample ${key} appears twice`);
        seenKeys.add(key);
        group = [key, new Map()];
        groups.push(group);
      }
      if (group[1].has(ext)) report(where, `member ${m.name} repeated`);
      group[1].set(ext, m.data);
    }
    if (groups.length !== shard.samples) report(where, `${groups.length} samples, manifest says ${shard.samples}`);
    sampleCount += groups.length;

    for (const [key, group] of groups) {
      const { sample, problems: sp } = parseSample(key, group, dim, augment.count);
      for (const p of sp) report(`${where} ${key}`, p);
      const more = checkSampleContent(sample, manifest, augment, slices);
      for (const p of more) report(`${where} ${key}`, p);
      if (!sp.length && !more.length) good.push(sample);
    }
  }
  if (sampleCount !== manifest.counts.samples) report(MANIFEST_FILE, `shards hold ${sampleCount} samples, manifest counts ${manifest.counts.samples}`);

  const base = { shards: manifest.shards.length, samples: sampleCount };
  const wanted = Math.min(opts.sample ?? 8, good.length);
  if (wanted <= 0) return done({ ...base, replaySkipped: good.length ? 'no samples requested' : 'no valid samples' });
  if (!opts.teachers?.length) return done({ ...base, replaySkipped: 'no teacher models given' });
  const teachers: ImageTextEmbedder[] = [];
  for (const t of manifest.teachers) {
    const match = opts.teachers.find((e) => e.info.fingerprint === t.fingerprint);
    if (!match) {
      report(MANIFEST_FILE, `teacher ${t.id} (fingerprint ${t.fingerprint}) is not available for replay`);
      return done({ ...base, replaySkipped: 'teacher models differ from the manifest' });
    }
    teachers.push(match);
  }
  const replay = await replaySamples(pickEvenly(good, wanted), teachers, manifest, opts, report);
  return done({ ...base, replay });
}

function checkManifest(m: DatasetManifest): string[] {
  const p: string[] = [];
  if (m?.format !== DATASET_FORMAT) return [`format ${JSON.stringify(m?.format)} is not ${DATASET_FORMAT}`];
  if (!Array.isArray(m.teachers) || !m.teachers.length) p.push('no teachers');
  else {
    let offset = 0;
    for (const t of m.teachers) {
      if (t.offset !== offset || !Number.isInteger(t.dim) || t.dim <= 0) p.push(`teacher ${t.id}: offset/dim inconsistent`);
      offset += t.dim;
    }
    if (offset !== m.embeddingDim) p.push(`teacher dims sum to ${offset}, embeddingDim is ${m.embeddingDim}`);
  }
  if (!Number.isInteger(m.augmentation?.count) || m.augmentation.count < 1) p.push('augmentation.count missing');
  if (!Number.isSafeInteger(m.seed)) p.push('seed missing');
  if (!Array.isArray(m.shards)) p.push('shards list missing');
  if (typeof m.source?.root !== 'string') p.push('source.root missing');
  return p;
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
  } finally { await h.close(); }
  return undefined;
}

function checkSampleContent(s: ParsedSample, m: DatasetManifest, augment: AugmentSettings, slices: Array<[number, number]>): string[] {
  const p: string[] = [];
  if (s.paug) {
    const structural = checkStoredAugmentations(s.paug);
    p.push(...structural);
    if (!structural.length && s.info) {
      if (s.paug.image_size[0] !== s.info.width || s.paug.image_size[1] !== s.info.height) p.push('paug.json image_size differs from json width/height');
      if (s.paug.params.length !== augment.count) p.push(`paug.json has ${s.paug.params.length} augmentations, manifest says ${augment.count}`);
      else {
        const expected = sampleAugmentations(m.seed, s.key, s.info.width, s.info.height, augment);
        const k = expected.params.findIndex((e, i) => JSON.stringify(e) !== JSON.stringify({ crop: s.paug!.params[i]!.crop, flip: s.paug!.params[i]!.flip }));
        if (k >= 0) p.push(`paug.json params[${k}] differs from the parameters the seed generates`);
      }
    }
  }
  if (s.info && s.info.caption_source === 'none' && s.info.caption !== '') p.push('json caption_source is none but caption is set');
  if (s.url !== undefined) {
    try { resolveInside(m.source.root, s.url); } catch (err) { p.push(`url.txt: ${(err as Error).message}`); }
  }
  const rowsOk = (name: string, data: Float32Array, rows: number, zeroRow0: boolean) => {
    const dim = m.embeddingDim;
    for (let r = 0; r < rows; r++) {
      for (const [a, b] of slices) {
        let sum = 0;
        for (let j = a; j < b; j++) sum += data[r * dim + j]! ** 2;
        const norm = Math.sqrt(sum);
        const expectZero = zeroRow0 && r === 0;
        if (expectZero ? norm !== 0 : Math.abs(norm - 1) > NORM_TOLERANCE) {
          p.push(`${name} row ${r} columns ${a}-${b - 1}: norm ${norm.toFixed(6)}, expected ${expectZero ? '0 (no caption)' : '1'}`);
          return;
        }
      }
    }
  };
  if (s.imageEmb) rowsOk('image_emb', s.imageEmb.data, s.imageEmb.shape[0], false);
  if (s.textEmb && s.info) rowsOk('text_emb', s.textEmb.data, s.textEmb.shape[0], s.info.caption_source === 'none');
  return p;
}

function pickEvenly<T>(items: T[], n: number): T[] {
  if (n >= items.length) return items;
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]!);
}

async function replaySamples(
  samples: ParsedSample[], teachers: ImageTextEmbedder[], m: DatasetManifest, opts: VerifyOptions,
  report: (where: string, problem: string) => void,
): Promise<ReplayReport> {
  const sourceRoot = path.resolve(opts.sourceRoot ?? m.source.root);
  const tolerance = opts.tolerance ?? 1e-4;
  const r: ReplayReport = { samples: 0, augmentations: 0, texts: 0, maxImageDeviation: 0, maxTextDeviation: 0, tolerance };
  const dim = m.embeddingDim;
  for (const s of samples) {
    if (opts.signal?.aborted) break;
    const where = `replay ${s.key} (${s.url})`;
    let file: string;
    try { file = resolveInside(sourceRoot, s.url!); } catch (err) { report(where, (err as Error).message); continue; }
    const bytes = await fs.readFile(file).catch(() => undefined);
    if (!bytes) { report(where, `source image ${file} is missing`); continue; }
    if (createHash('sha256').update(bytes).digest('hex') !== s.info!.sha256) { report(where, 'source image bytes differ from the sha256 in json'); continue; }
    opts.onProgress?.(`replaying ${s.url}`);
    const texts = s.info!.caption_source === 'none' ? s.syn! : [s.info!.caption, ...s.syn!];
    const firstRow = s.info!.caption_source === 'none' ? 1 : 0;
    let sampleImageDev = 0;
    let sampleTextDev = 0;
    for (let t = 0; t < teachers.length; t++) {
      const teacher = teachers[t]!;
      const { offset, dim: d } = m.teachers[t]!;
      const [imgs, txts] = await Promise.all([
        teacher.embedImages(replayRequests(file, s.paug!), { signal: opts.signal }),
        texts.length ? teacher.embedTexts(texts, { signal: opts.signal }) : Promise.resolve([]),
      ]);
      imgs.forEach((res, k) => {
        if (isItemError(res)) { report(where, `${teacher.info.id} augmentation ${k}: ${res.error}`); return; }
        sampleImageDev = Math.max(sampleImageDev, deviation(s.imageEmb!.data, k * dim + offset, res.embedding, d));
      });
      txts.forEach((res, j) => {
        sampleTextDev = Math.max(sampleTextDev, deviation(s.textEmb!.data, (firstRow + j) * dim + offset, res.embedding, d));
      });
    }
    r.samples++;
    r.augmentations += s.paug!.params.length;
    r.texts += texts.length;
    r.maxImageDeviation = Math.max(r.maxImageDeviation, sampleImageDev);
    r.maxTextDeviation = Math.max(r.maxTextDeviation, sampleTextDev);
    if (sampleImageDev > tolerance) report(where, `replayed image embeddings deviate by ${sampleImageDev.toExponential(2)} (> ${tolerance})`);
    if (sampleTextDev > tolerance) report(where, `re-embedded text embeddings deviate by ${sampleTextDev.toExponential(2)} (> ${tolerance})`);
  }
  return r;
}

/** Max |stored - normalize(fresh)| over one teacher block. */
function deviation(stored: Float32Array, at: number, fresh: Float32Array, d: number): number {
  let sum = 0;
  for (let j = 0; j < d; j++) sum += fresh[j]! * fresh[j]!;
  const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  let max = 0;
  for (let j = 0; j < d; j++) max = Math.max(max, Math.abs(stored[at + j]! - Math.fround(fresh[j]! * inv)));
  return max;
}
