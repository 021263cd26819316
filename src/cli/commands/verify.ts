// `mobileclip-assets verify`: check a reinforced dataset and replay a sample of it.
import * as path from 'node:path';
import type { Engine } from '../../engine/engine';
import { defaultCacheDir } from '../../engine/models/resolve';
import { readManifest } from '../../engine/reinforce/dataset';
import { verifyDataset, type VerifyReport } from '../../engine/reinforce/verify';
import { type Command, GLOBAL_OPTIONS, UsageError, engineOptionsFrom, oneLine, parseCommandArgs } from '../command';
import { intFlag, numberFlag, openModels } from './reinforce';
import { printLines, statusLine } from '../output';

const USAGE = `Usage: mobileclip-assets verify OUT [options]

Checks a reinforced dataset: every shard's sha256 and size against OUT/manifest.json, the tar
structure, each sample's members and JSON fields, the npz arrays (float32, shapes, unit-norm
teacher blocks), and that each stored augmentation is the one the seed generates. Then it
replays a sample of augmentations through the teacher models, re-embeds the captions, and
reports the largest deviation from the stored embeddings. Exit code 1 when anything fails.

Options:
  --sample N              samples to replay (default 8; 0 = structure checks only)
  --source DIR            the image folder, when it moved since the dataset was built
  --teacher ID|DIR        teacher models to replay with, when they are not where the manifest
                          says (repeatable; matched by fingerprint)
  --tolerance T           largest accepted deviation per component (default 1e-4)
  --json                  print the report as JSON
  --cache-dir DIR         where downloaded models live
  --threads N             onnxruntime intra-op threads per model
  --provider P            auto | cpu | cuda | coreml | dml (default auto)
  --background #RRGGBB    must match the colour used when the dataset was built (default #ffffff)
  -h, --help              show help`;

const OPTIONS = {
  ...GLOBAL_OPTIONS,
  sample: { type: 'string' },
  source: { type: 'string' },
  teacher: { type: 'string', multiple: true },
  tolerance: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const verify: Command = {
  name: 'verify',
  summary: 'check a reinforced dataset and replay a sample of its augmentations',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS);
    if (values.help) { process.stdout.write(`${USAGE}\n`); return 0; }
    if (positionals.length !== 1) throw new UsageError('give exactly one dataset folder');
    if (values.model !== undefined) throw new UsageError('use --teacher to choose the teacher models');
    const sample = intFlag(values, 'sample', 0) ?? 8;
    const tolerance = numberFlag(values, 'tolerance', (n) => n > 0, 'a positive number');
    const dataset = path.resolve(positionals[0]!);
    const cacheDir = values['cache-dir'] ?? defaultCacheDir();

    let teachers: Engine[] = [];
    let teacherError: string | undefined;
    if (sample > 0) {
      const specs = values.teacher?.length ? values.teacher : await readManifest(dataset).then((m) => m.teachers.map((t) => t.id), () => []);
      try {
        teachers = specs.length ? await openModels(specs, cacheDir, engineOptionsFrom(values)) : [];
      } catch (err) {
        teacherError = `cannot open the teacher models for replay: ${oneLine(err)}`;
      }
    }
    let report: VerifyReport;
    try {
      report = await verifyDataset({
        dataset, teachers, sample, tolerance, sourceRoot: values.source,
        onProgress: (line) => { if (process.stderr.isTTY) statusLine(process.stderr, line); },
      });
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    } finally {
      await Promise.all(teachers.map((t) => t.dispose()));
    }
    if (teacherError && sample > 0) report.problems.push({ where: 'teachers', problem: teacherError });
    report.ok = report.problems.length === 0;
    if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else printLines(process.stdout, describe(report));
    return report.ok ? 0 : 1;
  },
};

function describe(r: VerifyReport): string[] {
  const lines: string[] = [];
  for (const p of r.problems) lines.push(`FAIL  ${p.where}: ${p.problem}`);
  lines.push(`${r.shards} shards, ${r.samples} samples checked`);
  if (r.replay) {
    const x = r.replay;
    lines.push(`replayed ${x.samples} samples (${x.augmentations} augmentations, ${x.texts} texts): max deviation image ${x.maxImageDeviation.toExponential(2)}, text ${x.maxTextDeviation.toExponential(2)} (tolerance ${x.tolerance})`);
  } else if (r.replaySkipped) lines.push(`no replay: ${r.replaySkipped}`);
  lines.push(r.ok ? 'OK' : `FAILED: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`);
  return lines;
}
