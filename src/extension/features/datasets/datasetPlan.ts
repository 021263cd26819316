// Decisions behind "Reinforce Dataset", "Verify Reinforced Dataset" and "Distill Adapter", kept
// free of `vscode` so they are unit-tested: the output folder (default, validation, what is
// already in it), the teacher list, progress lines, and the reports shown to the user.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DistillReport, ReinforceProgress, ReinforceSummary, VerifyReport } from '../../../engine/reinforce';
import { formatRecall } from '../../../engine/reinforce';
import { CONFIG_FILE, DATASET_FORMAT, MANIFEST_FILE } from '../../../engine/reinforce/format';
import { STATE_DIR } from '../../../engine/reinforce/reinforce';
import { formatDuration } from '../../../engine/util/format';
import { isStrictlyInside } from '../../paths';
import { readRegularTextFile } from '../../../engine/util/files';
import { FILE_LIMITS } from '../../../engine/util/limits';

/** `<folder>-reinforced`, next to the input folder. */
export function defaultOutputFolder(input: string): string {
  const abs = path.resolve(input);
  return path.join(path.dirname(abs), `${path.basename(abs) || 'dataset'}-reinforced`);
}

/** What the user typed, as an absolute path (relative input is taken next to the input folder). */
export function resolveOutputFolder(input: string, typed: string): string {
  const t = typed.trim();
  return path.resolve(path.dirname(path.resolve(input)), t);
}

/** Why `out` cannot receive the dataset built from `input`, or undefined when it can. */
export function outputFolderProblem(input: string, out: string): string | undefined {
  const inAbs = path.resolve(input);
  const outAbs = path.resolve(out);
  if (outAbs === inAbs) return 'The output folder must not be the input folder.';
  if (isStrictlyInside(inAbs, outAbs)) return 'The output folder must not be inside the input folder (its files would mix with the images).';
  if (isStrictlyInside(outAbs, inAbs)) return 'The output folder must not contain the input folder.';
  return undefined;
}

export type OutputState =
  /** Does not exist yet, or is an empty folder. */
  | { kind: 'new' }
  /** An unfinished run: rerunning with the same settings continues it. */
  | { kind: 'resume' }
  /** A finished dataset (manifest.json). */
  | { kind: 'complete' }
  /** A folder with other files in it. */
  | { kind: 'notEmpty'; entries: number }
  | { kind: 'notAFolder' };

export async function inspectOutputFolder(out: string): Promise<OutputState> {
  const st = await fs.stat(out).catch(() => undefined);
  if (!st) return { kind: 'new' };
  if (!st.isDirectory()) return { kind: 'notAFolder' };
  const exists = async (p: string) => (await fs.stat(path.join(out, p)).catch(() => undefined)) !== undefined;
  if (await exists(MANIFEST_FILE)) return { kind: 'complete' };
  if (await exists(path.join(STATE_DIR, 'state.json'))) return { kind: 'resume' };
  const entries = (await fs.readdir(out)).filter((n) => n !== '.DS_Store');
  return entries.length ? { kind: 'notEmpty', entries: entries.length } : { kind: 'new' };
}

/**
 * True when `dir` holds a reinforced dataset: one of ours (manifest.json), or RayGen's output
 * (.tar shards next to its manifest.jsonl or config.json, or our rdata_config.json).
 */
export async function isReinforcedDataset(dir: string): Promise<boolean> {
  try {
    // Any manifest.json of the workspace: a FIFO or /dev/zero must not tie up the extension host.
    const m = JSON.parse(await readRegularTextFile(path.join(dir, MANIFEST_FILE), { maxBytes: FILE_LIMITS.metadata })) as { format?: unknown };
    if (m?.format === DATASET_FORMAT) return true;
  } catch {
    /* not ours: look for Apple's layout */
  }
  try {
    const names = await fs.readdir(dir);
    return names.some((n) => n.endsWith('.tar')) && names.some((n) => n === RAYGEN_MANIFEST || n === 'config.json' || n === CONFIG_FILE);
  } catch {
    return false;
  }
}

/** RayGen's list of written shards. */
export const RAYGEN_MANIFEST = 'manifest.jsonl';

/** The teacher setting as a clean list: trimmed, no blanks, no repeats, order kept. */
export function teacherSpecs(setting: readonly unknown[] | undefined): string[] {
  const out: string[] = [];
  for (const v of setting ?? []) {
    if (typeof v !== 'string') continue;
    const s = v.trim();
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

/** Validates the augmentations input box: a whole number from 1 to 1000. */
export function augmentationsProblem(text: string): string | undefined {
  const n = Number(text.trim());
  if (!text.trim() || !Number.isInteger(n) || n < 1 || n > 1000) return 'Enter a whole number from 1 to 1000 (the paper stores 10).';
  return undefined;
}

const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** "12 of 40 images · 1 min 5 s left · 2 skipped". */
export function reinforceProgressMessage(p: ReinforceProgress): string {
  const parts = [`${p.done.toLocaleString('en-US')} of ${count(p.total, 'image')}`];
  if (Number.isFinite(p.etaSeconds)) parts.push(`${formatDuration(p.etaSeconds)} left`);
  if (p.skipped) parts.push(`${p.skipped} skipped`);
  return parts.join(' · ');
}

/** The closing notification of a reinforcement run. */
export function reinforceSummaryText(s: ReinforceSummary): { text: string; severity: 'info' | 'warning' } {
  if (s.alreadyComplete) {
    return {
      text: `${s.out} already holds this dataset: ${count(s.samples, 'sample')} in ${count(s.shards, 'shard')}${s.skipped.length ? `, ${count(s.skipped.length, 'image')} skipped` : ''}.`,
      severity: 'info',
    };
  }
  if (s.cancelled) {
    return {
      text: `Stopped after ${count(s.resumedAt + s.processedThisRun, 'image')} of ${s.images.toLocaleString('en-US')}. Run Reinforce Dataset again with the same settings to continue where it stopped.`,
      severity: 'info',
    };
  }
  const resumed = s.resumedAt > 0 ? ` (continued from image ${s.resumedAt + 1})` : '';
  const skipped = s.skipped.length ? ` · ${count(s.skipped.length, 'image')} skipped` : '';
  const problems = s.inputProblems.length ? ` · ${count(s.inputProblems.length, 'caption problem')}` : '';
  const apple = s.appleLoader.loadsEverySample ? '' : ` Apple's training code cannot use every sample: ${s.appleLoader.notes[0] ?? ''}`;
  return {
    text: `Reinforced dataset ready: ${count(s.samples, 'sample')} from ${count(s.images, 'image')} in ${count(s.shards, 'shard')}${resumed}${skipped}${problems} (${formatDuration(s.elapsedSeconds)}).${apple}`,
    severity: s.skipped.length || s.inputProblems.length || apple ? 'warning' : 'info',
  };
}

function mdEscape(text: string): string {
  return text.replace(/([\\`*_[\]|<>])/g, '\\$1');
}

/** The toast that ends Verify: the verdict and what was checked, in one line ("OK: 6 samples, 60 views replayed"). */
export function verifyToastText(r: Pick<VerifyReport, 'ok' | 'samples' | 'problems' | 'replay' | 'replaySkipped'>): string {
  const checked = count(r.samples, 'sample');
  const replayed = r.replay ? `, ${count(r.replay.augmentations, 'view')} replayed` : r.replaySkipped ? ' (not replayed: the teachers are not available)' : '';
  return r.ok ? `OK: ${checked}${replayed}.` : `FAILED: ${count(r.problems.length, 'problem')} in ${checked}${replayed}.`;
}

/** The verification report as Markdown: verdict first, then every problem, then the figures. */
export function verifyReportMarkdown(dataset: string, r: VerifyReport, seconds?: number): string {
  const lines = [`# Verify reinforced dataset`, '', `Dataset: \`${dataset}\``, ''];
  lines.push(r.ok ? '**Result: OK**: every check passed.' : `**Result: FAILED**: ${count(r.problems.length, 'problem')}.`, '');
  lines.push(`- Shards checked: ${r.shards.toLocaleString('en-US')}`, `- Samples checked: ${r.samples.toLocaleString('en-US')}`);
  if (r.replay) {
    const x = r.replay;
    lines.push(
      `- Replayed ${count(x.samples, 'sample')} (${count(x.augmentations, 'augmentation')}, ${count(x.texts, 'text')}) through the teachers, as Apple's loader replays them:`,
      `  largest deviation from the stored embeddings: image ${x.maxImageDeviation.toExponential(2)}, text ${x.maxTextDeviation.toExponential(2)}; smallest image cosine ${x.minImageCosine.toFixed(6)} (tolerance ${x.tolerance})`,
    );
  } else if (r.replaySkipped) {
    lines.push(`- Replay not run: ${mdEscape(r.replaySkipped)}`);
  }
  if (r.teacherDims) lines.push(`- Teacher blocks: ${r.teacherDims.join(' + ')} (training's --distill-teacher-dimension)`);
  if (seconds !== undefined) lines.push(`- Time: ${formatDuration(seconds)}`);
  if (r.kind) {
    lines.push('', "## Apple's training loader", '');
    lines.push(r.appleLoader.loadsEverySample ? "Loads every sample (open_clip with ml-mobileclip's patch, this reinforcement config)." : '**Does not load every sample:**');
    for (const n of r.appleLoader.notes) lines.push(`- ${mdEscape(n)}`);
  }
  if (r.problems.length) {
    lines.push('', '## Problems', '', '| Where | Problem |', '| --- | --- |');
    for (const p of r.problems) lines.push(`| ${mdEscape(p.where)} | ${mdEscape(p.problem).replace(/\n/g, ' ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** The distillation report as Markdown, with the verdict the engine computed (never reworded upward). */
export function distillReportMarkdown(dataset: string, studentId: string, r: DistillReport): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const row = (name: string, x: DistillReport['before']) =>
    `| ${name} | ${pct(x.imageToText.r1)} | ${pct(x.imageToText.r5)} | ${pct(x.textToImage.r1)} | ${pct(x.textToImage.r5)} | ${pct(x.mean)} |`;
  const lines = [
    '# Distillation adapter',
    '',
    `Dataset: \`${dataset}\`  `,
    `Student: \`${studentId}\` (frozen; a linear adapter on its ${r.settings.textAdapter ? 'image and text' : 'image'} embeddings was fitted)`,
    '',
    `**${r.improved ? 'Improved' : 'Not improved'}:** ${mdEscape(r.verdict)}`,
    '',
    `Held-out retrieval (${count(r.holdoutSamples, 'sample')} held out, ${count(r.trainSamples, 'training sample')}):`,
    '',
    '| | image→text R@1 | image→text R@5 | text→image R@1 | text→image R@5 | mean |',
    '| --- | --- | --- | --- | --- | --- |',
    row('student before', r.before),
    row('student + adapter', r.after),
    row('teachers (stored)', r.teachers),
    '',
    `Settings: λ ${r.settings.lambda}, ${r.settings.epochs} epochs, batch ${r.settings.batchSize}, learning rate ${r.settings.learningRate}, seed ${r.settings.seed}; logit scale ${r.settings.logitScale} (final ${r.finalLogitScale.toFixed(1)}).`,
    `Loss: ${r.loss.length ? `${r.loss[0]!.toFixed(4)} → ${r.loss[r.loss.length - 1]!.toFixed(4)}` : 'no training epochs'}; ${formatDuration(r.seconds)}.`,
    '',
    `Adapter saved to \`${r.adapterPath}\`.`,
  ];
  if (r.skipped.length) {
    lines.push('', `## Skipped (${r.skipped.length})`, '');
    for (const s of r.skipped) lines.push(`- \`${s.path}\`: ${mdEscape(s.error)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Arguments of the `mobileclip-assets distill` run behind "Distill Adapter" (its report comes back as JSON). */
export function distillCliArgs(
  dataset: string,
  opts: {
    student: string;
    cacheDir: string;
    background: string;
    threads?: number;
    images?: string;
    config?: string;
    teacherDims?: number[];
  },
): string[] {
  const args = ['distill', dataset, '--json', '--model', opts.student, '--cache-dir', opts.cacheDir, '--background', opts.background];
  if (opts.threads && opts.threads > 0) args.push('--threads', String(opts.threads));
  if (opts.images) args.push('--images', opts.images);
  if (opts.config) args.push('--config', opts.config);
  if (opts.teacherDims?.length) args.push('--teacher-dims', opts.teacherDims.join(','));
  return args;
}

/** One line for the log: "before … / after …". */
export function distillLogLine(r: DistillReport): string {
  return `distill: before ${formatRecall(r.before)}; after ${formatRecall(r.after)}; ${r.verdict}`;
}
