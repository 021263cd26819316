// Loads the built webview bundles into headless Chromium behind the real HTML shell and CSP
// (src/extension/webview/html.ts), with a message-level fake of the extension side:
// `acquireVsCodeApi` records postMessage calls and state; the test sends host messages with
// window.postMessage, exactly like VS Code delivers them. Also used by bench/gallery.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, join, resolve, sep } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { after, afterEach, before } from 'node:test';
import type { AssetItem, HostToWebview, WebviewToHost } from '../../src/shared/messages';
export { makeItems } from './items';
import { buildWebviewHtml } from '../../src/extension/webview/html';
import { CLIPART_DIR } from '../fixtures/paths';

export const ROOT = resolve(__dirname, '..', '..');
export const SHOTS_DIR = join(ROOT, 'test-results', 'webview');
const THUMBS_DIR = join(ROOT, '.cache', 'webview-thumbs');
const CLIPART = CLIPART_DIR;

export type Bundle = 'gallery' | 'results';
export type Theme = 'light' | 'dark' | 'hc';

/** Builds the webview bundles unless they are already there (npm test builds first). */
export function ensureBuilt(): void {
  if (existsSync(join(ROOT, 'dist/webview/gallery.js')) && existsSync(join(ROOT, 'dist/webview/results.js'))) return;
  const r = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed');
}

// ------------------------------------------------------------------ real thumbnails

export interface ClipartThumb {
  category: string;
  name: string;
  /** File name under the server's /thumbs/ route. */
  thumb: string;
  width: number;
  height: number;
  size: number;
}

/** Small WebP thumbnails of the openclipart PNGs (cached in .cache/webview-thumbs). */
export async function clipartThumbs(limit = Infinity): Promise<ClipartThumb[]> {
  mkdirSync(THUMBS_DIR, { recursive: true });
  const out: ClipartThumb[] = [];
  for (const category of readdirSync(CLIPART).sort()) {
    const dir = join(CLIPART, category);
    if (!statSync(dir).isDirectory()) continue;
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.png'))
      .sort()) {
      if (out.length >= limit) return out;
      const src = join(dir, file);
      const thumb = `${category}-${basename(file, '.png')}.webp`;
      const dest = join(THUMBS_DIR, thumb);
      const meta = await sharp(src).metadata();
      if (!existsSync(dest)) {
        // Like the engine's thumbnails: flattened onto white (no alpha), WebP.
        await sharp(src).flatten({ background: '#ffffff' }).resize(192, 192, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 }).toFile(dest);
      }
      out.push({ category, name: file, thumb, width: meta.width ?? 0, height: meta.height ?? 0, size: statSync(src).size });
    }
  }
  return out;
}

// ------------------------------------------------------------------ server

export interface Harness {
  base: string;
  browser: Browser;
  close(): Promise<void>;
}

const MIME: Record<string, string> = { '.js': 'text/javascript', '.webp': 'image/webp', '.svg': 'image/svg+xml', '.map': 'application/json', '.html': 'text/html' };

function serveFile(root: string, rel: string): { body: Buffer; type: string } | null {
  const p = resolve(root, rel);
  if (!p.startsWith(root + sep) || !existsSync(p) || !statSync(p).isFile()) return null;
  return { body: readFileSync(p), type: MIME[extname(p)] ?? 'application/octet-stream' };
}

export async function startHarness(): Promise<Harness> {
  ensureBuilt();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let file: { body: Buffer; type: string } | null = null;
    if (url.pathname.startsWith('/page/')) {
      const bundle = url.pathname.slice('/page/'.length);
      const base = `http://${req.headers.host}`;
      const html = buildWebviewHtml({ cspSource: base, scriptUri: `${base}/dist/webview/${bundle}.js`, title: bundle });
      file = { body: Buffer.from(html), type: 'text/html' };
    } else if (url.pathname.startsWith('/dist/webview/')) {
      file = serveFile(join(ROOT, 'dist', 'webview'), url.pathname.slice('/dist/webview/'.length));
    } else if (url.pathname.startsWith('/thumbs/')) {
      file = serveFile(THUMBS_DIR, decodeURIComponent(url.pathname.slice('/thumbs/'.length)));
    }
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'max-age=3600' }).end(file.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    base,
    browser,
    async close() {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };
}

// ------------------------------------------------------------------ themes (as VS Code injects them)

const FONT = '"DejaVu Sans", "Segoe UI", "Ubuntu", sans-serif';
const common = { 'font-family': FONT, 'font-size': '13px', 'font-weight': 'normal' };

export const THEMES: Record<Theme, { kind: string; bodyClass: string; vars: Record<string, string> }> = {
  light: {
    kind: 'vscode-light',
    bodyClass: 'vscode-light',
    vars: {
      ...common,
      foreground: '#3b3b3b',
      descriptionForeground: '#717171',
      errorForeground: '#f85149',
      focusBorder: '#005fb8',
      'sideBar-background': '#f8f8f8',
      'editor-background': '#ffffff',
      'sideBarSectionHeader-foreground': '#3b3b3b',
      'input-background': '#ffffff',
      'input-border': '#cecece',
      'input-foreground': '#3b3b3b',
      'input-placeholderForeground': '#767676',
      'settings-textInputBackground': '#ffffff',
      'settings-textInputBorder': '#cecece',
      'settings-textInputForeground': '#3b3b3b',
      'settings-dropdownBackground': '#ffffff',
      'settings-dropdownBorder': '#cecece',
      'settings-dropdownForeground': '#3b3b3b',
      'settings-dropdownListBorder': '#c8c8c8',
      'button-background': '#005fb8',
      'button-foreground': '#ffffff',
      'button-hoverBackground': '#0258a8',
      'button-border': 'rgba(0, 0, 0, 0.1)',
      'button-secondaryBackground': '#e5e5e5',
      'button-secondaryForeground': '#3b3b3b',
      'button-secondaryHoverBackground': '#cccccc',
      'badge-background': '#cccccc',
      'badge-foreground': '#3b3b3b',
      'list-activeSelectionBackground': '#e8e8e8',
      'list-activeSelectionForeground': '#000000',
      'list-inactiveSelectionBackground': '#e4e6f1',
      'list-hoverBackground': '#f2f2f2',
      'list-focusOutline': '#005fb8',
      'progressBar-background': '#005fb8',
      'editorWidget-background': '#f0f0f0',
      'widget-border': '#e5e5e5',
      'inputValidation-infoBackground': '#d6ecf2',
      'inputValidation-infoBorder': '#007acc',
      'inputValidation-warningBackground': '#f6f5d2',
      'inputValidation-warningBorder': '#b89500',
      'inputValidation-errorBackground': '#f2dede',
      'inputValidation-errorBorder': '#be1100',
      'textLink-foreground': '#005fb8',
      'textLink-activeForeground': '#005fb8',
    },
  },
  dark: {
    kind: 'vscode-dark',
    bodyClass: 'vscode-dark',
    vars: {
      ...common,
      foreground: '#cccccc',
      descriptionForeground: '#9d9d9d',
      errorForeground: '#f85149',
      focusBorder: '#0078d4',
      'sideBar-background': '#181818',
      'editor-background': '#1f1f1f',
      'sideBarSectionHeader-foreground': '#cccccc',
      'input-background': '#313131',
      'input-border': '#3c3c3c',
      'input-foreground': '#cccccc',
      'input-placeholderForeground': '#989898',
      'settings-textInputBackground': '#313131',
      'settings-textInputBorder': '#3c3c3c',
      'settings-textInputForeground': '#cccccc',
      'settings-dropdownBackground': '#313131',
      'settings-dropdownBorder': '#3c3c3c',
      'settings-dropdownForeground': '#cccccc',
      'settings-dropdownListBorder': '#454545',
      'button-background': '#0078d4',
      'button-foreground': '#ffffff',
      'button-hoverBackground': '#026ec1',
      'button-border': 'rgba(255, 255, 255, 0.07)',
      'button-secondaryBackground': '#313131',
      'button-secondaryForeground': '#cccccc',
      'button-secondaryHoverBackground': '#3c3c3c',
      'badge-background': '#616161',
      'badge-foreground': '#f8f8f8',
      'list-activeSelectionBackground': '#04395e',
      'list-activeSelectionForeground': '#ffffff',
      'list-inactiveSelectionBackground': '#37373d',
      'list-hoverBackground': '#2a2d2e',
      'list-focusOutline': '#0078d4',
      'progressBar-background': '#0078d4',
      'editorWidget-background': '#202020',
      'widget-border': '#313131',
      'inputValidation-infoBackground': '#063b49',
      'inputValidation-infoBorder': '#007acc',
      'inputValidation-warningBackground': '#352a05',
      'inputValidation-warningBorder': '#b89500',
      'inputValidation-errorBackground': '#5a1d1d',
      'inputValidation-errorBorder': '#be1100',
      'textLink-foreground': '#4daafc',
      'textLink-activeForeground': '#4daafc',
    },
  },
  hc: {
    kind: 'vscode-high-contrast',
    bodyClass: 'vscode-high-contrast',
    vars: {
      ...common,
      foreground: '#ffffff',
      descriptionForeground: '#ffffff',
      errorForeground: '#f48771',
      focusBorder: '#f38518',
      contrastBorder: '#6fc3df',
      contrastActiveBorder: '#f38518',
      'sideBar-background': '#000000',
      'editor-background': '#000000',
      'sideBarSectionHeader-foreground': '#ffffff',
      'input-background': '#000000',
      'input-border': '#6fc3df',
      'input-foreground': '#ffffff',
      'input-placeholderForeground': '#ffffffb3',
      'settings-textInputBackground': '#000000',
      'settings-textInputBorder': '#6fc3df',
      'settings-textInputForeground': '#ffffff',
      'settings-dropdownBackground': '#000000',
      'settings-dropdownBorder': '#6fc3df',
      'settings-dropdownForeground': '#ffffff',
      'settings-dropdownListBorder': '#6fc3df',
      'button-background': '#000000',
      'button-foreground': '#ffffff',
      'button-border': '#6fc3df',
      'button-secondaryBackground': '#000000',
      'button-secondaryForeground': '#ffffff',
      'badge-background': '#000000',
      'badge-foreground': '#ffffff',
      'list-focusOutline': '#f38518',
      'progressBar-background': '#6fc3df',
      'editorWidget-background': '#0c141f',
      'widget-border': '#6fc3df',
      'inputValidation-infoBackground': '#000000',
      'inputValidation-infoBorder': '#6fc3df',
      'inputValidation-warningBackground': '#000000',
      'inputValidation-warningBorder': '#6fc3df',
      'inputValidation-errorBackground': '#000000',
      'inputValidation-errorBorder': '#6fc3df',
      'textLink-foreground': '#21a6ff',
      'textLink-activeForeground': '#21a6ff',
    },
  },
};

// ------------------------------------------------------------------ pages

export interface OpenOptions {
  bundle: Bundle;
  theme?: Theme;
  width?: number;
  height?: number;
  /** What vscode.getState() returns (a previous session's setState). */
  state?: unknown;
  /** Background of the view location ('sideBar' for the gallery, 'editor' for the panel). */
  background?: 'sideBar' | 'editor';
}

/**
 * Runs in the page before the bundle: the fake extension side and VS Code's injected theme.
 * Plain JS text (not a serialized function: tsx's transpiled helpers do not exist in the page).
 */
const PAGE_INIT = `
(() => {
  const arg = __ARG__;
  const w = window;
  const sent = [];
  const cspViolations = [];
  w.__sent = sent;
  w.__cspViolations = cspViolations;
  w.__state = arg.state;
  w.__apiCalls = 0;
  w.acquireVsCodeApi = () => {
    w.__apiCalls++;
    return {
      postMessage: (m) => sent.push(JSON.parse(JSON.stringify(m))),
      getState: () => w.__state,
      setState: (s) => { w.__state = JSON.parse(JSON.stringify(s)); },
    };
  };
  document.addEventListener('securitypolicyviolation', (e) => cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
  // VS Code sets the theme variables and default styles (including body padding) itself.
  const sheet = new CSSStyleSheet();
  const decls = Object.entries(arg.vars).map(([k, v]) => '--vscode-' + k + ': ' + v + ';').join(' ');
  sheet.replaceSync(':root { ' + decls + ' } html { background: var(--vscode-' + arg.background + '-background); } body { padding: 0 20px; color: var(--vscode-foreground); font-family: var(--vscode-font-family); }');
  document.adoptedStyleSheets = [sheet];
  document.addEventListener('DOMContentLoaded', () => {
    document.body.classList.add(arg.bodyClass);
    document.body.dataset.vscodeThemeKind = arg.kind;
  });
})();
`;

const pageErrors = new WeakMap<Page, string[]>();

/** Uncaught exceptions and console errors of the page so far. */
export function errorsOf(page: Page): string[] {
  return pageErrors.get(page) ?? [];
}

export async function openPage(h: Harness, o: OpenOptions): Promise<Page> {
  const theme = THEMES[o.theme ?? 'dark'];
  const page = await h.browser.newPage({ viewport: { width: o.width ?? 320, height: o.height ?? 720 } });
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) errors.push(m.text());
  });
  const arg = {
    state: o.state ?? null,
    vars: theme.vars,
    bodyClass: theme.bodyClass,
    kind: theme.kind,
    background: o.background ?? (o.bundle === 'gallery' ? 'sideBar' : 'editor'),
  };
  await page.addInitScript({ content: PAGE_INIT.replace('__ARG__', JSON.stringify(arg)) });
  await page.goto(`${h.base}/page/${o.bundle}`);
  await waitForSent(page, 'ready');
  return page;
}

// ------------------------------------------------------------------ messages

export async function send(page: Page, ...messages: HostToWebview[]): Promise<void> {
  await page.evaluate((ms) => {
    for (const m of ms) window.postMessage(m, '*');
  }, messages);
  // Let the message events run and the grid paint.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

export async function sent(page: Page): Promise<WebviewToHost[]> {
  return page.evaluate(() => (window as unknown as { __sent: WebviewToHost[] }).__sent.slice());
}

export async function clearSent(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { __sent: unknown[] }).__sent.length = 0;
  });
}

export async function waitForSent<T extends WebviewToHost['type']>(
  page: Page,
  type: T,
  pred: (m: Extract<WebviewToHost, { type: T }>) => boolean = () => true,
): Promise<Extract<WebviewToHost, { type: T }>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const all = await sent(page);
    const hit = all.find((m): m is Extract<WebviewToHost, { type: T }> => m.type === type && pred(m as Extract<WebviewToHost, { type: T }>));
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no '${type}' message; sent: ${JSON.stringify(all.map((m) => m.type))}; page errors: ${JSON.stringify(errorsOf(page))}`);
    await page.waitForTimeout(20);
  }
}

export async function getPageState<T>(page: Page): Promise<T> {
  return page.evaluate(() => (window as unknown as { __state: T }).__state);
}

export async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations.slice());
}

// ------------------------------------------------------------------ items

/** Items for the openclipart thumbnails, named and tagged after their real files. */
export function clipartItems(thumbs: ClipartThumb[], base: string): AssetItem[] {
  return thumbs.map((t, i) => ({
    id: `clip-${i}`,
    relPath: `assets/${t.category}/${t.name}`,
    name: t.name,
    folder: `assets/${t.category}`,
    ext: 'png',
    size: t.size,
    mtime: Date.UTC(2024, 5, 1) + i * 3_600_000,
    width: t.width,
    height: t.height,
    thumbnail: `${base}/thumbs/${encodeURIComponent(t.thumb)}`,
    uri: `file:///work/project/assets/${t.category}/${encodeURIComponent(t.name)}`,
    tags: [{ tag: t.category.replace(/_/g, ' '), score: 0.82, source: 'auto' as const }, ...(i % 3 === 0 ? [{ tag: 'clip art', score: 1, source: 'user' as const }] : [])],
    captions: [`a clip art drawing of ${basename(t.name, '.png').replace(/[_-]+/g, ' ')}`],
  }));
}

export function itemsMessages(items: AssetItem[], chunk = 2000, generation = 1): HostToWebview[] {
  const out: HostToWebview[] = [];
  for (let i = 0; i < items.length || i === 0; i += chunk) {
    out.push({ type: 'items', generation, items: items.slice(i, i + chunk), done: i + chunk >= items.length });
  }
  return out;
}

export function screenshotPath(name: string): string {
  mkdirSync(SHOTS_DIR, { recursive: true });
  return join(SHOTS_DIR, `${name}.png`);
}

/**
 * The harness of one test file: started before its tests, closed after them. Pages pushed to
 * `pages` are checked after each test (no CSP violation, no script error), then closed.
 */
export function useHarness(onStarted: (h: Harness) => void, pages: Page[]): void {
  let h: Harness | undefined;
  before(async () => {
    h = await startHarness();
    onStarted(h);
  });
  after(async () => {
    await h?.close();
  });
  afterEach(async () => {
    for (const p of pages.splice(0)) {
      assert.deepEqual(await cspViolations(p), [], 'CSP violations');
      assert.deepEqual(errorsOf(p), [], 'page errors');
      await p.close();
    }
  });
}
