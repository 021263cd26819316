// "Tag Images" (palette, gallery, Explorer folders and images): index what needs it, tag each
// workspace folder in the selection with a cancellable notification, and end with one message
// that offers what helps next (the vocabulary, a lower threshold, re-tagging everything, the log).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Engine } from '../../../engine/engine';
import { VOCABULARY_FILE } from '../../../engine/tags/vocabulary';
import { errorMessage } from '../../../engine/util/errors';
import { EtaEstimator, formatDuration } from '../../../engine/util/format';
import type { AssetLibrary } from '../../assets/assetLibrary';
import { log } from '../../log';
import type { ModelService } from '../../model/service';
import { folderName } from '../../workspace';
import type { AutoTagging } from './autoTagging';
import { tagRunSummary, type FolderOutcome, type RunSummary } from './summary';
import { groupByRoot, matchSelection, type FolderSelection } from './targets';
import { editVocabulary, lowerThresholds, MIN_THRESHOLD, openVocabulary } from './vocabularyFiles';
import type { WorkspaceTags } from './workspaceTags';

export type TagMode = 'incremental' | 'all';
type Progress = vscode.Progress<{ message?: string; increment?: number }>;

const EDIT_VOCABULARY = 'Edit Vocabulary';
const LOWER_THRESHOLD = 'Lower Threshold';
const RETAG_ALL = 'Re-tag All';
const SHOW_LOG = 'Show Log';

export class TagImagesCommand {
  constructor(
    private readonly tags: WorkspaceTags,
    private readonly auto: AutoTagging,
    private readonly library: AssetLibrary,
    private readonly models: ModelService,
  ) {}

  /** Tags `targets` (files and folders; none = every workspace folder). */
  async run(targets: string[], mode: TagMode): Promise<void> {
    const roots = this.tags.roots();
    if (!roots.length) throw new Error('Open a folder first: tagging works on the images of a workspace folder.');
    const { groups, outside } = groupByRoot(roots, targets);
    if (outside.length) void vscode.window.showWarningMessage(`Not in a workspace folder, skipped: ${outside.map((p) => path.basename(p)).join(', ')}`);
    if (!groups.length || !(await this.vocabulariesUsable(groups))) return;
    await this.auto.whileInteractive(async () => {
      const unindexed = groups.some((g) => this.needsIndexing(g.root));
      const summaries = await this.library.indexAll({ interactive: true, notify: unindexed, feature: 'Tagging' });
      const engine = this.models.runningEngine;
      if (!summaries || !engine) return; // no model (the download was declined); the library said so
      const outcomes = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: mode === 'all' ? 'Re-tagging images' : 'Tagging images', cancellable: true },
        (progress, token) => this.tagGroups(groups, mode, engine, progress, token),
      );
      this.tags.saveCache();
      this.tags.refresh();
      logOutcomes(outcomes);
      this.offerNext(
        tagRunSummary(outcomes, mode),
        groups.map((g) => g.root),
        targets,
      );
    });
  }

  /** Vocabulary problems are the user's to decide on before any model work starts. */
  private async vocabulariesUsable(groups: readonly FolderSelection[]): Promise<boolean> {
    for (const g of groups) {
      const vocab = await this.tags.folder(g.root).vocabulary();
      if (vocab.tags.length === 0)
        throw new Error(`The tag vocabulary of ${folderName(g.root)} is empty: add tags in ${VOCABULARY_FILE} or the setting mobileclipAssets.tags.vocabulary.`);
      if (vocab.issues.length && !(await this.confirmVocabularyIssues(g.root, vocab.issues))) return false;
    }
    return true;
  }

  private async confirmVocabularyIssues(root: string, issues: readonly string[]): Promise<boolean> {
    const open = 'Open Vocabulary';
    const pick = await vscode.window.showWarningMessage(
      `The tag vocabulary of ${folderName(root)} has ${issues.length === 1 ? 'a problem' : `${issues.length} problems`}; the affected tags are skipped.`,
      { modal: true, detail: issues.join('\n') },
      'Tag Anyway',
      open,
    );
    if (pick === open) await openVocabulary(root, issues);
    return pick === 'Tag Anyway';
  }

  /** Files the scan found that are neither indexed nor failed: indexing first needs a visible progress. */
  private needsIndexing(root: string): boolean {
    const s = this.tags.state(root);
    if (!s || !s.attached) return true;
    for (const rel of s.files.keys()) if (!s.entry(rel) && !s.failed.has(rel)) return true;
    return false;
  }

  private async tagGroups(groups: readonly FolderSelection[], mode: TagMode, engine: Engine, progress: Progress, token: vscode.CancellationToken): Promise<FolderOutcome[]> {
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    const outcomes: FolderOutcome[] = [];
    try {
      for (const g of groups) {
        if (abort.signal.aborted) break;
        outcomes.push(
          await this.tagGroup(g, { mode, engine, progress, signal: abort.signal, share: 100 / groups.length, prefix: groups.length > 1 ? `${folderName(g.root)}: ` : '' }),
        );
      }
    } finally {
      sub.dispose();
    }
    return outcomes;
  }

  /** One workspace folder's part of the run; `share` is its part of the progress bar. */
  private async tagGroup(g: FolderSelection, o: { mode: TagMode; engine: Engine; progress: Progress; signal: AbortSignal; share: number; prefix: string }): Promise<FolderOutcome> {
    const name = folderName(g.root);
    let only: Set<string> | undefined;
    let unmatched: string[] = [];
    if (!g.whole) {
      const m = matchSelection(
        (this.tags.state(g.root)?.snapshot()?.entries ?? []).map((e) => e.path),
        g.paths,
      );
      only = m.matched;
      unmatched = m.unmatched;
      if (only.size === 0) return { name, unmatched };
    }
    o.progress.report({ message: `${o.prefix}preparing the tag vocabulary…` });
    let eta: EtaEstimator | undefined;
    let reported = 0;
    try {
      const result = await this.tags.folder(g.root).run(o.engine, {
        mode: o.mode,
        only,
        signal: o.signal,
        onStart: ({ tags, images }) => o.progress.report({ message: `${o.prefix}${images.toLocaleString()} images, ${tags} tags` }),
        onProgress: ({ done, total }) => {
          eta ??= new EtaEstimator(total);
          const share = total > 0 ? (done / total) * o.share : 0;
          const left = eta.etaSeconds(done);
          o.progress.report({
            increment: Math.max(0, share - reported),
            message: `${o.prefix}${done.toLocaleString()} of ${total.toLocaleString()}${Number.isFinite(left) && done < total ? ` · ${formatDuration(left)} left` : ''}`,
          });
          reported = Math.max(reported, share);
        },
      });
      return { name, result, unmatched };
    } catch (err) {
      return { name, error: errorMessage(err), unmatched };
    }
  }

  /** The closing message, with what helps next; its actions run without making the command wait. */
  private offerNext(summary: RunSummary, roots: readonly string[], targets: string[]): void {
    const actions = [
      ...(summary.offerVocabulary ? [EDIT_VOCABULARY, LOWER_THRESHOLD] : []),
      ...(summary.offerRetagAll ? [RETAG_ALL] : []),
      ...(summary.offerLog ? [SHOW_LOG] : []),
    ];
    void showMessage(summary.severity, summary.message, ...actions).then(async (pick) => {
      try {
        if (pick === SHOW_LOG) log().show();
        else if (pick === EDIT_VOCABULARY) await editVocabulary(this.tags, roots[0]);
        else if (pick === LOWER_THRESHOLD) await this.lowerThreshold(roots, targets);
        else if (pick === RETAG_ALL) await this.run(targets, 'all');
      } catch (err) {
        void vscode.window.showErrorMessage(`MobileCLIP Assets: ${errorMessage(err)}`);
      }
    });
  }

  /** Lowers the vocabulary's default threshold (in the folders' vocabulary files) and re-tags. */
  private async lowerThreshold(roots: readonly string[], targets: string[]): Promise<void> {
    const changes = await lowerThresholds(this.tags, roots);
    if (!changes.length) {
      const pick = await vscode.window.showWarningMessage(
        `The tag threshold is already ${MIN_THRESHOLD}: lower still would tag at random. Describe the images in the vocabulary instead.`,
        EDIT_VOCABULARY,
      );
      if (pick) await editVocabulary(this.tags, roots[0]);
      return;
    }
    vscode.window.setStatusBarMessage(`$(tag) Tag threshold ${changes.join(', ')}`, 6000);
    await this.run(targets, 'all');
  }
}

function logOutcomes(outcomes: readonly FolderOutcome[]): void {
  for (const o of outcomes) {
    if (o.error) log().error(`tags: ${o.name}: ${o.error}`);
    for (const u of o.unmatched) log().warn(`tags: ${o.name}/${u}: not indexed (excluded by the index settings, not an image, or failed to decode)`);
    const r = o.result;
    if (!r) continue;
    log().info(`tags: ${o.name}: ${r.tagged} of ${r.considered} images tagged${r.cancelled ? ' (cancelled)' : ''}, ${r.renamed.length} renamed, ${r.dropped.length} removed`);
    for (const e of r.errors) log().warn(`tags: ${o.name}/${e.input}: ${e.error}`);
    for (const i of r.issues) log().warn(`tags: ${o.name}: ${i}`);
  }
}

function showMessage(severity: 'info' | 'warning' | 'error', message: string, ...actions: string[]): Thenable<string | undefined> {
  if (severity === 'error') return vscode.window.showErrorMessage(message, ...actions);
  if (severity === 'warning') return vscode.window.showWarningMessage(message, ...actions);
  return vscode.window.showInformationMessage(message, ...actions);
}
