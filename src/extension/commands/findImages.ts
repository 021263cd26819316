// "Find Images by Description": a QuickPick that runs semantic search as you type (debounced),
// with thumbnails, scores and paths; Enter opens the image, a title button opens every result
// in the results panel. Rows keep the engine's order (src/engine/search/ranking.ts): every row
// is always shown, and VS Code's re-sorting by label is off, so a file named like the query
// never jumps ahead of better matches.
import * as vscode from 'vscode';
import type { AssetLibrary } from '../assets/assetLibrary';
import type { ResultSet } from '../webview/backend';
import { log } from '../log';
import { createOrderedQuickPick } from '../orderedQuickPick';

interface ResultPick extends vscode.QuickPickItem {
  id?: string;
  score?: number;
}

const DEBOUNCE_MS = 150;
const OPEN_IN_PANEL: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('layout-panel-right'), tooltip: 'Open All Results in Panel' };
const FIND_SIMILAR: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('references'), tooltip: 'Find Similar Images' };
const REVEAL: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('go-to-file'), tooltip: 'Reveal in Explorer' };

export async function findImages(library: AssetLibrary, showResults: (r: ResultSet) => void, initialQuery = ''): Promise<void> {
  const engine = await library.ensureSearchReady();
  if (!engine) return;
  const pick = createOrderedQuickPick<ResultPick>();
  pick.title = 'Find Images by Description';
  pick.placeholder = 'Describe the image: "red error icon", "diagram of a login flow", "cat -dog", "tag:icon logo"';
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

  const run = async (query: string) => {
    const mySeq = ++seq;
    abort?.abort();
    abort = new AbortController();
    if (!query.trim()) {
      pick.items = [];
      pick.busy = false;
      return;
    }
    pick.busy = true;
    try {
      const response = await library.searchAll(query, { signal: abort.signal });
      if (mySeq !== seq) return;
      lastQuery = query;
      lastIds = response.hits.map((h) => h.id);
      if (!response.hits.length) {
        pick.items = [{
          label: response.noGoodMatch ? '$(circle-slash) No good match' : '$(info) No images indexed yet',
          description: response.noGoodMatch && response.bestScore !== null ? `best score ${response.bestScore.toFixed(3)} is below the relevance cut-off` : undefined,
          detail: response.noGoodMatch ? 'Try other words, or lower "mobileclipAssets.search.threshold".' : undefined,
          alwaysShow: true,
        }];
      } else {
        pick.items = response.hits.map((h) => {
          const entry = h.folder.entry(h.relPath);
          return {
            id: h.id,
            score: h.score,
            label: h.relPath.slice(h.relPath.lastIndexOf('/') + 1),
            description: `${h.score.toFixed(3)}${(h.nameBoost ?? 0) > 0 ? ' · name match' : ''}${entry ? ` · ${entry.width}×${entry.height}` : ''}`,
            detail: library.folderStates.length > 1 ? `${h.folder.name}/${h.relPath}` : h.relPath,
            iconPath: entry ? vscode.Uri.file(h.folder.thumbnailFor(entry)) : new vscode.ThemeIcon('file-media'),
            alwaysShow: true,
            buttons: [FIND_SIMILAR, REVEAL],
          };
        });
      }
    } catch (err) {
      if (abort.signal.aborted || mySeq !== seq) return;
      const message = err instanceof Error ? err.message : String(err);
      log().warn(`search "${query}": ${message}`);
      pick.items = [{ label: `$(error) ${message}`, alwaysShow: true }];
    } finally {
      if (mySeq === seq) pick.busy = false;
    }
  };

  pick.onDidChangeValue((value) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void run(value), DEBOUNCE_MS);
  });
  pick.onDidAccept(() => {
    const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
    if (!chosen?.id) return;
    pick.hide();
    void library.open([chosen.id]);
  });
  pick.onDidTriggerButton(async (button) => {
    if (button !== OPEN_IN_PANEL || !lastIds.length) return;
    const items = await library.getItems(lastIds);
    const scores = new Map(pick.items.map((p) => [p.id, p.score ?? 0]));
    showResults({ query: lastQuery, items: items.map((it) => ({ ...it, score: scores.get(it.id) ?? 0 })), noGoodMatch: false, bestScore: null });
    pick.hide();
  });
  pick.onDidTriggerItemButton(async (e) => {
    if (!e.item.id) return;
    if (e.button === REVEAL) {
      pick.hide();
      await library.reveal(e.item.id);
    } else if (e.button === FIND_SIMILAR) {
      pick.hide();
      showResults(await library.findSimilar(e.item.id));
    }
  });
  pick.onDidHide(() => {
    abort?.abort();
    if (timer) clearTimeout(timer);
    pick.dispose();
  });
  pick.show();
  if (initialQuery) void run(initialQuery);
}
