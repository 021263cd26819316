// HTML shell of both webviews with a strict Content Security Policy. No `vscode` import, so the
// webview tests render exactly this page in Chromium.
//
// CSP notes: scripts run only with the per-render nonce. Styles need no 'unsafe-inline': our CSS
// and the vscode-elements (Lit) component styles are applied as constructed stylesheets
// (document/shadowRoot.adoptedStyleSheets), which CSP does not govern, and element styles are set
// through CSSOM (el.style.x = …), which CSP allows. The nonce in style-src only covers Lit's
// <style> fallback for engines without constructed stylesheets (we pass it as window.litNonce).
import { randomBytes } from 'node:crypto';

export interface WebviewHtmlOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  /** The bundle, already converted with `webview.asWebviewUri`. */
  scriptUri: string;
  title: string;
  /** Fresh per render; generated when omitted. */
  nonce?: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64');
}

export function buildCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

function escapeAttr(s: string): string {
  // Attributes are double-quoted, so single quotes (CSP keywords) stay readable.
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function buildWebviewHtml(o: WebviewHtmlOptions): string {
  const nonce = o.nonce ?? makeNonce();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(buildCsp(o.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeAttr(o.title)}</title>
</head>
<body data-vscode-context='{"preventDefaultContextMenuItems":true}'>
<script nonce="${escapeAttr(nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}
