// One end-to-end session: a temp workspace of real and generated images, a private code-server
// (user settings pointing the extension at the semantic fixture model), headless Chromium on
// the workbench, and a stop() that ends everything that was started.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { FIXTURE_COLORS, colorModelDir } from '../../fixtures/models';
import { writeSolidImage } from '../../fixtures/images';
import { CLIPART_DIR } from '../../fixtures/paths';
import { E2E_ROOT, RESULTS_DIR, codeServerInstall, extensionsDirFor, hostVsix, startCodeServer, type RunningCodeServer } from './codeServer';
import { Workbench } from './workbench';

export const EXTENSION_ID = 'mobileclip-assets.mobileclip-assets';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Solid images the colour fixture model understands: `images/<colour>.png`. */
export const SOLID_COLOURS = ['red', 'green', 'blue', 'yellow'] as const;

export interface SessionOptions {
  /** Names test-results/e2e/<label>-*.png and the session folder. */
  label: string;
  /** User settings on top of the defaults (undefined values remove a default). */
  settings?: Record<string, unknown>;
  /** Environment of code-server, the extension host and its worker. */
  env?: NodeJS.ProcessEnv;
  /** Clip-art categories copied into the workspace (2 images each). */
  clipartCategories?: string[];
  /** Which `images/<colour>.png` to write (default: all SOLID_COLOURS; [] for none). */
  solidColours?: readonly string[];
  /** More solid-colour images: workspace-relative path -> sRGB colour. */
  extraImages?: Record<string, readonly [number, number, number]>;
  /** Runs on the finished workspace before code-server starts (e.g. build an index with the CLI). */
  beforeStart?: (workspace: string) => Promise<void>;
}

export interface Session {
  workbench: Workbench;
  page: Page;
  workspace: string;
  dir: string;
  server: RunningCodeServer;
  /** Absolute paths of the generated solid-colour images, by colour. */
  solid: Record<string, string>;
  /** Workspace-relative paths of the copied clip-art images. */
  clipart: string[];
  /** How many images the workspace started with. */
  imageCount: number;
  /** Text of the extension's output channel log files and code-server's log, for failure messages. */
  logs(): Promise<string>;
  stop(): Promise<void>;
}

export async function makeWorkspace(dir: string, categories: string[], colours: readonly string[] = SOLID_COLOURS): Promise<{ solid: Record<string, string>; clipart: string[] }> {
  const solid: Record<string, string> = {};
  for (const c of colours) solid[c] = await writeSolidImage(path.join(dir, 'images', `${c}.png`), FIXTURE_COLORS[c]!, { width: 64, height: 48 });
  const clipart: string[] = [];
  for (const category of categories) {
    const files = (await fs.readdir(path.join(CLIPART_DIR, category)))
      .filter((f) => f.endsWith('.png'))
      .sort()
      .slice(0, 2);
    for (const f of files) {
      const rel = path.posix.join('clipart', category, f);
      await fs.mkdir(path.join(dir, 'clipart', category), { recursive: true });
      await fs.copyFile(path.join(CLIPART_DIR, category, f), path.join(dir, rel));
      clipart.push(rel);
    }
  }
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'README.md'), '# e2e workspace\n');
  return { solid, clipart };
}

export async function defaultUserSettings(dir: string): Promise<Record<string, unknown>> {
  return {
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'chat.disableAIFeatures': true,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
    'window.restoreWindows': 'none',
    'git.enabled': false,
    'mobileclipAssets.model': await colorModelDir(),
    // The fixture folder has fp32 towers only (the default text precision is int8).
    'mobileclipAssets.textPrecision': 'fp32',
    'mobileclipAssets.modelCacheDir': path.join(dir, 'model-cache'),
  };
}

export async function startSession(opts: SessionOptions): Promise<Session> {
  const install = codeServerInstall();
  const extensionsDir = await extensionsDirFor(install, hostVsix());
  const dir = path.join(E2E_ROOT, 'sessions', `${opts.label}-${process.pid}-${randomBytes(3).toString('hex')}`);
  const workspace = path.join(dir, 'workspace');
  const userDataDir = path.join(dir, 'user-data');
  await fs.mkdir(path.join(userDataDir, 'User'), { recursive: true });
  const { solid, clipart } = await makeWorkspace(workspace, opts.clipartCategories ?? ['animals', 'computer', 'food', 'signs_and_symbols'], opts.solidColours);
  const extra = Object.entries(opts.extraImages ?? {});
  for (const [rel, rgb] of extra) await writeSolidImage(path.join(workspace, rel), rgb, { width: 50, height: 50 });
  const imageCount = Object.keys(solid).length + clipart.length + extra.length;
  await opts.beforeStart?.(workspace);

  const settings: Record<string, unknown> = { ...(await defaultUserSettings(dir)) };
  for (const [k, v] of Object.entries(opts.settings ?? {})) {
    if (v === undefined) delete settings[k];
    else settings[k] = v;
  }
  // code-server is a remote setup: machine-scoped settings (the model, host and cache settings)
  // apply from the Remote ("Machine") settings, the rest from the User settings. Write both.
  await fs.mkdir(path.join(userDataDir, 'Machine'), { recursive: true });
  await fs.writeFile(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  await fs.writeFile(path.join(userDataDir, 'Machine', 'settings.json'), JSON.stringify(settings, null, 2));

  const logFile = path.join(dir, 'code-server.log');
  const server = await startCodeServer(install, {
    userDataDir,
    extensionsDir,
    workspace,
    logFile,
    env: { MOBILECLIP_ASSETS_CACHE: path.join(dir, 'model-cache'), XDG_CACHE_HOME: path.join(dir, 'xdg-cache'), ...opts.env },
  });

  let browser: Browser | undefined;
  const consoleErrors: string[] = [];
  try {
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.setDefaultTimeout(30_000);
    await page.goto(server.workspaceUrl);
    const workbench = new Workbench(page, opts.label);
    await workbench.ready();
    const logs = async () => {
      const parts = [`--- code-server log (${logFile})`, (await fs.readFile(logFile, 'utf8').catch(() => '')).slice(-6000)];
      for (const f of await findFiles(path.join(userDataDir, 'logs'), (n) => /MobileCLIP|mobileclip|exthost\.log$/i.test(n))) {
        parts.push(`--- ${f}`, (await fs.readFile(f, 'utf8').catch(() => '')).slice(-8000));
      }
      parts.push('--- browser console errors', consoleErrors.slice(-30).join('\n'));
      return parts.join('\n');
    };
    const stop = async () => {
      await browser?.close().catch(() => undefined);
      await server.stop();
    };
    return { workbench, page, workspace, dir, server, solid, clipart, imageCount, logs, stop };
  } catch (err) {
    await browser?.close().catch(() => undefined);
    await server.stop();
    throw err;
  }
}

/**
 * Runs a scenario step; on failure saves a screenshot (`<name>-failure`) and fails with the
 * extension's and code-server's logs appended.
 */
export async function guarded(session: Session, name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    await session.workbench.screenshot(`${name}-failure`).catch(() => undefined);
    throw new Error(`${(err as Error).message}\n${await session.logs()}`);
  }
}

/** Files under `dir` whose name passes `match` (recursive; missing folders are empty). */
export async function findFiles(dir: string, match: (name: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await findFiles(p, match)));
    else if (match(e.name)) out.push(p);
  }
  return out;
}

export { RESULTS_DIR };
