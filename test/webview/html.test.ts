// The webview HTML shell and its Content Security Policy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCsp, buildWebviewHtml, makeNonce } from '../../src/extension/webview/html';

test('CSP: nothing by default, scripts only with the nonce, no unsafe-inline/eval', () => {
  const csp = buildCsp('https://*.vscode-cdn.net', 'abc');
  const d = Object.fromEntries(
    csp
      .split(';')
      .map((x) => x.trim().split(/\s+/))
      .map(([k, ...v]) => [k, v]),
  );
  assert.deepEqual(d['default-src'], ["'none'"]);
  assert.deepEqual(d['script-src'], ["'nonce-abc'"]);
  assert.deepEqual(d['img-src'], ['https://*.vscode-cdn.net', 'data:']);
  assert.deepEqual(d['style-src'], ['https://*.vscode-cdn.net', "'nonce-abc'"]);
  assert.deepEqual(d['font-src'], ['https://*.vscode-cdn.net']);
  assert.ok(!csp.includes('unsafe'));
});

test('HTML: fresh nonce per render on the script tag, escaped attributes, context menu defaults', () => {
  const a = buildWebviewHtml({ cspSource: 'https://x', scriptUri: 'https://x/dist/webview/gallery.js?a=1&b="2"', title: 'A <b>' });
  const b = buildWebviewHtml({ cspSource: 'https://x', scriptUri: 'https://x/g.js', title: 'A' });
  const nonceOf = (html: string) => /<script nonce="([^"]+)"/.exec(html)?.[1];
  assert.ok(nonceOf(a) && nonceOf(b) && nonceOf(a) !== nonceOf(b));
  assert.ok(a.includes(`'nonce-${nonceOf(a)}'`));
  assert.ok(a.includes('src="https://x/dist/webview/gallery.js?a=1&amp;b=&quot;2&quot;"'));
  assert.ok(a.includes('<title>A &lt;b&gt;</title>'));
  assert.ok(a.includes(`data-vscode-context='{"preventDefaultContextMenuItems":true}'`));
  assert.equal((a.match(/<script/g) ?? []).length, 1, 'no inline script');
  assert.ok(!/style=/.test(a), 'no inline style');
  assert.ok(makeNonce().length >= 24);
});
