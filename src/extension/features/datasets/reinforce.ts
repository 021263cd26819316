// "Reinforce Dataset": asks for what the run needs (input, output folder, teachers, augmentations),
// confirms, then runs the engine's reinforcement with a cancellable notification; a cancelled run
// can be continued.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { resolveCaptioner, type CaptionSettings } from '../../../engine/captions';
import { ModelNotDownloadedError } from '../../../engine/models/resolve';
import { reinforceDataset, type ReinforceSummary } from '../../../engine/reinforce';
import { captionerSource } from '../../../engine/reinforce/captions';
import { MANIFEST_FILE } from '../../../engine/reinforce/format';
import { listImages } from '../../../engine/reinforce/inputs';
import { STATE_DIR } from '../../../engine/reinforce/reinforce';
import type { ResolvedCaptioner } from '../../../engine/captions';
import type { ResolvedModel } from '../../../engine/types';
import { formatDuration } from '../../../engine/util/format';
import { commandId } from '../../commands/ids';
import { log } from '../../log';
import { ensureCaptioner, ensureTeachers } from '../../model/extraModels';
import { modelLocation } from '../../model/options';
import { readSettings, type AssetSettings } from '../../settings';
import type { DatasetFeature } from './datasetFeature';
import {
  augmentationsProblem,
  defaultOutputFolder,
  inspectOutputFolder,
  outputFolderProblem,
  reinforceProgressMessage,
  reinforceSummaryText,
  resolveOutputFolder,
  teacherSpecs,
  type OutputState,
} from './datasetPlan';
import { pickFolder } from './pickers';
import { defaultTeachers, describeTeacher, openTeachers, pickTeachers } from './teachers';

interface ReinforcePlan {
  input: string;
  out: string;
  teachers: string[];
  augmentations: number;
  captions: boolean;
}

interface RunOutcome {
  summary: ReinforceSummary;
  captionFailures: string[];
  seconds: number;
}

export async function reinforce(feature: DatasetFeature, target: string | undefined, replay?: ReinforcePlan): Promise<void> {
  const settings = readSettings();
  const plan = replay ?? (await planReinforce(target, settings));
  if (!plan) return;
  if (feature.activeRuns.has(plan.out)) throw new Error(`A reinforcement run into ${plan.out} is already in progress.`);
  feature.activeRuns.add(plan.out);
  let outcome: RunOutcome | undefined;
  try {
    outcome = await runReinforce(plan, feature, settings);
  } finally {
    feature.activeRuns.delete(plan.out);
  }
  if (!outcome) return;
  const { summary: s, captionFailures, seconds } = outcome;
  const { text, severity } = reinforceSummaryText(s);
  log().info(`reinforce: ${text} (${formatDuration(seconds)})`);
  if (!s.cancelled) await feature.check(s.out);
  const buttons = s.cancelled ? ['Continue'] : ['Open Manifest', 'Verify'];
  if (s.skipped.length || s.inputProblems.length || captionFailures.length) buttons.push('Show Log');
  const show = severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  const pick = await show(text, ...buttons);
  if (pick === 'Continue') return reinforce(feature, undefined, plan);
  if (pick === 'Open Manifest') await vscode.window.showTextDocument(vscode.Uri.file(s.manifestPath));
  if (pick === 'Verify') await vscode.commands.executeCommand(commandId('verifyDataset'), s.out);
  if (pick === 'Show Log') log().show();
}

/** Runs the engine's reinforcement with a cancellable progress notification; undefined when the user backed out. */
async function runReinforce(plan: ReinforcePlan, feature: DatasetFeature, settings: AssetSettings): Promise<RunOutcome | undefined> {
  const resolved = await ensureTeachers(plan.teachers, settings);
  if (!resolved) return undefined;
  const captioner = plan.captions ? await ensureCaptioner(settings) : undefined;
  if (plan.captions && !captioner) {
    const go = await vscode.window.showWarningMessage(
      'Build the dataset without synthetic captions?',
      { modal: true, detail: 'The captioner is not available. The dataset will store only the ground-truth (or file-name) captions.' },
      'Continue Without Captions',
    );
    if (!go) return undefined;
    plan.captions = false;
  }
  const started = Date.now();
  const captionFailures: string[] = [];
  const summary = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Reinforcing ${path.basename(plan.input)}`, cancellable: true },
    (progress, token) => reinforceWithTeachers(plan, { feature, settings, resolved, captioner, captionFailures, progress, token }),
  );
  return { summary, captionFailures, seconds: (Date.now() - started) / 1000 };
}

async function reinforceWithTeachers(
  plan: ReinforcePlan,
  o: {
    feature: DatasetFeature;
    settings: AssetSettings;
    resolved: ResolvedModel[];
    captioner: ResolvedCaptioner | undefined;
    captionFailures: string[];
    progress: vscode.Progress<{ message?: string; increment?: number }>;
    token: vscode.CancellationToken;
  },
): Promise<ReinforceSummary> {
  const { settings, captioner, progress } = o;
  const abort = new AbortController();
  const sub = o.token.onCancellationRequested(() => abort.abort());
  progress.report({ message: `starting ${o.resolved.length === 1 ? 'the teacher' : `${o.resolved.length} teachers`}…` });
  const teachers = await openTeachers(o.resolved, o.feature.deps, settings);
  try {
    log().info(
      `reinforce: ${plan.input} -> ${plan.out}; teachers ${teachers.engines.map((t) => `${t.info.id} (${t.info.dim}-d)`).join(' + ')}; ${plan.augmentations} augmentations; seed ${settings.reinforce.seed}; synthetic captions ${captioner ? `${settings.captions.count} by ${captioner.id}` : 'none'}`,
    );
    const { count, seed, topK, temperature } = settings.captions;
    const captionSettings: Partial<CaptionSettings> = { count, seed, topK, temperature };
    // The captioner shares the first teacher's worker process; its cache lives in the run's state folder.
    const captions = captioner
      ? captionerSource(teachers.engines[0]!, {
          root: plan.input,
          captioner,
          settings: captionSettings,
          file: path.join(plan.out, STATE_DIR, 'captions.json'),
          signal: abort.signal,
          onError: (p, e) => {
            o.captionFailures.push(`${p}: ${e}`);
            log().warn(`reinforce: no synthetic captions for ${p}: ${e}`);
          },
        })
      : undefined;
    let reported = 0;
    return await reinforceDataset({
      input: plan.input,
      out: plan.out,
      teachers: teachers.engines,
      captions: captions?.source,
      captionSourceId: captions?.id,
      seed: settings.reinforce.seed,
      augment: { count: plan.augmentations },
      signal: abort.signal,
      onProgress: (p) => {
        const pct = p.total ? (100 * p.done) / p.total : 0;
        progress.report({ increment: Math.max(0, pct - reported), message: reinforceProgressMessage(p) });
        reported = Math.max(reported, pct);
      },
      onProblem: (p) => log().warn(`reinforce: skipped ${p.path}: ${p.error}`),
    });
  } finally {
    sub.dispose();
    await teachers.dispose();
  }
}

/** Asks for what the run needs: input, output folder, teachers, augmentations; then confirms. */
async function planReinforce(target: string | undefined, settings: AssetSettings): Promise<ReinforcePlan | undefined> {
  const input = target ?? (await pickFolder('Reinforce Dataset: choose the image folder', 'Reinforce This Folder'));
  if (!input) return undefined;
  const images = await listImages(input);
  if (!images.length) {
    void vscode.window.showWarningMessage(`${path.basename(input)} has no raster images to reinforce (PNG, JPEG, WebP, GIF, AVIF, TIFF; SVGs are left out).`);
    return undefined;
  }
  const output = await askOutputFolder(input, images.length);
  if (!output) return undefined;
  // The configured teachers, or the default rule, confirmed in a multi-select list.
  const configured = teacherSpecs(settings.reinforce.teachers);
  const teachers = await pickTeachers(configured.length ? configured : await defaultTeachers(settings), settings, configured.length > 0);
  if (!teachers) return undefined;
  const augText = await vscode.window.showInputBox({
    title: 'Augmentations per image',
    prompt: "Each is stored as RandomResizedCrop parameters (Apple's param_aug) with the teachers' embeddings of the augmented image.",
    value: String(settings.reinforce.augmentations),
    validateInput: augmentationsProblem,
  });
  if (!augText) return undefined;
  const plan = { input: path.resolve(input), out: output.out, teachers, augmentations: Number(augText.trim()), captions: false };
  return confirmPlan(plan, { images: images.length, state: output.state, settings });
}

/** The output folder: typed (a folder with an unfinished run continues it), checked, and confirmed when it holds other files. */
async function askOutputFolder(input: string, images: number): Promise<{ out: string; state: OutputState } | undefined> {
  const typed = await vscode.window.showInputBox({
    title: `Reinforce ${path.basename(input)} (${images.toLocaleString('en-US')} images): output folder`,
    prompt: 'Where the shards and manifest.json go. A folder with an unfinished run continues it.',
    value: defaultOutputFolder(input),
    validateInput: (v) => (v.trim() ? outputFolderProblem(input, resolveOutputFolder(input, v)) : 'Enter a folder.'),
  });
  if (!typed) return undefined;
  const out = resolveOutputFolder(input, typed);
  const state = await inspectOutputFolder(out);
  if (state.kind === 'notAFolder') throw new Error(`${out} is a file, not a folder.`);
  if (state.kind === 'complete') {
    const pick = await vscode.window.showInformationMessage(`${out} already holds a finished reinforced dataset.`, 'Open Manifest', 'Verify');
    if (pick === 'Open Manifest') await vscode.window.showTextDocument(vscode.Uri.file(path.join(out, MANIFEST_FILE)));
    if (pick === 'Verify') await vscode.commands.executeCommand(commandId('verifyDataset'), vscode.Uri.file(out));
    return undefined;
  }
  if (state.kind === 'notEmpty') {
    const go = await vscode.window.showWarningMessage(`${out} is not empty (${state.entries} items). Write the dataset into it anyway?`, { modal: true }, 'Use This Folder');
    if (!go) return undefined;
  }
  return { out, state };
}

/** The plan in one modal; the plan (with whether captions can be made) when the user starts it. */
async function confirmPlan(plan: ReinforcePlan, o: { images: number; state: OutputState; settings: AssetSettings }): Promise<ReinforcePlan | undefined> {
  const { settings } = o;
  const captioner = await resolveCaptioner(settings.captions.model, modelLocation(settings)).then(
    (c) => c.id,
    (err) => (err instanceof ModelNotDownloadedError ? `${settings.captions.model} (not downloaded yet)` : undefined),
  );
  const detail = [
    `${o.images.toLocaleString('en-US')} images → ${plan.out}${o.state.kind === 'resume' ? ' (continuing the unfinished run)' : ''}`,
    `Teachers: ${(await Promise.all(plan.teachers.map(describeTeacher))).join(' + ')}`,
    `${plan.augmentations} augmentations per image · seed ${settings.reinforce.seed}`,
    captioner ? `${settings.captions.count} synthetic captions per image by ${captioner}` : 'No synthetic captions (the captioner setting cannot be used)',
    'Cancelling keeps the work done: run it again to continue.',
  ].join('\n');
  const go = await vscode.window.showInformationMessage(`Reinforce ${path.basename(plan.input)}?`, { modal: true, detail }, o.state.kind === 'resume' ? 'Continue' : 'Start');
  return go ? { ...plan, captions: captioner !== undefined } : undefined;
}
