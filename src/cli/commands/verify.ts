// `mobileclip-assets verify`: check a reinforced dataset and replay a sample of it.
import * as path from 'node:path';
import type { Engine } from '../../engine/engine';
import { defaultCacheDir } from '../../engine/models/resolve';
import { openDataset } from '../../engine/reinforce/dataset';
import { splitDatasetTeachers } from '../../engine/reinforce/teachers';
import { verifyDataset, type VerifyReport } from '../../engine/reinforce/verify';
import { defineCommand, GLOBAL_OPTIONS, UsageError, engineOptionsFrom, numberFlag, oneLine } from '../command';
import { datasetOptionsFrom, DATASET_OPTIONS, DATASET_USAGE, openModels } from './reinforce';
import { printLines, statusLine } from '../output';

const USAGE = `Usage: mobileclip-assets verify DATASET [options]

Checks a reinforced dataset, ours or Apple's (RayGen output, DataCompDR shards): for ours every
shard's sha256 and size against DATASET/manifest.json; for all, every sample field by field
(members, JSON, paug.json decompressed with the reinforcement config, npz or pth.gz embeddings:
shapes, unit-norm teacher blocks) and whether Apple's training loader would load it. Then it
replays a spread of samples the way Apple's loader does (the stored image decoded like PIL, the
stored augmentations reapplied), embeds them with the teachers, re-embeds the captions, and
reports the largest deviation from the stored embeddings. Exit code 1 when anything fails.

Options:
  --sample N              samples to replay (default 8; 0 = structure checks only)
  --teacher ID|DIR        teacher models to replay with (repeatable, in block order). For our
                          datasets the manifest's registry ids are used when none is given; a model
                          folder named by a dataset is never loaded unless passed here
  --tolerance T           largest accepted deviation per component beyond the stored precision
                          (default 1e-4)
${DATASET_USAGE}
  --json                  print the report as JSON
  --cache-dir DIR         where downloaded models live
  --threads N             onnxruntime intra-op threads per model
  --provider P            auto | cpu | cuda | coreml | dml (default auto)
  -h, --help              show help`;

const OPTIONS = {
  ...GLOBAL_OPTIONS,
  ...DATASET_OPTIONS,
  sample: { type: 'string' },
  teacher: { type: 'string', multiple: true },
  tolerance: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const verify = defineCommand({
  name: 'verify',
  summary: "check a reinforced dataset (ours or Apple's) and replay a sample of its augmentations",
  usage: USAGE,
  options: OPTIONS,
  positionals: { min: 1, max: 1, missing: 'give exactly one dataset folder' },
  async run(values, positionals) {
    if (values.model !== undefined) throw new UsageError('use --teacher to choose the teacher models');
    const sample = numberFlag('--sample', values.sample, 'verify.sample') ?? 8;
    const tolerance = numberFlag('--tolerance', values.tolerance, 'verify.tolerance');
    const dataset = path.resolve(positionals[0]!);
    const cacheDir = values['cache-dir'] ?? defaultCacheDir();
    const datasetOptions = datasetOptionsFrom(values);

    let teachers: Engine[] = [];
    let teacherError: string | undefined;
    if (sample > 0) {
      let specs = values.teacher ?? [];
      if (!specs.length) {
        const named = await openDataset(dataset, datasetOptions).then(
          (ds) => ds.manifest?.teachers.map((t) => t.id) ?? [],
          () => [],
        );
        const { registry, local } = splitDatasetTeachers(named);
        if (local.length)
          teacherError = `the dataset names local model folders (${local.join(', ')}); a dataset never makes us load a model from a path: pass --teacher DIR for each teacher to replay`;
        else specs = registry;
      }
      try {
        teachers = specs.length && !teacherError ? await openModels(specs, cacheDir, engineOptionsFrom(values)) : [];
      } catch (err) {
        teacherError = `cannot open the teacher models for replay: ${oneLine(err)}`;
      }
    }
    let report: VerifyReport;
    try {
      report = await verifyDataset({
        dataset,
        teachers,
        sample,
        tolerance,
        ...datasetOptions,
        onProgress: (line) => {
          if (process.stderr.isTTY) statusLine(process.stderr, line);
        },
      });
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    } finally {
      await Promise.all(teachers.map((t) => t.dispose()));
    }
    if (teacherError && sample > 0) {
      report.problems.push({ where: 'teachers', problem: teacherError });
      report.replaySkipped = teacherError;
    }
    report.ok = report.problems.length === 0;
    if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else printLines(process.stdout, describe(report));
    return report.ok ? 0 : 1;
  },
});

function describe(r: VerifyReport): string[] {
  const lines: string[] = [];
  for (const p of r.problems) lines.push(`FAIL  ${p.where}: ${p.problem}`);
  const kind = r.kind === 'apple' ? 'Apple/RayGen dataset' : 'dataset';
  lines.push(`${kind}: ${r.shards} shards, ${r.samples} samples checked${r.teacherDims ? `; teacher blocks ${r.teacherDims.join(' + ')}` : ''}`);
  if (r.replay) {
    const x = r.replay;
    lines.push(
      `replayed ${x.samples} samples (${x.augmentations} augmentations, ${x.texts} texts): max deviation image ${x.maxImageDeviation.toExponential(2)}, text ${x.maxTextDeviation.toExponential(2)}, min image cosine ${x.minImageCosine.toFixed(6)} (tolerance ${x.tolerance})`,
    );
  } else if (r.replaySkipped) lines.push(`no replay: ${r.replaySkipped}`);
  if (r.kind) {
    lines.push(r.appleLoader.loadsEverySample ? "Apple's training loader loads every sample (with this config)" : `Apple's training loader does NOT load every sample:`);
    for (const n of r.appleLoader.notes) lines.push(`  ${n}`);
  }
  lines.push(r.ok ? 'OK' : `FAILED: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`);
  return lines;
}
