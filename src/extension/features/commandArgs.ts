// What a command was invoked on, from whichever surface invoked it. No `vscode` import (URIs are
// read structurally), so the rules are unit-tested.
//   Explorer context menu:   (clickedUri, selectedUris[])
//   gallery / results tiles: (undefined, uris[])  or, from webview/context, ({ itemId, ... })
//   command palette:         ()
//   other code:              (absolutePath) or (absolutePath[])

interface UriLike {
  scheme: string;
  fsPath: string;
}

function isUriLike(v: unknown): v is UriLike {
  return !!v && typeof v === 'object' && typeof (v as UriLike).fsPath === 'string' && typeof (v as UriLike).scheme === 'string';
}

/**
 * `{ itemId }` comes from a tile's data-vscode-context, that is from the webview: it may name only
 * items a webview was given. The webview module installs the check (WebviewSession.knows, which
 * logs what it refuses); until then nothing from a webview is accepted.
 */
let webviewItemCheck: (id: string) => boolean = () => false;
export function setWebviewItemCheck(check: (id: string) => boolean): void {
  webviewItemCheck = check;
}

function pathOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v || undefined;
  if (isUriLike(v)) return v.scheme === 'file' ? v.fsPath : undefined;
  if (v && typeof v === 'object' && typeof (v as { itemId?: unknown }).itemId === 'string') {
    const id = (v as { itemId: string }).itemId;
    return webviewItemCheck(id) ? id : undefined;
  }
  return undefined;
}

/**
 * Local file paths the command targets, in order, without duplicates. The multi-selection wins
 * over the clicked item (VS Code passes the clicked item first and the whole selection second;
 * the selection always contains the clicked item).
 */
export function targetPaths(first?: unknown, second?: unknown): string[] {
  const list = Array.isArray(second) && second.length ? second : Array.isArray(first) ? first : [first];
  const out: string[] = [];
  for (const v of list) {
    const p = pathOf(v);
    if (p && !out.includes(p)) out.push(p);
  }
  return out;
}
