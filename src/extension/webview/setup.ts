// Shared wiring of a VS Code webview: options (scripts, minimal localResourceRoots), the HTML
// with a fresh nonce, and a WebviewSession connected to its message channel.
import * as vscode from 'vscode';
import type { AssetBackend, ResultSet } from './backend';
import { log } from '../log';
import { buildWebviewHtml } from './html';
import { WebviewSession, type SessionKind } from './session';

export interface WebviewDeps {
  extensionUri: vscode.Uri;
  backend: AssetBackend;
  /** Opens (or reuses) the results panel. */
  showResults: (results: ResultSet) => void;
}

export function webviewOptions(deps: Pick<WebviewDeps, 'extensionUri' | 'backend'>): vscode.WebviewOptions {
  return {
    enableScripts: true,
    // Bundles, icons and thumbnails only: the webviews never load original images.
    localResourceRoots: [
      vscode.Uri.joinPath(deps.extensionUri, 'dist', 'webview'),
      vscode.Uri.joinPath(deps.extensionUri, 'media'),
      ...deps.backend.thumbnailRoots.map((p) => vscode.Uri.file(p)),
    ],
  };
}

export function connectWebview(
  webview: vscode.Webview,
  kind: SessionKind,
  title: string,
  deps: WebviewDeps,
  extra: { pinResults?: () => void } = {},
): { session: WebviewSession; disposable: vscode.Disposable } {
  webview.options = webviewOptions(deps);
  const bundle = vscode.Uri.joinPath(deps.extensionUri, 'dist', 'webview', `${kind}.js`);
  webview.html = buildWebviewHtml({ cspSource: webview.cspSource, scriptUri: webview.asWebviewUri(bundle).toString(), title });
  const session = new WebviewSession(kind, deps.backend, {
    post: (m) => webview.postMessage(m),
    toWebviewUri: (p) => webview.asWebviewUri(vscode.Uri.file(p)).toString(),
    toFileUri: (p) => vscode.Uri.file(p).toString(),
    showResults: (r) => deps.showResults(r),
    showError: (m) => void vscode.window.showErrorMessage(m),
    warn: (m) => log().warn(m),
    pinResults: extra.pinResults,
  });
  const listener = webview.onDidReceiveMessage((m) => session.handle(m));
  return {
    session,
    disposable: new vscode.Disposable(() => {
      listener.dispose();
      session.dispose();
    }),
  };
}
