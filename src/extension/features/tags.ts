// Auto-tagging in VS Code: "Tag Images" (palette, gallery, Explorer folders and images), "Edit Tags"
// (Explorer, gallery tiles), "Export Tags (CSV/JSON)", the tags shown on tiles and used by `tag:`
// filters, quiet tagging of new images after each index run, and reloading when the tags or
// vocabulary file changes on disk. Thin: scoring, the tags file and exports are the engine's
// (src/engine/tags); the per-folder state is ./tagging/folderTags.ts; text embeddings of the
// vocabulary come from the Engine's worker process.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { registerCommand } from '../commands/register';
import type { Engine } from '../../engine/engine';
import { TagEmbeddingCache } from '../../engine/tags/embeddings';
import type { ExportFormat, ExportOptions } from '../../engine/tags/export';
import { TAGS_DATA_FILE } from '../../engine/tags/store';
import type { TagSuggestion } from '../../engine/tags/tagger';
import { VOCABULARY_FILE, vocabularyFileTemplate, withVocabularyThreshold } from '../../engine/tags/vocabulary';
import { writeFileAtomic } from '../../engine/util/atomic';
import { isItemError } from '../../engine/types';
import { EtaEstimator, formatDuration } from '../../engine/util/format';
import type { AssetTag } from '../../shared/messages';
import type { AssetLibrary } from '../assets/assetLibrary';
import type { FolderState } from '../assets/folderState';
import { log } from '../log';
import type { ModelService } from '../modelService';
import { createOrderedQuickPick } from '../orderedQuickPick';
import { readSettings } from '../settings';
import { targetPaths } from './commandArgs';
import { buildTagRows, planTagChanges, statesOf, TagPickerModel, type PickerRow } from './tagging/editPlan';
import { FolderTags, type ImageTagChange } from './tagging/folderTags';
import { settingsVocabulary } from './tagging/settingsVocab';
import { tagRunSummary, type FolderOutcome } from './tagging/summary';
import { groupByRoot, matchSelection } from './tagging/targets';
import { errorMessage } from '../../engine/util/errors';

export interface TagFeatureDeps {
  models: ModelService;
  library: AssetLibrary;
}

export interface TagFeatures {
  /** Tags on an image for gallery and result tiles: confirmed (source "user") first, then suggestions; removed tags never. */
  tagsOf(absPath: string): AssetTag[];
  /** Tag names on an image, for `tag:` search filters. */
  tagNamesOf(absPath: string): string[];
  /** Fires (debounced) when any folder's tags changed. */
  readonly onDidChangeTags: vscode.Event<void>;
}

const IMAGE_FILE = /\.(png|jpe?g|gif|webp|avif|tiff?|svg)$/i;
const EDIT_VOCABULARY = 'Edit Vocabulary';
const LOWER_THRESHOLD = 'Lower Threshold';
/** "Lower Threshold" steps the calibrated-score threshold down by this much, never below MIN_THRESHOLD. */
const THRESHOLD_STEP = 0.2;
/** Below this a tag is barely more likely than "an image": suggestions would be noise. */
const MIN_THRESHOLD = 0.3;
const REFRESH_DELAY_MS = 150;
const AUTO_TAG_DELAY_MS = 1000;
const RESCORE_DELAY_MS = 400;
const FILE_RELOAD_DELAY_MS = 300;
/** Images not in the index yet that "Edit Tags" embeds on the spot for live scores. */
const MAX_UNINDEXED_EMBEDS = 16;

export function registerTagFeatures(context: vscode.ExtensionContext, deps: TagFeatureDeps): TagFeatures {
  const tagging = new TagCommands(deps);
  context.subscriptions.push(tagging);
  const command = (id: string, run: (...args: any[]) => unknown) => registerCommand(context, id, run);
  command('tagImages', (first?: unknown, second?: unknown) => tagging.tagImages(targetPaths(first, second), 'incremental'));
  command('editTags', (first?: unknown, second?: unknown) => tagging.editTags(targetPaths(first, second)));
  command('exportTags', () => tagging.exportTags());
  command('editVocabulary', () => tagging.editVocabulary());
  // After activation returns: read the tags files (no model needed) so tiles show tags at once.
  setTimeout(() => tagging.loadAll(), 0);
  return {
    tagsOf: (absPath) => tagging.tagsOf(absPath),
    tagNamesOf: (absPath) => tagging.tagsOf(absPath).map((t) => t.tag),
    onDidChangeTags: tagging.onDidChangeTags,
  };
}

class TagCommands implements vscode.Disposable {
  private readonly folders = new Map<string, FolderTags>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTags = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly rescores = new Map<string, AbortController>();
  private caches = new Map<string, TagEmbeddingCache>();
  /** Interactive "Tag Images" runs in progress: quiet auto-tagging waits for them. */
  private interactive = 0;
  /** Vocabulary problems already logged by quiet runs (logged once, not on every index run). */
  private loggedIssues = new Set<string>();
  /** Folders whose broken tags file was already reported. */
  private reportedLoadErrors = new Set<string>();

  constructor(private readonly deps: TagFeatureDeps) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/.vscode/{asset-tags.json,asset-tags.data.json}');
    const onFile = (uri: vscode.Uri) => this.fileChanged(uri.fsPath);
    this.disposables.push(
      this.changed,
      watcher,
      watcher.onDidCreate(onFile),
      watcher.onDidChange(onFile),
      watcher.onDidDelete(onFile),
      deps.library.onDidUpdateIndex(() => this.debounce('auto', AUTO_TAG_DELAY_MS, () => this.autoTag())),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.loadAll()),
      vscode.workspace.onDidChangeConfiguration((e) => this.configurationChanged(e)),
    );
  }

  // --- folders --------------------------------------------------------------------------------

  private roots(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => path.resolve(f.uri.fsPath));
  }

  private folder(root: string): FolderTags {
    let f = this.folders.get(root);
    if (!f) {
      const scope = vscode.Uri.file(root);
      f = new FolderTags({
        root,
        index: {
          snapshot: () => this.state(root)?.snapshot(),
          onDisk: (rel) => {
            const s = this.state(root);
            return !!s && (s.files.has(rel) || s.entry(rel) !== undefined);
          },
        },
        settingsVocabulary: () => {
          const t = readSettings(scope).tags;
          return settingsVocabulary(t.vocabulary, t.maxPerImage);
        },
        writeSidecars: () => readSettings(scope).tags.writeXmpSidecars,
        embeddingCache: () => this.cache(),
      });
      this.folders.set(root, f);
    }
    return f;
  }

  /** The library's state of a workspace folder (recreated by the library on reloads: look it up each time). */
  private state(root: string): FolderState | undefined {
    return this.deps.library.folderStates.find((s) => s.root === root);
  }

  private folderName(root: string): string {
    return vscode.workspace.getWorkspaceFolder(vscode.Uri.file(root))?.name ?? path.basename(root);
  }

  /** Tag prompt embeddings, persisted beside the models (shared with the CLI's `tag` command). */
  private cache(): TagEmbeddingCache {
    const file = path.join(this.deps.models.cacheDir(), 'tag-embeddings.json');
    let c = this.caches.get(file);
    if (!c) {
      c = new TagEmbeddingCache(file);
      this.caches.set(file, c);
    }
    return c;
  }

  private saveCache(): void {
    for (const c of this.caches.values()) void c.save().catch((err) => log().warn(`tags: embedding cache not saved: ${errorMessage(err)}`));
  }

  /** Loads every workspace folder's tags file; forgets folders that left the workspace. */
  loadAll(): void {
    const roots = new Set(this.roots());
    for (const root of [...this.folders.keys()]) if (!roots.has(root)) this.folders.delete(root);
    for (const root of roots) {
      this.folder(root).loadStore().then(() => this.refresh(), (err) => this.reportLoadError(root, err));
    }
  }

  private reportLoadError(root: string, err: unknown): void {
    const message = errorMessage(err);
    log().error(`tags: ${message}`);
    if (this.reportedLoadErrors.has(root)) return;
    this.reportedLoadErrors.add(root);
    void vscode.window.showErrorMessage(`MobileCLIP Assets: the tags file of ${this.folderName(root)} cannot be read: ${message.split('\n')[0]}`, 'Open File')
      .then((pick) => pick && vscode.window.showTextDocument(vscode.Uri.file(path.join(root, TAGS_DATA_FILE))));
  }

  tagsOf(absPath: string): AssetTag[] {
    // The deepest workspace folder holding the image (folders may nest), as groupByRoot decides.
    let best: [string, FolderTags] | undefined;
    for (const entry of this.folders) {
      const root = entry[0];
      if (absPath.length > root.length && absPath.startsWith(root) && absPath[root.length] === path.sep && (!best || root.length > best[0].length)) best = entry;
    }
    if (!best) return [];
    const rel = absPath.slice(best[0].length + 1);
    return best[1].tagsOf(path.sep === '/' ? rel : rel.split(path.sep).join('/'));
  }

  /** Tiles and search filters read tags synchronously: tell the library to re-read them. */
  private refresh(): void {
    this.debounce('refresh', REFRESH_DELAY_MS, () => {
      this.deps.library.refreshAnnotations();
      this.changed.fire();
    });
  }

  private debounce(key: string, ms: number, run: () => unknown): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      void Promise.resolve().then(run).catch((err) => log().error(`tags: ${errorMessage(err)}`));
    }, ms));
  }

  // --- files and settings changing under us ---------------------------------------------------------

  private fileChanged(file: string): void {
    const root = this.roots().find((r) => file === path.join(r, TAGS_DATA_FILE) || file === path.join(r, VOCABULARY_FILE));
    if (!root) return;
    if (file === path.join(root, VOCABULARY_FILE)) {
      this.folder(root).invalidateVocabulary();
      this.debounce('auto', AUTO_TAG_DELAY_MS, () => this.autoTag());
      return;
    }
    this.debounce(`reload:${root}`, FILE_RELOAD_DELAY_MS, async () => {
      try {
        if (await this.folder(root).reloadStore()) {
          this.reportedLoadErrors.delete(root);
          this.refresh();
        }
      } catch (err) {
        this.reportLoadError(root, err);
      }
    });
  }

  private configurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (e.affectsConfiguration('mobileclipAssets.tags.vocabulary') || e.affectsConfiguration('mobileclipAssets.tags.maxPerImage')) {
      for (const f of this.folders.values()) f.invalidateVocabulary();
      this.debounce('auto', AUTO_TAG_DELAY_MS, () => this.autoTag());
    }
    if (e.affectsConfiguration('mobileclipAssets.modelCacheDir')) this.caches = new Map();
    if (e.affectsConfiguration('mobileclipAssets.tags.writeXmpSidecars')) void this.offerSidecars();
  }

  /** The sidecar setting was switched on: sidecars are written as tags change; offer them for existing tags now. */
  private async offerSidecars(): Promise<void> {
    const roots = this.roots().filter((r) => readSettings(vscode.Uri.file(r)).tags.writeXmpSidecars);
    const tagged = roots.reduce((n, r) => n + (this.folder(r).loaded?.size ?? 0), 0);
    if (!roots.length || tagged === 0) return;
    const pick = await vscode.window.showInformationMessage(
      `XMP sidecars are written from now on whenever tags change. Write them now for the images that already have tags?`,
      'Write Sidecars',
    );
    if (!pick) return;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Writing XMP sidecars' }, async () => {
      let written = 0;
      const errors: string[] = [];
      for (const root of roots) {
        const r = await this.folder(root).writeAllSidecars();
        written += r.written;
        for (const e of r.errors) errors.push(`${e.input}: ${e.error}`);
      }
      for (const e of errors) log().warn(`tags: sidecar ${e}`);
      const note = errors.length ? ` ${errors.length} could not be written (see the log; sidecars of other tools are left alone).` : '';
      void vscode.window.showInformationMessage(`Wrote ${written} XMP ${written === 1 ? 'sidecar' : 'sidecars'}.${note}`);
    });
  }

  // --- quiet tagging after index runs ---------------------------------------------------------

  /** New and changed images get suggestions after each index run; renamed files keep their tags. */
  private async autoTag(): Promise<void> {
    if (this.interactive > 0) return; // the interactive run tags them and reports it
    const engine = this.deps.models.runningEngine;
    let changed = false;
    for (const root of this.roots()) {
      const snapshot = this.state(root)?.snapshot();
      if (!snapshot || snapshot.entries.length === 0) continue;
      // Only folders that use tagging (a tags file exists: someone ran Tag Images or the team
      // committed one) are tagged in the background; nothing is written into a repository unasked.
      if (!existsSync(path.join(root, TAGS_DATA_FILE))) continue;
      const folder = this.folder(root);
      try {
        const enabled = readSettings(vscode.Uri.file(root)).tags.autoTag;
        const vocab = enabled && engine ? await folder.vocabulary() : undefined;
        if (vocab && vocab.issues.length) this.logIssuesOnce(root, vocab.issues);
        if (!engine || !vocab || vocab.issues.length || vocab.tags.length === 0) {
          // No tagging now, but renames and deletions still reach the tags file.
          const r = await folder.reconcileWithIndex();
          changed ||= !!r && (r.renamed.length > 0 || r.dropped.length > 0);
          continue;
        }
        const r = await folder.run(engine, { mode: 'incremental' });
        if (r.tagged || r.renamed.length || r.dropped.length) {
          changed = true;
          log().info(`tags: ${this.folderName(root)}: ${r.tagged} new or changed images tagged, ${r.renamed.length} renamed, ${r.dropped.length} removed`);
        }
        for (const e of r.errors) log().warn(`tags: ${e.input}: ${e.error}`);
      } catch (err) {
        if (!folder.loaded && folder.loadError) this.reportLoadError(root, err);
        else log().warn(`tags: automatic tagging of ${this.folderName(root)} failed: ${errorMessage(err)}`);
      }
    }
    this.saveCache();
    if (changed) this.refresh();
  }

  /** Quiet runs stop on vocabulary problems (a half-typed file must not re-tag everything); say so once. */
  private logIssuesOnce(root: string, issues: readonly string[]): void {
    const key = `${root}\n${issues.join('\n')}`;
    if (this.loggedIssues.has(key)) return;
    this.loggedIssues.add(key);
    const name = this.folderName(root);
    log().warn(`tags: automatic tagging of ${name} is paused until the tag vocabulary is fixed:\n  ${issues.join('\n  ')}`);
    const open = 'Open Vocabulary';
    void vscode.window.showWarningMessage(`MobileCLIP Assets: automatic tagging of ${name} is paused: ${issues[0]}`, open, 'Show Log').then((pick) => {
      if (pick === open) void this.openVocabulary(root, issues);
      else if (pick) log().show();
    });
  }

  // --- Tag Images -----------------------------------------------------------------------------

  async tagImages(targets: string[], mode: 'incremental' | 'all'): Promise<void> {
    const roots = this.roots();
    if (!roots.length) throw new Error('Open a folder first: tagging works on the images of a workspace folder.');
    const { groups, outside } = groupByRoot(roots, targets);
    if (outside.length) void vscode.window.showWarningMessage(`Not in a workspace folder, skipped: ${outside.map((p) => path.basename(p)).join(', ')}`);
    if (!groups.length) return;

    // Vocabulary problems are the user's to decide on before any model work starts.
    for (const g of groups) {
      const vocab = await this.folder(g.root).vocabulary();
      if (vocab.tags.length === 0) throw new Error(`The tag vocabulary of ${this.folderName(g.root)} is empty: add tags in ${VOCABULARY_FILE} or the setting mobileclipAssets.tags.vocabulary.`);
      if (vocab.issues.length && !(await this.confirmVocabularyIssues(g.root, vocab.issues))) return;
    }

    this.interactive++;
    try {
      const unindexed = groups.some((g) => this.needsIndexing(g.root));
      const summaries = await this.deps.library.indexAll({ interactive: true, notify: unindexed, feature: 'Tagging' });
      const engine = this.deps.models.runningEngine;
      if (!summaries || !engine) return; // no model (the download was declined); the library said so
      const outcomes = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: mode === 'all' ? 'Re-tagging images' : 'Tagging images', cancellable: true },
        (progress, token) => this.runGroups(groups, mode, engine, progress, token),
      );
      this.saveCache();
      this.refresh();
      this.logOutcomes(outcomes);
      const summary = tagRunSummary(outcomes, mode);
      const actions = [
        ...(summary.offerVocabulary ? [EDIT_VOCABULARY, LOWER_THRESHOLD] : []),
        ...(summary.offerRetagAll ? ['Re-tag All'] : []),
        ...(summary.offerLog ? ['Show Log'] : []),
      ];
      const roots = groups.map((g) => g.root);
      void showMessage(summary.severity, summary.message, ...actions).then(async (pick) => {
        try {
          if (pick === 'Show Log') log().show();
          else if (pick === EDIT_VOCABULARY) await this.editVocabulary(roots[0]);
          else if (pick === LOWER_THRESHOLD) await this.lowerThreshold(roots, targets);
          else if (pick === 'Re-tag All') await this.tagImages(targets, 'all');
        } catch (err) {
          void vscode.window.showErrorMessage(`MobileCLIP Assets: ${errorMessage(err)}`);
        }
      });
    } finally {
      this.interactive--;
    }
  }

  private async runGroups(
    groups: ReturnType<typeof groupByRoot>['groups'],
    mode: 'incremental' | 'all',
    engine: Engine,
    progress: vscode.Progress<{ message?: string; increment?: number }>,
    token: vscode.CancellationToken,
  ): Promise<FolderOutcome[]> {
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    const outcomes: FolderOutcome[] = [];
    try {
      for (const g of groups) {
        if (abort.signal.aborted) break;
        const name = this.folderName(g.root);
        const prefix = groups.length > 1 ? `${name}: ` : '';
        let only: Set<string> | undefined;
        let unmatched: string[] = [];
        if (!g.whole) {
          const m = matchSelection((this.state(g.root)?.snapshot()?.entries ?? []).map((e) => e.path), g.paths);
          only = m.matched;
          unmatched = m.unmatched;
          if (only.size === 0) {
            outcomes.push({ name, unmatched });
            continue;
          }
        }
        progress.report({ message: `${prefix}preparing the tag vocabulary…` });
        let eta: EtaEstimator | undefined;
        let reported = 0;
        try {
          const result = await this.folder(g.root).run(engine, {
            mode,
            only,
            signal: abort.signal,
            onStart: ({ tags, images }) => progress.report({ message: `${prefix}${images.toLocaleString()} images, ${tags} tags` }),
            onProgress: ({ done, total }) => {
              eta ??= new EtaEstimator(total);
              const share = total > 0 ? (done / total) * (100 / groups.length) : 0;
              const left = eta.etaSeconds(done);
              progress.report({
                increment: Math.max(0, share - reported),
                message: `${prefix}${done.toLocaleString()} of ${total.toLocaleString()}${Number.isFinite(left) && done < total ? ` · ${formatDuration(left)} left` : ''}`,
              });
              reported = Math.max(reported, share);
            },
          });
          outcomes.push({ name, result, unmatched });
        } catch (err) {
          outcomes.push({ name, error: errorMessage(err), unmatched });
        }
      }
    } finally {
      sub.dispose();
    }
    return outcomes;
  }

  private logOutcomes(outcomes: readonly FolderOutcome[]): void {
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

  /** Files the scan found that are neither indexed nor failed: indexing first needs a visible progress. */
  private needsIndexing(root: string): boolean {
    const s = this.state(root);
    if (!s || !s.attached) return true;
    for (const rel of s.files.keys()) if (!s.entry(rel) && !s.failed.has(rel)) return true;
    return false;
  }

  private async confirmVocabularyIssues(root: string, issues: readonly string[]): Promise<boolean> {
    const open = 'Open Vocabulary';
    const pick = await vscode.window.showWarningMessage(
      `The tag vocabulary of ${this.folderName(root)} has ${issues.length === 1 ? 'a problem' : `${issues.length} problems`}; the affected tags are skipped.`,
      { modal: true, detail: issues.join('\n') },
      'Tag Anyway',
      open,
    );
    if (pick === open) await this.openVocabulary(root, issues);
    return pick === 'Tag Anyway';
  }

  /**
   * Opens the folder's `.vscode/asset-tags.json`, creating it first (with the built-in vocabulary
   * spelled out, so there is something to edit) when the folder has none.
   */
  async editVocabulary(root?: string): Promise<void> {
    root ??= await this.pickRoot('Edit Tag Vocabulary');
    if (!root) return;
    const file = path.join(root, VOCABULARY_FILE);
    if (!existsSync(file)) {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await writeFileAtomic(file, vocabularyFileTemplate());
      log().info(`tags: created ${file} with the built-in vocabulary`);
    }
    await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
    vscode.window.setStatusBarMessage('$(tag) Save the vocabulary: images are tagged again with it', 6000);
  }

  /** Lowers the vocabulary's default threshold (in the folder's vocabulary file) and re-tags. */
  private async lowerThreshold(roots: readonly string[], targets: string[]): Promise<void> {
    const changes: string[] = [];
    for (const root of roots) {
      const current = (await this.folder(root).vocabulary()).threshold;
      const lowered = Math.max(MIN_THRESHOLD, Math.round((current - THRESHOLD_STEP) * 100) / 100);
      if (lowered >= current) continue;
      const file = path.join(root, VOCABULARY_FILE);
      const text = existsSync(file) ? await fs.readFile(file, 'utf8') : vocabularyFileTemplate();
      await fs.mkdir(path.dirname(file), { recursive: true });
      await writeFileAtomic(file, withVocabularyThreshold(text, lowered));
      this.folder(root).invalidateVocabulary();
      changes.push(`${current} → ${lowered}`);
      log().info(`tags: ${this.folderName(root)}: threshold ${current} -> ${lowered} (${file})`);
    }
    if (!changes.length) {
      const pick = await vscode.window.showWarningMessage(`The tag threshold is already ${MIN_THRESHOLD}: lower still would tag at random. Describe the images in the vocabulary instead.`, EDIT_VOCABULARY);
      if (pick) await this.editVocabulary(roots[0]);
      return;
    }
    vscode.window.setStatusBarMessage(`$(tag) Tag threshold ${changes.join(', ')}`, 6000);
    await this.tagImages(targets, 'all');
  }

  private async pickRoot(title: string): Promise<string | undefined> {
    const roots = this.roots();
    if (roots.length <= 1) {
      if (!roots.length) throw new Error('Open a folder first: the tag vocabulary is kept per workspace folder.');
      return roots[0];
    }
    const pick = await vscode.window.showQuickPick(roots.map((r) => ({ label: this.folderName(r), description: r, root: r })), { title });
    return pick?.root;
  }

  private async openVocabulary(root: string, issues: readonly string[]): Promise<void> {
    const file = path.join(root, VOCABULARY_FILE);
    const inFile = issues.some((i) => i.startsWith(file));
    if (inFile || !issues.length) await vscode.window.showTextDocument(vscode.Uri.file(file));
    else await vscode.commands.executeCommand('workbench.action.openSettings', 'mobileclipAssets.tags');
  }

  // --- Edit Tags ------------------------------------------------------------------------------

  async editTags(targets: string[]): Promise<void> {
    if (!targets.length) {
      const active = activeImage();
      if (active) targets = [active];
    }
    if (!targets.length) throw new Error('Select one or more images in the Explorer or the gallery to edit their tags.');
    const { groups, outside } = groupByRoot(this.roots(), targets);
    if (outside.length) void vscode.window.showWarningMessage(`Tags are kept per workspace folder; not in one, skipped: ${outside.map((p) => path.basename(p)).join(', ')}`);
    const images: EditedImage[] = [];
    for (const g of groups) {
      const state = this.state(g.root);
      for (const rel of g.paths) {
        const entry = state?.entry(rel);
        const abs = path.join(g.root, ...rel.split('/'));
        if (!entry && !(await isImageFile(abs))) continue; // a folder or another kind of file in the selection
        images.push({ root: g.root, rel, abs, sha256: entry?.sha256 });
      }
    }
    if (!images.length) throw new Error('None of the selected items is an image in a workspace folder.');
    const roots = [...new Set(images.map((i) => i.root))];
    for (const root of roots) {
      try {
        await this.folder(root).loadStore();
      } catch (err) {
        throw new Error(`The tags file of ${this.folderName(root)} cannot be read (fix or delete ${TAGS_DATA_FILE}): ${errorMessage(err)}`);
      }
    }

    const recorded = await this.suggestionsFor(images, undefined);
    const usedElsewhere = new Map<string, number>();
    for (const root of roots) for (const [t, n] of this.folder(root).loaded?.tagCounts() ?? []) usedElsewhere.set(t, (usedElsewhere.get(t) ?? 0) + n);
    let lists = recorded.lists;
    const live = this.liveSuggestions(images).then((r) => {
      if (!r) return undefined;
      lists = r.lists;
      return { rows: buildTagRows(r.lists, usedElsewhere), note: r.note };
    });
    const title = images.length === 1 ? `Tags of ${path.basename(images[0]!.abs)}` : `Tags of ${images.length} images`;
    const picked = await pickTags(title, buildTagRows(recorded.lists, usedElsewhere), live);
    if (!picked) return;

    const changes = planTagChanges(statesOf(lists), picked.initial, picked.final);
    const byRoot = new Map<string, ImageTagChange[]>();
    images.forEach((img, i) => {
      const c = changes[i]!;
      if (!c.confirm.length && !c.reject.length) return;
      const list = byRoot.get(img.root) ?? [];
      list.push({ path: img.rel, sha256: img.sha256, confirm: c.confirm, reject: c.reject });
      byRoot.set(img.root, list);
    });
    if (!byRoot.size) return;
    const problems: string[] = [];
    let edited = 0;
    for (const [root, list] of byRoot) {
      try {
        const r = await this.folder(root).applyChanges(list);
        edited += list.length - new Set(r.errors.map((e) => e.input)).size;
        for (const e of r.errors) problems.push(`${e.input}: ${e.error}`);
        if (r.vocabularyTouched) this.scheduleRescore(root);
      } catch (err) {
        problems.push(`${this.folderName(root)}: ${errorMessage(err)}`);
      }
    }
    this.refresh();
    for (const p of problems) log().warn(`tags: ${p}`);
    if (problems.length) {
      void vscode.window.showWarningMessage(`Tags updated on ${edited} of ${images.length} images; ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems[0]}`, 'Show Log')
        .then((p) => p && log().show());
    } else {
      vscode.window.setStatusBarMessage(`$(tag) Tags updated on ${edited} ${edited === 1 ? 'image' : 'images'}`, 4000);
    }
  }

  /** Suggestions per image (in `images` order), live when `engine` is given. */
  private async suggestionsFor(images: readonly EditedImage[], engine: Engine | undefined, embeddings = new Map<string, Float32Array>()): Promise<{ lists: TagSuggestion[][]; live: boolean; problems: string[] }> {
    const lists: TagSuggestion[][] = new Array(images.length);
    const problems: string[] = [];
    let live = true;
    for (const root of new Set(images.map((i) => i.root))) {
      const idx = images.map((img, i) => (img.root === root ? i : -1)).filter((i) => i >= 0);
      const r = await this.folder(root).suggest(engine, idx.map((i) => images[i]!.rel), embeddings);
      idx.forEach((i, k) => (lists[i] = r.lists[k]!));
      live &&= r.live;
      if (r.problem) problems.push(r.problem);
    }
    return { lists, live, problems };
  }

  /** Live scores: the running model (started without prompting if needed); images not indexed yet are embedded now. */
  private async liveSuggestions(images: readonly EditedImage[]): Promise<{ lists: TagSuggestion[][]; note?: string } | undefined> {
    try {
      const engine = this.deps.models.runningEngine ?? (await this.deps.models.getEngine());
      if (!engine) return { lists: (await this.suggestionsFor(images, undefined)).lists, note: 'No model loaded: scores are the recorded ones.' };
      const embeddings = new Map<string, Float32Array>();
      const unindexed = images.filter((i) => !i.sha256).slice(0, MAX_UNINDEXED_EMBEDS);
      if (unindexed.length) {
        const results = await engine.embedImages(unindexed.map((i) => i.abs));
        results.forEach((r, k) => {
          if (!isItemError(r)) embeddings.set(unindexed[k]!.rel, r.embedding);
        });
      }
      const r = await this.suggestionsFor(images, engine, embeddings);
      this.saveCache();
      for (const p of r.problems) log().warn(`tags: no live scores: ${p}`);
      return { lists: r.lists, note: r.problems.length ? `No live scores: ${r.problems[0]}` : undefined };
    } catch (err) {
      log().warn(`tags: no live scores: ${errorMessage(err)}`);
      return undefined;
    }
  }

  /** A confirmation or removal is a few-shot example: re-score the folder so other images' suggestions follow. */
  private scheduleRescore(root: string): void {
    this.rescores.get(root)?.abort();
    const abort = new AbortController();
    this.rescores.set(root, abort);
    this.debounce(`rescore:${root}`, RESCORE_DELAY_MS, async () => {
      const engine = this.deps.models.runningEngine;
      if (!engine || abort.signal.aborted) return;
      const r = await this.folder(root).rescore(engine, abort.signal);
      if (this.rescores.get(root) === abort) this.rescores.delete(root);
      if (!r) return;
      for (const e of r.errors) log().warn(`tags: ${e.input}: ${e.error}`);
      this.refresh();
    });
  }

  // --- Export Tags ----------------------------------------------------------------------------

  async exportTags(): Promise<void> {
    const roots = this.roots();
    if (!roots.length) throw new Error('Open a folder first: tags are kept per workspace folder.');
    let root = roots[0]!;
    if (roots.length > 1) {
      const pick = await vscode.window.showQuickPick(
        roots.map((r) => ({ label: this.folderName(r), description: `${(this.folder(r).loaded?.size ?? 0).toLocaleString()} images with tags`, root: r })),
        { title: 'Export Tags', placeHolder: 'Which workspace folder’s tags?' },
      );
      if (!pick) return;
      root = pick.root;
    }
    const folder = this.folder(root);
    const store = await folder.loadStore();
    if (store.size === 0) {
      const pick = await vscode.window.showInformationMessage(`${this.folderName(root)} has no tags yet.`, 'Tag Images');
      if (pick) await this.tagImages([root], 'incremental');
      return;
    }
    const format = await vscode.window.showQuickPick(
      [
        { label: 'CSV', description: 'one row per image and tag: path, tag, state, source, score', format: 'csv' as ExportFormat },
        { label: 'JSON', description: 'one object per image with its tags', format: 'json' as ExportFormat },
      ],
      { title: 'Export Tags (1/2): format' },
    );
    if (!format) return;
    const content = await vscode.window.showQuickPick(
      [
        { label: 'Confirmed and suggested tags', description: 'what the gallery shows', options: { includeSuggested: true } as ExportOptions },
        { label: 'Confirmed tags only', description: 'the tags you reviewed or added', options: { includeSuggested: false } },
        { label: 'Everything, including removed tags', description: 'with their state', options: { includeSuggested: true, includeRejected: true } },
      ],
      { title: 'Export Tags (2/2): which tags' },
    );
    if (!content) return;
    const uri = await vscode.window.showSaveDialog({
      title: 'Export Tags',
      saveLabel: 'Export',
      defaultUri: vscode.Uri.file(path.join(root, `asset-tags.${format.format}`)),
      filters: format.format === 'csv' ? { CSV: ['csv'] } : { JSON: ['json'] },
    });
    if (!uri) return;
    if (uri.scheme !== 'file') throw new Error('Choose a file on this machine to export to.');
    const count = await folder.exportTo(uri.fsPath, format.format, content.options);
    const pick = await vscode.window.showInformationMessage(`Exported the tags of ${count.toLocaleString()} images to ${path.basename(uri.fsPath)}.`, 'Open');
    if (pick) await vscode.commands.executeCommand('vscode.open', uri);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const a of this.rescores.values()) a.abort();
    for (const d of this.disposables) d.dispose();
  }
}

interface EditedImage {
  root: string;
  rel: string;
  abs: string;
  /** From the index; undefined when the image is not indexed (yet). */
  sha256?: string;
}

interface TagItem extends vscode.QuickPickItem {
  row: PickerRow;
}

/**
 * The "Edit Tags" picker: rows open at once from the recorded tags; live scores replace them when
 * `live` resolves, keeping what the user checked so far. Resolves to the checked tags, or
 * undefined when dismissed.
 */
function pickTags(
  title: string,
  rows: PickerRow[],
  live: Promise<{ rows: PickerRow[]; note?: string } | undefined>,
): Promise<{ initial: ReadonlySet<string>; final: ReadonlySet<string> } | undefined> {
  const model = new TagPickerModel(rows);
  // Typing filters the tags but keeps their sections and score order (and the separators, which
  // VS Code drops when it re-sorts by label).
  const qp = createOrderedQuickPick<TagItem>();
  qp.title = title;
  qp.canSelectMany = true;
  qp.matchOnDescription = false;
  qp.placeholder = 'Check the tags to keep; type to filter or to add new tags (comma-separated)';
  qp.busy = true;
  let shown = '';
  const render = (force = false) => {
    const next = model.rows();
    // Re-creating the items while typing would reset the list's scroll: only when rows change.
    const key = next.map((r) => `${r.kind}:${r.tag}:${r.label}:${r.description ?? ''}`).join('\n');
    if (!force && key === shown) return;
    shown = key;
    const items: TagItem[] = next.map((row) => row.kind === 'separator'
      ? { row, label: row.label, kind: vscode.QuickPickItemKind.Separator }
      : { row, label: row.label, description: row.description, picked: row.picked, alwaysShow: row.alwaysShow });
    qp.items = items;
    qp.selectedItems = items.filter((i) => i.row.kind !== 'separator' && i.row.picked);
  };
  render(true);
  return new Promise((resolve) => {
    let result: { initial: ReadonlySet<string>; final: ReadonlySet<string> } | undefined;
    const subs = [
      qp.onDidChangeValue((value) => {
        model.setValue(value);
        render();
      }),
      qp.onDidChangeSelection((items) => {
        model.setSelection(items.map((i) => i.row.tag));
        if (items.some((i) => i.row.kind === 'new')) render();
      }),
      qp.onDidAccept(() => {
        result = { initial: model.initial, final: model.result(qp.value) };
        qp.hide();
      }),
      qp.onDidHide(() => {
        for (const s of subs) s.dispose();
        qp.dispose();
        resolve(result);
      }),
    ];
    void live.then((r) => {
      if (result !== undefined) return;
      if (r) {
        model.replaceRows(r.rows);
        render();
        if (r.note) qp.title = `${title} — ${r.note}`;
      }
      qp.busy = false;
    }, () => (qp.busy = false));
    qp.show();
  });
}

function showMessage(severity: 'info' | 'warning' | 'error', message: string, ...actions: string[]): Thenable<string | undefined> {
  if (severity === 'error') return vscode.window.showErrorMessage(message, ...actions);
  if (severity === 'warning') return vscode.window.showWarningMessage(message, ...actions);
  return vscode.window.showInformationMessage(message, ...actions);
}

/** The image in the active editor or preview tab, if any. */
function activeImage(): string | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri = vscode.window.activeTextEditor?.document.uri
    ?? (input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined);
  return uri?.scheme === 'file' && IMAGE_FILE.test(uri.fsPath) ? uri.fsPath : undefined;
}

async function isImageFile(abs: string): Promise<boolean> {
  if (!IMAGE_FILE.test(abs)) return false;
  try {
    return (await fs.stat(abs)).isFile();
  } catch {
    return false;
  }
}
