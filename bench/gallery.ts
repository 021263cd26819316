// Gallery webview benchmark (not a test): time to first paint and scroll smoothness with
// 10,000 tiles in headless Chromium, at sidebar and panel widths, with real thumbnails.
//   node scripts/build.mjs && node --import tsx bench/gallery.ts [--items 10000] [--frames 600]
// Writes bench/out/gallery.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { HostToWebview } from '../src/shared/messages';
import { ROOT, clipartThumbs, itemsMessages, makeItems, openPage, startHarness, type Harness } from '../test/webview/harness';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const N = arg('items', 10_000);
const FRAMES = arg('frames', 600);

interface FrameStats {
  frames: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Frames that took longer than 1.5 refresh intervals (a visibly dropped frame). */
  slowFrames: number;
  longTasks: number;
  maxTilesInDom: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))];
}

function summarize(deltas: number[], longTasks: number, maxTiles: number): FrameStats {
  const s = [...deltas].sort((a, b) => a - b);
  const refresh = percentile(s, 0.5);
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    frames: s.length,
    meanMs: r(s.reduce((a, b) => a + b, 0) / s.length),
    p50Ms: r(refresh),
    p95Ms: r(percentile(s, 0.95)),
    p99Ms: r(percentile(s, 0.99)),
    maxMs: r(s[s.length - 1]),
    slowFrames: s.filter((d) => d > refresh * 1.5).length,
    longTasks,
    maxTilesInDom: maxTiles,
  };
}

/** Sends init + the item list and measures until the first tiles are painted and the whole list is in. */
async function firstPaint(page: Page, messages: HostToWebview[]): Promise<{ firstTilesMs: number; allItemsMs: number }> {
  return page.evaluate(`(async () => {
    const messages = ${JSON.stringify(messages)};
    const frame = () => new Promise((r) => requestAnimationFrame(() => r(null)));
    const t0 = performance.now();
    window.postMessage(messages[0], '*');
    window.postMessage(messages[1], '*');
    let firstTiles = -1;
    // First chunk: wait until a tile is in the DOM, then for the frame that paints it.
    while (!document.querySelector('.tile')) await new Promise((r) => setTimeout(r, 0));
    await frame();
    firstTiles = performance.now() - t0;
    for (const m of messages.slice(2)) window.postMessage(m, '*');
    await new Promise((r) => setTimeout(r, 0));
    await frame();
    await frame();
    return { firstTilesMs: firstTiles, allItemsMs: performance.now() - t0 };
  })()`);
}

/** Scrolls by `step` px every animation frame and records frame-to-frame times. */
async function scrollRun(page: Page, frames: number, step: number): Promise<FrameStats> {
  const r = (await page.evaluate(`(async () => {
    const grid = document.querySelector('.grid');
    let longTasks = 0;
    const obs = new PerformanceObserver((l) => { longTasks += l.getEntries().length; });
    try { obs.observe({ type: 'longtask', buffered: false }); } catch {}
    const deltas = [];
    let maxTiles = 0;
    let last = await new Promise((r) => requestAnimationFrame(r));
    for (let i = 0; i < ${frames}; i++) {
      const max = grid.scrollHeight - grid.clientHeight;
      grid.scrollTop = (grid.scrollTop + ${step}) % Math.max(1, max);
      const now = await new Promise((r) => requestAnimationFrame(r));
      deltas.push(now - last);
      last = now;
      if (i % 20 === 0) maxTiles = Math.max(maxTiles, document.querySelectorAll('.tile').length);
    }
    obs.disconnect();
    return { deltas, longTasks, maxTiles };
  })()`)) as { deltas: number[]; longTasks: number; maxTiles: number };
  return summarize(r.deltas, r.longTasks, r.maxTiles);
}

/** Answers thumbnail requests like the host would (instantly, with real WebP files). */
async function autoThumbnails(page: Page, base: string, thumbs: string[]): Promise<void> {
  await page.evaluate(`(() => {
    const thumbs = ${JSON.stringify(thumbs)};
    const sent = window.__sent;
    const push = sent.push.bind(sent);
    sent.push = (m) => {
      if (m.type === 'requestThumbnails') {
        const updates = m.ids.map((id) => ({ id, thumbnail: '${base}/thumbs/' + encodeURIComponent(thumbs[Number(id.slice(3)) % thumbs.length]) }));
        setTimeout(() => window.postMessage({ type: 'thumbnails', updates }, '*'), 0);
      }
      return push(m);
    };
  })()`);
}

async function scenario(h: Harness, label: string, width: number, thumbs: string[]): Promise<Record<string, unknown>> {
  const page = await openPage(h, { bundle: 'gallery', theme: 'dark', width, height: 800, state: { tileSize: 112 } });
  await autoThumbnails(page, h.base, thumbs);
  const items = makeItems(N); // thumbnails null: the gallery asks for them as tiles appear
  const messages: HostToWebview[] = [
    { type: 'init', status: { kind: 'ready', modelName: 'M' }, progress: { running: false, done: N, total: N, etaSeconds: null, failed: [] }, total: N },
    ...itemsMessages(items),
  ];
  const paint = await firstPaint(page, messages);
  const cols = Number(await page.getAttribute('.grid', 'aria-colcount'));
  const slow = await scrollRun(page, FRAMES, 60);
  const fast = await scrollRun(page, FRAMES, 1200);
  await page.close();
  return { label, width, columns: cols, ...paint, scroll60pxPerFrame: slow, scroll1200pxPerFrame: fast };
}

async function main(): Promise<void> {
  const h = await startHarness();
  try {
    const thumbs = (await clipartThumbs()).map((t) => t.thumb);
    const results = [];
    for (const [label, width] of [
      ['sidebar', 320],
      ['panel', 1200],
    ] as const) {
      const r = await scenario(h, label, width, thumbs);
      results.push(r);
      console.log(JSON.stringify(r, null, 2));
    }
    const out = join(ROOT, 'bench', 'out');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'gallery.json'), JSON.stringify({ items: N, frames: FRAMES, date: new Date().toISOString(), results }, null, 2));
  } finally {
    await h.close();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
