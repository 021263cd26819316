// Synthetic captions in VS Code: "Generate Synthetic Captions" (Explorer, gallery, palette),
// "Edit Captions", and the captions the gallery shows and search can use. Thin: generation,
// storage and matching are the engine's (src/engine/captions); inference runs in the worker
// process (the Engine's when it is running, so one process serves embeddings and captions).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { registerCommand } from '../commands/register';
import {
  addUserCaption, CAPTIONS_DIR, CAPTIONS_FILE, editCaption, loadCaptionStore, relativeCaptionPath,
  removeCaption, resolveCaptionSettings, updateCaptionStore, type CaptionBackend, type CaptionImagesOptions, type CaptionSettings,
} from '../../engine/captions';
import { DEFAULT_IMAGE_EXTENSIONS, scanFolder } from '../../engine/index/scan';
import { WorkerClient } from '../../engine/worker/client';
import type { AssetLibrary } from '../assets/assetLibrary';
import { log } from '../log';
import type { ModelService } from '../modelService';
import { editorExcludeGlobs, readSettings, settingsBaseDir, type AssetSettings } from '../settings';
import { CaptionIndex, type CaptionHit } from './captionIndex';
import {
  captionGroups, captionSummary, collectImages, groupByCaptionRoot, isImageFile, type CaptionGroupsResult, type CollectedImages,
} from './captionPlan';
import { targetPaths } from './commandArgs';
import { captionsMarkdown } from './captionsView';
import { describeModel } from '../../engine/models/names';
import { ensureCaptioner } from './modelPrompts';
import { showReport } from '../reports';
import { deepestContaining, isInsideOrEqual } from './paths';
import { maxFileSizeBytesFromMB, maxPixelsFromMegapixels } from '../../engine/util/limits';
import { errorMessage } from '../../engine/util/errors';

export interface CaptionFeatureDeps {
  models: ModelService;
  library: AssetLibrary;
  /** dist/worker.js: runs a captioner-only worker when the CLIP model is not available. */
  workerScript: string;
  /** Tags of an image, for `tag:` filters in captionMatches. */
  tagsOf?: (absPath: string) => readonly string[];
}

export interface CaptionFeatures {
  /** The captions of an image for the gallery and results tiles (user captions first). */
  captionsOf(absPath: string): string[];
  /** Images whose captions match a search query (search syntax), best first. */
  captionMatches(query: string): string[];
  /** captionMatches with scores (2 = phrase match, 1 = all words) and the matching captions. */
  captionHits(query: string): CaptionHit[];
  /** Fires (debounced) when any captions file changed. */
  readonly onDidChangeCaptions: vscode.Event<void>;
}

const CAPTIONS_GLOB = `**/${CAPTIONS_DIR}/${CAPTIONS_FILE}`;
const REFRESH_DELAY_MS = 250;

export function registerCaptionFeatures(context: vscode.ExtensionContext, deps: CaptionFeatureDeps): CaptionFeatures {
  const index = new CaptionIndex({
    onProblem: (m) => log().warn(`captions: ${m}`),
    onIgnoredEntries: (file, problems) => void warnIgnoredEntries(file, problems),
  });
  const changed = new vscode.EventEmitter<void>();
  let timer: NodeJS.Timeout | undefined;
  const sub = index.onDidChange(() => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      deps.library.refreshAnnotations();
      changed.fire();
    }, REFRESH_DELAY_MS);
  });

  const watcher = vscode.workspace.createFileSystemWatcher(CAPTIONS_GLOB);
  context.subscriptions.push(
    changed,
    watcher,
    { dispose: () => { sub.dispose(); if (timer) clearTimeout(timer); } },
    watcher.onDidCreate((uri) => void index.fileChanged(uri.fsPath)),
    watcher.onDidChange((uri) => void index.fileChanged(uri.fsPath)),
    watcher.onDidDelete((uri) => index.fileDeleted(uri.fsPath)),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void discover(index)),
  );
  // After activation: find the captions files that already exist (stat-level work only).
  setTimeout(() => void discover(index), 0);

  const runner = new CaptionRunner(deps, index);
  const command = (id: string, run: (...args: any[]) => unknown) => registerCommand(context, id, run);
  command('generateCaptions', (first?: unknown, second?: unknown) => runner.generate(targetPaths(first, second)));
  command('editCaptions', (first?: unknown, second?: unknown) => editCaptions(targetPaths(first, second), index));

  const searchRootOf = (abs: string) => deepestContaining(workspaceRoots(), abs);
  return {
    captionsOf: (absPath) => index.captionsOf(absPath),
    captionHits: (query) => index.matches(query, { searchRootOf, tagsOf: deps.tagsOf }),
    captionMatches: (query) => index.matches(query, { searchRootOf, tagsOf: deps.tagsOf }).map((h) => h.path),
    onDidChangeCaptions: changed.event,
  };
}

/** Entries a captions file holds that could not be used: said once per distinct set, never dropped silently. */
const warnedIgnored = new Map<string, string>();
async function warnIgnoredEntries(file: string, problems: readonly string[]): Promise<void> {
  const key = problems.join('\n');
  if (warnedIgnored.get(file) === key) return;
  warnedIgnored.set(file, key);
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  const choice = await vscode.window.showWarningMessage(
    `MobileCLIP Assets: ${problems.length} entr${problems.length === 1 ? 'y' : 'ies'} of ${vscode.workspace.asRelativePath(file)} could not be used and ${problems.length === 1 ? 'was' : 'were'} left as ${problems.length === 1 ? 'it is' : 'they are'}: ${problems[0]!.replace(/,? ignored.*$/, '')}${more}.`,
    'Show Log',
    'Open File',
  );
  if (choice === 'Show Log') log().show();
  else if (choice === 'Open File') await vscode.window.showTextDocument(vscode.Uri.file(file));
}

function workspaceRoots(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}

async function discover(index: CaptionIndex): Promise<void> {
  try {
    const found = await vscode.workspace.findFiles(CAPTIONS_GLOB, '**/node_modules/**');
    await Promise.all(found.filter((u) => u.scheme === 'file').map((u) => index.fileChanged(u.fsPath)));
  } catch (err) {
    log().warn(`captions: cannot look for captions files: ${errorMessage(err)}`);
  }
}

/** The images a folder holds, honouring the index include/exclude settings of its workspace folder. */
async function imagesIn(library: AssetLibrary, folder: string, signal?: AbortSignal): Promise<string[]> {
  const state = [...library.folderStates].filter((f) => isInsideOrEqual(f.root, folder)).sort((a, b) => b.root.length - a.root.length)[0];
  const out: string[] = [];
  if (state) {
    const under = path.relative(state.root, folder).split(path.sep).join('/');
    for await (const f of scanFolder(state.root, { ...state.config.scan, under: under || undefined, signal })) out.push(path.join(state.root, ...f.path.split('/')));
  } else {
    // A folder outside the workspace: the same settings, read without a folder scope.
    const s = readSettings();
    const exclude = [...s.index.exclude, ...(s.index.useExcludeSettings ? editorExcludeGlobs() : [])];
    const scan = { include: s.index.include, exclude, respectGitignore: s.index.respectGitignore, maxFileSizeBytes: maxFileSizeBytesFromMB(s.index.maxFileSizeMB) };
    for await (const f of scanFolder(folder, { ...scan, signal })) out.push(path.join(folder, ...f.path.split('/')));
  }
  return out;
}

async function kindOf(p: string): Promise<'file' | 'folder' | undefined> {
  const st = await fs.stat(p).catch(() => undefined);
  return st?.isDirectory() ? 'folder' : st?.isFile() ? 'file' : undefined;
}

function captionSettings(s: AssetSettings): Partial<CaptionSettings> {
  const { count, seed, topK, temperature } = s.captions;
  return { count, seed, topK, temperature };
}

/** Runs caption jobs one after another (a second request waits for the first). */
class CaptionRunner {
  private queue: Promise<void> = Promise.resolve();
  private busy = false;

  constructor(private readonly deps: CaptionFeatureDeps, private readonly index: CaptionIndex) {}

  async generate(selection: string[]): Promise<void> {
    if (!selection.length) selection = await askForTargets();
    if (!selection.length) return;
    if (this.busy) void vscode.window.showInformationMessage('Captioning is already running; these images are next.');
    const job = this.queue.then(() => this.run(selection));
    this.queue = job.catch(() => undefined);
    await job;
  }

  private async run(selection: string[]): Promise<void> {
    this.busy = true;
    try {
      await this.runUnqueued(selection);
    } finally {
      this.busy = false;
    }
  }

  private async runUnqueued(selection: string[]): Promise<void> {
    const settings = readSettings();
    const captionOpts = captionSettings(settings);
    resolveCaptionSettings(captionOpts); // a bad setting fails here, naming the setting, before any work
    const captioner = await ensureCaptioner(this.deps.models, settings);
    if (!captioner) return;

    let result: CaptionGroupsResult | undefined;
    let collected: CollectedImages | undefined;
    const started = Date.now();
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Generating captions', cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const cancelSub = token.onCancellationRequested(() => abort.abort());
        progress.report({ message: 'starting…' });
        const backend = await this.backend(settings);
        try {
          progress.report({ message: 'finding images…' });
          collected = await collectImages(selection, { kind: kindOf, imagesIn: (f, signal) => imagesIn(this.deps.library, f, signal) }, abort.signal);
          const groups = groupByCaptionRoot(collected.images, workspaceRoots(), this.index.roots);
          log().info(`captions: ${collected.images.length} images into ${groups.length} captions file${groups.length === 1 ? '' : 's'} with ${captioner.id} (${JSON.stringify(captionOpts)})`);
          let reported = 0;
          result = await captionGroups(backend.backend, groups, {
            captioner,
            settings: captionOpts,
            workerOptions: backend.workerOptions,
            signal: abort.signal,
            onProgress: (message, fraction) => {
              progress.report({ increment: Math.max(0, fraction * 100 - reported), message });
              reported = Math.max(reported, fraction * 100);
            },
            onFailure: (line) => log().warn(`captions: ${line}`),
            onGroupDone: async (file) => {
              await this.index.fileChanged(file);
              this.deps.library.refreshAnnotations();
            },
          });
        } finally {
          cancelSub.dispose();
          await backend.dispose();
        }
      },
    );
    if (!result || !collected) return;
    const { totals, files, failures } = result;
    const summary = captionSummary(totals, { notImages: collected.notImages.length, missing: collected.missing.length });
    log().info(`captions: ${summary.text} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    for (const m of collected.missing) log().warn(`captions: not found: ${m}`);
    for (const m of collected.notImages) log().info(`captions: not an image, left out: ${m}`);
    this.deps.library.refreshAnnotations();
    const buttons: string[] = [];
    if (failures.length || collected.missing.length) buttons.push('Show Log');
    if (files.length === 1 && totals.generated) buttons.push(SHOW_CAPTIONS);
    const show = summary.severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    const pick = await show(summary.text, ...buttons);
    if (pick === 'Show Log') log().show();
    if (pick === SHOW_CAPTIONS) await showCaptionsPage(files[0]!, collected.images.map((i) => i.path));
  }

  /** The Engine's worker when the CLIP model is available, else a captioner-only worker. */
  private async backend(settings: AssetSettings): Promise<{ backend: CaptionBackend; workerOptions?: CaptionImagesOptions['workerOptions']; dispose(): Promise<void> }> {
    const engine = this.deps.models.runningEngine ?? (await this.deps.models.getEngine().catch(() => undefined));
    if (engine) return { backend: engine, dispose: async () => undefined };
    const client = new WorkerClient({ script: this.deps.workerScript, log: (line) => log().info(line), lowPriority: true });
    return {
      backend: client,
      workerOptions: {
        threads: settings.threads > 0 ? settings.threads : undefined,
        background: settings.transparentBackground,
        maxPixels: maxPixelsFromMegapixels(settings.maxImageMegapixels),
      },
      dispose: () => client.dispose(),
    };
  }
}

/** Palette invocation: the image in the active editor, else files/folders the user picks. */
async function askForTargets(): Promise<string[]> {
  const active = activeImage();
  if (active) return [active];
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: true, canSelectFolders: true, canSelectMany: true, openLabel: 'Generate Captions',
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    filters: { Images: IMAGE_FILTER },
  });
  return (picked ?? []).filter((u) => u.scheme === 'file').map((u) => u.fsPath);
}

const IMAGE_FILTER = [...DEFAULT_IMAGE_EXTENSIONS];

/** The image open in the active editor tab (image preview or text editor), if any. */
function activeImage(): string | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri = input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
  return uri?.scheme === 'file' && isImageFile(uri.fsPath) ? uri.fsPath : undefined;
}

// ------------------------------------------------------------------ Edit Captions

interface CaptionItem extends vscode.QuickPickItem {
  action: 'add' | 'edit' | 'generate' | 'image' | 'addAll';
  caption?: string;
  image?: string;
}

const EDIT_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('edit'), tooltip: 'Edit' };
const REMOVE_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('trash'), tooltip: 'Remove' };

/** The folder whose captions file holds (or will hold) an image's captions. */
function captionRootFor(index: CaptionIndex, absPath: string): string {
  return index.rootWithCaptions(absPath)
    ?? groupByCaptionRoot([{ path: absPath, selectedFrom: path.dirname(absPath) }], workspaceRoots(), index.roots)[0]!.root;
}

async function editCaptions(targets: string[], index: CaptionIndex): Promise<void> {
  if (!targets.length) {
    const active = activeImage();
    if (active) targets = [active];
    else {
      const picked = await vscode.window.showOpenDialog({
        canSelectFiles: true, canSelectMany: true, openLabel: 'Edit Captions', defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
        filters: { Images: IMAGE_FILTER },
      });
      targets = (picked ?? []).filter((u) => u.scheme === 'file').map((u) => u.fsPath);
      if (!targets.length) return;
    }
  }
  const images = targets.filter(isImageFile);
  if (!images.length) throw new Error('Right-click an image (in the Explorer or the gallery) to edit its captions.');
  if (images.length === 1) return editOne(images[0]!, index);
  // Several images: add one caption to all, or pick one to edit.
  for (;;) {
    const items: CaptionItem[] = [
      { action: 'addAll', label: `$(add) Add a caption to all ${images.length} images…` },
      { action: 'image', label: '', kind: vscode.QuickPickItemKind.Separator },
      ...images.map((image): CaptionItem => {
        const n = index.captionsOf(image).length;
        return { action: 'image', image, label: path.basename(image), description: n ? `${n} caption${n === 1 ? '' : 's'}` : 'no captions', detail: vscode.workspace.asRelativePath(image) };
      }),
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'Edit Captions', placeHolder: 'Choose an image to edit its captions' });
    if (!pick) return;
    if (pick.action === 'addAll') {
      const text = await vscode.window.showInputBox({ title: `Add a caption to ${images.length} images`, prompt: 'Stored as your caption: regenerating never replaces it.', validateInput: nonEmpty });
      if (!text) continue;
      const byRoot = new Map<string, string[]>();
      for (const image of images) {
        const root = captionRootFor(index, image);
        byRoot.set(root, [...(byRoot.get(root) ?? []), image]);
      }
      for (const [root, list] of byRoot) await saveEdit(root, index, (s) => { for (const image of list) addUserCaption(s, relativeCaptionPath(root, image), text); });
      return;
    }
    if (pick.image) await editOne(pick.image, index);
  }
}

function nonEmpty(value: string): string | undefined {
  return value.trim() ? undefined : 'A caption cannot be empty.';
}

async function saveEdit(root: string, index: CaptionIndex, change: Parameters<typeof updateCaptionStore>[1]): Promise<void> {
  const store = await updateCaptionStore(root, change);
  await index.fileChanged(store.file);
}

/** A QuickPick over one image's captions: Enter or the pencil edits, the bin removes, "Add" adds. */
async function editOne(image: string, index: CaptionIndex): Promise<void> {
  const root = captionRootFor(index, image);
  const rel = relativeCaptionPath(root, image);
  const name = path.basename(image);
  for (;;) {
    const store = await loadCaptionStore(root);
    const entry = store.images.get(rel) ?? { generated: [], user: [] };
    const items: CaptionItem[] = [
      { action: 'add', label: '$(add) Add a caption…', description: 'stored as yours: regenerating never replaces it' },
      { action: 'generate', label: '$(sparkle) Generate synthetic captions', description: entry.generated.length ? 'refresh if the image or the settings changed' : undefined },
    ];
    if (entry.user.length || entry.generated.length) items.push({ action: 'edit', label: '', kind: vscode.QuickPickItemKind.Separator });
    for (const caption of entry.user) items.push({ action: 'edit', caption, label: caption, description: 'yours', buttons: [EDIT_BUTTON, REMOVE_BUTTON] });
    for (const caption of entry.generated) items.push({ action: 'edit', caption, label: caption, description: 'generated', buttons: [EDIT_BUTTON, REMOVE_BUTTON] });

    const choice = await pickWithButtons(items, `Captions of ${name}`, entry.user.length + entry.generated.length ? 'Enter edits a caption; the bin removes it' : 'No captions yet');
    if (!choice) return;
    const { item, button } = choice;
    if (item.action === 'generate') {
      await vscode.commands.executeCommand('mobileclipAssets.generateCaptions', vscode.Uri.file(image), [vscode.Uri.file(image)]);
      continue;
    }
    if (item.action === 'add') {
      const text = await vscode.window.showInputBox({ title: `Add a caption to ${name}`, validateInput: nonEmpty });
      if (text) await saveEdit(root, index, (s) => addUserCaption(s, rel, text));
      continue;
    }
    if (!item.caption) continue;
    if (button === REMOVE_BUTTON) {
      await saveEdit(root, index, (s) => removeCaption(s, rel, item.caption!));
      continue;
    }
    const text = await vscode.window.showInputBox({
      title: `Edit caption of ${name}`, value: item.caption, validateInput: nonEmpty,
      prompt: 'Saved as your caption: regenerating never replaces it. Clear it and use the bin to remove a caption.',
    });
    if (text && text.trim() !== item.caption) await saveEdit(root, index, (s) => editCaption(s, rel, item.caption!, text));
  }
}

/** One choice from a QuickPick whose items have buttons. */
function pickWithButtons(items: CaptionItem[], title: string, placeholder: string): Promise<{ item: CaptionItem; button?: vscode.QuickInputButton } | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<CaptionItem>();
    qp.title = title;
    qp.placeholder = placeholder;
    qp.items = items;
    qp.matchOnDescription = true;
    let result: { item: CaptionItem; button?: vscode.QuickInputButton } | undefined;
    qp.onDidAccept(() => {
      const item = qp.selectedItems[0] ?? qp.activeItems[0];
      if (!item) return;
      result = { item };
      qp.hide();
    });
    qp.onDidTriggerItemButton((e) => {
      result = { item: e.item, button: e.button };
      qp.hide();
    });
    qp.onDidHide(() => {
      qp.dispose();
      resolve(result);
    });
    qp.show();
  });
}

const SHOW_CAPTIONS = 'Show Captions';

/** The captions of `images` (absolute paths) from `file`, as a readable page (not the raw JSON). */
async function showCaptionsPage(file: string, images: readonly string[]): Promise<void> {
  const root = path.dirname(path.dirname(file));
  const store = await loadCaptionStore(root, file);
  const only = new Set(images.map((p) => relativeCaptionPath(root, p)));
  // A run records a local captioner by its folder's name only (the file is shared): when that is
  // the configured captioner's folder, name it as the configured one names itself.
  const configured = readSettings().captions.model;
  const specs = [...new Set([...store.runs.values()].map((r) => r.model))];
  const modelNames = new Map(await Promise.all(specs.map(async (spec) => {
    const local = spec.startsWith('local:') && path.basename(configured.replace(/^local:/, '')) === spec.slice('local:'.length);
    return [spec, (await describeModel(local ? configured : spec, { baseDir: settingsBaseDir() })).name] as const;
  })));
  const markdown = captionsMarkdown(store, {
    title: path.basename(root),
    modelNames,
    only: only.size ? only : undefined,
  });
  await showReport(`Captions of ${path.basename(root)}`, markdown);
}
