// Quiet tagging: new and changed images get suggestions after each index run (renamed files keep
// their tags), the vocabulary's changes reach every image, and a confirmation or removal in Edit
// Tags re-scores the folder (a few-shot example). Only folders that use tagging are touched.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Engine } from '../../../engine/engine';
import { TAGS_DATA_FILE } from '../../../engine/tags/store';
import { errorMessage } from '../../../engine/util/errors';
import type { AssetLibrary } from '../../assets/assetLibrary';
import { log } from '../../log';
import type { ModelService } from '../../model/service';
import { readSettings } from '../../settings';
import { folderName } from '../../workspace';
import { openVocabulary } from './vocabularyFiles';
import type { WorkspaceTags } from './workspaceTags';

const AUTO_TAG_DELAY_MS = 1000;
const RESCORE_DELAY_MS = 400;

export class AutoTagging implements vscode.Disposable {
  /** Interactive "Tag Images" runs in progress: quiet tagging waits for them (they tag and report). */
  private interactive = 0;
  /** Vocabulary problems already shown (once each, not on every index run). */
  private readonly loggedIssues = new Set<string>();
  private readonly rescores = new Map<string, AbortController>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly tags: WorkspaceTags,
    private readonly models: ModelService,
    library: AssetLibrary,
  ) {
    this.subscriptions = [library.scheduler.onDidUpdateIndex(() => this.schedule()), tags.onDidChangeVocabulary(() => this.schedule())];
  }

  schedule(): void {
    this.tags.debouncer.run('auto', AUTO_TAG_DELAY_MS, () => this.run());
  }

  /** Runs an interactive tagging `work`; quiet runs keep out of its way meanwhile. */
  async whileInteractive<T>(work: () => Promise<T>): Promise<T> {
    this.interactive++;
    try {
      return await work();
    } finally {
      this.interactive--;
    }
  }

  private async run(): Promise<void> {
    if (this.interactive > 0) return;
    const engine = this.models.runningEngine;
    let changed = false;
    for (const root of this.tags.roots()) {
      const snapshot = this.tags.state(root)?.snapshot();
      // Only folders that use tagging (a tags file exists: someone ran Tag Images or the team
      // committed one) are tagged in the background; nothing is written into a repository unasked.
      if (!snapshot || snapshot.entries.length === 0 || !existsSync(path.join(root, TAGS_DATA_FILE))) continue;
      try {
        changed = (await this.tagFolder(root, engine)) || changed;
      } catch (err) {
        const folder = this.tags.folder(root);
        if (!folder.loaded && folder.loadError) this.tags.reportLoadError(root, err);
        else log().warn(`tags: automatic tagging of ${folderName(root)} failed: ${errorMessage(err)}`);
      }
    }
    this.tags.saveCache();
    if (changed) this.tags.refresh();
  }

  /** Tags one folder's new and changed images (or, when it cannot tag now, carries renames and deletions over); whether its tags changed. */
  private async tagFolder(root: string, engine: Engine | undefined): Promise<boolean> {
    const folder = this.tags.folder(root);
    const enabled = readSettings(vscode.Uri.file(root)).tags.autoTag;
    const vocab = enabled && engine ? await folder.vocabulary() : undefined;
    if (vocab?.issues.length) this.showIssuesOnce(root, vocab.issues);
    if (!engine || !vocab || vocab.issues.length || vocab.tags.length === 0) {
      const r = await folder.reconcileWithIndex();
      return !!r && (r.renamed.length > 0 || r.dropped.length > 0);
    }
    const r = await folder.run(engine, { mode: 'incremental' });
    const changed = r.tagged > 0 || r.renamed.length > 0 || r.dropped.length > 0;
    if (changed) log().info(`tags: ${folderName(root)}: ${r.tagged} new or changed images tagged, ${r.renamed.length} renamed, ${r.dropped.length} removed`);
    for (const e of r.errors) log().warn(`tags: ${e.input}: ${e.error}`);
    return changed;
  }

  /** Quiet runs stop on vocabulary problems (a half-typed file must not re-tag everything); say so once. */
  private showIssuesOnce(root: string, issues: readonly string[]): void {
    const key = `${root}\n${issues.join('\n')}`;
    if (this.loggedIssues.has(key)) return;
    this.loggedIssues.add(key);
    const name = folderName(root);
    log().warn(`tags: automatic tagging of ${name} is paused until the tag vocabulary is fixed:\n  ${issues.join('\n  ')}`);
    const open = 'Open Vocabulary';
    void vscode.window.showWarningMessage(`MobileCLIP Assets: automatic tagging of ${name} is paused: ${issues[0]}`, open, 'Show Log').then((pick) => {
      if (pick === open) void openVocabulary(root, issues);
      else if (pick) log().show();
    });
  }

  /** A confirmation or removal is a few-shot example: re-score the folder so other images' suggestions follow. */
  scheduleRescore(root: string): void {
    this.rescores.get(root)?.abort();
    const abort = new AbortController();
    this.rescores.set(root, abort);
    this.tags.debouncer.run(`rescore:${root}`, RESCORE_DELAY_MS, async () => {
      const engine = this.models.runningEngine;
      if (!engine || abort.signal.aborted) return;
      const r = await this.tags.folder(root).rescore(engine, abort.signal);
      if (this.rescores.get(root) === abort) this.rescores.delete(root);
      if (!r) return;
      for (const e of r.errors) log().warn(`tags: ${e.input}: ${e.error}`);
      this.tags.refresh();
    });
  }

  dispose(): void {
    for (const a of this.rescores.values()) a.abort();
    for (const s of this.subscriptions) s.dispose();
  }
}
