// The model lifecycle as an explicit state machine:
//
//   idle ──start──▶ loading ──▶ ready ──worker died──▶ crashed ──▶ restarting ──▶ ready
//   missing ──download──▶ downloading ──▶ idle/loading        any ──fails──▶ failed(kind)
//
// `idle` means the configured model is on disk but not loaded yet (it loads on first use or when
// background indexing starts); `missing` is a registry model that is not downloaded. Every change
// of a setting that chooses or configures the model re-resolves the state (refresh()), and every
// refresh or stop() supersedes what was in flight: a load or download of an older configuration
// is cancelled and its result discarded, so an old engine never survives a newer setting.
//
// Entry points never hang on a prompt: getEngine() answers at once when the model is missing or
// failed; requireEngine() (commands) shows one short sentence with actions; the webviews show
// the state as a banner with the same actions.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Engine } from '../engine/engine';
import { downloadModel } from '../engine/models/download';
import { describeModel, type ModelDescription } from '../engine/models/names';
import { defaultCacheDir, isModelPath, ModelNotDownloadedError, resolveModel } from '../engine/models/resolve';
import type { DownloadProgress } from '../engine/models/download';
import type { EngineOptions, ModelInfo, ResolvedModel, ThumbnailOptions } from '../engine/types';
import { formatBytes, formatDuration } from '../engine/util/format';
import { WorkerClient } from '../engine/worker/client';
import type { ThumbnailResult } from '../engine/worker/protocol';
import { log } from './log';
import { describeDownloadFailure, describeLoadFailure, failureDetailsMarkdown, type ModelFailure } from './modelFailure';
import { showReport } from './reports';
import { maxPixelsFromMegapixels } from '../engine/util/limits';
import { errorMessage } from '../engine/util/errors';
import { readSettings, settingsBaseDir, type AssetSettings } from './settings';

/** The configured model as the UI names it. */
export interface ModelRef {
  spec: string;
  name: string;
  /** A registry model (can be downloaded); false for a local folder. */
  registry: boolean;
  /** Registry model: bytes of the image and text towers (what a download costs), each when known. */
  towerBytes?: [number | undefined, number | undefined];
}

export type ModelState =
  | { kind: 'idle'; model: ModelRef }
  | { kind: 'missing'; model: ModelRef }
  | { kind: 'downloading'; model: ModelRef; bytes: number; totalBytes: number; etaSeconds: number }
  | { kind: 'loading'; model: ModelRef }
  | { kind: 'ready'; model: ModelRef; info: ModelInfo }
  | { kind: 'failed'; model: ModelRef; failure: ModelFailure }
  | { kind: 'crashed'; model: ModelRef; message: string }
  | { kind: 'restarting'; model: ModelRef };

export type ModelStateKind = ModelState['kind'];

/** What the service does to the outside world; tests replace it to control timing and failures. */
export interface ModelServiceDeps {
  resolve(spec: string, opts: Parameters<typeof resolveModel>[1]): Promise<ResolvedModel>;
  download(spec: string, opts: Parameters<typeof downloadModel>[1]): Promise<unknown>;
  createEngine(model: ResolvedModel, options: EngineOptions, signal: AbortSignal): Promise<Engine>;
  describe(spec: string, opts: Parameters<typeof describeModel>[1]): Promise<ModelDescription>;
}

const REAL_DEPS: ModelServiceDeps = {
  resolve: resolveModel,
  download: downloadModel,
  createEngine: (model, options, signal) => Engine.create(model, options, signal),
  describe: describeModel,
};

/** More crashes than this within CRASH_WINDOW_MS stop the automatic restarts. */
const MAX_CRASHES = 3;
const CRASH_WINDOW_MS = 60_000;

export const USE_LOCAL_FOLDER = 'Use Local Folder…';
export const SELECT_MODEL = 'Select Model';
export const SHOW_DETAILS = 'Show Details';
export const RETRY = 'Retry';

/** "46 MB + 43 MB" for a registry model's two towers ("86 MB + text tower" when one size is unknown). */
export function downloadSizeText(model: ModelRef): string | undefined {
  const [vision, text] = model.towerBytes ?? [undefined, undefined];
  if (vision === undefined && text === undefined) return undefined;
  return `${vision !== undefined ? formatBytes(vision) : 'image tower'} + ${text !== undefined ? formatBytes(text) : 'text tower'}`;
}

export class ModelService implements vscode.Disposable {
  private engine: Engine | undefined;
  /** A model-less worker that makes gallery thumbnails before the model is available. */
  private thumbnailWorker: WorkerClient | undefined;
  /** Bumped by refresh() and stop(): work started under an older epoch is cancelled and discarded. */
  private epoch = 0;
  private abort = new AbortController();
  private resolved: ResolvedModel | undefined;
  private resolving: Promise<void> | undefined;
  /** The model spec the current resolution is for. */
  private resolvingSpec: string | undefined;
  private starting: Promise<Engine | undefined> | undefined;
  private downloading: Promise<boolean> | undefined;
  private crashTimes: number[] = [];
  private stateValue: ModelState;
  private readonly stateEmitter = new vscode.EventEmitter<ModelState>();
  readonly onDidChangeState = this.stateEmitter.event;

  constructor(
    private readonly workerScript: string,
    private readonly deps: ModelServiceDeps = REAL_DEPS,
  ) {
    const spec = readSettings().model;
    this.stateValue = { kind: 'idle', model: { spec, name: spec, registry: !isModelPath(spec) } };
  }

  get state(): ModelState {
    return this.stateValue;
  }

  cacheDir(settings: AssetSettings = readSettings()): string {
    const configured = settings.modelCacheDir.trim();
    if (!configured) return defaultCacheDir();
    return configured.startsWith('~') ? path.join(os.homedir(), configured.slice(1)) : configured;
  }

  /** The engine if it is already running, without starting anything. */
  get runningEngine(): Engine | undefined {
    return this.engine;
  }

  // ---------------------------------------------------------------- resolving

  /**
   * Re-reads the settings and finds out where the configured model stands (missing, on disk, or
   * unusable). Cancels whatever an older configuration had in flight and stops its engine; a
   * model that was loaded or loading is loaded again under the new settings.
   */
  async refresh(): Promise<void> {
    const wanted = this.engine !== undefined || this.starting !== undefined || ['ready', 'loading', 'crashed', 'restarting'].includes(this.stateValue.kind);
    await this.supersede();
    await this.resolveState();
    if (wanted && this.stateValue.kind === 'idle') void this.getEngine();
  }

  /** Stops the engine and cancels a load or download in flight (a newer request supersedes them). */
  async stop(): Promise<void> {
    await this.supersede();
    if (this.resolved) this.setState({ kind: 'idle', model: this.stateValue.model });
  }

  private async supersede(): Promise<void> {
    this.epoch++;
    this.abort.abort();
    this.abort = new AbortController();
    this.starting = undefined;
    this.downloading = undefined;
    this.resolving = undefined;
    this.crashTimes = [];
    const engine = this.engine;
    this.engine = undefined;
    await engine?.dispose().catch(() => undefined);
  }

  private resolveState(): Promise<void> {
    const epoch = this.epoch;
    this.resolvingSpec = readSettings().model;
    const run = (async () => {
      const settings = readSettings();
      const opts = this.resolveOptions(settings);
      const description = await this.deps.describe(settings.model, opts).catch(() => undefined);
      const model: ModelRef = {
        spec: settings.model,
        name: description?.name ?? settings.model,
        registry: !isModelPath(settings.model),
        ...(description?.towerBytes ? { towerBytes: description.towerBytes } : {}),
      };
      try {
        const resolved = await this.deps.resolve(settings.model, opts);
        if (epoch !== this.epoch) return;
        this.resolved = resolved;
        this.setState({ kind: 'idle', model });
      } catch (err) {
        if (epoch !== this.epoch) return;
        this.resolved = undefined;
        if (err instanceof ModelNotDownloadedError && model.registry) this.setState({ kind: 'missing', model });
        else this.fail(model, describeLoadFailure(err, { modelName: model.name, host: this.hostName(settings), spec: settings.model }));
      }
    })();
    this.resolving = run;
    return run.finally(() => {
      if (this.resolving === run) this.resolving = undefined;
    });
  }

  private resolveOptions(settings: AssetSettings) {
    return {
      cacheDir: this.cacheDir(settings),
      host: settings.modelHost,
      baseDir: settingsBaseDir(),
      visionPrecision: settings.visionPrecision,
      textPrecision: settings.textPrecision,
    };
  }

  private hostName(settings: AssetSettings): string {
    try {
      return new URL(settings.modelHost).host;
    } catch {
      return settings.modelHost;
    }
  }

  // ---------------------------------------------------------------- starting

  /**
   * The running engine, starting it when the model is on disk. Never prompts: undefined at once
   * when the model is missing or failed (the state says why).
   */
  async getEngine(): Promise<Engine | undefined> {
    if (this.engine) return this.engine;
    if (!this.resolved && !this.resolving && this.stateValue.kind === 'idle') await this.resolveState();
    while (this.resolving) await this.resolving;
    if (this.engine) return this.engine;
    if (this.starting) return this.starting;
    if (this.stateValue.kind !== 'idle' || !this.resolved) return undefined;
    return this.start(this.resolved);
  }

  private start(model: ResolvedModel, kind: 'loading' | 'restarting' = 'loading'): Promise<Engine | undefined> {
    const epoch = this.epoch;
    const signal = this.abort.signal;
    const ref = this.stateValue.model;
    const settings = readSettings();
    this.setState({ kind, model: ref });
    const starting = (async () => {
      try {
        const engine = await this.deps.createEngine(model, this.engineOptions(settings, epoch), signal);
        if (epoch !== this.epoch) {
          void engine.dispose().catch(() => undefined);
          return undefined;
        }
        this.engine = engine;
        void this.thumbnailWorker?.dispose();
        this.thumbnailWorker = undefined;
        log().info(`model ${ref.name}: ${engine.info.dim}-d embeddings, ${engine.info.imageSize}px input, running on ${engine.info.executionProvider}`);
        this.setState({ kind: 'ready', model: ref, info: engine.info });
        return engine;
      } catch (err) {
        if (epoch !== this.epoch) return undefined;
        this.fail(ref, describeLoadFailure(err, { modelName: ref.name, host: this.hostName(settings), spec: ref.spec }));
        return undefined;
      }
    })();
    this.starting = starting;
    void starting.finally(() => {
      if (this.starting === starting) this.starting = undefined;
    });
    return starting;
  }

  private engineOptions(settings: AssetSettings, epoch: number): EngineOptions {
    return {
      ...engineOptionsFor(settings, this.workerScript),
      onWorkerCrash: (message) => {
        if (epoch === this.epoch) this.onCrash(message);
      },
      onWorkerRecovered: () => {
        if (epoch === this.epoch && this.engine) this.setState({ kind: 'ready', model: this.stateValue.model, info: this.engine.info });
      },
    };
  }

  /** The worker died: restart it (and reload the model) unless it keeps dying. */
  private onCrash(message: string): void {
    const model = this.stateValue.model;
    const now = Date.now();
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    this.setState({ kind: 'crashed', model, message });
    if (this.crashTimes.length > MAX_CRASHES) {
      log().error(`${message}; ${this.crashTimes.length} crashes within a minute, not restarting on its own`);
      void vscode.window.showErrorMessage(`The inference worker keeps stopping (${this.crashTimes.length} times in a minute).`, 'Restart Worker', SHOW_DETAILS)
        .then((pick) => {
          if (pick === 'Restart Worker') void this.restart();
          else if (pick === SHOW_DETAILS) log().show();
        });
      return;
    }
    const engine = this.engine;
    const epoch = this.epoch;
    if (!engine) return;
    this.setState({ kind: 'restarting', model });
    engine.revive().catch((err) => {
      if (epoch !== this.epoch || this.engine !== engine) return;
      // A crash during the reload is reported by onWorkerCrash again; anything else is a load failure.
      if (this.stateValue.kind === 'restarting') {
        this.fail(model, describeLoadFailure(err, { modelName: model.name, host: this.hostName(readSettings()), spec: model.spec }));
      }
    });
  }

  /** Restart Inference Worker: a fresh worker with the model loaded again. */
  async restart(): Promise<Engine | undefined> {
    await this.supersede();
    await this.resolveState();
    if (this.stateValue.kind !== 'idle' || !this.resolved) return undefined;
    return this.start(this.resolved, 'restarting');
  }

  private fail(model: ModelRef, failure: ModelFailure): void {
    log().error(`${model.name}: ${failure.details}`);
    this.setState({ kind: 'failed', model, failure });
  }

  // ---------------------------------------------------------------- user actions

  /**
   * For commands: the engine, or one short message with the actions that lead to one
   * (download, a local folder, another model; or retry after a failure). Undefined when the user
   * does not take an action that ends with a loaded model.
   */
  async requireEngine(feature: string): Promise<Engine | undefined> {
    const engine = await this.getEngine();
    if (engine) return engine;
    const state = this.stateValue;
    if (state.kind === 'missing') {
      const size = downloadSizeText(state.model);
      const pick = await vscode.window.showInformationMessage(
        `${feature} needs the ${state.model.name} model${size ? ` (${size})` : ''}. It runs locally; images never leave this machine.`,
        size ? `Download (${size})` : 'Download',
        USE_LOCAL_FOLDER,
        SELECT_MODEL,
      );
      return this.afterAction(pick);
    }
    if (state.kind === 'failed') return this.afterAction(await this.showFailure(state.failure));
    if (state.kind === 'downloading') {
      await this.downloading;
      return this.getEngine();
    }
    return undefined;
  }

  /** Carries out a picked action and waits for the engine it leads to. */
  private async afterAction(pick: string | undefined): Promise<Engine | undefined> {
    if (!pick) return undefined;
    if (pick.startsWith('Download') || (pick === RETRY && this.lastFailure()?.retry === 'download')) {
      return (await this.download()) ? this.getEngine() : undefined;
    }
    if (pick === RETRY) {
      await this.refresh();
      return this.getEngine();
    }
    if (pick === USE_LOCAL_FOLDER) return (await this.useLocalFolder()) ? this.getEngine() : undefined;
    if (pick === SELECT_MODEL) return (await vscode.commands.executeCommand<boolean>('mobileclipAssets.selectModel')) ? this.getEngine() : undefined;
    if (pick === SHOW_DETAILS) await this.showDetails();
    return undefined;
  }

  private lastFailure(): ModelFailure | undefined {
    return this.stateValue.kind === 'failed' ? this.stateValue.failure : undefined;
  }

  /** The failure as one sentence with [Retry] [Use Local Folder…] [Show Details]; resolves to the pick. */
  showFailure(failure: ModelFailure): Thenable<string | undefined> {
    return vscode.window.showErrorMessage(failure.message, RETRY, USE_LOCAL_FOLDER, SHOW_DETAILS);
  }

  /** Shows a failure and carries out the pick, without making the caller wait for it. */
  notifyFailure(failure: ModelFailure): void {
    void Promise.resolve(this.showFailure(failure)).then((pick) => this.afterAction(pick)).catch((err) => log().error(errorMessage(err)));
  }

  /** The details page of the current failure (the log has them too). */
  async showDetails(): Promise<void> {
    const state = this.stateValue;
    if (state.kind !== 'failed') {
      log().show();
      return;
    }
    const settings = readSettings();
    await showReport(`${state.model.name} problem`, failureDetailsMarkdown(state.failure, {
      modelName: state.model.name, host: this.hostName(settings), spec: state.model.spec, cacheDir: this.cacheDir(settings),
    }));
  }

  /** Asks for a model folder and makes it the model (the settings change loads it). */
  async useLocalFolder(): Promise<boolean> {
    const folder = await vscode.window.showOpenDialog({
      canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Use This Model Folder',
      title: 'A model folder laid out like the Hugging Face ONNX exports (onnx/vision_model.onnx, tokenizer.json, …)',
    });
    if (!folder?.[0]) return false;
    await this.setModel(folder[0].fsPath);
    return true;
  }

  /** Sets mobileclipAssets.model and resolves the new model at once (not only when the change event arrives). */
  async setModel(spec: string): Promise<void> {
    await vscode.workspace.getConfiguration('mobileclipAssets').update('model', spec, vscode.ConfigurationTarget.Global);
    if (readSettings().model !== spec) {
      void vscode.window.showWarningMessage(`The model setting did not change: a workspace setting overrides it (mobileclipAssets.model).`, 'Open Settings')
        .then((p) => p && vscode.commands.executeCommand('workbench.action.openSettings', 'mobileclipAssets.model'));
      return;
    }
    // The settings change usually reaches the extension's listener first, which refreshes.
    if (this.resolving && this.resolvingSpec === spec) await this.resolving;
    else if (this.stateValue.model.spec !== spec || this.stateValue.kind === 'failed') await this.refresh();
  }

  /**
   * Downloads the configured registry model with a cancellable progress notification. True when
   * the model is on disk afterwards. A failure shows its sentence with actions (unless `quiet`).
   */
  download(opts: { quiet?: boolean } = {}): Promise<boolean> {
    this.downloading ??= this.runDownload(opts).finally(() => {
      this.downloading = undefined;
    });
    return this.downloading;
  }

  private async runDownload(opts: { quiet?: boolean }): Promise<boolean> {
    while (this.resolving) await this.resolving;
    const settings = readSettings();
    const state = this.stateValue;
    const model = state.model;
    if (!model.registry) {
      void vscode.window.showInformationMessage(`The model is the folder ${path.basename(model.spec)}: there is nothing to download.`, SELECT_MODEL)
        .then((p) => p && vscode.commands.executeCommand('mobileclipAssets.selectModel'));
      return false;
    }
    if (state.kind !== 'missing' && state.kind !== 'failed') {
      if (!opts.quiet && this.resolved) void vscode.window.showInformationMessage(`${model.name} is downloaded already.`);
      return this.resolved !== undefined;
    }
    const epoch = this.epoch;
    const superseded = this.abort.signal;
    const proxy = vscode.workspace.getConfiguration('http').get<string>('proxy') || undefined;
    this.setState({ kind: 'downloading', model, bytes: 0, totalBytes: 0, etaSeconds: Number.NaN });
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Downloading ${model.name}`, cancellable: true },
        async (progress, token) => {
          const abort = new AbortController();
          const cancel = () => abort.abort();
          const sub = token.onCancellationRequested(cancel);
          superseded.addEventListener('abort', cancel, { once: true });
          let reported = 0;
          try {
            await this.deps.download(model.spec, {
              ...this.resolveOptions(settings),
              proxy,
              signal: abort.signal,
              onProgress: (p: DownloadProgress) => {
                if (epoch !== this.epoch) return;
                const pct = p.totalBytes > 0 ? (100 * p.bytes) / p.totalBytes : 0;
                progress.report({
                  increment: Math.max(0, pct - reported),
                  message: `${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)} · ${formatBytes(p.bytesPerSecond)}/s · ${formatDuration(p.etaSeconds)} left`,
                });
                reported = Math.max(reported, pct);
                this.setState({ kind: 'downloading', model, bytes: p.bytes, totalBytes: p.totalBytes, etaSeconds: p.etaSeconds });
              },
            });
          } finally {
            sub.dispose();
            superseded.removeEventListener('abort', cancel);
          }
        },
      );
    } catch (err) {
      if (epoch !== this.epoch) return false;
      if ((err as { name?: string }).name === 'AbortError') {
        this.setState({ kind: 'missing', model });
        return false;
      }
      const failure = describeDownloadFailure(err, { modelName: model.name, host: this.hostName(settings) });
      this.fail(model, failure);
      if (!opts.quiet) this.notifyFailure(failure);
      return false;
    }
    if (epoch !== this.epoch) return false;
    await this.resolveState();
    return this.stateValue.kind === 'idle';
  }

  // ---------------------------------------------------------------- thumbnails

  /**
   * Decodes one image into the thumbnail cache, in the engine's worker when it runs, else in a
   * small model-less worker (so the gallery shows images before any model is downloaded).
   */
  thumbnail(file: string, thumbnails: ThumbnailOptions): Promise<ThumbnailResult> {
    if (this.engine) return this.engine.thumbnail(file, thumbnails);
    this.thumbnailWorker ??= new WorkerClient({ script: this.workerScript, lowPriority: true, log: (line) => log().info(line) });
    return this.thumbnailWorker.request({ type: 'thumbnail', path: file, thumbnails });
  }

  private setState(state: ModelState): void {
    this.stateValue = state;
    this.stateEmitter.fire(state);
  }

  dispose(): void {
    void this.supersede();
    void this.thumbnailWorker?.dispose();
    this.stateEmitter.dispose();
  }
}

/** Engine options from the settings, shared by every engine the extension starts (CLIP model, teachers). */
export function engineOptionsFor(settings: AssetSettings, workerScript: string): EngineOptions {
  return {
    executionProvider: settings.executionProvider,
    // 0 = onnxruntime's default (all cores): the worker runs at low priority, so the editor still
    // wins the CPU when it needs it, and bench/RESULTS.md measured one thread at 57 % of the
    // pipeline bound against 94 % with all of them.
    threads: settings.threads,
    batchSize: settings.batchSize,
    background: settings.transparentBackground,
    maxPixels: maxPixelsFromMegapixels(settings.maxImageMegapixels),
    workerScript,
    // Background work in an editor: never compete with typing for the CPU.
    lowPriority: true,
    log: (line) => log().info(line),
  };
}
