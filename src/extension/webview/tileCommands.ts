// Commands behind the webview/context menu of gallery and result tiles. VS Code calls them with
// the tile's data-vscode-context object (plus `webview`, the view id / panel viewType).
import * as vscode from 'vscode';
import type { TileContext } from '../../shared/messages';
import type { AssetBackend, ResultSet } from './backend';
import type { WebviewSession } from './session';
import { errorMessage } from '../../engine/util/errors';

export const TILE_COMMANDS = {
  open: 'mobileclipAssets.tile.open',
  reveal: 'mobileclipAssets.tile.revealInExplorer',
  findSimilar: 'mobileclipAssets.tile.findSimilar',
  copyPath: 'mobileclipAssets.tile.copyPath',
  copyMarkdownLink: 'mobileclipAssets.tile.copyMarkdownLink',
  generateCaptions: 'mobileclipAssets.tile.generateCaptions',
  editTags: 'mobileclipAssets.tile.editTags',
} as const;

type MenuArg = Partial<TileContext> & { webview?: string };

export interface TileCommandTargets {
  /** Live sessions by webview id (gallery view id, results panel viewType). */
  sessions(): { webviewId: string; session: WebviewSession }[];
}

/**
 * The right-clicked tile, or the whole selection when the tile is part of it. The tile's context
 * comes from the webview, so only items a live webview was given are returned (others are logged).
 */
export function targetIds(arg: MenuArg | undefined, targets: TileCommandTargets): string[] {
  const id = arg?.itemId;
  if (typeof id !== 'string' || !id) return [];
  const all = targets.sessions();
  // Several results panels share a webview id (pinned ones): prefer the one whose selection has the tile.
  const match = all.find((s) => s.webviewId === arg?.webview && s.session.selection.includes(id))
    ?? all.find((s) => s.webviewId === arg?.webview)
    ?? all.find((s) => s.session.selection.includes(id));
  const sel = match?.session.selection ?? [];
  const ids = sel.includes(id) ? [...sel] : [id];
  return match ? match.session.acceptIds(ids, 'context menu') : [];
}

/** Whether any live webview was given this item (for commands that take a tile's context). */
export function knownToAWebview(id: string, targets: TileCommandTargets): boolean {
  const sessions = targets.sessions();
  if (sessions.some((s) => s.session.knows(id))) return true;
  sessions[0]?.session.acceptIds([id], 'context menu'); // logs the refusal
  return false;
}

export function registerTileCommands(backend: AssetBackend, targets: TileCommandTargets, showResults: (r: ResultSet) => void): vscode.Disposable {
  const reg = (command: string, run: (ids: string[]) => Promise<unknown>) =>
    vscode.commands.registerCommand(command, async (arg?: MenuArg) => {
      const ids = targetIds(arg, targets);
      if (!ids.length) return;
      try {
        await run(ids);
      } catch (e) {
        void vscode.window.showErrorMessage(errorMessage(e));
      }
    });
  return vscode.Disposable.from(
    reg(TILE_COMMANDS.open, (ids) => backend.open(ids)),
    reg(TILE_COMMANDS.reveal, (ids) => backend.reveal(ids[0])),
    reg(TILE_COMMANDS.findSimilar, async (ids) => showResults(await backend.findSimilar(ids[0]))),
    reg(TILE_COMMANDS.copyPath, (ids) => backend.copyPaths(ids)),
    reg(TILE_COMMANDS.copyMarkdownLink, (ids) => backend.copyMarkdownLinks(ids)),
    reg(TILE_COMMANDS.generateCaptions, (ids) => backend.generateCaptions(ids)),
    reg(TILE_COMMANDS.editTags, (ids) => backend.editTags(ids)),
  );
}
