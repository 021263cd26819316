// The one download notification (CLIP model, captioner, teachers): bytes, rate and time left,
// with a Cancel button.
import * as vscode from 'vscode';
import type { DownloadProgress } from '../../engine/models/download';
import { formatBytes, formatDuration } from '../../engine/util/format';

export type DownloadRun = (signal: AbortSignal, onProgress: (p: DownloadProgress) => void) => Promise<unknown>;

/** The progress line of a download. */
export function downloadProgressMessage(p: DownloadProgress): string {
  return `${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)} · ${formatBytes(p.bytesPerSecond)}/s · ${formatDuration(p.etaSeconds)} left`;
}

/**
 * Runs `run` under a cancellable progress notification titled `title`. Cancelling (or `cancel`
 * aborting: a newer request superseded this one) aborts the signal `run` gets; its rejection
 * (an AbortError) is passed on.
 */
export async function withDownloadProgress(title: string, run: DownloadRun, cancel?: AbortSignal): Promise<void> {
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    const stop = () => abort.abort();
    const sub = token.onCancellationRequested(stop);
    cancel?.addEventListener('abort', stop, { once: true });
    let reported = 0;
    try {
      await run(abort.signal, (p) => {
        const pct = p.totalBytes > 0 ? (100 * p.bytes) / p.totalBytes : 0;
        progress.report({ increment: Math.max(0, pct - reported), message: downloadProgressMessage(p) });
        reported = Math.max(reported, pct);
      });
    } finally {
      sub.dispose();
      cancel?.removeEventListener('abort', stop);
    }
  });
}
