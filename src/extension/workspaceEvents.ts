// The one owner of what follows the workspace's folders and settings, so the order is written
// down once: the library re-reads its folders first (the features look their folders' states up
// in it), then tags, captions and datasets follow the folders, then background indexing starts.
// Start-up runs the same steps after activate() returns.
import * as vscode from 'vscode';
import { errorMessage } from '../engine/util/errors';
import type { Ctx } from './ctx';
import { log } from './log';
import { affectsEngine, readSettings } from './settings';

export class WorkspaceEvents implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[];
  private startTimer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: Ctx) {
    this.subscriptions = [
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.guard('workspace folders', () => this.foldersChanged())),
      vscode.workspace.onDidChangeConfiguration((e) => this.guard('settings', () => this.configurationChanged(e))),
    ];
  }

  /**
   * After activation returns: read the tags and captions files and find datasets (no model
   * needed, so tiles show tags at once), find out where the model stands, list images (stat
   * only) and, when allowed, index in the background.
   */
  start(): void {
    this.startTimer = setTimeout(() => {
      this.startTimer = undefined;
      this.followFolders();
      this.guard('start-up', async () => {
        await this.ctx.models.refresh();
        await this.backgroundWork();
      });
    }, 0);
  }

  private async foldersChanged(): Promise<void> {
    await this.ctx.library.reloadFolders();
    this.followFolders();
    await this.autoIndex();
  }

  private followFolders(): void {
    this.ctx.tags.loadAll();
    void this.ctx.captions.discover();
    void this.ctx.datasets.discover();
  }

  private async configurationChanged(e: vscode.ConfigurationChangeEvent): Promise<void> {
    this.ctx.tags.configurationChanged(e);
    this.ctx.altText.configurationChanged(e);
    if (affectsEngine(e)) {
      // Re-resolve the model under the new settings; what the old settings had in flight is cancelled.
      await this.ctx.models.refresh();
      await this.backgroundWork();
    } else if (e.affectsConfiguration('mobileclipAssets.index') || e.affectsConfiguration('files.exclude') || e.affectsConfiguration('search.exclude')) {
      await this.backgroundWork();
    }
  }

  /** Lists the folders' images again and, when allowed, brings their indexes up to date. */
  private async backgroundWork(): Promise<void> {
    await this.ctx.library.reloadFolders();
    await this.autoIndex();
  }

  private async autoIndex(): Promise<void> {
    if (readSettings().index.autoIndex) await this.ctx.library.indexAll({ interactive: false });
  }

  /** Event handlers have no caller to report to: their failures go to the log. */
  private guard(what: string, work: () => Promise<void>): void {
    void work().catch((err) => log().error(`${what}: ${errorMessage(err)}`));
  }

  dispose(): void {
    if (this.startTimer) clearTimeout(this.startTimer);
    for (const s of this.subscriptions) s.dispose();
  }
}
