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
// failed. What the user is asked (download? a local folder? retry?) is ./prompts.ts.
import * as vscode from 'vscode';
import { Engine } from '../../engine/engine';
import { downloadModel } from '../../engine/models/download';
import { describeModel, type ModelDescription } from '../../engine/models/names';
import { isModelPath } from '../../engine/models/paths';
import { ModelNotDownloadedError, resolveModel } from '../../engine/models/resolve';
import type { EngineOptions, ResolvedModel } from '../../engine/types';
import { errorMessage, isAbortError } from '../../engine/util/errors';
import { log } from '../log';
import { readSettings, type AssetSettings } from '../settings';
import { withDownloadProgress } from './downloadProgress';
import { describeDownloadFailure, describeLoadFailure, type ModelFailure } from './failure';
import { engineOptionsFor, hostName, modelLocation, proxySetting } from './options';
import { SHOW_DETAILS, type ModelRef, type ModelState } from './state';

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

/** How a download() ended. */
export type DownloadOutcome =
  | { kind: 'done' }
  /** Nothing to do: the model is on disk already. */
  | { kind: 'present' }
  /** The model is a local folder: there is nothing to download. */
  | { kind: 'folder' }
  /** Cancelled by the user, or superseded by a newer setting. */
  | { kind: 'cancelled' }
  | { kind: 'failed'; failure: ModelFailure };

export class ModelService implements vscode.Disposable {
  private engine: Engine | undefined;
  /** Bumped by refresh() and stop(): work started under an older epoch is cancelled and discarded. */
  private epoch = 0;
  private abort = new AbortController();
  private resolved: ResolvedModel | undefined;
  private resolving: { spec: string; done: Promise<void> } | undefined;
  private starting: Promise<Engine | undefined> | undefined;
  private crashes = new CrashWindow(CRASH_WINDOW_MS);
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

  /** The state reflects the model setting `spec` once this resolves (a refresh for it may be in flight already). */
  async settle(spec: string): Promise<void> {
    // The settings change usually reaches the extension's listener first, which refreshes.
    if (this.resolving?.spec === spec) await this.resolving.done;
    else if (this.stateValue.model.spec !== spec || this.stateValue.kind === 'failed') await this.refresh();
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
    this.resolving = undefined;
    this.crashes = new CrashWindow(CRASH_WINDOW_MS);
    const engine = this.engine;
    this.engine = undefined;
    await engine?.dispose().catch((err) => log().warn(`stopping the inference worker: ${errorMessage(err)}`));
  }

  private resolveState(): Promise<void> {
    const epoch = this.epoch;
    const settings = readSettings();
    const done = (async () => {
      const opts = { ...modelLocation(settings), visionPrecision: settings.visionPrecision, textPrecision: settings.textPrecision };
      const model = await describeRef(this.deps, settings.model, opts);
      try {
        const resolved = await this.deps.resolve(settings.model, opts);
        if (epoch !== this.epoch) return;
        this.resolved = resolved;
        this.setState({ kind: 'idle', model });
      } catch (err) {
        if (epoch !== this.epoch) return;
        this.resolved = undefined;
        if (err instanceof ModelNotDownloadedError && model.registry) this.setState({ kind: 'missing', model });
        else this.fail(model, describeLoadFailure(err, { modelName: model.name, host: hostName(settings), spec: settings.model }));
      }
    })();
    const resolving = { spec: settings.model, done };
    this.resolving = resolving;
    return done.finally(() => {
      if (this.resolving === resolving) this.resolving = undefined;
    });
  }

  private async waitForResolution(): Promise<void> {
    while (this.resolving) await this.resolving.done;
  }

  // ---------------------------------------------------------------- starting

  /**
   * The running engine, starting it when the model is on disk. Never prompts: undefined at once
   * when the model is missing or failed (the state says why).
   */
  async getEngine(): Promise<Engine | undefined> {
    if (this.engine) return this.engine;
    if (!this.resolved && !this.resolving && this.stateValue.kind === 'idle') await this.resolveState();
    await this.waitForResolution();
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
          await engine.dispose().catch((err) => log().warn(`stopping a superseded worker: ${errorMessage(err)}`));
          return undefined;
        }
        this.engine = engine;
        log().info(`model ${ref.name}: ${engine.info.dim}-d embeddings, ${engine.info.imageSize}px input, running on ${engine.info.executionProvider}`);
        this.setState({ kind: 'ready', model: ref, info: engine.info });
        return engine;
      } catch (err) {
        if (epoch !== this.epoch) return undefined;
        this.fail(ref, describeLoadFailure(err, { modelName: ref.name, host: hostName(settings), spec: ref.spec }));
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
    const crashes = this.crashes.record(Date.now());
    this.setState({ kind: 'crashed', model, message });
    if (crashes > MAX_CRASHES) {
      log().error(`${message}; ${crashes} crashes within a minute, not restarting on its own`);
      showCrashLoop(crashes, () => this.restart());
      return;
    }
    const engine = this.engine;
    const epoch = this.epoch;
    if (!engine) return;
    this.setState({ kind: 'restarting', model });
    engine.revive().catch((err) => {
      // A crash during the reload is reported by onWorkerCrash again; anything else is a load failure.
      if (epoch === this.epoch && this.engine === engine && this.stateValue.kind === 'restarting') {
        this.fail(model, describeLoadFailure(err, { modelName: model.name, host: hostName(), spec: model.spec }));
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

  // ---------------------------------------------------------------- downloading

  /** Downloads the configured registry model with a cancellable progress notification (ModelPrompts.download runs one at a time). */
  async download(): Promise<DownloadOutcome> {
    await this.waitForResolution();
    const state = this.stateValue;
    const model = state.model;
    if (!model.registry) return { kind: 'folder' };
    if (state.kind !== 'missing' && state.kind !== 'failed') return this.resolved ? { kind: 'present' } : { kind: 'cancelled' };
    const epoch = this.epoch;
    const settings = readSettings();
    this.setState({ kind: 'downloading', model, bytes: 0, totalBytes: 0, etaSeconds: Number.NaN });
    try {
      await withDownloadProgress(
        `Downloading ${model.name}`,
        (signal, onProgress) =>
          this.deps.download(model.spec, {
            ...modelLocation(settings),
            proxy: proxySetting(),
            signal,
            onProgress: (p) => {
              if (epoch !== this.epoch) return;
              onProgress(p);
              this.setState({ kind: 'downloading', model, bytes: p.bytes, totalBytes: p.totalBytes, etaSeconds: p.etaSeconds });
            },
          }),
        this.abort.signal,
      );
    } catch (err) {
      if (epoch !== this.epoch) return { kind: 'cancelled' };
      if (isAbortError(err)) {
        this.setState({ kind: 'missing', model });
        return { kind: 'cancelled' };
      }
      const failure = describeDownloadFailure(err, { modelName: model.name, host: hostName(settings) });
      this.fail(model, failure);
      return { kind: 'failed', failure };
    }
    if (epoch !== this.epoch) return { kind: 'cancelled' };
    await this.resolveState();
    return this.stateValue.kind === 'idle' ? { kind: 'done' } : this.lastFailure() ? { kind: 'failed', failure: this.lastFailure()! } : { kind: 'cancelled' };
  }

  /** The failure the state holds, if it is failed. */
  lastFailure(): ModelFailure | undefined {
    return this.stateValue.kind === 'failed' ? this.stateValue.failure : undefined;
  }

  private setState(state: ModelState): void {
    this.stateValue = state;
    this.stateEmitter.fire(state);
  }

  /** Stops the engine's worker process (deactivate() waits for this). */
  shutdown(): Promise<void> {
    return this.supersede();
  }

  dispose(): void {
    void this.shutdown();
    this.stateEmitter.dispose();
  }
}

/** The worker keeps dying: say so, with a way to restart it by hand. */
function showCrashLoop(crashes: number, restart: () => Promise<unknown>): void {
  void vscode.window.showErrorMessage(`The inference worker keeps stopping (${crashes} times in a minute).`, 'Restart Worker', SHOW_DETAILS).then((pick) => {
    if (pick === 'Restart Worker') void restart();
    else if (pick === SHOW_DETAILS) log().show();
  });
}

/** Counts the crashes within a sliding time window. */
class CrashWindow {
  private times: number[] = [];
  constructor(private readonly windowMs: number) {}

  /** Records a crash at `now`; the crashes within the window, this one included. */
  record(now: number): number {
    this.times = [...this.times.filter((t) => now - t < this.windowMs), now];
    return this.times.length;
  }
}

/** The model as the UI names it: the manifest's or the folder's own name (the spec when neither says). */
async function describeRef(deps: ModelServiceDeps, spec: string, opts: Parameters<typeof describeModel>[1]): Promise<ModelRef> {
  const description = await deps.describe(spec, opts).catch((err) => {
    log().warn(`model ${spec}: no name or size: ${errorMessage(err)}`);
    return undefined;
  });
  return {
    spec,
    name: description?.name ?? spec,
    registry: !isModelPath(spec),
    ...(description?.towerBytes ? { towerBytes: description.towerBytes } : {}),
  };
}
