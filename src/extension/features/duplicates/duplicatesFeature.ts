// The gallery's Duplicates mode, on the engine: pixel signatures of every indexed image (cached
// beside the index, computed in the worker), groups by embedding then pixels
// (engine/duplicates/group.ts) with the thresholds of mobileclipAssets.duplicates.*, and the two
// actions: "Keep this one" (engine planKeep → one WorkspaceEdit the user previews, then an offer
// to move the other files to the trash) and "Not duplicates" (engine recordNotDuplicates).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DECISIONS_FILE, loadDuplicateDecisions, recordNotDuplicates } from '../../../engine/duplicates/decisions';
import { groupDuplicates, type DuplicateGroup } from '../../../engine/duplicates/group';
import { pixelSignaturesFor, type SignatureWorker } from '../../../engine/duplicates/signatures';
import { DEFAULT_THUMBNAIL_SIZE } from '../../../engine/index/thumbnails';
import { planKeep, type KeepPlan } from '../../../engine/references/edits';
import { readTextFile } from '../../../engine/references/scan';
import { errorMessage } from '../../../engine/util/errors';
import type { DuplicateGroupView } from '../../../shared/messages';
import type { AssetLibrary } from '../../assets/assetLibrary';
import type { FolderState } from '../../assets/folderState';
import { log } from '../../log';
import { readSettings } from '../../settings';
import type { DuplicatesBackend, DuplicatesState } from '../../webview/backend';
import { ensureReferences } from '../references/commands';
import type { ReferenceService } from '../references/referenceService';

export interface DuplicatesDeps {
  library: AssetLibrary;
  references: ReferenceService;
}

const DELETE = 'Move to Trash';
const DELETE_FOR_GOOD = 'Delete Permanently';

/**
 * The edit "Keep this one" applies: every planned replacement. `preview`: each edit needs
 * confirmation, which puts them in the Refactor Preview (where VS Code lists them unticked).
 */
export function keepEdit(plan: KeepPlan, root: string, keep: string, preview: boolean): vscode.WorkspaceEdit {
  const edit = new vscode.WorkspaceEdit();
  const metadata: vscode.WorkspaceEditEntryMetadata = { label: `Point at ${keep}`, needsConfirmation: preview, description: 'Keep this one' };
  for (const e of plan.edits) {
    const range = new vscode.Range(e.range.start.line, e.range.start.character, e.range.end.line, e.range.end.character);
    edit.replace(vscode.Uri.file(path.join(root, e.file)), range, e.newText, metadata);
  }
  return edit;
}

const REWRITE = 'Rewrite References';
const PREVIEW = 'Preview Changes…';

/** Asks how to apply the plan: all at once (one undoable edit), in the Refactor Preview, or not at all. */
async function askHowToApply(plan: KeepPlan, keep: string): Promise<'rewrite' | 'preview' | undefined> {
  const refs = plan.edits.length === 1 ? 'one reference' : `${plan.edits.length} references`;
  const files = plan.files.length === 1 ? plan.files[0]! : `${plan.files.length} files`;
  const listed = plan.files.slice(0, 10).join('\n') + (plan.files.length > 10 ? `\n… and ${plan.files.length - 10} more` : '');
  const pick = await vscode.window.showInformationMessage(
    `Point ${refs} in ${files} at ${keep}?`,
    { modal: true, detail: `${listed}\n\nOne edit: Undo reverts it. Preview Changes lets you choose edit by edit (tick the ones to apply).` },
    REWRITE,
    PREVIEW,
  );
  return pick === REWRITE ? 'rewrite' : pick === PREVIEW ? 'preview' : undefined;
}

export class DuplicatesFeature implements DuplicatesBackend, vscode.Disposable {
  private state: DuplicatesState | undefined;
  private running: AbortController | undefined;
  private readonly emitter = new vscode.EventEmitter<DuplicatesState>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly deps: DuplicatesDeps) {}

  current(): DuplicatesState | undefined {
    return this.state;
  }

  private publish(state: DuplicatesState): void {
    this.state = state;
    this.emitter.fire(state);
  }

  async find(): Promise<void> {
    this.running?.abort();
    const abort = new AbortController();
    this.running = abort;
    const engine = await this.deps.library.ensureSearchReady('Finding duplicates');
    if (!engine) {
      this.publish({ state: 'failed', groups: [], message: 'Finding duplicates needs the model (it compares the images\u2019 embeddings); see the message above.' });
      return;
    }
    this.publish({ state: 'running', groups: this.state?.groups ?? [], message: 'Comparing images…' });
    try {
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Finding duplicate images', cancellable: true },
        async (progress, token) => {
          const sub = token.onCancellationRequested(() => abort.abort());
          try {
            return await this.group(engine, abort.signal, (message) => progress.report({ message }));
          } finally {
            sub.dispose();
          }
        },
      );
      if (this.running !== abort) return;
      this.publish({ state: 'done', ...outcome });
    } catch (err) {
      if (this.running !== abort) return;
      if (abort.signal.aborted) this.publish({ state: 'cancelled', groups: this.state?.groups ?? [], message: 'Finding duplicates was cancelled.' });
      else {
        log().error(`duplicates: ${errorMessage(err)}`);
        this.publish({ state: 'failed', groups: [], message: `Finding duplicates failed: ${errorMessage(err)}` });
      }
    } finally {
      if (this.running === abort) this.running = undefined;
    }
  }

  private async group(engine: SignatureWorker, signal: AbortSignal, report: (message: string) => void): Promise<{ groups: DuplicateGroupView[]; images: number }> {
    // Reference counts pick the file to keep among equals and show on each member.
    await this.deps.references.ensureBuilt({ signal });
    this.deps.references.syncImages();
    const thresholds = readSettings().duplicates;
    const views: Array<DuplicateGroupView & { order: number }> = [];
    let images = 0;
    for (const folder of this.deps.library.folderStates) {
      const snapshot = folder.snapshot();
      if (!snapshot?.entries.length) continue;
      images += snapshot.entries.length;
      const decisions = await loadDuplicateDecisions(folder.root).catch((err: Error) => {
        void vscode.window.showWarningMessage(`${folder.name}: ${err.message}. Pairs marked "Not duplicates" are ignored until it is fixed.`);
        return { notDuplicates: [], problems: [] };
      });
      for (const p of decisions.problems) log().warn(`${folder.name}: ${DECISIONS_FILE}: ${p}`);
      const run = await pixelSignaturesFor(engine, snapshot.entries, {
        root: folder.root,
        indexDir: folder.indexDir,
        thumbnails: { dir: folder.thumbnailDir, size: DEFAULT_THUMBNAIL_SIZE },
        signal,
        onProgress: (done, total) => report(`${folder.name}: reading thumbnails ${done.toLocaleString('en')} of ${total.toLocaleString('en')}`),
      });
      if (run.failed.length)
        log().warn(`${folder.name}: ${run.failed.length} images could not be compared (thumbnail failed), e.g. ${run.failed[0]!.path}: ${run.failed[0]!.error}`);
      const count = (rel: string) => this.deps.references.referenceCount(path.join(folder.root, rel)) ?? 0;
      const grouped = await groupDuplicates(snapshot, run.signatures, {
        thresholds,
        decisions,
        referenceCount: count,
        signal,
        onProgress: (done, total) => report(`${folder.name}: comparing ${done.toLocaleString('en')} of ${total.toLocaleString('en')} images`),
      });
      for (const g of grouped.groups) {
        // Only groups whose files are still there (the index may trail a deletion by a moment).
        if (g.members.every((m) => folder.files.has(m.path))) views.push({ ...toView(folder, g), order: g.bytesWasted });
      }
    }
    views.sort((a, b) => b.order - a.order);
    return { groups: views.map(({ order: _order, ...v }) => v), images };
  }

  async keep(id: string, others: readonly string[]): Promise<void> {
    const { library, references } = this.deps;
    const folder = library.folderOf(id);
    const keepRel = folder?.relative(id);
    if (!folder || keepRel === undefined) throw new Error(`${path.basename(id)} is not in a workspace folder.`);
    const otherRels = others.map((o) => folder.relative(o)).filter((r): r is string => r !== undefined && r !== keepRel);
    if (otherRels.length !== others.length) throw new Error('Keep this one works within one workspace folder.');
    if (!(await ensureReferences(references))) return;
    await references.flush(); // text files changed a moment ago
    const found = references.indexFor(id);
    if (!found) throw new Error(`${keepRel}: its folder's references are not known yet; try again in a moment.`);
    const plan = planKeep(found.index, keepRel, otherRels);
    const dirty = vscode.workspace.textDocuments.filter((d) => d.isDirty && plan.files.some((f) => d.uri.fsPath === path.join(folder.root, f)));
    if (dirty.length) {
      void vscode.window.showWarningMessage(`Save ${dirty.map((d) => path.basename(d.uri.fsPath)).join(', ')} first: Keep this one rewrites references in saved files.`);
      return;
    }
    let rewritten = 0;
    if (plan.edits.length) {
      // In the Refactor Preview, VS Code lists edits that need confirmation unticked
      // (bulkEditPreview: checked = !needsConfirmation), so the user chooses: all, or edit by edit.
      const how = await askHowToApply(plan, keepRel);
      if (!how) return;
      const applied = await vscode.workspace.applyEdit(keepEdit(plan, folder.root, keepRel, how === 'preview'), { isRefactoring: true });
      if (!applied) return; // discarded in the preview
      // Saved, so the files on disk (what git and the reference scan see) say the same.
      const edited = new Set(plan.files.map((f) => path.join(folder.root, f)));
      const docs = vscode.workspace.textDocuments.filter((d) => edited.has(d.uri.fsPath));
      await Promise.all(docs.filter((d) => d.isDirty).map((d) => d.save()));
      // What was applied is what the files now say: some edits may have been left unticked.
      for (const rel of plan.files) {
        const abs = path.join(folder.root, rel);
        const doc = docs.find((d) => d.uri.fsPath === abs);
        found.index.updateFile(rel, doc ? doc.getText() : await readTextFile(abs).catch(() => undefined));
      }
      const left = planKeep(found.index, keepRel, otherRels);
      rewritten = plan.edits.length - left.edits.length;
      log().info(`keep ${keepRel}: ${rewritten} of ${plan.edits.length} references now point at it`);
      if (left.edits.length) {
        void vscode.window.showInformationMessage(
          `${left.edits.length === 1 ? 'One reference still names' : `${left.edits.length} references still name`} the other files (left unticked in the preview), so they were not offered for deletion.`,
        );
        return;
      }
    }
    if (plan.unresolved.length) {
      const first = plan.unresolved[0]!;
      void vscode.window.showWarningMessage(
        `${plan.unresolved.length === 1 ? 'One reference was' : `${plan.unresolved.length} references were`} left as they are: ${first.reason} (${first.reference.file}:${first.reference.range.start.line + 1}).`,
      );
    }
    const names = otherRels.length === 1 ? otherRels[0]! : `${otherRels.length} other files`;
    const stillUsed = plan.unresolved.length ? ' Some references still name them (see the warning).' : '';
    const pick = await vscode.window.showWarningMessage(
      `${rewritten ? `${rewritten === 1 ? 'One reference now points' : `${rewritten} references now point`} at ${keepRel}.` : `No text file references ${names}.`} Delete ${names}?`,
      { modal: true, detail: `They move to the trash.${stillUsed}` },
      DELETE,
    );
    if (pick === DELETE)
      await deleteFiles(
        otherRels.map((rel) => vscode.Uri.file(path.join(folder.root, rel))),
        names,
      );
    this.removeGroupOf(id);
  }

  async notDuplicates(ids: readonly string[]): Promise<void> {
    const folder = ids.length ? this.deps.library.folderOf(ids[0]!) : undefined;
    const rels = folder ? ids.map((i) => folder.relative(i)).filter((r): r is string => r !== undefined) : [];
    if (!folder || rels.length !== ids.length) throw new Error('Not duplicates works on images of one workspace folder.');
    await recordNotDuplicates(folder.root, rels);
    log().info(`${folder.name}: ${rels.join(', ')} recorded as not duplicates in ${DECISIONS_FILE}`);
    this.removeGroupOf(ids[0]!);
  }

  private removeGroupOf(id: string): void {
    if (!this.state) return;
    this.publish({ ...this.state, groups: this.state.groups.filter((g) => !g.ids.includes(id)) });
  }

  dispose(): void {
    this.running?.abort();
    this.emitter.dispose();
  }
}

/** Moves the files to the trash; where there is none (a remote without one), asks before deleting for good. */
async function deleteFiles(uris: vscode.Uri[], names: string): Promise<void> {
  try {
    for (const uri of uris) await vscode.workspace.fs.delete(uri, { useTrash: true });
  } catch (err) {
    const left = [];
    for (const uri of uris)
      if (
        await vscode.workspace.fs.stat(uri).then(
          () => true,
          () => false,
        )
      )
        left.push(uri);
    if (!left.length) return;
    log().warn(`move to trash failed: ${errorMessage(err)}`);
    const pick = await vscode.window.showWarningMessage(`${names} could not be moved to the trash (${errorMessage(err)}). Delete permanently?`, { modal: true }, DELETE_FOR_GOOD);
    if (pick === DELETE_FOR_GOOD) for (const uri of left) await vscode.workspace.fs.delete(uri, { useTrash: false });
  }
}

function toView(folder: FolderState, g: DuplicateGroup): DuplicateGroupView {
  return { ids: g.members.map((m) => path.join(folder.root, m.path)), bytesWasted: g.bytesWasted, similarity: g.similarity, exact: g.exact };
}
