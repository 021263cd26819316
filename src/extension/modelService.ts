// Owns the model lifecycle for the extension: resolve the configured model, offer the download
// when it is missing, start the Engine (whose worker process does all inference and decoding),
// restart it after a crash, and tell the UI what state it is in.
import * as vscode from 'vscode';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../engine/engine';
import { WorkerClient } from '../engine/worker/client';
import type { ThumbnailResult } from '../engine/worker/protocol';
import { resolveModel, ModelNotDownloadedError, defaultCacheDir } from '../engine/models/resolve';
import { downloadModel } from '../engine/models/download';
import type { EngineOptions, ModelInfo, ThumbnailOptions } from '../engine/types';
import { readSettings, type AssetSettings } from './settings';
import { log } from './log';
import { formatBytes, formatDuration } from '../engine/util/format';
import { maxPixelsFromMegapixels } from '../engine/util/limits';

export type ModelState =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'notDownloaded'; modelId: string; missing: string[] }
  | { kind: 'downloading'; modelId: string; bytes: number; totalBytes: number; etaSeconds: number }
  | { kind: 'downloadFailed'; modelId: string; error: string }
  | { kind: 'error'; error: string }
  | { kind: 'crashed'; error: string }
  | { kind: 'ready'; info: ModelInfo };

export class ModelService implements vscode.Disposable {
  private engine: Engine | undefined;
  /** A model-less worker that makes gallery thumbnails before the model is available. */
  private thumbnailWorker: WorkerClient | undefined;
  private starting: Promise<Engine | undefined> | undefined;
  private stateValue: ModelState = { kind: 'idle' };
  private readonly stateEmitter = new vscode.EventEmitter<ModelState>();
  readonly onDidChangeState = this.stateEmitter.event;

  constructor(private readonly workerScript: string) {}

  get state(): ModelState {
    return this.stateValue;
  }

  cacheDir(settings: AssetSettings = readSettings()): string {
    const configured = settings.modelCacheDir.trim();
    if (!configured) return defaultCacheDir();
    return configured.startsWith('~') ? path.join(os.homedir(), configured.slice(1)) : configured;
  }

  /** The running engine, started on first use. `interactive` offers the download when missing. */
  async getEngine(interactive: boolean): Promise<Engine | undefined> {
    if (this.engine) return this.engine;
    this.starting ??= this.start(interactive).finally(() => (this.starting = undefined));
    return this.starting;
  }

  /** The engine if it is already running, without starting anything. */
  get runningEngine(): Engine | undefined {
    return this.engine;
  }

  /**
   * Decodes one image into the thumbnail cache, in the engine's worker when it runs, else in a
   * small model-less worker (so the gallery shows images before any model is downloaded).
   */
  thumbnail(file: string, thumbnails: ThumbnailOptions): Promise<ThumbnailResult> {
    if (this.engine) return this.engine.thumbnail(file, thumbnails);
    this.thumbnailWorker ??= new WorkerClient({ script: this.workerScript, lowPriority: true, log: (line) => log().info(line) });
    return this.thumbnailWorker.request({ type: 'thumbnail', path: file, thumbnails });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.getEngine(true);
  }

  async stop(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    this.setState({ kind: 'idle' });
    await engine?.dispose().catch(() => undefined);
  }

  private async start(interactive: boolean): Promise<Engine | undefined> {
    const settings = readSettings();
    this.setState({ kind: 'loading' });
    let model;
    try {
      model = await resolveModel(settings.model, {
        cacheDir: this.cacheDir(settings),
        visionPrecision: settings.visionPrecision,
        textPrecision: settings.textPrecision,
      });
    } catch (err) {
      if (err instanceof ModelNotDownloadedError) {
        this.setState({ kind: 'notDownloaded', modelId: settings.model, missing: err.missing.map((m) => m.dest) });
        if (!interactive) return undefined;
        const downloaded = await this.offerDownload(settings);
        if (!downloaded) return undefined;
        return this.start(false);
      }
      return this.fail(err);
    }
    try {
      const engine = await Engine.create(model, this.engineOptions(settings));
      this.engine = engine;
      void this.thumbnailWorker?.dispose();
      this.thumbnailWorker = undefined;
      log().info(`model ${engine.info.id}: ${engine.info.dim}-d embeddings, ${engine.info.imageSize}px input, running on ${engine.info.executionProvider}`);
      this.setState({ kind: 'ready', info: engine.info });
      return engine;
    } catch (err) {
      return this.fail(err);
    }
  }

  private engineOptions(settings: AssetSettings): EngineOptions {
    return {
      ...engineOptionsFor(settings, this.workerScript),
      log: (line) => {
        log().info(line);
        if (/crash/i.test(line)) this.setState({ kind: 'crashed', error: line });
      },
    };
  }

  private fail(err: unknown): undefined {
    const message = err instanceof Error ? err.message : String(err);
    log().error(message);
    this.setState({ kind: 'error', error: message });
    void vscode.window.showErrorMessage(`MobileCLIP Assets: ${message}`, 'Show Log').then((pick) => {
      if (pick) log().show();
    });
    return undefined;
  }

  private async offerDownload(settings: AssetSettings): Promise<boolean> {
    const pick = await vscode.window.showInformationMessage(
      `MobileCLIP Assets needs the ${settings.model} model to search and tag images. Download it now? Files come from ${settings.modelHost} and are verified by size and SHA-256.`,
      'Download',
      'Use a Local Folder…',
    );
    if (pick === 'Use a Local Folder…') {
      const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use This Model Folder' });
      if (!folder?.[0]) return false;
      await vscode.workspace.getConfiguration('mobileclipAssets').update('model', folder[0].fsPath, vscode.ConfigurationTarget.Global);
      return true;
    }
    if (pick !== 'Download') return false;
    return this.download(settings);
  }

  /** Downloads the configured registry model with a cancellable progress notification. */
  async download(settings: AssetSettings = readSettings()): Promise<boolean> {
    const modelId = settings.model;
    const proxy = vscode.workspace.getConfiguration('http').get<string>('proxy') || undefined;
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Downloading ${modelId}`, cancellable: true },
        async (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          let reported = 0;
          await downloadModel(modelId, {
            cacheDir: this.cacheDir(settings),
            host: settings.modelHost,
            visionPrecision: settings.visionPrecision,
            textPrecision: settings.textPrecision,
            proxy,
            signal: abort.signal,
            onProgress: (p) => {
              const fraction = p.totalBytes > 0 ? p.bytes / p.totalBytes : 0;
              const increment = Math.max(0, fraction * 100 - reported);
              reported += increment;
              progress.report({
                increment,
                message: `${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)} · ${formatBytes(p.bytesPerSecond)}/s · ${formatDuration(p.etaSeconds)} left`,
              });
              this.setState({ kind: 'downloading', modelId, bytes: p.bytes, totalBytes: p.totalBytes, etaSeconds: p.etaSeconds });
            },
          });
        },
      );
      return true;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const cancelled = (err as { name?: string }).name === 'AbortError';
      this.setState(cancelled ? { kind: 'notDownloaded', modelId, missing: [] } : { kind: 'downloadFailed', modelId, error: message });
      if (!cancelled) {
        log().error(`download failed: ${message}`);
        const pick = await vscode.window.showErrorMessage(`Model download failed: ${message}`, 'Retry', 'Show Log');
        if (pick === 'Retry') return this.download(settings);
        if (pick === 'Show Log') log().show();
      }
      return false;
    }
  }

  private setState(state: ModelState): void {
    this.stateValue = state;
    this.stateEmitter.fire(state);
  }

  dispose(): void {
    void this.stop();
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
