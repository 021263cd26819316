// `mobileclip-assets reinforce`: build a DataCompDR-style reinforced dataset from a folder.
import { chooseDefaultTeachers, TEACHER_PREFERENCE } from '../../engine/reinforce/teachers';
import * as path from 'node:path';
import { DEFAULT_CAPTIONER_ID, DEFAULT_CAPTION_SETTINGS, resolveCaptioner, type CaptionSettings } from '../../engine/captions';
import { Engine } from '../../engine/engine';
import { defaultCacheDir, resolveModel } from '../../engine/models/resolve';
import { captionerSource } from '../../engine/reinforce/captions';
import { reinforceDataset, STATE_DIR, type ReinforceProgress, type ReinforceSummary } from '../../engine/reinforce/reinforce';
import { DEFAULT_AUGMENT_SETTINGS } from '../../engine/reinforce/augment';
import type { EngineOptions } from '../../engine/types';
import { formatDuration } from '../../engine/util/format';
import { WorkerClient } from '../../engine/worker/client';
import { defineCommand, GLOBAL_OPTIONS, UsageError, engineOptionsFrom, numberFlag, oneLine } from '../command';
import { printLines, statusLine } from '../output';

/** Default teachers: the largest registry models that are downloaded, largest first. */

const ENGINE_USAGE = `  --cache-dir DIR         where downloaded models live (default: $MOBILECLIP_ASSETS_CACHE or the user cache)
  --threads N             onnxruntime intra-op threads per model (default: onnxruntime's choice)
  --provider P            auto | cpu | cuda | coreml | dml (default auto; falls back to cpu)
  --background #RRGGBB    colour transparent pixels are flattened onto (default #ffffff)
  -h, --help              show help`;

const USAGE = `Usage: mobileclip-assets reinforce DIR --out OUT [options]

Builds a reinforced dataset that Apple's MobileCLIP training code loads unchanged (the DataCompDR
layout of apple/ml-mobileclip and RayGen) from a folder of images: per image the image the
teachers saw (EXIF applied, transparency flattened) and its caption, synthetic captions,
${DEFAULT_AUGMENT_SETTINGS.count} augmentations stored as parameters (RandomResizedCrop, optionally horizontal flip and
RandAugment), and a teacher ensemble's L2-normalized embeddings (one image embedding per
augmentation, the caption's and each synthetic caption's), concatenated in teacher order.
Output: OUT/shards/NNNNNNNN.tar (webdataset: png|jpg, txt, url.txt, json, syn.json, paug.json,
npz per sample), OUT/rdata_config.json (train with --dataset-reinforcement-config) and
OUT/manifest.json. Ground-truth captions come from a .txt file next to each image
(photo.jpg -> photo.txt) or from --captions FILE.

Rerunning an interrupted run with the same arguments continues where it stopped (at most the
image in flight is redone). Identical inputs and seed give byte-identical output. Images that
cannot be decoded are reported and skipped. Ctrl+C stops after the current image.

Options:
  --out OUT               output folder (required)
  --teacher ID|DIR        teacher model, repeatable; the order is the embedding order
                          (default: the two largest downloaded of ${TEACHER_PREFERENCE.join(', ')})
  --augmentations K       augmentations per image (default ${DEFAULT_AUGMENT_SETTINGS.count})
  --seed S                global seed of the augmentation parameters (default 0)
  --flip P                horizontal flip probability (default 0: Apple's DataCompDR config has
                          no flip; P > 0 adds random_horizontal_flip to the config)
  --rand-augment          store RandAugment ops too (2 per augmentation, magnitude 9 of 31, as
                          Apple's DataCompDR config), replayed pixel-exactly before the teachers
  --shard-size N          samples per shard (default 1000)
  --captions FILE         ground-truth captions: .csv/.tsv (header with path + caption columns)
                          or .jsonl ({"path": ..., "caption": ...}); paths relative to DIR
  --missing-caption M     filename: use the file name as the caption (default) | zero: store a
                          zero text row (json caption_source "none")
  --syn N                 synthetic captions per image (default ${DEFAULT_CAPTION_SETTINGS.count}; 0 = none)
  --captioner ID|DIR      captioner (default ${DEFAULT_CAPTIONER_ID}; when it is not downloaded and not
                          named here, the run goes on without synthetic captions)
  --caption-seed S        captioner sampling seed (default ${DEFAULT_CAPTION_SETTINGS.seed})
  --json                  print the summary as JSON
${ENGINE_USAGE}`;

const OPTIONS = {
  ...GLOBAL_OPTIONS,
  out: { type: 'string' },
  flip: { type: 'string' },
  'rand-augment': { type: 'boolean' },
  teacher: { type: 'string', multiple: true },
  augmentations: { type: 'string' },
  seed: { type: 'string' },
  'shard-size': { type: 'string' },
  captions: { type: 'string' },
  'missing-caption': { type: 'string' },
  syn: { type: 'string' },
  captioner: { type: 'string' },
  'caption-seed': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Options of the commands that read a dataset (verify, distill). */
export const DATASET_OPTIONS = {
  images: { type: 'string' },
  source: { type: 'string' },
  config: { type: 'string' },
  'teacher-dims': { type: 'string' },
} as const;

export const DATASET_USAGE = `  --images DIR            folder to join images from (by url.txt or <uid>.jpg|png), for datasets
                          whose shards carry no images (DataCompDR); --source DIR is the same
  --config FILE           the reinforcement config (RayGen's --aug-config / config.json, or
                          Apple's training config) when the dataset folder has none
  --teacher-dims D1,D2    teacher block sizes (training's --distill-teacher-dimension) when the
                          dataset does not record them and they cannot be measured`;

export function datasetOptionsFrom(values: { images?: string; source?: string; config?: string; 'teacher-dims'?: string }): {
  images?: string;
  config?: string;
  teacherDims?: number[];
} {
  if (values.images !== undefined && values.source !== undefined) throw new UsageError('give --images or --source, not both');
  const out: { images?: string; config?: string; teacherDims?: number[] } = {};
  const images = values.images ?? values.source;
  if (images !== undefined) out.images = path.resolve(images);
  if (values.config !== undefined) out.config = path.resolve(values.config);
  if (values['teacher-dims'] !== undefined) {
    const dims = values['teacher-dims'].split(',').map((d) => Number(d.trim()));
    if (!dims.length || !dims.every((d) => Number.isInteger(d) && d > 0))
      throw new UsageError(`--teacher-dims must be positive whole numbers separated by commas, got "${values['teacher-dims']}"`);
    out.teacherDims = dims;
  }
  return out;
}

/** Starts one engine per model spec (in parallel); on any failure the started ones are disposed. */
export async function openModels(specs: string[], cacheDir: string, options: EngineOptions): Promise<Engine[]> {
  const settled = await Promise.allSettled(specs.map(async (spec) => Engine.create(await resolveModel(spec, { cacheDir }), options)));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.dispose() : Promise.resolve())));
    throw failed.reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<Engine>).value);
}

/** The default teacher list: the two largest registry models available offline. */
async function defaultTeachers(cacheDir: string): Promise<string[]> {
  const found = await chooseDefaultTeachers((id) =>
    resolveModel(id, { cacheDir }).then(
      () => true,
      () => false,
    ),
  );
  if (!found.length) {
    throw new UsageError(`no teacher model is downloaded (looked for ${TEACHER_PREFERENCE.join(', ')}); download one or pass --teacher ID|DIR`);
  }
  return found;
}

/** A status line: in place on a terminal, else a plain line at most every 10 %. */
export function progressReporter(): (text: string, fraction?: number) => void {
  let lastTenth = -1;
  return (text, fraction) => {
    if (process.stderr.isTTY) {
      statusLine(process.stderr, text);
      return;
    }
    if (!text) return;
    const tenth = fraction === undefined ? lastTenth + 1 : Math.floor(fraction * 10);
    if (tenth > lastTenth) {
      lastTenth = tenth;
      printLines(process.stderr, text);
    }
  };
}

function describe(p: ReinforceProgress): string {
  const eta = Number.isFinite(p.etaSeconds) ? `, ${formatDuration(p.etaSeconds)} left` : '';
  return `reinforcing: ${p.done}/${p.total} images (${p.samples} samples, ${p.skipped} skipped, ${p.rate.toFixed(2)} samples/s${eta})`;
}

export const reinforce = defineCommand({
  name: 'reinforce',
  summary: 'build a reinforced dataset (teacher embeddings, augmentations, synthetic captions)',
  usage: USAGE,
  options: OPTIONS,
  positionals: { min: 1, max: 1, missing: 'give exactly one image folder' },
  async run(values, positionals) {
    if (!values.out) throw new UsageError('--out OUT is required');
    if (values.model !== undefined) throw new UsageError('use --teacher (repeatable) to choose the teacher models');
    const missing = values['missing-caption'] ?? 'filename';
    if (missing !== 'filename' && missing !== 'zero') throw new UsageError(`--missing-caption must be filename or zero, got "${missing}"`);
    const count = numberFlag('--augmentations', values.augmentations, 'reinforce.augmentations');
    const flip = numberFlag('--flip', values.flip, 'reinforce.flip');
    const seed = numberFlag('--seed', values.seed, 'reinforce.seed');
    const shardSize = numberFlag('--shard-size', values['shard-size'], 'reinforce.shard-size');
    const syn = numberFlag('--syn', values.syn, 'reinforce.syn') ?? DEFAULT_CAPTION_SETTINGS.count;
    const captionSeed = numberFlag('--caption-seed', values['caption-seed'], 'captions.seed');
    const engineOptions = engineOptionsFrom(values);
    const cacheDir = values['cache-dir'] ?? defaultCacheDir();
    const input = path.resolve(positionals[0]!);
    const out = path.resolve(values.out);

    // Synthetic captions: the captioner runs in its own worker, caching in the run's state folder.
    let captions: { source: Parameters<typeof reinforceDataset>[0]['captions']; id: string } | undefined;
    let client: WorkerClient | undefined;
    if (syn > 0) {
      const spec = values.captioner ?? DEFAULT_CAPTIONER_ID;
      try {
        const captioner = await resolveCaptioner(spec, { cacheDir });
        client = new WorkerClient({ log: engineOptions.log });
        const settings: Partial<CaptionSettings> = { count: syn, ...(captionSeed !== undefined ? { seed: captionSeed } : {}) };
        const { log: _log, ...workerOptions } = engineOptions;
        captions = captionerSource(client, {
          root: input,
          captioner,
          settings,
          workerOptions,
          file: path.join(out, STATE_DIR, 'captions.json'),
          onError: (p, e) => printLines(process.stderr, ['', `no synthetic captions for ${p}: ${e}`]),
        });
      } catch (err) {
        if (values.captioner !== undefined) throw err;
        printLines(process.stderr, `note: no synthetic captions (${oneLine(err)}); pass --syn 0 to silence this`);
      }
    }

    const teacherSpecs = values.teacher?.length ? values.teacher : await defaultTeachers(cacheDir);
    let teachers: Engine[] = [];
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    const progress = progressReporter();
    let summary: ReinforceSummary;
    try {
      teachers = await openModels(teacherSpecs, cacheDir, engineOptions);
      summary = await reinforceDataset({
        input,
        out,
        teachers,
        captions: captions?.source,
        captionSourceId: captions?.id,
        captionManifest: values.captions,
        seed,
        augment: { ...(count !== undefined ? { count } : {}), ...(flip !== undefined ? { flipProbability: flip } : {}), randAugment: values['rand-augment'] ?? false },
        samplesPerShard: shardSize,
        missingCaption: missing,
        signal: controller.signal,
        onProgress: (p) => progress(describe(p), p.done / p.total),
        onProblem: (p) => {
          if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
          printLines(process.stderr, `${p.kind === 'skipped' ? 'skipped' : 'input'} ${p.path}: ${p.error}`);
        },
      });
      progress('');
    } finally {
      process.removeListener('SIGINT', onSigint);
      await Promise.all([...teachers.map((t) => t.dispose()), client?.dispose()]);
    }
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else printLines(process.stdout, summarize(summary, teachers));
    return summary.cancelled ? 130 : 0;
  },
});

function summarize(s: ReinforceSummary, teachers: Engine[]): string[] {
  if (s.alreadyComplete) return [`${s.out} is already complete: ${s.samples} samples in ${s.shards} shards (${s.skipped.length} images skipped)`];
  if (s.cancelled) return [`cancelled after ${s.processedThisRun} images; rerun the same command to continue`];
  const lines: string[] = [];
  if (s.inputProblems.length) lines.push(`${s.inputProblems.length} input problems (captions, links) (see manifest.json inputProblems)`);
  if (s.skipped.length) lines.push(`skipped ${s.skipped.length} images:`, ...s.skipped.map((p) => `  ${p.path}: ${p.error}`));
  const resumed = s.resumedAt > 0 ? ` (resumed at image ${s.resumedAt + 1})` : '';
  lines.push(
    `${s.samples} samples from ${s.images} images in ${s.shards} shards${resumed}; ` +
      `teachers ${teachers.map((t) => `${t.info.id} (${t.info.dim}-d)`).join(' + ')}; ` +
      `${s.processedThisRun} images in ${s.elapsedSeconds.toFixed(1)} s (${s.samplesPerSecond.toFixed(2)} samples/s)`,
    `manifest: ${s.manifestPath}`,
  );
  if (!s.appleLoader.loadsEverySample) lines.push("note: Apple's training loader cannot use every sample:", ...s.appleLoader.notes.map((n) => `  ${n}`));
  else
    lines.push(
      `train with Apple's code: --dataset-reinforcement --dataset-reinforcement-config ${path.join(s.out, 'rdata_config.json')} --distill-teacher-dimension ${teachers.map((t) => t.info.dim).join(' ')}`,
    );
  return lines;
}
