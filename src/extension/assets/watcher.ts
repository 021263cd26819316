// Keeps the index current while the user works: file events are collected, debounced and
// handed over in batches, so a `git checkout` that touches 500 images is one index run.
//
// Folder events matter as much as file events: a folder copied or moved in is often reported as
// the folder alone (the OS watcher sees the folder appear before it watches inside it, so files
// written into it meanwhile produce no events), and a deleted or renamed folder is reported only
// as the folder. Created folders are therefore handed over too (the indexer scans them), and a
// burst of changes is marked `bulk` so the library can rescan instead of trusting every event.
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import { DEFAULT_IMAGE_EXTENSIONS } from '../../engine/index/scan';
import { isImageFile } from '../paths';

// The index's image types in both cases: file watchers match case-sensitively on Linux.
const IMAGE_GLOB = `**/*.{${DEFAULT_IMAGE_EXTENSIONS.flatMap((e) => [e, e.toUpperCase()]).join(',')}}`;

/** More events than this in one batch is a bulk change (copy, move, checkout). */
export const BULK_EVENTS = 50;

export interface WatchBatch {
  /** Created or changed files, and created folders. */
  changed: string[];
  deleted: string[];
  /** Many events at once: some may have been coalesced or lost, so rescan rather than trust them. */
  bulk: boolean;
}

export class DebouncedImageWatcher implements vscode.Disposable {
  private changed = new Set<string>();
  private deleted = new Set<string>();
  private events = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When the first event of the pending batch arrived (a steady stream still flushes every maxWaitMs). */
  private firstEventAt = 0;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly onBatch: (batch: WatchBatch) => Promise<void>,
    private readonly delayMs = 750,
    private readonly maxWaitMs = 5000,
  ) {
    const images = vscode.workspace.createFileSystemWatcher(IMAGE_GLOB);
    // Folders: created ones (copied or moved in) and deleted ones (which report only themselves).
    const anything = vscode.workspace.createFileSystemWatcher('**/*', false, true, false);
    this.disposables.push(
      images,
      anything,
      images.onDidCreate((u) => this.add(u, 'changed')),
      images.onDidChange((u) => this.add(u, 'changed')),
      anything.onDidCreate((u) => void this.createdFolder(u)),
      anything.onDidDelete((u) => this.add(u, 'deleted')),
    );
  }

  /** A created path that is not an image: a folder is handed over (the indexer scans it). */
  private async createdFolder(uri: vscode.Uri): Promise<void> {
    if (uri.scheme !== 'file' || isImageFile(uri.fsPath)) return;
    const st = await fs.stat(uri.fsPath).catch(() => undefined);
    if (st?.isDirectory()) this.add(uri, 'changed');
  }

  private add(uri: vscode.Uri, kind: 'changed' | 'deleted'): void {
    if (uri.scheme !== 'file') return;
    const p = uri.fsPath;
    if (kind === 'changed') {
      this.deleted.delete(p);
      this.changed.add(p);
    } else {
      this.changed.delete(p);
      this.deleted.add(p);
    }
    const now = Date.now();
    if (this.events++ === 0) this.firstEventAt = now;
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.delayMs, this.firstEventAt + this.maxWaitMs - now));
    this.timer = setTimeout(() => void this.flush(), wait);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const batch: WatchBatch = { changed: [...this.changed], deleted: [...this.deleted], bulk: this.events > BULK_EVENTS };
    this.changed.clear();
    this.deleted.clear();
    this.events = 0;
    if (batch.changed.length || batch.deleted.length) await this.onBatch(batch);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
