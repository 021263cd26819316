// The sidebar gallery (a WebviewView). Logic lives in WebviewSession; this class only hosts it.
import * as vscode from 'vscode';
import type { GalleryMode } from '../../shared/messages';
import type { WebviewSession } from './session';
import { connectWebview, type WebviewDeps } from './setup';

export class GalleryViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'mobileclipAssets.gallery';
  private session: WebviewSession | undefined;
  private connection: vscode.Disposable | undefined;
  private pendingQuery: string | null = null;
  private pendingMode: GalleryMode | null = null;

  constructor(private readonly deps: WebviewDeps) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.connection?.dispose();
    const { session, disposable } = connectWebview(view.webview, 'gallery', 'MobileCLIP Assets', this.deps);
    this.session = session;
    this.connection = disposable;
    if (this.pendingQuery !== null) session.setQuery(this.pendingQuery);
    this.pendingQuery = null;
    if (this.pendingMode !== null) session.setMode(this.pendingMode);
    this.pendingMode = null;
    view.onDidDispose(() => {
      if (this.session === session) {
        this.connection?.dispose();
        this.session = undefined;
        this.connection = undefined;
      }
    });
  }

  /** Shows the gallery and runs `query` in its search box. */
  async search(query: string): Promise<void> {
    if (this.session) this.session.setQuery(query);
    else this.pendingQuery = query;
    await vscode.commands.executeCommand(`${GalleryViewProvider.viewId}.focus`);
  }

  /** Shows the gallery in `mode` (the Duplicates mode for Find Duplicate Images). */
  async showMode(mode: GalleryMode): Promise<void> {
    if (this.session) this.session.setMode(mode);
    else this.pendingMode = mode;
    await vscode.commands.executeCommand(`${GalleryViewProvider.viewId}.focus`);
  }

  get currentSession(): WebviewSession | undefined {
    return this.session;
  }

  dispose(): void {
    this.connection?.dispose();
  }
}
