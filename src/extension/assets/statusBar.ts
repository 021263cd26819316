// Status bar item: image count when idle, count + ETA while indexing, and the model's state.
import * as vscode from 'vscode';
import type { AssetLibrary } from './assetLibrary';
import { distinctContents } from '../../engine/index/store';
import { formatDuration } from '../../engine/util/format';

export class IndexStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('mobileclipAssets.status', vscode.StatusBarAlignment.Left, 10);
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly library: AssetLibrary) {
    this.item.name = 'MobileCLIP Assets';
    this.disposables.push(
      library.scheduler.onDidChangeProgress(() => this.render()),
      library.onDidChangeStatus(() => this.render()),
      library.scheduler.onDidUpdateIndex(() => this.render()),
    );
    this.render();
  }

  render(): void {
    const status = this.library.getStatus();
    const progress = this.library.scheduler.progress;
    const count = this.library.folderStates.reduce((n, f) => n + f.files.size, 0);
    const snapshots = this.library.folderStates.map((f) => f.snapshot());
    const indexed = snapshots.reduce((n, s) => n + (s?.entries.length ?? 0), 0);
    const distinct = snapshots.reduce((n, s) => n + (s ? distinctContents(s) : 0), 0);
    const failed = progress.failed.length;
    if (status.kind === 'noWorkspace' || status.kind === 'noImages') {
      this.item.hide();
      return;
    }
    if (progress.running && progress.total > 0) {
      const eta = progress.etaSeconds !== null ? ` · ${formatDuration(progress.etaSeconds)}` : '';
      this.item.text = `$(sync~spin) Indexing ${progress.done.toLocaleString()}/${progress.total.toLocaleString()}${eta}`;
      this.item.tooltip = 'MobileCLIP Assets is indexing images in the background. Click to pause.';
      this.item.command = 'mobileclipAssets.pauseIndexing';
    } else if (this.library.scheduler.paused) {
      this.item.text = `$(debug-pause) Images: paused`;
      this.item.tooltip = 'Indexing is paused. Click to resume.';
      this.item.command = 'mobileclipAssets.resumeIndexing';
    } else if (status.kind === 'modelMissing') {
      this.item.text = `$(cloud-download) Images: model needed`;
      this.item.tooltip = `${status.modelName} is not downloaded${status.downloadSize ? ` (${status.downloadSize})` : ''}. Click to download it or choose a local model folder.`;
      this.item.command = 'mobileclipAssets.findImages';
    } else if (status.kind === 'modelFailed') {
      this.item.text = status.retry === 'download' ? `$(cloud-download) Images: model needed` : `$(warning) Images: model not loaded`;
      this.item.tooltip = `${status.message}\nClick for the options.`;
      this.item.command = 'mobileclipAssets.findImages';
    } else if (status.kind === 'downloading') {
      this.item.text = `$(sync~spin) Images: downloading model`;
      this.item.tooltip = `Downloading ${status.modelName}.`;
      this.item.command = undefined;
    } else if (status.kind === 'loading' || status.kind === 'restarting') {
      this.item.text = `$(sync~spin) Images: ${status.kind === 'loading' ? 'loading' : 'restarting'} model`;
      this.item.tooltip = `${status.kind === 'loading' ? 'Loading' : 'Restarting'} ${status.modelName}.`;
      this.item.command = undefined;
    } else if (status.kind === 'workerCrashed') {
      this.item.text = `$(error) Images: worker stopped`;
      this.item.tooltip = `${status.message}\nClick to restart the inference worker.`;
      this.item.command = 'mobileclipAssets.restartWorker';
    } else {
      this.item.text = `$(file-media) ${indexed.toLocaleString()} images${failed ? ` · ${failed} failed` : ''}`;
      this.item.tooltip = `${indexed.toLocaleString()} of ${count.toLocaleString()} workspace images indexed (${indexed.toLocaleString()} files, ${distinct.toLocaleString()} distinct)${failed ? `; ${failed} could not be read (see the gallery)` : ''}. Click to search.`;
      this.item.command = 'mobileclipAssets.findImages';
    }
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
