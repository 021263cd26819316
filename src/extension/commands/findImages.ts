// "Find Images by Description": a QuickPick that runs semantic search as you type (debounced),
// with thumbnails, scores and paths; Enter opens the image, a title button opens every result
// in the results panel. Rows keep the engine's order (src/engine/search/ranking.ts): every row
// is always shown, and VS Code's re-sorting by label is off, so a file named like the query
// never jumps ahead of better matches. It opens in every model state: while the model is
// missing, downloading, loading or failed, its first rows say so and offer what leads to a
// working search (download, a local model folder, another model, retry, details); filters alone
// (`type:png`) work anyway.
import * as vscode from 'vscode';
import { parseQuery } from '../../engine/search/query';
import { queryKind } from '../../engine/search/search';
import { errorMessage } from '../../engine/util/errors';
import { formatBytes } from '../../engine/util/format';
import type { SearchHits } from '../assets/workspaceSearch';
import type { IndexingProgress } from '../../shared/messages';
import type { Ctx } from '../ctx';
import { log } from '../log';
import { downloadSizeText, type ModelState } from '../model/state';
import { createOrderedQuickPick } from '../orderedQuickPick';
import { commandId } from './ids';

type ModelChoice = 'download' | 'useLocalFolder' | 'selectModel' | 'retry' | 'showDetails';

interface ResultPick extends vscode.QuickPickItem {
  id?: string;
  score?: number;
  action?: ModelChoice;
}

const DEBOUNCE_MS = 150;
const TITLE = 'Find Images by Description';
const OPEN_IN_PANEL: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('layout-panel-right'), tooltip: 'Open All Results in Panel' };
const FIND_SIMILAR: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('references'), tooltip: 'Find Similar Images' };
const REVEAL: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('go-to-file'), tooltip: 'Reveal in Explorer' };

/** True when `query` is filters only (they need no model). */
function isFilterOnly(query: string): boolean {
  try {
    return queryKind(parseQuery(query)) === 'filter';
  } catch {
    return false;
  }
}

/** The rows that stand in for results while the model cannot search. */
export function modelRows(state: ModelState): ResultPick[] {
  const name = state.model.name;
  switch (state.kind) {
    case 'missing': {
      const size = downloadSizeText(state.model);
      return [
        {
          label: `$(cloud-download) Model needed: Download${size ? ` (${size})` : ''}`,
          description: `${name} runs locally; images never leave this machine`,
          action: 'download',
          alwaysShow: true,
        },
        { label: '$(folder-opened) Use Local Folder…', description: 'a model folder laid out like the Hugging Face ONNX exports', action: 'useLocalFolder', alwaysShow: true },
        { label: '$(list-selection) Select Model', description: 'another registry model', action: 'selectModel', alwaysShow: true },
      ];
    }
    case 'failed':
      return [
        { label: `$(error) ${state.failure.message}`, alwaysShow: true },
        { label: '$(refresh) Retry', action: 'retry', alwaysShow: true },
        { label: '$(folder-opened) Use Local Folder…', description: 'a model folder laid out like the Hugging Face ONNX exports', action: 'useLocalFolder', alwaysShow: true },
        { label: '$(info) Show Details', action: 'showDetails', alwaysShow: true },
      ];
    case 'downloading':
      return [
        {
          label: `$(sync~spin) Downloading ${name}…`,
          description: state.totalBytes > 0 ? `${formatBytes(state.bytes)} of ${formatBytes(state.totalBytes)}` : formatBytes(state.bytes),
          alwaysShow: true,
        },
      ];
    case 'loading':
    case 'restarting':
      return [{ label: `$(sync~spin) ${state.kind === 'loading' ? 'Loading' : 'Restarting'} ${name}…`, alwaysShow: true }];
    case 'crashed':
      return [{ label: `$(sync~spin) The inference worker stopped; restarting it…`, alwaysShow: true }];
    default:
      return [];
  }
}

const canSearch = (state: ModelState) => state.kind === 'ready' || state.kind === 'idle';

/** The picker of one "Find Images by Description" invocation. */
export class FindImagesPicker {
  private readonly pick = createOrderedQuickPick<ResultPick>();
  private readonly disposables: vscode.Disposable[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private abort: AbortController | undefined;
  private last = { query: '', ids: [] as string[], ranked: true };
  /** After an action that opens its own dialog (which closes this picker), open again when the model works. */
  private reopen: Promise<boolean> | undefined;
  private visible = true;
  /** Nothing was indexed at the last search (the first run may still be going): search again when a run ends. */
  private waitingForIndex = false;

  /** Opens the picker at once; the model loads (or says what it needs) while the user types. */
  static open(ctx: Ctx, initialQuery = ''): void {
    new FindImagesPicker(ctx, initialQuery).start(initialQuery);
  }

  private constructor(
    private readonly ctx: Ctx,
    initialQuery: string,
  ) {
    const pick = this.pick;
    pick.title = TITLE;
    pick.placeholder = 'Describe the image: "red error icon", "diagram of a login flow", "cat -dog", "tag:icon logo"; filters alone: "type:png in:assets/"';
    // The typed text only highlights matches in the file name; it neither hides nor reorders rows.
    pick.matchOnDescription = false;
    pick.matchOnDetail = false;
    pick.buttons = [OPEN_IN_PANEL];
    pick.value = initialQuery;
    this.disposables.push(
      ctx.models.onDidChangeState((state) => this.modelChanged(state)),
      ctx.library.scheduler.onDidUpdateIndex(() => {
        if (this.visible && this.waitingForIndex && this.pick.value.trim()) void this.run(this.pick.value);
      }),
      pick.onDidChangeValue((value) => {
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.run(value), DEBOUNCE_MS);
      }),
      pick.onDidAccept(() => this.accept()),
      pick.onDidTriggerButton((button) => this.openInPanel(button)),
      pick.onDidTriggerItemButton((e) => this.itemButton(e)),
      pick.onDidHide(() => this.hidden()),
    );
  }

  private start(initialQuery: string): void {
    this.pick.show();
    const { models } = this.ctx;
    const state = models.state;
    if (canSearch(state) || isFilterOnly(initialQuery)) {
      if (initialQuery) void this.run(initialQuery);
      else if (state.kind === 'idle') {
        this.pick.busy = true;
        void models.getEngine().finally(() => (this.pick.busy = false));
      }
      void this.ctx.library.prepareSearch();
    } else {
      this.showModelState(state);
      // A model that can load (idle after a settings change) starts now.
      void models.getEngine();
    }
  }

  /** Rows for the model's state instead of results; false when the state needs none. */
  private showModelState(state: ModelState): boolean {
    const rows = modelRows(state);
    if (!rows.length) return false;
    this.pick.title = state.kind === 'missing' ? `${TITLE}: model needed` : TITLE;
    this.pick.busy = state.kind === 'downloading' || state.kind === 'loading' || state.kind === 'restarting' || state.kind === 'crashed';
    this.pick.items = rows;
    return true;
  }

  private modelChanged(state: ModelState): void {
    if (!this.visible) return;
    if (canSearch(state)) {
      // The model became usable while the picker was open: search what is typed.
      if (state.kind === 'ready' && this.pick.items.some((i) => i.action || !i.id)) void this.run(this.pick.value);
      return;
    }
    if (!isFilterOnly(this.pick.value)) this.showModelState(state);
  }

  private async run(query: string): Promise<void> {
    const seq = ++this.seq;
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const { models } = this.ctx;
    if (!query.trim()) {
      if (!this.showModelState(models.state)) this.pick.items = [];
      this.pick.busy = false;
      return;
    }
    // Words need the model; filters alone do not.
    if (!canSearch(models.state) && !isFilterOnly(query) && this.showModelState(models.state)) return;
    this.pick.title = TITLE;
    this.pick.busy = true;
    try {
      const response = await this.ctx.library.search.searchAll(query, { signal: abort.signal });
      if (seq !== this.seq) return;
      this.last = { query, ids: response.hits.map((h) => h.id), ranked: response.ranked };
      this.waitingForIndex = !response.hits.length && response.ranked && !response.noGoodMatch;
      this.pick.items = response.hits.length ? this.resultRows(response) : [emptyRow(response, this.ctx.library.scheduler.progress)];
    } catch (err) {
      if (abort.signal.aborted || seq !== this.seq) return;
      // The model may have stopped being usable meanwhile: its rows say what to do.
      if (!canSearch(models.state) && this.showModelState(models.state)) return;
      log().warn(`search "${query}": ${errorMessage(err)}`);
      this.pick.items = [{ label: `$(error) ${errorMessage(err)}`, alwaysShow: true }];
    } finally {
      if (seq === this.seq) this.pick.busy = false;
    }
  }

  private resultRows(response: SearchHits): ResultPick[] {
    const multiRoot = this.ctx.library.folderStates.length > 1;
    return response.hits.map((h) => {
      const entry = h.folder.entry(h.relPath);
      const dims = entry ? `${entry.width}×${entry.height}` : undefined;
      return {
        id: h.id,
        score: h.score,
        label: h.relPath.slice(h.relPath.lastIndexOf('/') + 1),
        description: response.ranked ? `${h.score.toFixed(3)}${(h.nameBoost ?? 0) > 0 ? ' · name match' : ''}${dims ? ` · ${dims}` : ''}` : dims,
        detail: multiRoot ? `${h.folder.name}/${h.relPath}` : h.relPath,
        iconPath: entry ? vscode.Uri.file(h.folder.thumbnailFor(entry)) : new vscode.ThemeIcon('file-media'),
        alwaysShow: true,
        buttons: [FIND_SIMILAR, REVEAL],
      };
    });
  }

  private accept(): void {
    const chosen = this.pick.selectedItems[0] ?? this.pick.activeItems[0];
    if (chosen?.action) {
      void this.act(chosen.action).catch((err) => log().error(`find images: ${errorMessage(err)}`));
      return;
    }
    if (!chosen?.id) return;
    this.pick.hide();
    void this.ctx.backend.open([chosen.id]);
  }

  /** A model row was chosen. */
  private async act(action: ModelChoice): Promise<void> {
    const { models, prompts } = this.ctx;
    switch (action) {
      case 'download':
      case 'retry':
        if (action === 'download' || models.lastFailure()?.retry === 'download') {
          // The rows follow the download (progress, then a failure with its actions, or search).
          void this.ctx.modelActions.download({ quiet: true });
        } else {
          await models.refresh();
          void models.getEngine();
        }
        return;
      case 'showDetails':
        this.pick.hide();
        await prompts.showDetails();
        return;
      case 'useLocalFolder':
        this.reopen = prompts.useLocalFolder();
        this.pick.hide();
        return;
      case 'selectModel':
        this.reopen = Promise.resolve(vscode.commands.executeCommand<boolean>(commandId('selectModel'))).then((chosen) => chosen === true);
        this.pick.hide();
        return;
    }
  }

  private async openInPanel(button: vscode.QuickInputButton): Promise<void> {
    if (button !== OPEN_IN_PANEL || !this.last.ids.length) return;
    const items = await this.ctx.backend.getItems(this.last.ids);
    const scores = new Map(this.pick.items.map((p) => [p.id, p.score ?? 0]));
    this.ctx.webviews.showResults({
      query: this.last.query,
      items: items.map((it) => ({ ...it, score: scores.get(it.id) ?? 0 })),
      noGoodMatch: false,
      bestScore: null,
      ranked: this.last.ranked,
    });
    this.pick.hide();
  }

  private async itemButton(e: vscode.QuickPickItemButtonEvent<ResultPick>): Promise<void> {
    if (!e.item.id) return;
    this.pick.hide();
    if (e.button === REVEAL) await this.ctx.backend.reveal(e.item.id);
    else if (e.button === FIND_SIMILAR) this.ctx.webviews.showResults(await this.ctx.backend.findSimilar(e.item.id));
  }

  private hidden(): void {
    this.visible = false;
    this.abort?.abort();
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
    this.pick.dispose();
    const value = this.pick.value;
    // Use Local Folder… / Select Model opened their own dialog: come back with the new model
    // (searching, loading, or saying what it needs).
    void this.reopen?.then((changed) => {
      if (changed) FindImagesPicker.open(this.ctx, value);
    });
  }
}

/** The one row of an empty answer: why nothing is listed. */
function emptyRow(response: SearchHits, indexing: IndexingProgress): ResultPick {
  const unindexed = indexing.running ? `$(sync~spin) Indexing images… ${indexing.done} of ${indexing.total}` : '$(info) No images indexed yet';
  return {
    label: response.noGoodMatch ? '$(circle-slash) No good match' : response.ranked ? unindexed : '$(circle-slash) No image passes these filters',
    description: response.noGoodMatch && response.bestScore !== null ? `best score ${response.bestScore.toFixed(3)} is below the relevance cut-off` : undefined,
    detail: response.noGoodMatch ? 'Try other words, or lower "mobileclipAssets.search.threshold".' : undefined,
    alwaysShow: true,
  };
}
