// Commands behind the webview/context menu of gallery and result tiles. VS Code calls them with
// the tile's data-vscode-context object (plus `webview`, the view id / panel viewType); each acts
// on the right-clicked tile, or on the whole selection when the tile is part of it.
import type { TileContext } from '../../shared/messages';
import type { CommandFactory, Ctx } from '../ctx';
import type { WebviewSession } from './session';

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
  const match =
    all.find((s) => s.webviewId === arg?.webview && s.session.selection.includes(id)) ??
    all.find((s) => s.webviewId === arg?.webview) ??
    all.find((s) => s.session.selection.includes(id));
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

/** A tile command: `run` gets the ids the menu acts on (none: nothing happens). */
function tileCommand(run: (ctx: Ctx, ids: string[]) => Promise<unknown>): CommandFactory {
  return (ctx) => async (arg?: unknown) => {
    const ids = targetIds(arg as MenuArg | undefined, ctx.webviews.tileTargets);
    if (ids.length) await run(ctx, ids);
  };
}

export const open = tileCommand((ctx, ids) => ctx.backend.open(ids));
export const revealInExplorer = tileCommand((ctx, ids) => ctx.backend.reveal(ids[0]!));
export const findSimilar = tileCommand(async (ctx, ids) => ctx.webviews.showResults(await ctx.backend.findSimilar(ids[0]!)));
export const copyPath = tileCommand((ctx, ids) => ctx.backend.copyPaths(ids));
export const copyMarkdownLink = tileCommand((ctx, ids) => ctx.backend.copyMarkdownLinks(ids));
export const generateCaptions = tileCommand((ctx, ids) => ctx.backend.generateCaptions(ids));
export const editTags = tileCommand((ctx, ids) => ctx.backend.editTags(ids));
export const revealReferences = tileCommand(async (ctx, ids) => ctx.backend.revealReferences?.(ids[0]!));
