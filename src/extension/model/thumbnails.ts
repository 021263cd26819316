// Gallery thumbnails before and after the model exists: made in the engine's worker when it runs,
// else in a small model-less worker (so the gallery shows images before any model is downloaded),
// which stops once the engine runs.
import type * as vscode from 'vscode';
import type { ThumbnailOptions } from '../../engine/types';
import { WorkerClient } from '../../engine/worker/client';
import type { ThumbnailResult } from '../../engine/worker/protocol';
import { log } from '../log';
import type { ModelService } from './service';

export class Thumbnailer implements vscode.Disposable {
  private worker: WorkerClient | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly models: ModelService,
    private readonly workerScript: string,
  ) {
    this.subscription = models.onDidChangeState((state) => {
      if (state.kind === 'ready') void this.shutdown();
    });
  }

  /** Decodes one image into the thumbnail cache. */
  make(file: string, thumbnails: ThumbnailOptions): Promise<ThumbnailResult> {
    const engine = this.models.runningEngine;
    if (engine) return engine.thumbnail(file, thumbnails);
    this.worker ??= new WorkerClient({ script: this.workerScript, lowPriority: true, log: (line) => log().info(line) });
    return this.worker.request({ type: 'thumbnail', path: file, thumbnails });
  }

  /** Stops the model-less worker, if it runs. */
  async shutdown(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.dispose();
  }

  dispose(): void {
    this.subscription.dispose();
    void this.shutdown();
  }
}
