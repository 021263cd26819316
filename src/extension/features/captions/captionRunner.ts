// "Generate Synthetic Captions" (Explorer, gallery, palette): the selected images (folders honour
// the index settings) captioned into the captions file of their folder, one job after another,
// with a cancellable notification and a closing summary. Inference runs in the worker process:
// the Engine's when it is running (one process serves embeddings and captions), else a
// captioner-only worker.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { resolveCaptionSettings, type CaptionBackend, type CaptionImagesOptions, type CaptionSettings } from '../../../engine/captions';
import { scanFolder } from '../../../engine/index/scan';
import { errorMessage } from '../../../engine/util/errors';
import { formatDuration } from '../../../engine/util/format';
import { maxFileSizeBytesFromMB, maxPixelsFromMegapixels } from '../../../engine/util/limits';
import { WorkerClient } from '../../../engine/worker/client';
import type { AssetLibrary } from '../../assets/assetLibrary';
import { log } from '../../log';
import { ensureCaptioner } from '../../model/extraModels';
import { isInsideOrEqual } from '../../paths';
import { editorExcludeGlobs, readSettings, type AssetSettings } from '../../settings';
import { activeOrPickedImages, workspaceRoots } from '../../workspace';
import type { CaptionIndex } from './captionIndex';
import { captionGroups, captionSummary, collectImages, groupByCaptionRoot, type CaptionGroupsResult, type CollectedImages } from './captionPlan';
import type { CaptionFeatureDeps } from './captionFeature';
import { showCaptionsPage } from './captionsPage';

const SHOW_CAPTIONS = 'Show Captions';

type RunResult = { result: CaptionGroupsResult; collected: CollectedImages };

/** Runs caption jobs one after another (a second request waits for the first). */
export class CaptionRunner {
  private queue: Promise<void> = Promise.resolve();
  private busy = false;

  constructor(
    private readonly deps: CaptionFeatureDeps,
    private readonly index: CaptionIndex,
  ) {}

  async generate(selection: string[]): Promise<void> {
    if (!selection.length) selection = await activeOrPickedImages('Generate Captions', true);
    if (!selection.length) return;
    if (this.busy) void vscode.window.showInformationMessage('Captioning is already running; these images are next.');
    const job = this.queue.then(() => this.run(selection));
    // The queue only orders jobs: this job's failure reaches its caller through `job`.
    this.queue = job.catch(() => undefined);
    await job;
  }

  private async run(selection: string[]): Promise<void> {
    this.busy = true;
    try {
      const settings = readSettings();
      const captionOpts = captionSettings(settings);
      resolveCaptionSettings(captionOpts); // a bad setting fails here, naming the setting, before any work
      const captioner = await ensureCaptioner(settings);
      if (!captioner) return;
      const started = Date.now();
      const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Generating captions', cancellable: true }, (progress, token) =>
        this.captionSelection(selection, { settings, captionOpts, captioner, progress, token }),
      );
      // The summary waits for the user; the job (and whoever awaits it, e.g. alt text) does not.
      if (outcome) void this.report(outcome, (Date.now() - started) / 1000).catch((err) => log().error(`captions: ${errorMessage(err)}`));
    } finally {
      this.busy = false;
    }
  }

  private async captionSelection(
    selection: readonly string[],
    o: {
      settings: AssetSettings;
      captionOpts: Partial<CaptionSettings>;
      captioner: CaptionImagesOptions['captioner'];
      progress: vscode.Progress<{ message?: string; increment?: number }>;
      token: vscode.CancellationToken;
    },
  ): Promise<RunResult> {
    const abort = new AbortController();
    const cancelSub = o.token.onCancellationRequested(() => abort.abort());
    o.progress.report({ message: 'starting…' });
    const backend = await this.backend(o.settings);
    try {
      o.progress.report({ message: 'finding images…' });
      const collected = await collectImages(selection, { kind: kindOf, imagesIn: (f, signal) => imagesIn(this.deps.library, f, signal) }, abort.signal);
      const groups = groupByCaptionRoot(collected.images, workspaceRoots(), this.index.roots);
      log().info(
        `captions: ${collected.images.length} images into ${groups.length} captions file${groups.length === 1 ? '' : 's'} with ${o.captioner.id} (${JSON.stringify(o.captionOpts)})`,
      );
      let reported = 0;
      const result = await captionGroups(backend.backend, groups, {
        captioner: o.captioner,
        settings: o.captionOpts,
        workerOptions: backend.workerOptions,
        signal: abort.signal,
        onProgress: (message, fraction) => {
          o.progress.report({ increment: Math.max(0, fraction * 100 - reported), message });
          reported = Math.max(reported, fraction * 100);
        },
        onFailure: (line) => log().warn(`captions: ${line}`),
        onGroupDone: (file) => this.index.fileChanged(file),
      });
      return { result, collected };
    } finally {
      cancelSub.dispose();
      await backend.dispose();
    }
  }

  /** The closing summary (and the log lines behind it). */
  private async report({ result, collected }: RunResult, seconds: number): Promise<void> {
    const { totals, files, failures } = result;
    const summary = captionSummary(totals, { notImages: collected.notImages.length, missing: collected.missing.length });
    log().info(`captions: ${summary.text} (${formatDuration(seconds)})`);
    for (const m of collected.missing) log().warn(`captions: not found: ${m}`);
    for (const m of collected.notImages) log().info(`captions: not an image, left out: ${m}`);
    const buttons: string[] = [];
    if (failures.length || collected.missing.length) buttons.push('Show Log');
    if (files.length === 1 && totals.generated) buttons.push(SHOW_CAPTIONS);
    const show = summary.severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    const pick = await show(summary.text, ...buttons);
    if (pick === 'Show Log') log().show();
    if (pick === SHOW_CAPTIONS)
      await showCaptionsPage(
        files[0]!,
        collected.images.map((i) => i.path),
      );
  }

  /** The Engine's worker when the CLIP model is available, else a captioner-only worker. */
  private async backend(settings: AssetSettings): Promise<{ backend: CaptionBackend; workerOptions?: CaptionImagesOptions['workerOptions']; dispose(): Promise<void> }> {
    const engine =
      this.deps.models.runningEngine ??
      (await this.deps.models.getEngine().catch((err) => {
        log().info(`captions: the CLIP model's worker is not available (${errorMessage(err)}); using a captioner-only worker`);
        return undefined;
      }));
    if (engine) return { backend: engine, dispose: async () => undefined };
    const client = new WorkerClient({ script: this.deps.workerScript, log: (line) => log().info(line), lowPriority: true });
    return {
      backend: client,
      workerOptions: {
        threads: settings.threads > 0 ? settings.threads : undefined,
        background: settings.transparentBackground,
        maxPixels: maxPixelsFromMegapixels(settings.maxImageMegapixels),
      },
      dispose: () => client.dispose(),
    };
  }
}

function captionSettings(s: AssetSettings): Partial<CaptionSettings> {
  const { count, seed, topK, temperature } = s.captions;
  return { count, seed, topK, temperature };
}

/** Palette invocation: the image in the active editor, else files/folders the user picks. */

/** The images a folder holds, honouring the index include/exclude settings of its workspace folder. */
async function imagesIn(library: AssetLibrary, folder: string, signal?: AbortSignal): Promise<string[]> {
  const state = [...library.folderStates].filter((f) => isInsideOrEqual(f.root, folder)).sort((a, b) => b.root.length - a.root.length)[0];
  const out: string[] = [];
  if (state) {
    const under = path.relative(state.root, folder).split(path.sep).join('/');
    for await (const f of scanFolder(state.root, { ...state.config.scan, under: under || undefined, signal })) out.push(path.join(state.root, ...f.path.split('/')));
  } else {
    // A folder outside the workspace: the same settings, read without a folder scope.
    const s = readSettings();
    const exclude = [...s.index.exclude, ...(s.index.useExcludeSettings ? editorExcludeGlobs() : [])];
    const scan = { include: s.index.include, exclude, respectGitignore: s.index.respectGitignore, maxFileSizeBytes: maxFileSizeBytesFromMB(s.index.maxFileSizeMB) };
    for await (const f of scanFolder(folder, { ...scan, signal })) out.push(path.join(folder, ...f.path.split('/')));
  }
  return out;
}

/** What a selected path is; undefined when it does not exist (reported as missing). */
async function kindOf(p: string): Promise<'file' | 'folder' | undefined> {
  const st = await fs.stat(p).catch(() => undefined);
  return st?.isDirectory() ? 'folder' : st?.isFile() ? 'file' : undefined;
}
