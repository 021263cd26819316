// Keeps the index current while the user works: file events are collected, debounced and
// handed over in batches, so a `git checkout` that touches 500 images is one index run.
import * as vscode from 'vscode';

const IMAGE_GLOB = '**/*.{png,PNG,jpg,JPG,jpeg,JPEG,gif,GIF,webp,WEBP,avif,AVIF,tiff,TIFF,tif,TIF,svg,SVG}';

export class DebouncedImageWatcher implements vscode.Disposable {
  private changed = new Set<string>();
  private deleted = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly onBatch: (changed: string[], deleted: string[]) => Promise<void>,
    private readonly delayMs = 750,
  ) {
    const images = vscode.workspace.createFileSystemWatcher(IMAGE_GLOB);
    // Deleting or renaming a folder reports only the folder, not the images inside it.
    const anything = vscode.workspace.createFileSystemWatcher('**/*', true, true, false);
    this.disposables.push(
      images,
      anything,
      images.onDidCreate((u) => this.add(u, 'changed')),
      images.onDidChange((u) => this.add(u, 'changed')),
      anything.onDidDelete((u) => this.add(u, 'deleted')),
    );
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
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), this.delayMs);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const changed = [...this.changed];
    const deleted = [...this.deleted];
    this.changed.clear();
    this.deleted.clear();
    if (changed.length || deleted.length) await this.onBatch(changed, deleted);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
