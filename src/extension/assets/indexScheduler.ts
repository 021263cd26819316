// Index runs, one at a time: a run waits for the one before it, can be cancelled (pausing cancels
// it too), and reports its progress to the status bar and the gallery, and to a cancellable
// notification with count and ETA when it is worth one (the first full index, commands).
import * as vscode from 'vscode';
import type { IndexProgress } from '../../engine/index/indexer';
import { errorMessage } from '../../engine/util/errors';
import { formatDuration } from '../../engine/util/format';
import type { IndexingProgress } from '../../shared/messages';
import { log } from '../log';

/** The work of one run: it stops when `signal` aborts and reports the engine's progress. */
export type IndexRunBody = (signal: AbortSignal, onProgress: (p: IndexProgress) => void) => Promise<void>;

const IDLE: IndexingProgress = { running: false, done: 0, total: 0, etaSeconds: null, failed: [] };

export class IndexScheduler implements vscode.Disposable {
  private progressValue: IndexingProgress = IDLE;
  private current: { abort: AbortController; done: Promise<void> } | undefined;
  private pausedValue = false;
  private readonly progressEmitter = new vscode.EventEmitter<IndexingProgress>();
  private readonly runEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeProgress = this.progressEmitter.event;
  /** Fires after every run (full or incremental, finished, failed or cancelled). */
  readonly onDidUpdateIndex = this.runEmitter.event;

  /** `failedFiles`: the files that failed to index, read after each run. */
  constructor(private readonly failedFiles: () => IndexingProgress['failed']) {}

  get progress(): IndexingProgress {
    return this.progressValue;
  }

  get paused(): boolean {
    return this.pausedValue;
  }

  /** Pausing cancels the run in progress; background runs wait until resumed (see IndexScheduler.run). */
  setPaused(paused: boolean): void {
    this.pausedValue = paused;
    void vscode.commands.executeCommand('setContext', 'mobileclipAssets.indexingPaused', paused);
    if (paused) this.cancel();
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  /** Stops the current run; finished work is already saved by the indexer's checkpoints. */
  cancel(): void {
    this.current?.abort.abort();
  }

  /** Resolves when no run is in progress. */
  async idle(): Promise<void> {
    while (this.current) await this.current.done;
  }

  /**
   * Runs `body` after the runs before it. `notify` shows a cancellable notification with count and
   * ETA. A failure is logged and shown (unless the run was cancelled); it never rejects.
   */
  async run(body: IndexRunBody, notify: boolean): Promise<void> {
    // Not `await this.idle()`: that yields even when idle, and two runs asked for in one tick
    // would both start. The check and the claim below happen without a yield in between.
    while (this.current) await this.current.done;
    const abort = new AbortController();
    const done = notify ? this.withNotification(abort, () => this.guarded(body, abort)) : this.guarded(body, abort);
    this.current = { abort, done };
    try {
      await done;
    } finally {
      this.current = undefined;
    }
  }

  private async guarded(body: IndexRunBody, abort: AbortController): Promise<void> {
    try {
      await body(abort.signal, (p) => this.setProgress(this.toProgress(p)));
    } catch (err) {
      if (!abort.signal.aborted) {
        log().error(`indexing failed: ${errorMessage(err)}`);
        void vscode.window.showErrorMessage(`MobileCLIP Assets: indexing failed: ${errorMessage(err)}`);
      }
    } finally {
      this.setProgress({ ...this.progressValue, running: false, etaSeconds: null, failed: this.failedFiles() });
      this.runEmitter.fire();
    }
  }

  private async withNotification(abort: AbortController, work: () => Promise<void>): Promise<void> {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Indexing images', cancellable: true }, async (progress, token) => {
      const cancel = token.onCancellationRequested(() => abort.abort());
      let last = 0;
      const sub = this.progressEmitter.event((p) => {
        if (!p.running || p.total <= 0) return;
        const pct = (p.done / p.total) * 100;
        progress.report({
          increment: Math.max(0, pct - last),
          message: `${p.done.toLocaleString()} of ${p.total.toLocaleString()}${p.etaSeconds !== null ? ` · ${formatDuration(p.etaSeconds)} left` : ''}`,
        });
        last = Math.max(last, pct);
      });
      try {
        await work();
      } finally {
        sub.dispose();
        cancel.dispose();
      }
    });
  }

  /** The engine's progress as the gallery and the status bar show it (counts only while hashing or embedding). */
  private toProgress(p: IndexProgress): IndexingProgress {
    const counted = p.phase === 'embedding' || p.phase === 'hashing';
    return {
      running: p.phase !== 'saving' || p.done < p.total,
      done: counted ? p.done : 0,
      total: counted ? p.total : 0,
      etaSeconds: p.etaSeconds !== undefined && Number.isFinite(p.etaSeconds) ? p.etaSeconds : null,
      failed: this.progressValue.failed,
    };
  }

  private setProgress(p: IndexingProgress): void {
    this.progressValue = p;
    this.progressEmitter.fire(p);
  }

  dispose(): void {
    this.cancel();
    this.progressEmitter.dispose();
    this.runEmitter.dispose();
  }
}
