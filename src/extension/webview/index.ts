// One call that sets up everything webview-related: the gallery view provider and the results
// panel (with a serializer so it survives reloads). The tiles' context-menu commands are in the
// command table (./tileCommands.ts).
import * as vscode from 'vscode';
import type { AssetBackend, ResultSet } from './backend';
import { GalleryViewProvider } from './galleryView';
import { ResultsPanel } from './resultsPanel';
import type { WebviewDeps } from './setup';
import { setWebviewItemCheck } from '../features/commandArgs';
import { knownToAWebview, type TileCommandTargets } from './tileCommands';

export { GalleryViewProvider } from './galleryView';
export { ResultsPanel } from './resultsPanel';
export type { AssetBackend, ResultSet } from './backend';

export interface AssetWebviews extends vscode.Disposable {
  gallery: GalleryViewProvider;
  showResults(results: ResultSet): void;
  /** Pins the results panel in front (the next search opens another one). */
  pinActiveResults(): void;
  /** The live webview sessions, for the tiles' context-menu commands. */
  tileTargets: TileCommandTargets;
}

export function createAssetWebviews(extensionUri: vscode.Uri, backend: AssetBackend): AssetWebviews {
  const deps: WebviewDeps = {
    extensionUri,
    backend,
    showResults: (r) => void ResultsPanel.createOrShow(deps, r),
  };
  const gallery = new GalleryViewProvider(deps);
  const tileTargets: TileCommandTargets = {
    sessions: () => [
      ...(gallery.currentSession ? [{ webviewId: GalleryViewProvider.viewId, session: gallery.currentSession }] : []),
      ...ResultsPanel.sessions.map((session) => ({ webviewId: ResultsPanel.viewType, session })),
    ],
  };
  // Commands such as Edit Captions take a tile's context from the webview: known items only.
  setWebviewItemCheck((id) => knownToAWebview(id, tileTargets));
  const registrations = vscode.Disposable.from(
    gallery,
    vscode.window.registerWebviewViewProvider(GalleryViewProvider.viewId, gallery),
    vscode.window.registerWebviewPanelSerializer(ResultsPanel.viewType, {
      deserializeWebviewPanel: (panel, state) => ResultsPanel.revive(panel, deps, state),
    }),
    { dispose: () => setWebviewItemCheck(() => false) },
  );
  return {
    gallery,
    showResults: deps.showResults,
    pinActiveResults: () => ResultsPanel.pinActive(),
    tileTargets,
    dispose: () => {
      registrations.dispose();
    },
  };
}
