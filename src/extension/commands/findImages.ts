// "Find Images by Description": a QuickPick that runs semantic search as you type (debounced),
// with thumbnails, scores and paths; Enter opens the image, a title button opens every result
// in the results panel. Rows keep the engine's order (src/engine/search/ranking.ts): every row
// is always shown, and VS Code's re-sorting by label is off, so a file named like the query
// never jumps ahead of better matches. It opens in every model state: while the model is
// missing, downloading, loading or failed, its first rows say so and offer what leads to a
// working search (download, a local model folder, another model, retry, details); filters alone
// (`type:png`) work anyway.
import * as vscode from 'vscode';
import type { AssetLibrary } from '../assets/assetLibrary';
import type { ResultSet } from '../webview/backend';
import { log } from '../log';
import { createOrderedQuickPick } from '../orderedQuickPick';
import { downloadSizeText, type ModelService, type ModelState } from '../modelService';
import { formatBytes } from '../../engine/util/format';
import { parseQuery } from '../../engine/search/query';
import { queryKind } from '../../engine/search/search';
import { errorMessage } from '../../engine/util/errors';

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
        { label: `$(cloud-download) Model needed: Download${size ? ` (${size})` : ''}`, description: `${name} runs locally; images never leave this machine`, action: 'download', alwaysShow: true },
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
      return [{
        label: `$(sync~spin) Downloading ${name}…`,
        description: state.totalBytes > 0 ? `${formatBytes(state.bytes)} of ${formatBytes(state.totalBytes)}` : formatBytes(state.bytes),
        alwaysShow: true,
      }];
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

export async function findImages(library: AssetLibrary, models: ModelService, showResults: (r: ResultSet) => void, initialQuery = ''): Promise<void> {
  const pick = createOrderedQuickPick<ResultPick>();
  pick.title = TITLE;
  pick.placeholder = 'Describe the image: "red error icon", "diagram of a login flow", "cat -dog", "tag:icon logo"; filters alone: "type:png in:assets/"';
  // The typed text only highlights matches in the file name; it neither hides nor reorders rows.
  pick.matchOnDescription = false;
  pick.matchOnDetail = false;
  pick.buttons = [OPEN_IN_PANEL];
  pick.value = initialQuery;
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let abort: AbortController | undefined;
  let lastQuery = '';
  let lastIds: string[] = [];
  let lastRanked = true;
  /** After an action that opens its own dialog (which closes this picker), open again when the model works. */
  let reopen: Promise<boolean> | undefined;
  const disposables: vscode.Disposable[] = [];
  let visible = true;

  const showModelState = (state: ModelState): boolean => {
    const rows = modelRows(state);
    if (!rows.length) return false;
    pick.title = state.kind === 'missing' ? `${TITLE}: model needed` : TITLE;
    pick.busy = state.kind === 'downloading' || state.kind === 'loading' || state.kind === 'restarting' || state.kind === 'crashed';
    pick.items = rows;
    return true;
  };

  const run = async (query: string) => {
    const mySeq = ++seq;
    abort?.abort();
    abort = new AbortController();
    if (!query.trim()) {
      if (!showModelState(models.state)) pick.items = [];
      pick.busy = false;
      return;
    }
    // Words need the model; filters alone do not.
    if (!canSearch(models.state) && !isFilterOnly(query) && showModelState(models.state)) return;
    pick.title = TITLE;
    pick.busy = true;
    try {
      const response = await library.searchAll(query, { signal: abort.signal });
      if (mySeq !== seq) return;
      lastQuery = query;
      lastIds = response.hits.map((h) => h.id);
      lastRanked = response.ranked;
      if (!response.hits.length) {
        pick.items = [{
          label: response.noGoodMatch ? '$(circle-slash) No good match' : response.ranked ? '$(info) No images indexed yet' : '$(circle-slash) No image passes these filters',
          description: response.noGoodMatch && response.bestScore !== null ? `best score ${response.bestScore.toFixed(3)} is below the relevance cut-off` : undefined,
          detail: response.noGoodMatch ? 'Try other words, or lower "mobileclipAssets.search.threshold".' : undefined,
          alwaysShow: true,
        }];
      } else {
        pick.items = response.hits.map((h) => {
          const entry = h.folder.entry(h.relPath);
          const dims = entry ? `${entry.width}×${entry.height}` : undefined;
          return {
            id: h.id,
            score: h.score,
            label: h.relPath.slice(h.relPath.lastIndexOf('/') + 1),
            description: response.ranked ? `${h.score.toFixed(3)}${(h.nameBoost ?? 0) > 0 ? ' · name match' : ''}${dims ? ` · ${dims}` : ''}` : dims,
            detail: library.folderStates.length > 1 ? `${h.folder.name}/${h.relPath}` : h.relPath,
            iconPath: entry ? vscode.Uri.file(h.folder.thumbnailFor(entry)) : new vscode.ThemeIcon('file-media'),
            alwaysShow: true,
            buttons: [FIND_SIMILAR, REVEAL],
          };
        });
      }
    } catch (err) {
      if (abort.signal.aborted || mySeq !== seq) return;
      // The model may have stopped being usable meanwhile: its rows say what to do.
      if (!canSearch(models.state) && showModelState(models.state)) return;
      const message = errorMessage(err);
      log().warn(`search "${query}": ${message}`);
      pick.items = [{ label: `$(error) ${message}`, alwaysShow: true }];
    } finally {
      if (mySeq === seq) pick.busy = false;
    }
  };

  const act = async (action: ModelChoice) => {
    switch (action) {
      case 'download':
      case 'retry': {
        const state = models.state;
        if (action === 'download' || (state.kind === 'failed' && state.failure.retry === 'download')) {
          // The rows follow the download (progress, then a failure with its actions, or search).
          void library.downloadModel({ quiet: true });
        } else {
          await models.refresh();
          void models.getEngine();
        }
        return;
      }
      case 'showDetails':
        pick.hide();
        await models.showDetails();
        return;
      case 'useLocalFolder':
        reopen = models.useLocalFolder();
        pick.hide();
        return;
      case 'selectModel':
        reopen = Promise.resolve(vscode.commands.executeCommand<boolean>('mobileclipAssets.selectModel')).then((chosen) => chosen === true);
        pick.hide();
        return;
    }
  };

  disposables.push(
    models.onDidChangeState((state) => {
      if (!visible) return;
      if (canSearch(state)) {
        // The model became usable while the picker was open: search what is typed.
        if (state.kind === 'ready' && pick.items.some((i) => i.action || !i.id)) void run(pick.value);
        return;
      }
      if (!isFilterOnly(pick.value)) showModelState(state);
    }),
    pick.onDidChangeValue((value) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void run(value), DEBOUNCE_MS);
    }),
    pick.onDidAccept(() => {
      const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
      if (chosen?.action) {
        void act(chosen.action).catch((err) => log().error(`find images: ${errorMessage(err)}`));
        return;
      }
      if (!chosen?.id) return;
      pick.hide();
      void library.open([chosen.id]);
    }),
    pick.onDidTriggerButton(async (button) => {
      if (button !== OPEN_IN_PANEL || !lastIds.length) return;
      const items = await library.getItems(lastIds);
      const scores = new Map((pick.items as ResultPick[]).map((p) => [p.id, p.score ?? 0]));
      showResults({ query: lastQuery, items: items.map((it) => ({ ...it, score: scores.get(it.id) ?? 0 })), noGoodMatch: false, bestScore: null, ranked: lastRanked });
      pick.hide();
    }),
    pick.onDidTriggerItemButton(async (e) => {
      if (!e.item.id) return;
      if (e.button === REVEAL) {
        pick.hide();
        await library.reveal(e.item.id);
      } else if (e.button === FIND_SIMILAR) {
        pick.hide();
        showResults(await library.findSimilar(e.item.id));
      }
    }),
    pick.onDidHide(() => {
      visible = false;
      abort?.abort();
      if (timer) clearTimeout(timer);
      for (const d of disposables) d.dispose();
      pick.dispose();
      const value = pick.value;
      // Use Local Folder… / Select Model opened their own dialog: come back with the new model
      // (searching, loading, or saying what it needs).
      void reopen?.then(async (changed) => {
        if (changed) await findImages(library, models, showResults, value);
      });
    }),
  );
  pick.show();
  // The picker is open at once; the model loads (or says what it needs) while the user types.
  const state = models.state;
  if (canSearch(state) || isFilterOnly(initialQuery)) {
    if (initialQuery) void run(initialQuery);
    else if (state.kind === 'idle') {
      pick.busy = true;
      void models.getEngine().finally(() => (pick.busy = false));
    }
    void library.prepareSearch();
  } else {
    showModelState(state);
    // A model that can load (idle after a settings change) starts now.
    void models.getEngine();
  }
}
