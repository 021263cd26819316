// Reinforced datasets in VS Code: "Reinforce Dataset" (Explorer folder), "Verify Reinforced
// Dataset" and "Distill Adapter from Reinforced Dataset". Thin: the work is the engine's
// (src/engine/reinforce); inference runs in worker processes (one per teacher, reusing the
// extension's Engine when it is one of the teachers) and adapter fitting runs in a CLI child
// process, so the extension host only moves files and messages.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { engineOptionsFor } from '../modelService';
import { registerCommand } from '../commands/register';
import { chooseDefaultTeachers, TEACHER_PREFERENCE } from '../../engine/reinforce/teachers';
import { resolveCaptioner, type CaptionSettings } from '../../engine/captions';
import { Engine } from '../../engine/engine';
import { ModelNotDownloadedError, isModelPath } from '../../engine/models/resolve';
import { describeModel } from '../../engine/models/names';
import { captionerSource } from '../../engine/reinforce/captions';
import {
  openDataset, reinforceDataset, shardsCarryImages, verifyDataset, type DatasetOptions, type DistillReport, type OpenedDataset, type ReinforceSummary, type VerifyReport,
} from '../../engine/reinforce';
import { MANIFEST_FILE } from '../../engine/reinforce/format';
import { splitDatasetTeachers } from '../../engine/reinforce/teachers';
import { listImages } from '../../engine/reinforce/inputs';
import { STATE_DIR } from '../../engine/reinforce/reinforce';
import type { ResolvedModel } from '../../engine/types';
import { formatDuration } from '../../engine/util/format';
import { log } from '../log';
import type { ModelService } from '../modelService';
import { readSettings, type AssetSettings } from '../settings';
import { cliError, parseJsonOutput, runCli } from './cliProcess';
import { targetPaths } from './commandArgs';
import {
  augmentationsProblem, defaultOutputFolder, distillCliArgs, distillLogLine, distillReportMarkdown, inspectOutputFolder,
  isReinforcedDataset, outputFolderProblem, RAYGEN_MANIFEST, reinforceProgressMessage, reinforceSummaryText, resolveOutputFolder, teacherSpecs,
  verifyReportMarkdown, verifyToastText,
} from './datasetPlan';
import { ensureCaptioner, ensureTeachers, resolveTeacher, settingsBaseDir } from './modelPrompts';
import { showReport } from '../reports';
import { errorMessage, firstLineOf } from '../../engine/util/errors';

const SHOW_REPORT = 'Show Report';

export interface DatasetFeatureDeps {
  models: ModelService;
  /** dist/worker.js (teacher engines). */
  workerScript: string;
  /** dist/cli.js (adapter fitting runs as `mobileclip-assets distill` in a child process). */
  cliScript: string;
}

const DATASETS_CONTEXT = 'mobileclipAssets.reinforcedDatasets';

export function registerDatasetFeatures(context: vscode.ExtensionContext, deps: DatasetFeatureDeps): void {
  const datasets = new DatasetFolders();
  const command = (id: string, run: (...args: any[]) => unknown) => registerCommand(context, id, run);
  command('reinforceDataset', (first?: unknown, second?: unknown) => reinforce(targetPaths(first, second)[0], deps, datasets));
  command('verifyDataset', (first?: unknown, second?: unknown) => verify(targetPaths(first, second)[0], deps, datasets));
  command('distillAdapter', (first?: unknown, second?: unknown) => distill(targetPaths(first, second)[0], deps, datasets));

  for (const name of [MANIFEST_FILE, RAYGEN_MANIFEST]) {
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${name}`);
    context.subscriptions.push(
      watcher,
      watcher.onDidCreate((u) => void datasets.check(path.dirname(u.fsPath))),
      watcher.onDidChange((u) => void datasets.check(path.dirname(u.fsPath))),
      watcher.onDidDelete((u) => void datasets.check(path.dirname(u.fsPath))),
    );
  }
  context.subscriptions.push(vscode.workspace.onDidChangeWorkspaceFolders(() => void datasets.discover()));
  setTimeout(() => void datasets.discover(), 0);
}

/**
 * Reinforced datasets in the workspace (plus ones built this session), published as a context
 * key so "Verify Reinforced Dataset" shows on exactly those folders in the Explorer.
 */
class DatasetFolders {
  private readonly folders = new Set<string>();

  get list(): string[] {
    return [...this.folders].sort();
  }

  async discover(): Promise<void> {
    try {
      const found = await vscode.workspace.findFiles(`**/{${MANIFEST_FILE},${RAYGEN_MANIFEST}}`, '**/node_modules/**', 2000);
      for (const u of found) if (u.scheme === 'file' && (await isReinforcedDataset(path.dirname(u.fsPath)))) this.folders.add(path.dirname(u.fsPath));
    } catch (err) {
      log().warn(`datasets: cannot look for reinforced datasets: ${errorMessage(err)}`);
    }
    this.publish();
  }

  async check(dir: string): Promise<void> {
    if (await isReinforcedDataset(dir)) this.folders.add(dir);
    else this.folders.delete(dir);
    this.publish();
  }

  private publish(): void {
    void vscode.commands.executeCommand('setContext', DATASETS_CONTEXT, this.list);
  }
}

// ------------------------------------------------------------------ engines


/** Teacher engines for `models`: the extension's Engine when it runs the same weights, else a new worker each. */
async function openTeachers(models: ResolvedModel[], deps: DatasetFeatureDeps, settings: AssetSettings): Promise<{ engines: Engine[]; dispose(): Promise<void> }> {
  const running = deps.models.runningEngine;
  const owned: Engine[] = [];
  const dispose = () => Promise.all(owned.map((e) => e.dispose().catch(() => undefined))).then(() => undefined);
  try {
    const engines = await Promise.all(models.map(async (m) => {
      if (running && running.model.fingerprint === m.fingerprint) return running;
      const e = await Engine.create(m, engineOptionsFor(settings, deps.workerScript));
      owned.push(e);
      return e;
    }));
    return { engines, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** The default teachers (`reinforce.teachers` empty): downloaded models by preference, else the current model. */
async function defaultTeachers(deps: DatasetFeatureDeps, settings: AssetSettings): Promise<string[]> {
  const found = await chooseDefaultTeachers(async (id) => {
    try {
      await resolveTeacher(deps.models, id, settings);
      return true;
    } catch {
      return false;
    }
  });
  return found.length ? found : [settings.model];
}

/** A teacher (or student) by name: the registry model's name, or the name a model folder gives itself; never a cache hash. */
async function describeTeacher(spec: string): Promise<string> {
  const d = await describeModel(spec, { baseDir: settingsBaseDir() });
  return isModelPath(spec) || d.name === spec ? d.name : `${d.name} (${spec})`;
}

// ------------------------------------------------------------------ Reinforce Dataset

interface ReinforcePlan {
  input: string;
  out: string;
  teachers: string[];
  augmentations: number;
  captions: boolean;
}

async function pickFolder(title: string, openLabel: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel, title, defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri });
  return picked?.[0]?.scheme === 'file' ? picked[0].fsPath : undefined;
}

/** Output folders with a run in progress (two runs must never write one folder). */
const activeRuns = new Set<string>();

async function reinforce(target: string | undefined, deps: DatasetFeatureDeps, datasets: DatasetFolders, replay?: ReinforcePlan): Promise<void> {
  const settings = readSettings();
  const plan = replay ?? (await planReinforce(target, deps, settings));
  if (!plan) return;
  if (activeRuns.has(plan.out)) throw new Error(`A reinforcement run into ${plan.out} is already in progress.`);
  activeRuns.add(plan.out);
  let outcome: Awaited<ReturnType<typeof runReinforce>>;
  try {
    outcome = await runReinforce(plan, deps, settings);
  } finally {
    activeRuns.delete(plan.out);
  }
  if (!outcome) return;
  const { summary: s, captionFailures, seconds } = outcome;
  const { text, severity } = reinforceSummaryText(s);
  log().info(`reinforce: ${text} (${formatDuration(seconds)})`);
  if (!s.cancelled) await datasets.check(s.out);
  const buttons = s.cancelled ? ['Continue'] : ['Open Manifest', 'Verify'];
  if (s.skipped.length || s.inputProblems.length || captionFailures.length) buttons.push('Show Log');
  const show = severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  const pick = await show(text, ...buttons);
  if (pick === 'Continue') return reinforce(undefined, deps, datasets, plan);
  if (pick === 'Open Manifest') await vscode.window.showTextDocument(vscode.Uri.file(s.manifestPath));
  if (pick === 'Verify') await verify(s.out, deps, datasets);
  if (pick === 'Show Log') log().show();
}

/** Runs the engine's reinforcement with a cancellable progress notification; undefined when the user backed out. */
async function runReinforce(plan: ReinforcePlan, deps: DatasetFeatureDeps, settings: AssetSettings): Promise<{ summary: ReinforceSummary; captionFailures: string[]; seconds: number } | undefined> {

  const resolved = await ensureTeachers(deps.models, plan.teachers, settings);
  if (!resolved) return undefined;
  const captioner = plan.captions ? await ensureCaptioner(deps.models, settings) : undefined;
  if (plan.captions && !captioner) {
    const go = await vscode.window.showWarningMessage('Build the dataset without synthetic captions?', { modal: true, detail: 'The captioner is not available. The dataset will store only the ground-truth (or file-name) captions.' }, 'Continue Without Captions');
    if (!go) return undefined;
    plan.captions = false;
  }

  const started = Date.now();
  let summary: ReinforceSummary | undefined;
  const captionFailures: string[] = [];
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Reinforcing ${path.basename(plan.input)}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      progress.report({ message: `starting ${resolved.length === 1 ? 'the teacher' : `${resolved.length} teachers`}…` });
      const teachers = await openTeachers(resolved, deps, settings);
      try {
        log().info(`reinforce: ${plan.input} -> ${plan.out}; teachers ${teachers.engines.map((t) => `${t.info.id} (${t.info.dim}-d)`).join(' + ')}; ${plan.augmentations} augmentations; seed ${settings.reinforce.seed}; synthetic captions ${captioner ? `${settings.captions.count} by ${captioner.id}` : 'none'}`);
        const { count, seed, topK, temperature } = settings.captions;
        const captionSettings: Partial<CaptionSettings> = { count, seed, topK, temperature };
        // The captioner shares the first teacher's worker process; its cache lives in the run's state folder.
        const captions = captioner
          ? captionerSource(teachers.engines[0]!, {
            root: plan.input, captioner, settings: captionSettings, file: path.join(plan.out, STATE_DIR, 'captions.json'), signal: abort.signal,
            onError: (p, e) => { captionFailures.push(`${p}: ${e}`); log().warn(`reinforce: no synthetic captions for ${p}: ${e}`); },
          })
          : undefined;
        let reported = 0;
        summary = await reinforceDataset({
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
    },
  );
  return summary ? { summary, captionFailures, seconds: (Date.now() - started) / 1000 } : undefined;
}

/** Asks for what the run needs: input, output folder, teachers, augmentations; then confirms. */
async function planReinforce(target: string | undefined, deps: DatasetFeatureDeps, settings: AssetSettings): Promise<ReinforcePlan | undefined> {
  const input = target ?? (await pickFolder('Reinforce Dataset: choose the image folder', 'Reinforce This Folder'));
  if (!input) return undefined;
  const images = await listImages(input);
  if (!images.length) {
    void vscode.window.showWarningMessage(`${path.basename(input)} has no raster images to reinforce (PNG, JPEG, WebP, GIF, AVIF, TIFF; SVGs are left out).`);
    return undefined;
  }

  // 1. Output folder.
  const typed = await vscode.window.showInputBox({
    title: `Reinforce ${path.basename(input)} (${images.length.toLocaleString('en-US')} images): output folder`,
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
    if (pick === 'Verify') await vscode.commands.executeCommand('mobileclipAssets.verifyDataset', vscode.Uri.file(out));
    return undefined;
  }
  if (state.kind === 'notEmpty') {
    const go = await vscode.window.showWarningMessage(`${out} is not empty (${state.entries} items). Write the dataset into it anyway?`, { modal: true }, 'Use This Folder');
    if (!go) return undefined;
  }

  // 2. Teachers (the configured ones, or the default rule), confirmed in a multi-select list.
  const configured = teacherSpecs(settings.reinforce.teachers);
  const preselected = configured.length ? configured : await defaultTeachers(deps, settings);
  const teachers = await pickTeachers(preselected, deps, settings, configured.length > 0);
  if (!teachers) return undefined;

  // 3. Augmentations per image.
  const augText = await vscode.window.showInputBox({
    title: 'Augmentations per image',
    prompt: 'Each is stored as RandomResizedCrop parameters (Apple\'s param_aug) with the teachers\' embeddings of the augmented image.',
    value: String(settings.reinforce.augmentations),
    validateInput: augmentationsProblem,
  });
  if (!augText) return undefined;
  const augmentations = Number(augText.trim());

  // 4. Confirm.
  const captioner = await resolveCaptioner(settings.captions.model, { cacheDir: deps.models.cacheDir(settings), baseDir: settingsBaseDir() }).then((c) => c.id, (err) => (err instanceof ModelNotDownloadedError ? `${settings.captions.model} (not downloaded yet)` : undefined));
  const detail = [
    `${images.length.toLocaleString('en-US')} images → ${out}${state.kind === 'resume' ? ' (continuing the unfinished run)' : ''}`,
    `Teachers: ${(await Promise.all(teachers.map(describeTeacher))).join(' + ')}`,
    `${augmentations} augmentations per image · seed ${settings.reinforce.seed}`,
    captioner ? `${settings.captions.count} synthetic captions per image by ${captioner}` : 'No synthetic captions (the captioner setting cannot be used)',
    'Cancelling keeps the work done: run it again to continue.',
  ].join('\n');
  const go = await vscode.window.showInformationMessage(`Reinforce ${path.basename(input)}?`, { modal: true, detail }, state.kind === 'resume' ? 'Continue' : 'Start');
  if (!go) return undefined;
  return { input: path.resolve(input), out, teachers, augmentations, captions: captioner !== undefined };
}

interface TeacherPick extends vscode.QuickPickItem {
  spec: string;
}

async function pickTeachers(preselected: string[], deps: DatasetFeatureDeps, settings: AssetSettings, fromSetting: boolean): Promise<string[] | undefined> {
  const specs = [...preselected];
  for (const id of TEACHER_PREFERENCE) if (!specs.includes(id)) specs.push(id);
  const items: TeacherPick[] = await Promise.all(specs.map(async (spec) => {
    let available = true;
    try {
      await resolveTeacher(deps.models, spec, settings);
    } catch {
      available = false;
    }
    return {
      spec,
      label: await describeTeacher(spec),
      description: available ? (isModelPath(spec) ? spec : 'downloaded') : 'will be downloaded',
      picked: preselected.includes(spec),
    };
  }));
  const chosen = await vscode.window.showQuickPick(items, {
    title: 'Teacher models',
    placeHolder: `${fromSetting ? 'From the "reinforce.teachers" setting' : 'Default: the largest downloaded models'}; their embeddings are stored side by side, in this order`,
    canPickMany: true,
    ignoreFocusOut: true,
  });
  if (!chosen) return undefined;
  if (!chosen.length) {
    void vscode.window.showWarningMessage('Choose at least one teacher model.');
    return undefined;
  }
  return chosen.map((c) => c.spec);
}

// ------------------------------------------------------------------ Verify

async function pickDataset(title: string, datasets: DatasetFolders): Promise<string | undefined> {
  const known = datasets.list;
  if (!known.length) return pickFolder(title, 'Use This Dataset');
  const browse = { label: '$(folder-opened) Choose a folder…', dir: undefined as string | undefined };
  const pick = await vscode.window.showQuickPick(
    [...known.map((dir) => ({ label: path.basename(dir), description: vscode.workspace.asRelativePath(dir), dir })), browse],
    { title },
  );
  if (!pick) return undefined;
  return pick.dir ?? pickFolder(title, 'Use This Dataset');
}

/** What replay needs besides the dataset, each chosen by the user (a dataset never names them for us). */
interface ReplayInputs {
  options: DatasetOptions;
  teachers?: ResolvedModel[];
  /** Why replay will not run, when it will not. */
  note?: string;
}

/**
 * Asks for what an Apple/RayGen dataset lacks (its reinforcement config, the image folder when the
 * shards carry no images) and for the teachers: registry teachers a manifest of ours names are
 * offered for download; a local model folder a dataset names is never opened unless the user
 * picks it. Undefined when the user cancels.
 */
async function chooseReplayInputs(dataset: string, deps: DatasetFeatureDeps, settings: AssetSettings, forDistill: boolean): Promise<ReplayInputs | undefined> {
  let ds: OpenedDataset = await openDataset(dataset); // a clear error when this is not a dataset
  const options: DatasetOptions = {};
  if (!ds.config) {
    const pick = await vscode.window.showWarningMessage(
      `${path.basename(dataset)} has no usable reinforcement config, so its augmentations cannot be decompressed.`,
      { modal: true, detail: "Choose RayGen's config.json (its --aug-config) or Apple's training config (with reinforce.image_augmentation)." },
      'Choose Config File…', ...(forDistill ? [] : ['Check Structure Only']),
    );
    if (!pick) return undefined;
    if (pick === 'Choose Config File…') {
      const file = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: false, openLabel: 'Use This Config', filters: { JSON: ['json', 'jsonl'] } });
      if (!file?.[0] || file[0].scheme !== 'file') return undefined;
      options.config = file[0].fsPath;
      ds = await openDataset(dataset, options);
    }
  }
  if (ds.kind === 'apple' && (await shardsCarryImages(ds)) === false) {
    const pick = await vscode.window.showInformationMessage(
      `The shards of ${path.basename(dataset)} carry no images (DataCompDR is distributed without them).`,
      { modal: true, detail: 'Choose the folder that holds them: each sample\'s image is joined by its url.txt path or as <uid>.jpg/.png.' },
      'Choose Image Folder…', ...(forDistill ? [] : ['Check Structure Only']),
    );
    if (!pick) return undefined;
    if (pick === 'Choose Image Folder…') {
      const folder = await pickFolder('Image folder of the dataset', 'Use This Folder');
      if (!folder) return undefined;
      options.images = folder;
    }
  }
  if (forDistill) return { options: { ...options, teacherDims: ds.teacherDims } };
  let specs: string[] | undefined;
  let note: string | undefined;
  if (ds.manifest) {
    const { registry, local } = splitDatasetTeachers(ds.manifest.teachers.map((t) => t.id));
    specs = [...registry];
    for (const id of local) {
      const pick = await vscode.window.showWarningMessage(
        `${path.basename(dataset)} was built with a local teacher model (${describeTeacher(id)}).`,
        { modal: true, detail: 'A dataset never makes the extension load a model from a path. Choose that model folder to replay with it.' },
        'Choose Model Folder…', 'Skip Replay',
      );
      if (pick === 'Choose Model Folder…') {
        const folder = await pickFolder(`Teacher model folder for ${describeTeacher(id)}`, 'Use This Model');
        if (!folder) return undefined;
        specs.push(folder);
      } else if (pick === 'Skip Replay') {
        specs = undefined;
        note = 'a teacher is a local model folder that was not chosen';
        break;
      } else return undefined;
    }
  } else {
    const picked = await pickTeachers([], deps, settings, false);
    if (picked) specs = picked;
    else note = 'no teacher models chosen';
  }
  let teachers: ResolvedModel[] | undefined;
  if (specs) {
    try {
      teachers = await ensureTeachers(deps.models, specs, settings);
      if (!teachers) note = 'the teacher models are not downloaded';
    } catch (err) {
      note = `cannot open the teacher models: ${firstLineOf(err)}`;
    }
  }
  return { options, teachers, note };
}

async function verify(target: string | undefined, deps: DatasetFeatureDeps, datasets: DatasetFolders): Promise<void> {
  const dataset = target ?? (await pickDataset('Verify Reinforced Dataset', datasets));
  if (!dataset) return;
  const settings = readSettings();
  // Replay needs the teachers; when they cannot be had, the structure checks still run.
  const inputs = await chooseReplayInputs(dataset, deps, settings, false);
  if (!inputs) return;
  const started = Date.now();
  let report: VerifyReport | undefined;
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Verifying ${path.basename(dataset)}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      const teachers = inputs.teachers ? await openTeachers(inputs.teachers, deps, settings) : undefined;
      try {
        report = await verifyDataset({
          dataset, ...inputs.options, teachers: teachers?.engines, sample: 8, signal: abort.signal,
          onProgress: (line) => progress.report({ message: line }),
        });
      } finally {
        sub.dispose();
        await teachers?.dispose();
      }
      if (abort.signal.aborted) report = undefined;
    },
  );
  if (!report) return;
  if (!report.replay && inputs.note) report.replaySkipped = inputs.note;
  const markdown = verifyReportMarkdown(dataset, report, (Date.now() - started) / 1000);
  log().info(`verify ${dataset}: ${report.ok ? 'OK' : `FAILED (${report.problems.length} problems)`}`);
  for (const p of report.problems) log().warn(`verify: ${p.where}: ${p.problem}`);
  // A read-only preview (nothing to save), and the verdict as a toast.
  const name = `Verify ${path.basename(dataset)}`;
  await showReport(name, markdown);
  const text = `${path.basename(dataset)}: ${verifyToastText(report)}`;
  const pick = await (report.ok ? vscode.window.showInformationMessage(text, SHOW_REPORT) : vscode.window.showWarningMessage(text, SHOW_REPORT));
  if (pick === SHOW_REPORT) await showReport(name, markdown);
}

// ------------------------------------------------------------------ Distill

async function distill(target: string | undefined, deps: DatasetFeatureDeps, datasets: DatasetFolders): Promise<void> {
  const dataset = target ?? (await pickDataset('Distill Adapter: choose a reinforced dataset', datasets));
  if (!dataset) return;
  const settings = readSettings();
  const inputs = await chooseReplayInputs(dataset, deps, settings, true);
  if (!inputs) return;
  // The student is the configured model; make sure it is downloaded (offers the download).
  if (!(await deps.models.requireEngine('Distill Adapter'))) return;
  const student = isModelPath(settings.model) ? path.resolve(settingsBaseDir() ?? '', settings.model.replace(/^local:/, '')) : settings.model;
  const go = await vscode.window.showInformationMessage(
    `Fit a distillation adapter for ${await describeTeacher(student)} on ${path.basename(dataset)}?`,
    { modal: true, detail: 'A linear adapter on the frozen student is trained with the MobileCLIP loss against the stored teacher embeddings; held-out retrieval before and after is reported. The adapter is saved as adapter.json in the dataset folder.' },
    'Start',
  );
  if (!go) return;

  const args = distillCliArgs(dataset, {
    student, cacheDir: deps.models.cacheDir(settings), background: settings.transparentBackground, threads: settings.threads, ...inputs.options,
  });
  let result: Awaited<ReturnType<typeof runCli>> | undefined;
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Distilling on ${path.basename(dataset)}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      try {
        result = await runCli(deps.cliScript, args, {
          signal: abort.signal,
          cwd: dataset,
          onLine: (line) => {
            log().info(`distill: ${line}`);
            progress.report({ message: line.length > 120 ? `${line.slice(0, 117)}…` : line });
          },
        });
      } finally {
        sub.dispose();
      }
    },
  );
  if (!result || result.cancelled) return;
  const report = result.code === 0 ? parseJsonOutput<DistillReport>(result.stdout) : undefined;
  if (!report) throw new Error(`distillation failed: ${cliError(result)}`);
  log().info(distillLogLine(report));
  await showReport(`Distill ${path.basename(dataset)}`, distillReportMarkdown(dataset, await describeTeacher(student), report));
}
