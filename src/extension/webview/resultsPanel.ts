// The search results panel: one reusable WebviewPanel. Logic lives in WebviewSession.
import * as vscode from 'vscode';
import type { ResultSet } from './backend';
import type { WebviewSession } from './session';
import { connectWebview, type WebviewDeps } from './setup';

function titleFor(r: ResultSet): string {
  return r.title ?? `Images: ${r.query}`;
}

export class ResultsPanel {
  static readonly viewType = 'mobileclipAssets.results';
  private static current: ResultsPanel | undefined;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    readonly session: WebviewSession,
    connection: vscode.Disposable,
  ) {
    panel.onDidDispose(() => {
      connection.dispose();
      if (ResultsPanel.current === this) ResultsPanel.current = undefined;
    });
  }

  static get currentSession(): WebviewSession | undefined {
    return ResultsPanel.current?.session;
  }

  /** Shows `results` in the results panel, creating it (beside the active editor) if needed. */
  static createOrShow(deps: WebviewDeps, results: ResultSet): ResultsPanel {
    const existing = ResultsPanel.current;
    if (existing) {
      existing.panel.title = titleFor(results);
      existing.panel.reveal(undefined, false);
      existing.session.showResults(results);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(ResultsPanel.viewType, titleFor(results), vscode.ViewColumn.Beside, {
      enableScripts: true,
      enableFindWidget: false,
    });
    return ResultsPanel.adopt(panel, deps, results);
  }

  /** For a WebviewPanelSerializer: re-run the query the panel showed before the reload. */
  static async revive(panel: vscode.WebviewPanel, deps: WebviewDeps, state: unknown): Promise<void> {
    const query = typeof (state as { query?: unknown })?.query === 'string' ? (state as { query: string }).query : '';
    const p = ResultsPanel.adopt(panel, deps, null);
    if (!query) return;
    try {
      const out = await deps.backend.search(query, new AbortController().signal);
      const scores = new Map(out.results.map((r) => [r.id, r.score]));
      const items = (await deps.backend.getItems(out.results.map((r) => r.id))).map((it) => ({ ...it, score: scores.get(it.id) ?? 0 }));
      const results: ResultSet = { query, items, noGoodMatch: out.noGoodMatch, bestScore: out.bestScore };
      p.panel.title = titleFor(results);
      p.session.showResults(results);
    } catch {
      // The model may not be ready after a reload; the panel shows its empty state.
    }
  }

  private static adopt(panel: vscode.WebviewPanel, deps: WebviewDeps, results: ResultSet | null): ResultsPanel {
    ResultsPanel.current?.panel.dispose();
    const { session, disposable } = connectWebview(panel.webview, 'results', 'Image results', deps);
    const p = new ResultsPanel(panel, session, disposable);
    ResultsPanel.current = p;
    panel.iconPath = {
      light: vscode.Uri.joinPath(deps.extensionUri, 'media', 'results-light.svg'),
      dark: vscode.Uri.joinPath(deps.extensionUri, 'media', 'results-dark.svg'),
    };
    if (results) session.showResults(results);
    return p;
  }
}
