// Both webviews in light, dark and high-contrast themes with real thumbnails: theme colours are
// applied, focus and selection are visible, and screenshots go to test-results/webview/ for review.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { AssetItem, IndexingProgress, ModelStatus } from '../../src/shared/messages';
import {
  THEMES,
  clipartItems,
  clipartThumbs,
  cspViolations,
  errorsOf,
  itemsMessages,
  openPage,
  screenshotPath,
  send,
  startHarness,
  waitForSent,
  type Harness,
  type Theme,
} from './harness';

const READY: ModelStatus = { kind: 'ready', modelName: 'MobileCLIP-S0' };

let h: Harness;
let items: AssetItem[];

before(async () => {
  h = await startHarness();
  items = clipartItems(await clipartThumbs(), h.base);
});
after(async () => {
  await h.close();
});

/** Waits until every rendered thumbnail has loaded (or failed). */
async function imagesSettled(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    [...document.querySelectorAll('.grid-row:not([hidden]) .thumb')].every((t) => ['loaded', 'error', 'pending'].includes(t.getAttribute('data-state') ?? '')),
  );
}

function rgb(page: Page, selector: string, prop: string): Promise<string> {
  return page.$eval(selector, (el, p) => getComputedStyle(el).getPropertyValue(p), prop);
}

/** "rgb(r, g, b)" → "#rrggbb" for comparing with the theme variables. */
function hex(css: string): string {
  const m = /rgba?\((\d+), (\d+), (\d+)/.exec(css);
  return m
    ? '#' +
        m
          .slice(1, 4)
          .map((v) => Number(v).toString(16).padStart(2, '0'))
          .join('')
    : css;
}

async function finish(page: Page): Promise<void> {
  assert.deepEqual(await cspViolations(page), []);
  assert.deepEqual(errorsOf(page), []);
  await page.close();
}

const themes: Theme[] = ['light', 'dark', 'hc'];

describe('webview themes', () => {
  for (const theme of themes) {
    const vars = THEMES[theme].vars;

    test(`gallery in the ${theme} theme: browsing with indexing progress and a focused selection`, async () => {
      const page = await openPage(h, { bundle: 'gallery', theme, width: 300, height: 720, state: { tileSize: 96 } });
      const progress: IndexingProgress = {
        running: true,
        done: 180,
        total: 279,
        etaSeconds: 42,
        failed: [{ id: 'x1', relPath: 'assets/scans/broken.png', error: 'Input file contains unsupported image format' }],
      };
      await send(page, { type: 'init', status: READY, progress, total: items.length }, ...itemsMessages(items));
      await imagesSettled(page);
      const second = items[1].id;
      await page.click(`.tile[data-id="${items[0].id}"]`);
      await page.click(`.tile[data-id="${second}"]`, { modifiers: ['Control'] });
      await page.hover(`.tile[data-id="${items[3].id}"]`);
      await page.screenshot({ path: screenshotPath(`gallery-${theme}`) });

      assert.equal(hex(await rgb(page, 'body', 'color')), vars.foreground, 'text uses --vscode-foreground');
      const focused = `.tile[data-id="${second}"]`;
      assert.equal(await page.evaluate((sel) => document.activeElement === document.querySelector(sel), focused), true);
      assert.equal(await rgb(page, focused, 'outline-style'), 'solid', 'focused tile has an outline');
      assert.equal(hex(await rgb(page, focused, 'outline-color')), vars['list-focusOutline'] ?? vars.focusBorder);
      if (theme === 'hc') {
        // High contrast: selection is drawn with contrastActiveBorder, thumbnails framed with contrastBorder.
        assert.equal(hex(await rgb(page, focused, 'border-top-color')), vars.contrastActiveBorder);
        assert.equal(hex(await rgb(page, `${focused} .thumb`, 'outline-color')), vars.contrastBorder);
      } else {
        assert.equal(hex(await rgb(page, focused, 'background-color')), vars['list-activeSelectionBackground']);
      }
      await finish(page);
    });

    test(`gallery in the ${theme} theme: search results, no-good-match and the selection bar`, async () => {
      const page = await openPage(h, { bundle: 'gallery', theme, width: 300, height: 720, state: { tileSize: 96, group: 'none', filtersOpen: true } });
      await send(
        page,
        { type: 'init', status: READY, progress: { running: false, done: 279, total: 279, etaSeconds: null, failed: [] }, total: items.length },
        ...itemsMessages(items),
      );
      await page.click('.chip-group[aria-label="Tags"] .chip:has-text("animals")');
      await page.locator('vscode-textfield').click();
      await page.keyboard.type('a cat sleeping on a sofa');
      const req = await waitForSent(page, 'search', (m) => m.query === 'a cat sleeping on a sofa');
      const results = items.slice(0, 30).map((it, i) => ({ id: it.id, score: 0.21 - i * 0.002 }));
      await send(page, { type: 'searchResults', ranked: true, seq: req.seq, query: req.query, results, noGoodMatch: true, bestScore: 0.21 });
      await page.click(`.tile[data-id="${items[0].id}"]`);
      await page.click(`.tile[data-id="${items[2].id}"]`, { modifiers: ['Shift'] });
      await imagesSettled(page);
      await page.screenshot({ path: screenshotPath(`gallery-search-${theme}`) });
      assert.equal(hex(await rgb(page, '[data-search="no-good-match"]', 'border-top-color')), vars['inputValidation-warningBorder']);
      assert.equal(hex(await rgb(page, '.chip[aria-pressed="true"]', 'background-color')), vars['button-background']);
      assert.ok(await page.isVisible('.selection-bar'));
      await finish(page);
    });

    test(`gallery in the ${theme} theme: model download failed`, async () => {
      const page = await openPage(h, { bundle: 'gallery', theme, width: 300, height: 420, state: { tileSize: 96 } });
      const status: ModelStatus = { kind: 'modelFailed', modelName: 'MobileCLIP-S0', message: "Can't reach huggingface.co: offline or a proxy is needed.", retry: 'download' };
      await send(
        page,
        { type: 'init', status, progress: { running: false, done: 0, total: 0, etaSeconds: null, failed: [] }, total: items.length },
        ...itemsMessages(items.slice(0, 12)),
      );
      await imagesSettled(page);
      await page.screenshot({ path: screenshotPath(`gallery-error-${theme}`) });
      assert.equal(hex(await rgb(page, '[data-status="modelFailed"]', 'border-top-color')), vars['inputValidation-errorBorder']);
      await finish(page);
    });

    test(`results panel in the ${theme} theme`, async () => {
      const page = await openPage(h, { bundle: 'results', theme, width: 1000, height: 640, state: { tileSize: 150 } });
      const ranked = items.filter((it) => it.folder.endsWith('animals')).map((it, i) => ({ ...it, score: 0.34 - i * 0.004 }));
      await send(page, { type: 'results', query: 'an animal drawn with thick outlines', items: ranked, noGoodMatch: false, bestScore: ranked[0].score ?? null });
      await imagesSettled(page);
      await page.click(`.tile[data-id="${ranked[1].id}"]`);
      await page.keyboard.press('ArrowRight');
      await page.screenshot({ path: screenshotPath(`results-${theme}`) });
      assert.equal(hex(await rgb(page, '.tile .score', 'background-color')), vars['badge-background']);
      assert.equal(hex(await rgb(page, '.tile .meta', 'color')), vars.descriptionForeground);
      await finish(page);
    });
  }

  test('gallery at panel width (wide layout, many columns)', async () => {
    const page = await openPage(h, { bundle: 'gallery', theme: 'dark', width: 1200, height: 600, state: { tileSize: 112 } });
    await send(
      page,
      {
        type: 'init',
        status: { kind: 'modelMissing', modelName: 'MobileCLIP-S0', downloadSize: '46 MB + 40 MB' },
        progress: { running: false, done: 0, total: 0, etaSeconds: null, failed: [] },
        total: items.length,
      },
      ...itemsMessages(items),
    );
    await imagesSettled(page);
    await page.screenshot({ path: screenshotPath('gallery-wide-dark') });
    assert.ok(Number(await page.getAttribute('.grid', 'aria-colcount')) >= 8);
    await finish(page);
  });
});
