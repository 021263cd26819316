// The search results panel in headless Chromium, driven through its message protocol.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { AssetItem, ResultsMessage } from '../../src/shared/messages';
import { clearSent, getPageState, makeItems, openPage, send, sent, useHarness, waitForSent, type Harness } from './harness';

let h: Harness;
const pages: Page[] = [];
// Every scenario must run without CSP violations or script errors.
useHarness((started) => (h = started), pages);

function ranked(n: number): AssetItem[] {
  return makeItems(n).map((it, i) => ({ ...it, score: 0.4 - i * 0.001 }));
}

function resultsMsg(items: AssetItem[], o: Partial<ResultsMessage> = {}): ResultsMessage {
  return { type: 'results', query: 'a red car', items, noGoodMatch: false, bestScore: items[0]?.score ?? null, ...o };
}

async function panel(o: { state?: object; height?: number } = {}): Promise<Page> {
  const page = await openPage(h, { bundle: 'results', width: 1000, height: o.height ?? 900, state: { tileSize: 120, ...o.state } });
  pages.push(page);
  return page;
}

function displayedIds(page: Page): Promise<string[]> {
  return page.$$eval('.grid-row:not([hidden]) .tile', (els) =>
    els
      .map((e) => ({ id: (e as HTMLElement).dataset.id ?? '', r: e.getBoundingClientRect() }))
      .sort((a, b) => a.r.top - b.r.top || a.r.left - b.r.left)
      .map((x) => x.id),
  );
}

describe('results panel webview', () => {
  test('shows the query, the count and ranked tiles with score, folder and dimensions', async () => {
    const page = await panel();
    assert.match((await page.textContent('.empty')) ?? '', /No results yet/);
    const items = ranked(12);
    await send(page, resultsMsg(items));
    assert.equal(await page.textContent('h1.query'), '“a red car”');
    assert.equal(await page.textContent('.results-header vscode-badge'), '12 results');
    assert.deepEqual(
      await displayedIds(page),
      items.map((it) => it.id),
    );
    const tile = await page.$eval('.tile[data-id="id-3"]', (el) => ({
      name: el.querySelector('.name')?.textContent,
      score: el.querySelector('.score')?.textContent,
      meta: el.querySelector('.meta')?.textContent,
      facts: el.querySelector('.facts')?.textContent,
      label: el.getAttribute('aria-label'),
    }));
    const { facts, ...rest } = tile;
    assert.match(facts ?? '', new RegExp(`^${items[3].width} × ${items[3].height} · [\\d.]+ KB · ${items[3].tags[0].tag}$`));
    assert.deepEqual(rest, {
      name: items[3].name,
      score: '0.397',
      meta: items[3].folder,
      label: `${items[3].name}, tags: ${items[3].tags[0].tag}, score 0.397`,
    });
    assert.equal(await page.$('[data-search="no-good-match"]'), null);
    assert.equal(await page.evaluate(() => document.title), '“a red car”');
  });

  test('no-good-match state and an empty result set', async () => {
    const page = await panel();
    await send(
      page,
      resultsMsg(
        ranked(3).map((it) => ({ ...it, score: 0.1 })),
        { query: 'qwerty', noGoodMatch: true, bestScore: 0.1 },
      ),
    );
    assert.match((await page.textContent('[data-search="no-good-match"]')) ?? '', /No good match for “qwerty” \(best score 0\.100\)/);
    await send(page, resultsMsg([], { query: 'nothing', bestScore: null }));
    assert.match((await page.textContent('.empty')) ?? '', /No images match “nothing”/);
    assert.equal(await page.isVisible('.grid'), false);
  });

  test('open by click and Enter, keyboard navigation, batch actions incl. reveal and Markdown links', async () => {
    const page = await panel();
    const items = ranked(30);
    await send(page, resultsMsg(items));
    const cols = Number(await page.getAttribute('.grid', 'aria-colcount'));
    await page.click('.tile[data-id="id-0"]');
    assert.deepEqual((await waitForSent(page, 'open')).ids, ['id-0']);
    await clearSent(page);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    assert.deepEqual((await waitForSent(page, 'open')).ids, [`id-${cols + 1}`]);

    assert.ok(await page.isVisible('.selection-bar vscode-button:has-text("Reveal in Explorer")'));
    await page.click('.selection-bar vscode-button:has-text("Reveal in Explorer")');
    assert.equal((await waitForSent(page, 'reveal')).id, `id-${cols + 1}`);
    await page.click('.selection-bar vscode-button[title="Find similar images"]');
    assert.equal((await waitForSent(page, 'findSimilar')).id, `id-${cols + 1}`);

    await page.click('.tile[data-id="id-2"]', { modifiers: ['Shift'] });
    assert.equal(await page.isVisible('.selection-bar vscode-button:has-text("Reveal in Explorer")'), false);
    await page.click('.selection-bar vscode-button:has-text("Copy Markdown links")');
    const md = await waitForSent(page, 'copyMarkdownLink');
    assert.equal(md.ids.length, cols);
    await page.click('.selection-bar vscode-button:has-text("Copy paths")');
    assert.equal((await waitForSent(page, 'copyPath')).ids.length, cols);
    const ctx = JSON.parse((await page.getAttribute('.tile[data-id="id-2"]', 'data-vscode-context')) ?? '{}');
    assert.deepEqual(ctx, { webviewSection: 'tile', itemId: 'id-2', mobileclipMultiSelect: true, preventDefaultContextMenuItems: true });
  });

  test('asks for missing thumbnails, applies them and live deltas', async () => {
    const page = await panel();
    const items = ranked(8);
    await send(page, resultsMsg(items));
    const req = await waitForSent(page, 'requestThumbnails');
    assert.deepEqual([...req.ids].sort(), items.map((it) => it.id).sort());
    await send(page, { type: 'thumbnails', updates: [{ id: 'id-1', thumbnail: null, error: 'unsupported format' }] });
    assert.equal(await page.$eval('.tile[data-id="id-1"] .thumb', (t) => t.getAttribute('data-state')), 'error');

    await send(page, { type: 'itemsDelta', added: [], removed: ['id-0'], changed: [{ ...items[2], score: undefined, name: 'renamed.png' }] });
    const shown = await displayedIds(page);
    assert.deepEqual(
      shown,
      items.slice(1).map((it) => it.id),
      'ranking kept, removed file dropped',
    );
    assert.equal(await page.textContent('.tile[data-id="id-2"] .name'), 'renamed.png');
    assert.equal(await page.textContent('.tile[data-id="id-2"] .score'), '0.398', 'score kept from the result set');
    assert.equal((await sent(page)).filter((m) => m.type === 'ready').length, 1);
  });

  test('drag puts the file URI on the data transfer', async () => {
    const page = await panel();
    const items = ranked(4);
    await send(page, resultsMsg(items));
    const data = await page.$eval('.tile[data-id="id-2"]', (el) => {
      const dt = new DataTransfer();
      el.dispatchEvent(new DragEvent('dragstart', { dataTransfer: dt, bubbles: true }));
      return dt.getData('text/uri-list');
    });
    assert.equal(data, items[2].uri);
  });

  test('scroll position and size survive a reload of the same results', async () => {
    const items = ranked(600);
    const page = await panel({ height: 600 });
    await send(page, resultsMsg(items));
    await page.$eval('.grid', (g) => (g.scrollTop = 2000));
    await page.waitForFunction(() => ((window as unknown as { __state: { scrollTop: number } }).__state?.scrollTop ?? 0) >= 2000);
    const saved = await getPageState<{ scrollTop: number; query: string; tileSize: number }>(page);
    assert.equal(saved.query, 'a red car');

    const page2 = await openPage(h, { bundle: 'results', width: 1000, height: 600, state: saved });
    pages.push(page2);
    await send(page2, resultsMsg(items));
    assert.equal(await page2.$eval('.grid', (g) => g.scrollTop), 2000);
    // A different query starts at the top.
    await send(page2, resultsMsg(items, { query: 'something else' }));
    assert.equal(await page2.$eval('.grid', (g) => g.scrollTop), 0);
  });
  test('Find Similar shows its query image (click opens it); Pin keeps the results; filter listings have no scores', async () => {
    const page = await panel({ height: 500 });
    const items = ranked(4);
    const query = { ...makeItems(1)[0]!, id: 'q', name: 'green.png', relPath: 'images/green.png', thumbnail: null };
    await send(page, resultsMsg(items, { query: 'green.png', title: 'Similar to green.png', queryItem: query }));
    assert.equal(await page.isVisible('.query-image'), true);
    assert.match((await page.getAttribute('.query-image', 'title')) ?? '', /images\/green\.png/);
    await clearSent(page);
    await page.click('.query-image');
    assert.deepEqual((await waitForSent(page, 'open')).ids, ['q']);
    await page.click('vscode-button.pin');
    await waitForSent(page, 'pinResults');
    await send(page, resultsMsg(items, { query: 'green.png', title: 'Similar to green.png', queryItem: query, pinned: true }));
    assert.equal(await page.isVisible('vscode-button.pin'), false);
    assert.equal(await page.isVisible('.pinned'), true);
    await page.waitForTimeout(300); // the state is saved debounced
    assert.equal((await getPageState<{ pinned: boolean }>(page)).pinned, true, 'a reload keeps it pinned');
    // A listing (filters only): no query image, no scores, "images" not "results".
    const listed = makeItems(3);
    await send(page, resultsMsg(listed, { query: 'type:png', ranked: false, bestScore: null }));
    assert.equal(await page.isVisible('.query-image'), false);
    assert.equal(await page.textContent('.results-header vscode-badge'), '3 images');
    assert.deepEqual(await page.$$eval('.grid-row:not([hidden]) .tile .score', (els) => els.map((e) => e.textContent).filter(Boolean)), []);
  });
});
