// "Reinforce dataset": for a folder of images (+ optional ground-truth captions), store per image
// the image the teachers saw, its caption, synthetic captions, K augmentations as parameters and
// a teacher ensemble's image/text embeddings, as Apple's DataCompDR webdataset samples (see
// FORMAT.md) that Apple's training code loads unchanged with the rdata_config.json written next to
// the shards. Resumable (ShardWriter) and deterministic for a given seed.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Engine } from '../engine';
import { loadPreprocessConfig } from '../preprocess/config';
import { stableStringify, writeJsonAtomic } from '../util/atomic';
import { EtaEstimator } from '../util/format';
import { DEFAULT_AUGMENT_SETTINGS, reinforcementConfig, sampleAugmentations, validateAugmentSettings, type AugmentSettings } from './augment';
import {
  CONFIG_FILE,
  DATASET_FORMAT,
  DATASET_FORMAT_VERSION,
  MANIFEST_FILE,
  SHARD_DIR,
  sampleMembers,
  sampleUid,
  type DatasetManifest,
  type SampleContent,
  type TeacherEntry,
} from './format';
import { collectInputs, normalizeCaption, type InputImage, type InputProblem } from './inputs';
import type { Matrix } from './npy';
import { RNG_DESCRIPTION } from './rng';
import { ShardWriter } from './shardWriter';
import { packMembers } from './tar';
import { compressParams, type AugmentationConfig } from './transforms';
import { writeNormalized } from '../vectors';

/** What reinforcement needs of a teacher model (an Engine; the worker makes images and views). */
export type ReinforceTeacher = Pick<Engine, 'info' | 'model' | 'options' | 'embedTexts' | 'embedViews' | 'storeImage'>;

/** Synthetic captions for absolute image paths; a path missing from the map has none. */
export type CaptionSource = (paths: string[]) => Promise<Map<string, string[]>>;

export interface ReinforceProgress {
  /** Inputs handled (samples written + images skipped), including earlier runs of a resumed job. */
  done: number;
  total: number;
  samples: number;
  skipped: number;
  /** Samples per second in this run. */
  rate: number;
  /** Seconds left, NaN until there is a rate. */
  etaSeconds: number;
  current?: string;
}

export interface ReinforceOptions {
  /** Folder of images. */
  input: string;
  /** Output folder (created); may be a resumed run's folder. */
  out: string;
  /** Teacher ensemble, in the order their embeddings are concatenated. */
  teachers: ReinforceTeacher[];
  /** Synthetic captioner; without one syn_text is empty, which Apple's loader cannot take (see appleLoader). */
  captions?: CaptionSource;
  /** Identity of the captioner and its settings (model fingerprint, count, seed...), recorded and hashed into the run key. */
  captionSourceId?: string;
  /** CSV/TSV/JSONL manifest of ground-truth captions (paths relative to `input`); else `.txt` sidecars. */
  captionManifest?: string;
  /** Global seed (default 0). */
  seed?: number;
  augment?: Partial<AugmentSettings>;
  /** Samples per tar shard (default 1000). */
  samplesPerShard?: number;
  /** Stand-in for a missing caption (default 'filename'; 'zero' stores a zero row). */
  missingCaption?: 'filename' | 'zero';
  signal?: AbortSignal;
  onProgress?: (p: ReinforceProgress) => void;
  /** Called for each skipped image ('skipped') and bad caption-manifest row ('input') as it is found. */
  onProblem?: (p: InputProblem & { kind: 'skipped' | 'input' }) => void;
}

export interface ReinforceSummary {
  out: string;
  manifestPath: string;
  images: number;
  samples: number;
  skipped: InputProblem[];
  inputProblems: InputProblem[];
  shards: number;
  /** Whether Apple's loader loads every sample, and why not (see DatasetManifest.appleLoader). */
  appleLoader: DatasetManifest['appleLoader'];
  /** Samples written by this invocation (0 for an already complete dataset). */
  processedThisRun: number;
  resumedAt: number;
  elapsedSeconds: number;
  samplesPerSecond: number;
  cancelled: boolean;
  alreadyComplete: boolean;
}

export const STATE_DIR = '.reinforce';
/** Images per captioner call. */
const CAPTION_CHUNK = 8;
const GENERATOR = 'mobileclip-assets reinforce';

// Long: the run (resume check, captions, shard pipeline, progress, final manifest) shares its state and cleanup; helpers below hold each step.
export async function reinforceDataset(opts: ReinforceOptions): Promise<ReinforceSummary> {
  const started = Date.now();
  if (opts.teachers.length === 0) throw new Error('reinforce needs at least one teacher model');
  const input = path.resolve(opts.input);
  const out = path.resolve(opts.out);
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const augment: AugmentSettings = { ...DEFAULT_AUGMENT_SETTINGS, ...opts.augment };
  validateAugmentSettings(augment);
  const samplesPerShard = opts.samplesPerShard ?? 1000;
  if (!Number.isInteger(samplesPerShard) || samplesPerShard < 1) throw new Error(`samples per shard must be a positive integer, got ${samplesPerShard}`);
  const missingCaption = opts.missingCaption ?? 'filename';
  if (opts.captions && !opts.captionSourceId) throw new Error('captionSourceId is required with a caption source (it identifies the captions in the manifest)');

  const teachers: TeacherEntry[] = [];
  let offset = 0;
  for (const t of opts.teachers) {
    teachers.push({ id: t.info.id, fingerprint: t.info.fingerprint, dim: t.info.dim, imageSize: t.info.imageSize, offset });
    offset += t.info.dim;
  }
  const dim = offset;
  // Transparent pixels are flattened onto the teachers' background: it is part of the stored image.
  // (White is the worker's default; this module stays free of the image pipeline, which loads sharp.)
  const backgroundOf = (t: ReinforceTeacher) => (t.options.background ?? '#ffffff').trim().toLowerCase();
  const background = backgroundOf(opts.teachers[0]!);
  if (opts.teachers.some((t) => backgroundOf(t) !== background)) throw new Error('all teachers must flatten transparency onto the same background colour');
  const pre = await loadPreprocessConfig(opts.teachers[0]!.model.preprocessorConfigPath);
  const { file: configFile, config } = reinforcementConfig(augment, teachers, pre.doNormalize ? { mean: pre.mean, std: pre.std } : { mean: [0, 0, 0], std: [1, 1, 1] });

  const inputStat = await fs.stat(input).catch(() => undefined);
  if (!inputStat?.isDirectory()) throw new Error(`${input} is not a folder`);
  const { images, problems: inputProblems } = await collectInputs({
    root: input,
    captionManifest: opts.captionManifest,
    exclude: [out],
    missingCaption,
  });
  for (const p of inputProblems) opts.onProblem?.({ ...p, kind: 'input' });

  const runKey = createHash('sha256')
    .update(
      stableStringify({
        format: DATASET_FORMAT,
        version: DATASET_FORMAT_VERSION,
        seed,
        augment,
        samplesPerShard,
        missingCaption,
        background,
        config: configFile,
        teachers: teachers.map((t) => [t.id, t.fingerprint]),
        captions: opts.captions ? opts.captionSourceId : null,
        inputs: images.map((i) => [i.relPath, i.caption, i.captionOrigin]),
      }),
    )
    .digest('hex');

  const manifestPath = path.join(out, MANIFEST_FILE);
  const stateDir = path.join(out, STATE_DIR);
  const existing = await readJson<DatasetManifest>(manifestPath);
  if (existing) {
    if (existing.runKey !== runKey) {
      throw new Error(`${out} already holds a reinforced dataset built from other inputs or settings; choose another output folder`);
    }
    return {
      out,
      manifestPath,
      images: existing.counts.images,
      samples: existing.counts.samples,
      skipped: existing.skipped,
      inputProblems: existing.inputProblems,
      shards: existing.counts.shards,
      appleLoader: existing.appleLoader,
      processedThisRun: 0,
      resumedAt: images.length,
      elapsedSeconds: (Date.now() - started) / 1000,
      samplesPerSecond: 0,
      cancelled: false,
      alreadyComplete: true,
    };
  }
  await fs.mkdir(stateDir, { recursive: true });
  const statePath = path.join(stateDir, 'state.json');
  const state = await readJson<{ runKey: string }>(statePath);
  if (state && state.runKey !== runKey) {
    throw new Error(`${out} holds an unfinished run with other inputs or settings; rerun it unchanged to finish it, or choose another output folder`);
  }
  if (!state) {
    const leftovers = (await readdirIfExists(path.join(out, SHARD_DIR))).filter((n) => !n.startsWith('.'));
    if (leftovers.length) throw new Error(`${path.join(out, SHARD_DIR)} already has files but no run state; choose an empty output folder`);
    await writeJsonAtomic(statePath, { runKey });
  }

  const { writer, state: resume } = await ShardWriter.open(out, path.join(stateDir, 'journal.jsonl'), samplesPerShard);
  let cancelled = false;
  let processed = 0;
  let samples = resume.finalized.reduce((n, s) => n + s.samples, 0) + resume.currentSamples;
  // Samples Apple's loader cannot take (no synthetic caption), counted from the journal on resume.
  let withoutSyn = resume.withoutSyn;
  let withoutCaption = resume.withoutCaption;
  const eta = new EtaEstimator(images.length - resume.next);
  try {
    // Synthetic captions come in chunks (one captioner request for several images); only the
    // sample in flight is lost on a crash, as the captioner caches what it generated.
    const chunks = new Map<number, Promise<Map<string, string[]>>>();
    const captionsOf = async (i: number): Promise<string[]> => {
      if (!opts.captions) return [];
      const c = Math.floor((i - resume.next) / CAPTION_CHUNK);
      if (!chunks.has(c)) {
        chunks.delete(c - 2);
        const start = resume.next + c * CAPTION_CHUNK;
        // A captioner that fails as a whole stops the run (it stays resumable).
        chunks.set(
          c,
          opts.captions(images.slice(start, start + CAPTION_CHUNK).map((x) => x.absPath)).catch((err: unknown) => {
            throw new Error(`captioner failed: ${(err as Error).message ?? err}`);
          }),
        );
      }
      return (await chunks.get(c)!).get(images[i]!.absPath) ?? [];
    };
    // The next image is prepared while this one is written, so the teachers never wait for the disk.
    const prepare = (i: number): Promise<SampleContent | { error: string }> => {
      const p = captionsOf(i).then((syn) => reinforceOne(images[i]!, opts.teachers, syn, seed, augment.count, config, dim, opts.signal));
      p.catch(() => undefined); // awaited below; never an unhandled rejection if the loop stops first
      return p;
    };
    let next = resume.next < images.length ? prepare(resume.next) : undefined;
    for (let i = resume.next; i < images.length; i++) {
      if (opts.signal?.aborted) {
        cancelled = true;
        break;
      }
      const img = images[i]!;
      let result: SampleContent | { error: string };
      try {
        result = await next!;
      } catch (err) {
        if (opts.signal?.aborted) {
          cancelled = true;
          break;
        }
        throw err;
      }
      next = i + 1 < images.length ? prepare(i + 1) : undefined;
      if ('error' in result) {
        await writer.addSkip(i, img.relPath, result.error);
        opts.onProblem?.({ path: img.relPath, error: result.error, kind: 'skipped' });
      } else {
        await writer.addSample(i, await packMembers(sampleMembers(result)), { syn: result.syn.length, caption: result.info.caption_source !== 'none' });
        samples++;
        if (!result.syn.length) withoutSyn++;
        if (result.info.caption_source === 'none') withoutCaption++;
      }
      processed++;
      const done = i + 1;
      opts.onProgress?.({
        done,
        total: images.length,
        samples,
        skipped: writer.skips.length,
        rate: eta.ratePerSecond(processed),
        etaSeconds: eta.etaSeconds(processed),
        current: img.relPath,
      });
    }
    if (!cancelled) await writer.finalizeShard();
  } finally {
    await writer.close();
  }

  const elapsedSeconds = (Date.now() - started) / 1000;
  const appleLoader = appleLoaderVerdict(withoutSyn, withoutCaption);
  const base = {
    out,
    manifestPath,
    images: images.length,
    samples,
    skipped: writer.skips,
    inputProblems,
    shards: writer.shards.length,
    appleLoader,
    processedThisRun: processed,
    resumedAt: resume.next,
    elapsedSeconds,
    samplesPerSecond: elapsedSeconds > 0 ? processed / elapsedSeconds : 0,
    alreadyComplete: false,
  };
  if (cancelled) return { ...base, cancelled: true };

  const manifest: DatasetManifest = {
    format: DATASET_FORMAT,
    version: DATASET_FORMAT_VERSION,
    generator: GENERATOR,
    runKey,
    source: { root: input, captionManifest: opts.captionManifest ? path.resolve(opts.captionManifest) : null },
    config: CONFIG_FILE,
    teachers,
    embeddingDim: dim,
    seed,
    augmentation: {
      ...augment,
      sampler:
        'per augmentation, in Compose order: torchvision RandomResizedCrop.get_params (10 tries, centre-crop fallback), RandomHorizontalFlip, RandAugment (op, magnitude bin, sign)',
      rng: RNG_DESCRIPTION,
      replay: "Apple's Compose.reapply on the stored image as PIL decodes it, with size = each teacher's input size; then the teacher's own rescale/normalize",
    },
    syntheticCaptions: { source: opts.captions ? opts.captionSourceId! : null },
    missingCaption,
    appleLoader,
    background,
    samplesPerShard,
    counts: { images: images.length, samples, skipped: writer.skips.length, shards: writer.shards.length },
    skipped: writer.skips,
    inputProblems,
    shards: writer.shards,
  };
  await writeJsonAtomic(path.join(out, CONFIG_FILE), configFile);
  await writeJsonAtomic(manifestPath, manifest);
  await fs.rm(stateDir, { recursive: true, force: true });
  return { ...base, cancelled: false };
}

async function reinforceOne(
  img: InputImage,
  teachers: ReinforceTeacher[],
  synthetic: string[],
  seed: number,
  count: number,
  config: AugmentationConfig,
  dim: number,
  signal: AbortSignal | undefined,
): Promise<SampleContent | { error: string }> {
  const uid = sampleUid(img.relPath);
  let stored;
  try {
    stored = await teachers[0]!.storeImage(img.absPath, { signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    return { error: (err as Error).message };
  }
  const augmentations = sampleAugmentations(seed, uid, stored.width, stored.height, count, config);
  const syn = synthetic.map(normalizeCaption).filter((c) => c !== '');
  const hasCaption = img.captionOrigin !== 'none';
  const texts = hasCaption ? [img.caption, ...syn] : syn;
  const imageEmb: Matrix = { shape: [count, dim], data: new Float32Array(count * dim) };
  const textRows: Matrix = { shape: [1 + syn.length, dim], data: new Float32Array((1 + syn.length) * dim) };

  const perTeacher = await Promise.all(
    teachers.map(async (t) => {
      const [views, txts] = await Promise.all([
        t.embedViews({ bytes: stored.bytes }, config, augmentations, 'reapply', { signal }),
        texts.length ? t.embedTexts(texts, { signal }) : Promise.resolve([]),
      ]);
      return { t, views, txts };
    }),
  );
  let offset = 0;
  for (const { t, views, txts } of perTeacher) {
    const d = t.info.dim;
    if (views.width !== stored.width || views.height !== stored.height) {
      return { error: `${t.info.id} decoded the stored image as ${views.width}x${views.height}, expected ${stored.width}x${stored.height}` };
    }
    for (let k = 0; k < count; k++) {
      const r = views.views[k];
      if (!r) return { error: `${t.info.id}: missing result for augmentation ${k}` };
      if ('error' in r) return { error: `${t.info.id}: augmentation ${k}: ${r.error}` };
      putNormalized(imageEmb.data, k * dim + offset, r.embedding, d);
    }
    const firstRow = hasCaption ? 0 : 1;
    for (let j = 0; j < texts.length; j++) putNormalized(textRows.data, (firstRow + j) * dim + offset, txts[j]!.embedding, d);
    offset += d;
  }
  return {
    url: img.relPath,
    info: { uid, sha256: stored.sourceSha256, width: stored.width, height: stored.height, caption_source: img.captionOrigin },
    image: { ext: stored.ext, bytes: stored.bytes },
    caption: hasCaption ? img.caption : '',
    syn,
    paramAug: augmentations.map((a) => compressParams(config, a)),
    imageEmb,
    textEmb: { shape: [1, dim], data: textRows.data.slice(0, dim) },
    synTextEmb: { shape: [syn.length, dim], data: textRows.data.slice(dim) },
  };
}

/** What Apple's loader makes of the samples written (recorded in the manifest, shown by verify). */
export function appleLoaderVerdict(withoutSyn: number, withoutCaption: number): DatasetManifest['appleLoader'] {
  const notes: string[] = [];
  if (withoutSyn) {
    notes.push(
      `${withoutSyn} sample${withoutSyn === 1 ? ' has' : 's have'} no synthetic caption (syn_text is empty): Apple's preprocess_dr raises on ${withoutSyn === 1 ? 'it' : 'them'} (np.random.randint(0, 0)). Build with a captioner (--syn N) before training with Apple's code.`,
    );
  }
  if (withoutCaption) {
    notes.push(
      `${withoutCaption} sample${withoutCaption === 1 ? ' has' : 's have'} an empty .txt caption and an all-zero text_emb row (--missing-caption zero): Apple's loader trains on the empty caption.`,
    );
  }
  return { loadsEverySample: withoutSyn === 0, notes };
}

/** Writes v / |v| (accumulated in float64) into `dst` at `at`. */
function putNormalized(dst: Float32Array, at: number, v: Float32Array, d: number): void {
  if (v.length !== d) throw new Error(`teacher returned a ${v.length}-d embedding, its model info says ${d}`);
  writeNormalized(dst, at, v, d);
}

/** The names in `dir`, or none when it does not exist (any other failure is thrown). */
async function readdirIfExists(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
}

async function readJson<T>(file: string): Promise<T | undefined> {
  const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${file} is not valid JSON`);
  }
}
