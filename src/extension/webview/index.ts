// One call that registers everything webview-related: the gallery view provider, the results
// panel (with a serializer so it survives reloads) and the tile context-menu commands.
import * as vscode from 'vscode';
import type { AssetBackend, ResultSet } from './backend';
import { GalleryViewProvider } from './galleryView';
import { ResultsPanel } from './resultsPanel';
import type { WebviewDeps } from './setup';
import { setWebviewItemCheck } from '../features/commandArgs';
import { knownToAWebview, registerTileCommands } from './tileCommands';

export { GalleryViewProvider } from './galleryView';
export { ResultsPanel } from './resultsPanel';
export { TILE_COMMANDS } from './tileCommands';
export type { AssetBackend, ResultSet } from './backend';

export interface AssetWebviews {
  gallery: GalleryViewProvider;
  showResults(results: ResultSet): void;
  /** Pins the results panel in front (the next search opens another one). */
  pinActiveResults(): void;
}

export function registerAssetWebviews(context: vscode.ExtensionContext, backend: AssetBackend): AssetWebviews {
  const deps: WebviewDeps = {
    extensionUri: context.extensionUri,
    backend,
    showResults: (r) => void ResultsPanel.createOrShow(deps, r),
  };
  const gallery = new GalleryViewProvider(deps);
  const targets = {
    sessions: () => [
      ...(gallery.currentSession ? [{ webviewId: GalleryViewProvider.viewId, session: gallery.currentSession }] : []),
      ...ResultsPanel.sessions.map((session) => ({ webviewId: ResultsPanel.viewType, session })),
    ],
  };
  // Commands such as Edit Captions take a tile's context from the webview: known items only.
  setWebviewItemCheck((id) => knownToAWebview(id, targets));
  context.subscriptions.push(
    gallery,
    vscode.window.registerWebviewViewProvider(GalleryViewProvider.viewId, gallery),
    vscode.window.registerWebviewPanelSerializer(ResultsPanel.viewType, {
      deserializeWebviewPanel: (panel, state) => ResultsPanel.revive(panel, deps, state),
    }),
    registerTileCommands(backend, targets, deps.showResults),
  );
  return { gallery, showResults: deps.showResults, pinActiveResults: () => ResultsPanel.pinActive() };
}
