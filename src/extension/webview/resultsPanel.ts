// Search results panels. The unpinned one is reused by the next search; pinning a panel keeps its
// results (the next search opens a new panel beside it). Logic lives in WebviewSession.
import * as vscode from 'vscode';
import type { ResultSet } from './backend';
import type { WebviewSession } from './session';
import { connectWebview, type WebviewDeps } from './setup';

function titleFor(r: ResultSet, pinned: boolean): string {
  const title = r.title ?? `Images: ${r.query}`;
  return pinned ? `${title} (pinned)` : title;
}

export class ResultsPanel {
  static readonly viewType = 'mobileclipAssets.results';
  /** The panel the next search replaces (undefined when every open panel is pinned). */
  private static current: ResultsPanel | undefined;
  private static readonly all = new Set<ResultsPanel>();
  private results: ResultSet | null = null;
  private pinnedValue = false;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    readonly session: WebviewSession,
    connection: vscode.Disposable,
  ) {
    panel.onDidDispose(() => {
      connection.dispose();
      ResultsPanel.all.delete(this);
      if (ResultsPanel.current === this) ResultsPanel.current = undefined;
    });
  }

  static get currentSession(): WebviewSession | undefined {
    return ResultsPanel.current?.session;
  }

  /** Every open results panel's session (pinned ones included), for the tile context menu. */
  static get sessions(): WebviewSession[] {
    return [...ResultsPanel.all].map((p) => p.session);
  }

  /** Pins the results panel in front (the editor title's Pin command); the unpinned one when none is. */
  static pinActive(): void {
    const panel = [...ResultsPanel.all].find((p) => p.panel.active) ?? ResultsPanel.current;
    panel?.pin();
  }

  get pinned(): boolean {
    return this.pinnedValue;
  }

  /** Keeps this panel's results: the next search opens another panel. */
  pin(): void {
    if (this.pinnedValue) return;
    this.pinnedValue = true;
    if (ResultsPanel.current === this) ResultsPanel.current = undefined;
    if (this.results) this.panel.title = titleFor(this.results, true);
    this.session.setPinned(true);
  }

  /** Shows `results` in the unpinned results panel, creating one (beside the active editor) if needed. */
  static createOrShow(deps: WebviewDeps, results: ResultSet): ResultsPanel {
    const existing = ResultsPanel.current;
    if (existing) {
      existing.show(results);
      existing.panel.reveal(undefined, false);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(ResultsPanel.viewType, titleFor(results, false), vscode.ViewColumn.Beside, {
      enableScripts: true,
      enableFindWidget: false,
      retainContextWhenHidden: false,
    });
    return ResultsPanel.adopt(panel, deps, results);
  }

  private show(results: ResultSet): void {
    this.results = results;
    this.panel.title = titleFor(results, this.pinnedValue);
    this.session.showResults(results);
  }

  /** For a WebviewPanelSerializer: re-run the query the panel showed before the reload. */
  static async revive(panel: vscode.WebviewPanel, deps: WebviewDeps, state: unknown): Promise<void> {
    const saved = state as { query?: unknown; pinned?: unknown } | undefined;
    const query = typeof saved?.query === 'string' ? saved.query : '';
    const p = ResultsPanel.adopt(panel, deps, null);
    if (saved?.pinned === true) p.pin();
    if (!query) return;
    try {
      const out = await deps.backend.search(query, new AbortController().signal);
      const scores = new Map(out.results.map((r) => [r.id, r.score]));
      const items = (await deps.backend.getItems(out.results.map((r) => r.id))).map((it) => ({ ...it, score: scores.get(it.id) ?? 0 }));
      p.show({ query, items, noGoodMatch: out.noGoodMatch, bestScore: out.bestScore, ranked: out.ranked });
    } catch {
      // The model may not be ready after a reload; the panel shows its empty state.
    }
  }

  private static adopt(panel: vscode.WebviewPanel, deps: WebviewDeps, results: ResultSet | null): ResultsPanel {
    // The unpinned panel is replaced; pinned panels stay.
    if (ResultsPanel.current && !ResultsPanel.current.pinned) ResultsPanel.current.panel.dispose();
    let created: ResultsPanel | undefined;
    const { session, disposable } = connectWebview(panel.webview, 'results', 'Image results', deps, { pinResults: () => created?.pin() });
    const p = new ResultsPanel(panel, session, disposable);
    created = p;
    ResultsPanel.current = p;
    ResultsPanel.all.add(p);
    panel.iconPath = {
      light: vscode.Uri.joinPath(deps.extensionUri, 'media', 'results-light.svg'),
      dark: vscode.Uri.joinPath(deps.extensionUri, 'media', 'results-dark.svg'),
    };
    if (results) p.show(results);
    return p;
  }
}
