// The sidebar gallery in headless Chromium, driven through its message protocol.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { AssetItem, HostToWebview, IndexingProgress, ModelStatus, WebviewToHost } from '../../src/shared/messages';
import { clearSent, errorsOf, getPageState, itemsMessages, makeItems, openPage, send, sent, useHarness, waitForSent, type Harness } from './harness';

const READY: ModelStatus = { kind: 'ready', modelName: 'MobileCLIP-S0' };
const IDLE: IndexingProgress = { running: false, done: 0, total: 0, etaSeconds: null, failed: [] };

let h: Harness;
const pages: Page[] = [];

// Every scenario must run without CSP violations or script errors.
useHarness((started) => (h = started), pages);

async function gallery(items: AssetItem[], o: { state?: object; status?: ModelStatus; progress?: IndexingProgress; width?: number; height?: number } = {}): Promise<Page> {
  // Small tiles and a tall view, so small sets render completely (virtualization aside).
  const state = { tileSize: 64, ...o.state };
  const page = await openPage(h, { bundle: 'gallery', state, width: o.width, height: o.height ?? 1400 });
  pages.push(page);
  await send(page, { type: 'init', status: o.status ?? READY, progress: o.progress ?? IDLE, total: items.length }, ...itemsMessages(items));
  return page;
}

/** Ids of tiles currently in the DOM (rendered rows only), in DOM order. */
function renderedIds(page: Page): Promise<string[]> {
  return page.$$eval('.grid-row:not([hidden]) .tile', (els) => els.map((e) => (e as HTMLElement).dataset.id ?? ''));
}

/** Ids of rendered tiles sorted by on-screen position (rows are recycled, so DOM order is not display order). */
function displayedIds(page: Page): Promise<string[]> {
  return page.$$eval('.grid-row:not([hidden]) .tile', (els) =>
    els
      .map((e) => ({ id: (e as HTMLElement).dataset.id ?? '', r: e.getBoundingClientRect() }))
      .sort((a, b) => a.r.top - b.r.top || a.r.left - b.r.left)
      .map((x) => x.id),
  );
}

function focusedId(page: Page): Promise<string | null> {
  return page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset?.id ?? null);
}

function selectedIds(page: Page): Promise<string[]> {
  return page.$$eval('.grid-row:not([hidden]) .tile[aria-selected="true"]', (els) => els.map((e) => (e as HTMLElement).dataset.id ?? '').sort());
}

async function frames(page: Page, n = 2): Promise<void> {
  for (let i = 0; i < n; i++) await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
}

function lastOf<T extends WebviewToHost['type']>(msgs: WebviewToHost[], type: T): Extract<WebviewToHost, { type: T }> | undefined {
  return msgs.filter((m) => m.type === type).at(-1) as Extract<WebviewToHost, { type: T }> | undefined;
}

async function setSelect(page: Page, label: string, value: string): Promise<void> {
  await page.evaluate(
    ([l, v]) => {
      const el = document.querySelector(`vscode-single-select[aria-label="${l}"]`) as HTMLElement & { value: string };
      el.value = v;
      el.dispatchEvent(new Event('change', { bubbles: true }));
    },
    [label, value],
  );
  await frames(page);
}

async function typeQuery(page: Page, text: string): Promise<void> {
  await page.locator('vscode-textfield').click();
  await page.keyboard.type(text);
}

describe('gallery webview', () => {
  test('10,000 items render with a bounded number of DOM nodes, also after scrolling', async () => {
    const items = makeItems(10_000);
    const page = await gallery(items, { state: { group: 'none' } });
    const rowCount = Number(await page.getAttribute('.grid', 'aria-rowcount'));
    const cols = Number(await page.getAttribute('.grid', 'aria-colcount'));
    assert.equal(rowCount, Math.ceil(10_000 / cols), 'the grid describes every row to assistive tech');

    const count = () => page.evaluate(() => ({ tiles: document.querySelectorAll('.tile').length, nodes: document.querySelectorAll('*').length }));
    const first = await count();
    assert.ok(first.tiles > 0 && first.tiles < 600, `tiles in DOM: ${first.tiles}`);
    assert.ok(first.nodes < 3000, `nodes in DOM: ${first.nodes}`);
    assert.deepEqual((await displayedIds(page)).slice(0, 3), ['id-0', 'id-1', 'id-2']);

    await page.$eval('.grid', (g) => (g.scrollTop = g.scrollHeight / 2));
    await frames(page);
    const mid = await displayedIds(page);
    const midIdx = mid.map((id) => Number(id.slice(3)));
    assert.ok(Math.min(...midIdx) > 4000 && Math.max(...midIdx) < 6000, `middle rows render middle items: ${midIdx[0]}…${midIdx.at(-1)}`);
    await page.$eval('.grid', (g) => (g.scrollTop = g.scrollHeight));
    await frames(page);
    assert.ok((await displayedIds(page)).includes('id-9999'), 'last item rendered at the bottom');
    const end = await count();
    assert.ok(end.tiles < 600 && end.nodes < 3000, `after scrolling: ${JSON.stringify(end)}`);
  });

  test('scrolling asks the host for thumbnails of newly visible tiles, and shows them', async () => {
    const page = await gallery(makeItems(3000), { state: { group: 'none' } });
    const firstReq = await waitForSent(page, 'requestThumbnails');
    const rendered = new Set(await renderedIds(page));
    assert.ok(firstReq.ids.length > 0 && firstReq.ids.every((id) => rendered.has(id)), 'requests only rendered tiles');
    assert.ok(firstReq.ids.includes('id-0'));

    await clearSent(page);
    await page.$eval('.grid', (g) => (g.scrollTop = g.scrollHeight));
    const next = await waitForSent(page, 'requestThumbnails');
    assert.ok(next.ids.includes('id-2999'), 'bottom tiles requested after scrolling');
    assert.ok(!next.ids.some((id) => firstReq.ids.includes(id)), 'no id is requested twice');

    const { base } = h;
    await send(page, {
      type: 'thumbnails',
      updates: [
        { id: 'id-2999', thumbnail: `${base}/thumbs/missing-on-purpose.webp`, width: 10, height: 20 },
        { id: 'id-2998', thumbnail: null, error: 'corrupt file' },
      ],
    });
    const src = await page.$eval('.tile[data-id="id-2999"] img', (img) => img.getAttribute('src'));
    assert.equal(src, `${base}/thumbs/missing-on-purpose.webp`);
    assert.equal(await page.$eval('.tile[data-id="id-2998"] .thumb', (t) => t.getAttribute('data-state')), 'error');
    assert.match((await page.getAttribute('.tile[data-id="id-2998"]', 'title')) ?? '', /corrupt file/);
    // A failed thumbnail is not requested again on the next scroll.
    await clearSent(page);
    await page.$eval('.grid', (g) => (g.scrollTop = 0));
    await page.$eval('.grid', (g) => (g.scrollTop = g.scrollHeight));
    await frames(page, 3);
    assert.ok(!(await sent(page)).some((m) => m.type === 'requestThumbnails' && m.ids.includes('id-2998')));
    // The 404 above is the page's own business: drop it from the error check, once it has been
    // reported (the console message can arrive late on a loaded machine).
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('.tile[data-id="id-2999"] img');
      return !img || (img.complete && img.naturalWidth === 0);
    });
    for (let i = 0; i < 100 && !errorsOf(page).some((e) => /404/.test(e)); i++) await page.waitForTimeout(20);
    const errors = errorsOf(page);
    errors.splice(0, errors.length, ...errors.filter((e) => !/status of 404/.test(e)));
  });

  test('search round trip: debounced query, ranked results with scores, stale answers dropped, no-good-match, clearing', async () => {
    const page = await gallery(makeItems(30), { state: { group: 'none' } });
    await clearSent(page);
    await typeQuery(page, 'red car');
    const req = await waitForSent(page, 'search', (m) => m.query === 'red car');
    const searches = (await sent(page)).filter((m) => m.type === 'search');
    assert.ok(searches.length < 'red car'.length, `typing is debounced (${searches.length} searches)`);

    await send(page, {
      type: 'searchResults',
      ranked: true,
      seq: req.seq,
      query: 'red car',
      results: [
        { id: 'id-5', score: 0.31 },
        { id: 'id-2', score: 0.29 },
        { id: 'id-9', score: 0.25 },
      ],
      noGoodMatch: false,
      bestScore: 0.31,
    });
    assert.deepEqual(await displayedIds(page), ['id-5', 'id-2', 'id-9']);
    const scoreOf = (id: string) => page.$eval(`.tile[data-id="${id}"] .score`, (e) => e.textContent);
    assert.equal(await scoreOf('id-5'), '0.310');
    assert.equal(await scoreOf('id-9'), '0.250');
    assert.match((await page.textContent('[data-search="count"]')) ?? '', /3 results for “red car”/);
    assert.equal(await page.$eval('vscode-single-select[aria-label="Sort by"]', (e) => (e as HTMLElement & { value: string }).value), 'relevance');
    assert.equal(await page.$('[data-search="no-good-match"]'), null);

    // An answer for an older request must not replace newer results.
    await send(page, { type: 'searchResults', ranked: true, seq: req.seq - 1, query: 'red', results: [{ id: 'id-1', score: 0.9 }], noGoodMatch: false, bestScore: 0.9 });
    assert.deepEqual(await displayedIds(page), ['id-5', 'id-2', 'id-9']);

    await clearSent(page);
    await page.keyboard.type(' xyzzy');
    const req2 = await waitForSent(page, 'search', (m) => m.query === 'red car xyzzy');
    await send(page, { type: 'searchResults', ranked: true, seq: req2.seq, query: 'red car xyzzy', results: [{ id: 'id-7', score: 0.12 }], noGoodMatch: true, bestScore: 0.12 });
    const banner = await page.textContent('[data-search="no-good-match"]');
    assert.match(banner ?? '', /No good match for “red car xyzzy”.*0\.120/);
    assert.deepEqual(await displayedIds(page), ['id-7'], 'closest images still shown');

    // "Open in panel" sends the shown ids in display order.
    await page.click('[data-search="count"] button');
    assert.deepEqual((await waitForSent(page, 'openAllInPanel')).ids, ['id-7']);

    await page.locator('vscode-textfield').click();
    await page.keyboard.press('Escape');
    await frames(page);
    assert.equal((await displayedIds(page)).length, 30, 'clearing the query shows everything again');
    assert.equal(await page.$eval('vscode-single-select[aria-label="Sort by"]', (e) => (e as HTMLElement & { value: string }).value), 'name', 'sort returns to what it was');
    assert.equal(await page.$('[data-search]'), null);

    // A search the host cannot run shows its error.
    await clearSent(page);
    await page.locator('vscode-textfield').click();
    await page.keyboard.type('dog');
    await page.keyboard.press('Enter');
    const req3 = await waitForSent(page, 'search', (m) => m.query === 'dog');
    await send(page, {
      type: 'searchResults',
      ranked: true,
      seq: req3.seq,
      query: 'dog',
      results: [],
      noGoodMatch: false,
      bestScore: null,
      error: 'The model is not downloaded yet.',
    });
    assert.equal(await page.textContent('[data-search="error"]'), 'The model is not downloaded yet.', "the host's sentence, nothing added");
    assert.equal(await page.isVisible('.search-ring'), false, 'no spinner once the host answered');
  });

  test('filter chips narrow by type, tag and folder, and can be cleared', async () => {
    const items = makeItems(40);
    const page = await gallery(items, { state: { group: 'none' } });
    const byId = new Map(items.map((it) => [it.id, it]));
    await page.click('.filters summary');
    await page.click('.chip-group[aria-label="Type"] .chip:has-text("JPG")');
    await frames(page);
    let shown = await displayedIds(page);
    const jpgs = items.filter((it) => it.ext === 'jpg');
    assert.equal(shown.length, jpgs.length);
    assert.ok(shown.every((id) => byId.get(id)!.ext === 'jpg'));
    assert.equal(await page.getAttribute('.chip-group[aria-label="Type"] .chip:has-text("JPG")', 'aria-pressed'), 'true');

    await page.click('.chip-group[aria-label="Tags"] .chip:has-text("cat")');
    await frames(page);
    shown = await displayedIds(page);
    const expected = items.filter((it) => it.ext === 'jpg' && it.tags.some((t) => t.tag === 'cat')).map((it) => it.id);
    assert.deepEqual(shown.sort(), expected.sort());
    assert.match((await page.textContent('.filters summary')) ?? '', /2 active/);

    await page.click('.active-filters .chip:has-text("Clear filters")');
    await frames(page);
    await page.click('.chip-group[aria-label="Folder"] .chip:has-text("docs/img")');
    await frames(page);
    shown = await displayedIds(page);
    assert.deepEqual(
      shown.sort(),
      items
        .filter((it) => it.folder === 'docs/img')
        .map((it) => it.id)
        .sort(),
    );

    // Filters that match nothing explain themselves and offer a way out.
    await page.click('.chip-group[aria-label="Tags"] .chip:has-text("dog")');
    await page.click('.chip-group[aria-label="Type"] .chip:has-text("SVG")');
    await frames(page);
    const combos = items.filter((it) => it.folder === 'docs/img' && it.ext === 'svg' && it.tags.some((t) => t.tag === 'dog'));
    if (combos.length === 0) {
      assert.equal(await page.getAttribute('.empty', 'data-kind'), 'noFilterMatch');
      await page.click('.empty vscode-button');
      await frames(page);
      assert.equal((await displayedIds(page)).length, 40);
    }
  });

  test('sorting by size and by date', async () => {
    const items = makeItems(40);
    const page = await gallery(items, { state: { group: 'none' } });
    // Through the real dropdown once (it positions itself with CSSOM styles: CSP-safe).
    await page.click('vscode-single-select[aria-label="Sort by"]');
    await page.locator('vscode-single-select[aria-label="Sort by"] li.option', { hasText: 'File size' }).click();
    await frames(page);
    const bySize = [...items].sort((a, b) => b.size - a.size).map((it) => it.id);
    assert.deepEqual(await displayedIds(page), bySize);
    await setSelect(page, 'Sort by', 'mtime');
    const byDate = [...items].sort((a, b) => b.mtime - a.mtime).map((it) => it.id);
    assert.deepEqual(await displayedIds(page), byDate);
    assert.equal((await getPageState<{ sort: string }>(page)).sort, 'mtime');
  });

  test('arrow keys, Home/End, PageDown move focus in the 2-D grid; Enter opens', async () => {
    const items = makeItems(200);
    const page = await gallery(items, { state: { group: 'none' }, height: 500 });
    const cols = Number(await page.getAttribute('.grid', 'aria-colcount'));
    assert.ok(cols >= 2);
    await page.click('.tile[data-id="id-0"]');
    await clearSent(page);
    const press = async (key: string) => {
      await page.keyboard.press(key);
      await frames(page, 1);
      return focusedId(page);
    };
    assert.equal(await press('ArrowRight'), 'id-1');
    assert.equal(await press('ArrowDown'), `id-${1 + cols}`);
    assert.equal(await press('Home'), `id-${cols}`);
    assert.equal(await press('End'), `id-${2 * cols - 1}`);
    assert.equal(await press('ArrowLeft'), `id-${2 * cols - 2}`);
    assert.equal(await press('ArrowUp'), `id-${cols - 2}`);
    const paged = await press('PageDown');
    assert.ok(paged && Number(paged.slice(3)) >= cols - 2 + 2 * cols, `PageDown moves several rows (${paged})`);
    assert.equal(await press('Control+End'), 'id-199', 'Ctrl+End reaches the last (virtualized) item');
    assert.equal(await page.getAttribute('.tile[data-id="id-199"]', 'tabindex'), '0', 'roving tabindex follows focus');
    assert.equal(await page.$$eval('.tile[tabindex="0"]', (els) => els.length), 1);
    assert.equal(await press('Control+Home'), 'id-0');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    assert.deepEqual((await waitForSent(page, 'open')).ids, ['id-1']);
    // Accessible names carry the file name and tags.
    assert.equal(await page.getAttribute('.tile[data-id="id-1"]', 'aria-label'), `${items[1].name}, tags: ${items[1].tags[0].tag}`);
    assert.equal(await page.getAttribute('.tile[data-id="id-1"]', 'role'), 'gridcell');
  });

  test('multi-select with Shift/Ctrl-click and Shift+arrows, and batch actions', async () => {
    const page = await gallery(makeItems(40), { state: { group: 'none' } });
    await page.click('.tile[data-id="id-0"]');
    assert.deepEqual((await waitForSent(page, 'open')).ids, ['id-0'], 'a plain click opens');
    await clearSent(page);
    await page.click('.tile[data-id="id-3"]', { modifiers: ['Shift'] });
    await page.click('.tile[data-id="id-6"]', { modifiers: ['Control'] });
    assert.deepEqual(await selectedIds(page), ['id-0', 'id-1', 'id-2', 'id-3', 'id-6']);
    assert.equal(lastOf(await sent(page), 'open'), undefined, 'modified clicks do not open');
    assert.deepEqual(lastOf(await sent(page), 'selectionChanged')?.ids, ['id-0', 'id-1', 'id-2', 'id-3', 'id-6']);
    assert.match((await page.textContent('.selection-bar .count')) ?? '', /5 selected/);
    assert.equal(await page.isVisible('.selection-bar vscode-button[title="Find similar images"]'), false, 'single-item action hidden for 5');

    await page.click('.selection-bar vscode-button[title="Copy paths"]');
    assert.deepEqual((await waitForSent(page, 'copyPath')).ids, ['id-0', 'id-1', 'id-2', 'id-3', 'id-6']);
    await page.click('.selection-bar vscode-button[title="Generate captions"]');
    assert.equal((await waitForSent(page, 'generateCaptions')).ids.length, 5);
    await page.click('.selection-bar vscode-button[title="Edit tags"]');
    assert.equal((await waitForSent(page, 'editTags')).ids.length, 5);

    await page.focus('.tile[data-id="id-6"]');
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('Shift+ArrowRight');
    assert.deepEqual(await selectedIds(page), ['id-6', 'id-7', 'id-8']);
    await page.keyboard.press('Control+a');
    await frames(page);
    assert.equal(lastOf(await sent(page), 'selectionChanged')?.ids.length, 40);
    await page.keyboard.press('Control+c');
    assert.equal(lastOf(await sent(page), 'copyPath')?.ids.length, 40);
    await page.keyboard.press('Escape');
    await frames(page);
    assert.deepEqual(await selectedIds(page), []);
    assert.equal(await page.isVisible('.selection-bar'), false);
  });

  test('tiles carry the VS Code context-menu context; right-click selects the tile', async () => {
    const page = await gallery(makeItems(20), { state: { group: 'none' } });
    const ctx = async (id: string) => JSON.parse((await page.getAttribute(`.tile[data-id="${id}"]`, 'data-vscode-context')) ?? '{}');
    assert.deepEqual(await ctx('id-4'), { webviewSection: 'tile', itemId: 'id-4', mobileclipMultiSelect: false, preventDefaultContextMenuItems: true });
    assert.deepEqual(JSON.parse((await page.getAttribute('body', 'data-vscode-context')) ?? '{}'), { preventDefaultContextMenuItems: true });

    await page.click('.tile[data-id="id-1"]');
    await page.click('.tile[data-id="id-2"]', { modifiers: ['Control'] });
    assert.equal((await ctx('id-1')).mobileclipMultiSelect, true);
    assert.equal((await ctx('id-2')).mobileclipMultiSelect, true);
    assert.equal((await ctx('id-3')).mobileclipMultiSelect, false);

    await page.click('.tile[data-id="id-5"]', { button: 'right' });
    assert.deepEqual(await selectedIds(page), ['id-5']);
    assert.deepEqual(lastOf(await sent(page), 'selectionChanged')?.ids, ['id-5']);
    // Right-click inside a multi-selection keeps it.
    await page.click('.tile[data-id="id-6"]', { modifiers: ['Shift'] });
    await page.click('.tile[data-id="id-6"]', { button: 'right' });
    assert.deepEqual(await selectedIds(page), ['id-5', 'id-6']);
  });

  test('dragging tiles puts their file URIs on the data transfer', async () => {
    const items = makeItems(10);
    const page = await gallery(items, { state: { group: 'none' } });
    const drag = (id: string) =>
      page.$eval(`.tile[data-id="${id}"]`, (el) => {
        const dt = new DataTransfer();
        el.dispatchEvent(new DragEvent('dragstart', { dataTransfer: dt, bubbles: true }));
        return { uriList: dt.getData('text/uri-list'), text: dt.getData('text/plain') };
      });
    assert.deepEqual(await drag('id-3'), { uriList: items[3].uri, text: items[3].uri });
    await page.click('.tile[data-id="id-1"]');
    await page.click('.tile[data-id="id-2"]', { modifiers: ['Control'] });
    const both = await drag('id-2');
    assert.deepEqual(both.uriList.split('\r\n'), [items[1].uri, items[2].uri]);
  });

  test('live deltas add, change and remove tiles without a reload', async () => {
    const items = makeItems(10);
    const page = await gallery(items, { state: { group: 'none' } });
    const added: AssetItem = { ...items[0], id: 'new-1', name: 'aaa-new.png', relPath: 'assets/icons/aaa-new.png', uri: 'file:///work/project/assets/icons/aaa-new.png' };
    const changed: AssetItem = { ...items[1], tags: [{ tag: 'sunset', score: 1, source: 'user' }] };
    await send(page, { type: 'itemsDelta', added: [added], changed: [changed], removed: ['id-0'] });
    await page.waitForFunction(() => document.querySelector('.tile[data-id="new-1"]') !== null);
    const shown = await displayedIds(page);
    assert.equal(shown[0], 'new-1', 'new item sorted by name');
    assert.ok(!shown.includes('id-0'), 'removed item gone');
    assert.equal(shown.length, 10);
    assert.match((await page.getAttribute('.tile[data-id="id-1"]', 'aria-label')) ?? '', /tags: sunset/);
    assert.equal((await sent(page)).filter((m) => m.type === 'ready').length, 1, 'no reload');
    await page.click('.filters summary');
    assert.ok(await page.isVisible('.chip-group[aria-label="Tags"] .chip:has-text("sunset")'), 'filter chips follow deltas');
  });

  test('folder groups: headers with counts, collapse by click and keyboard', async () => {
    const items = makeItems(25);
    const page = await gallery(items);
    const headers = await page.$$eval('.grid-row:not([hidden]) .group-header', (els) =>
      els.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top).map((e) => e.textContent),
    );
    assert.deepEqual(headers, ['assets/icons5', 'assets/photos5', 'design/mockups5', 'docs/img5', 'static5']);
    // Focus arriving from outside (Tab, screen reader) becomes the roving focus target.
    await page.focus('.group-header[data-section="docs/img"]');
    await page.keyboard.press('ArrowDown');
    assert.equal(await focusedId(page), 'id-2');
    await page.click('.group-header[data-section="assets/photos"]');
    await frames(page);
    assert.equal(await page.getAttribute('.group-header[data-section="assets/photos"]', 'aria-expanded'), 'false');
    const shown = await displayedIds(page);
    assert.equal(shown.length, 20);
    assert.ok(!shown.some((id) => items.find((it) => it.id === id)!.folder === 'assets/photos'));
    assert.deepEqual((await getPageState<{ collapsed: string[] }>(page)).collapsed, ['assets/photos']);

    // Keyboard: Enter on a focused header toggles it; ArrowLeft collapses.
    await page.focus('.group-header[data-section="assets/photos"]');
    await page.keyboard.press('Enter');
    await frames(page);
    assert.equal(await page.getAttribute('.group-header[data-section="assets/photos"]', 'aria-expanded'), 'true');
    await page.keyboard.press('ArrowDown');
    assert.equal(await focusedId(page), 'id-1', 'down from a header enters its first row');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowLeft');
    await frames(page);
    assert.equal(await page.getAttribute('.group-header[data-section="assets/photos"]', 'aria-expanded'), 'false');
  });

  test('state (query, filters, sort, group, size, collapsed groups, scroll) survives a reload via getState/setState', async () => {
    const items = makeItems(2000);
    const page = await gallery(items, { state: { group: 'none' } });
    await page.click('.filters summary');
    await page.click('.chip-group[aria-label="Type"] .chip:has-text("PNG")');
    await setSelect(page, 'Sort by', 'size');
    await page.$eval('input[type=range]', (el) => {
      (el as HTMLInputElement).value = '160';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.$eval('.grid', (g) => (g.scrollTop = 1500));
    await frames(page);
    await page.waitForFunction(() => ((window as unknown as { __state: { scrollTop: number } }).__state?.scrollTop ?? 0) >= 1400);
    const saved = await getPageState<Record<string, unknown>>(page);
    assert.equal(saved.tileSize, 160);
    assert.equal(saved.sort, 'size');
    assert.deepEqual((saved.filters as { exts: string[] }).exts, ['png']);

    const page2 = await openPage(h, { bundle: 'gallery', state: { ...saved, query: 'cat' } });
    pages.push(page2);
    const req = await waitForSent(page2, 'search', (m) => m.query === 'cat');
    assert.equal(await page2.$eval('vscode-textfield', (e) => (e as HTMLElement & { value: string }).value), 'cat');
    assert.equal(await page2.$eval('input[type=range]', (e) => (e as HTMLInputElement).value), '160');
    assert.equal(await page2.$eval('vscode-single-select[aria-label="Group by"]', (e) => (e as HTMLElement & { value: string }).value), 'none');
    await send(page2, { type: 'init', status: READY, progress: IDLE, total: items.length }, ...itemsMessages(items));
    const pngs = items.filter((it) => it.ext === 'png');
    await send(page2, {
      type: 'searchResults',
      ranked: true,
      seq: req.seq,
      query: 'cat',
      results: pngs.map((it, i) => ({ id: it.id, score: 0.3 - i * 1e-4 })),
      noGoodMatch: false,
      bestScore: 0.3,
    });
    await frames(page2);
    assert.equal(await page2.$eval('.grid', (g) => g.scrollTop), 1500, 'scroll position restored');
    assert.equal(await page2.getAttribute('.chip-group[aria-label="Type"] .chip:has-text("PNG")', 'aria-pressed'), 'true');
  });

  const statusCases: { status: ModelStatus; selector: string; text: RegExp; button?: string; sends?: WebviewToHost['type'] }[] = [
    { status: { kind: 'noWorkspace' }, selector: '.empty[data-kind="noWorkspace"]', text: /No folder is open/, button: 'Open Folder', sends: 'openFolder' },
    { status: { kind: 'noImages' }, selector: '.empty[data-kind="noImages"]', text: /No images found/, button: 'Open Settings', sends: 'openSettings' },
    {
      status: { kind: 'modelMissing', modelName: 'MobileCLIP-S0', downloadSize: '45 MB + 40 MB' },
      selector: '[data-status="modelMissing"]',
      text: /need the MobileCLIP-S0 model\. It runs locally/,
      button: 'Download (45 MB + 40 MB)',
      sends: 'downloadModel',
    },
    {
      status: { kind: 'modelMissing', modelName: 'MobileCLIP-S0' },
      selector: '[data-status="modelMissing"]',
      text: /need the MobileCLIP-S0 model/,
      button: 'Use Local Folder…',
      sends: 'modelAction',
    },
    {
      status: { kind: 'downloading', modelName: 'MobileCLIP-S0', received: 10_000_000, total: 40_000_000 },
      selector: '[data-status="downloading"]',
      text: /Downloading MobileCLIP-S0… 10 MB of 40 MB/,
    },
    {
      status: { kind: 'modelFailed', modelName: 'MobileCLIP-S0', message: "Can't reach huggingface.co: offline or a proxy is needed.", retry: 'download' },
      selector: '[data-status="modelFailed"]',
      text: /^Can't reach huggingface\.co: offline or a proxy is needed\.Retry/,
      button: 'Retry',
      sends: 'modelAction',
    },
    {
      status: { kind: 'modelFailed', modelName: 'MobileCLIP-S0', message: 'The model folder x cannot be used.', retry: 'load' },
      selector: '[data-status="modelFailed"]',
      text: /model folder x/,
      button: 'Show Details',
      sends: 'modelAction',
    },
    { status: { kind: 'loading', modelName: 'MobileCLIP-S0' }, selector: '[data-status="loading"]', text: /Loading MobileCLIP-S0/ },
    {
      status: { kind: 'workerCrashed', message: 'exit code 134' },
      selector: '[data-status="workerCrashed"]',
      text: /worker stopped: exit code 134/,
      button: 'Restart worker',
      sends: 'restartWorker',
    },
  ];
  for (const c of statusCases) {
    test(`model status "${c.status.kind}" shows its state${c.sends ? ` and its button sends ${c.sends}` : ''}`, async () => {
      const items = c.status.kind === 'noWorkspace' || c.status.kind === 'noImages' ? [] : makeItems(6);
      const page = await gallery(items, { status: c.status });
      assert.match((await page.textContent(c.selector)) ?? '', c.text);
      if (c.button && c.sends) {
        await page.click(`${c.selector} vscode-button:has-text("${c.button}")`);
        await waitForSent(page, c.sends);
      }
      if (c.status.kind === 'downloading') {
        const bar = await page.$eval('[data-status="downloading"] vscode-progress-bar', (e) => ({
          value: (e as unknown as { value: number }).value,
          max: (e as unknown as { max: number }).max,
        }));
        assert.deepEqual(bar, { value: 10_000_000, max: 40_000_000 });
      }
      if (items.length) {
        // Back to ready: the banner goes away.
        await send(page, { type: 'modelStatus', status: READY });
        assert.equal(await page.$(c.selector), null);
      }
    });
  }

  test('indexing progress and the failed-files list update live', async () => {
    const page = await gallery(makeItems(12));
    assert.equal(await page.$('[data-status="indexing"]'), null);
    const progress: IndexingProgress = {
      running: true,
      done: 5,
      total: 12,
      etaSeconds: 130,
      failed: [{ id: 'id-3', relPath: 'docs/img/broken.png', error: 'Input buffer contains unsupported image format' }],
    };
    await send(page, { type: 'progress', progress });
    assert.match((await page.textContent('[data-status="indexing"]')) ?? '', /Indexing 5 of 12.*about 2 min 10 s left/);
    assert.match((await page.textContent('.failed summary')) ?? '', /1 file could not be read/);
    await page.click('.failed summary');
    assert.match((await page.textContent('.failed li')) ?? '', /broken\.png.*unsupported image format/);
    await page.click('.failed li button');
    assert.equal((await waitForSent(page, 'reveal')).id, 'id-3');
    await send(page, { type: 'progress', progress: { ...progress, running: false, done: 12, failed: [] } });
    assert.equal(await page.$('[data-status="indexing"]'), null);
    assert.equal(await page.$('.failed'), null);
  });

  test('a host setQuery message fills the search box and searches', async () => {
    const page = await gallery(makeItems(5));
    await send(page, { type: 'setQuery', query: 'a blue boat' } satisfies HostToWebview);
    assert.equal((await waitForSent(page, 'search', (m) => m.query === 'a blue boat')).query, 'a blue boat');
    assert.equal(await page.$eval('vscode-textfield', (e) => (e as HTMLElement & { value: string }).value), 'a blue boat');
  });

  test('vscode-elements components render under the strict CSP (constructed stylesheets)', async () => {
    const page = await gallery(makeItems(3));
    const info = await page.$eval('vscode-textfield', (e) => ({
      upgraded: customElements.get('vscode-textfield') !== undefined,
      sheets: e.shadowRoot?.adoptedStyleSheets.length ?? 0,
      height: e.getBoundingClientRect().height,
    }));
    assert.ok(info.upgraded && info.sheets > 0 && info.height > 10, JSON.stringify(info));
    assert.equal(await page.evaluate(() => (window as unknown as { __apiCalls: number }).__apiCalls), 1, 'acquireVsCodeApi called once');
    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    assert.ok(csp && !csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'));
  });
  test('a query of filters only filters the grid: no scores, no relevance sort, every match listed', async () => {
    const items = makeItems(20);
    const page = await gallery(items, { state: { group: 'none' } });
    await typeQuery(page, 'type:png');
    const req = await waitForSent(page, 'search', (m) => m.query === 'type:png');
    const pngs = items.filter((it) => it.ext === 'png');
    await send(page, {
      type: 'searchResults',
      ranked: false,
      seq: req.seq,
      query: 'type:png',
      results: pngs.map((it) => ({ id: it.id, score: 0 })),
      noGoodMatch: false,
      bestScore: null,
    });
    const shown = await displayedIds(page);
    assert.deepEqual(
      shown,
      [...pngs].sort((a, b) => a.name.localeCompare(b.name)).map((it) => it.id),
      'the matches, in the sort the user had',
    );
    assert.deepEqual(await page.$$eval('.tile .score', (els) => els.map((e) => e.textContent).filter(Boolean)), [], 'no scores');
    assert.equal(await page.$eval('vscode-single-select[aria-label="Sort by"]', (e) => (e as HTMLElement & { value: string }).value), 'name');
    assert.match((await page.textContent('[data-search="count"]')) ?? '', new RegExp(`^${pngs.length} images match “type:png”`));
  });

  test('ranked results are one flat list by score; grouping by folder is only used when asked for', async () => {
    const items = makeItems(25);
    const page = await gallery(items); // browsing groups by folder (the default)
    assert.ok((await page.$$('.grid-row:not([hidden]) .group-header')).length > 1);
    await typeQuery(page, 'red');
    const req = await waitForSent(page, 'search', (m) => m.query === 'red');
    // Scores alternate between folders: grouping would break the ranking (0.214 after 0.204).
    const results = [
      { id: 'id-1', score: 0.25 },
      { id: 'id-2', score: 0.214 },
      { id: 'id-6', score: 0.204 },
      { id: 'id-3', score: 0.2 },
    ];
    await send(page, { type: 'searchResults', ranked: true, seq: req.seq, query: 'red', results, noGoodMatch: false, bestScore: 0.25 });
    assert.deepEqual(
      await displayedIds(page),
      results.map((r) => r.id),
    );
    assert.equal((await page.$$('.grid-row:not([hidden]) .group-header')).length, 0, 'no folder headers in ranked results');
    assert.equal(await page.$eval('vscode-single-select[aria-label="Group by"]', (e) => (e as HTMLElement & { value: string }).value), 'none');
    // Asked for: folders while searching, remembered separately from browsing.
    await setSelect(page, 'Group by', 'folder');
    assert.ok((await page.$$('.grid-row:not([hidden]) .group-header')).length > 1);
    const saved = await getPageState<{ group: string; groupWhileSearching: string }>(page);
    assert.deepEqual([saved.group, saved.groupWhileSearching], ['folder', 'folder']);
  });

  test('folder chips are not capped silently: "More…" shows every folder', async () => {
    const items = makeItems(40).map((it, i) => ({ ...it, folder: `f${String(i % 20).padStart(2, '0')}`, relPath: `f${String(i % 20).padStart(2, '0')}/${it.name}` }));
    const page = await gallery(items, { state: { group: 'none' } });
    await page.click('.filters summary');
    const folderChips = () => page.$$eval('.chip-group[aria-label="Folder"] .chip:not(.more)', (els) => els.length);
    assert.equal(await folderChips(), 12);
    assert.match((await page.textContent('.chip-group[aria-label="Folder"] .chip.more')) ?? '', /^More… \(8\)$/);
    await page.click('.chip-group[aria-label="Folder"] .chip.more');
    assert.equal(await folderChips(), 20);
    await page.click('.chip-group[aria-label="Folder"] .chip:has-text("f19")');
    await frames(page);
    assert.deepEqual(
      (await displayedIds(page)).sort(),
      items
        .filter((it) => it.folder === 'f19')
        .map((it) => it.id)
        .sort(),
    );
    assert.equal(await page.textContent('.chip-group[aria-label="Folder"] .chip.more'), 'Fewer');
  });

  test('Ctrl+A then fast typing keeps the first character (the workbench never sees Ctrl+A)', async () => {
    const page = await gallery(makeItems(5));
    // What VS Code's webview host does: forward the keydown, answer Ctrl+A with a delayed "select all".
    await page.evaluate(() => {
      const w = window as unknown as { __forwarded: string[] };
      w.__forwarded = [];
      window.addEventListener('keydown', (e) => {
        if (!(e.ctrlKey && e.key.toLowerCase() === 'a')) return;
        w.__forwarded.push('ctrl+a');
        setTimeout(() => document.execCommand('selectAll'), 30);
      });
    });
    await typeQuery(page, 'green');
    for (let round = 0; round < 5; round++) {
      await page.keyboard.press('Control+A');
      await page.keyboard.type('blue', { delay: 15 });
      await page.waitForTimeout(60);
      assert.equal(await page.$eval('vscode-textfield', (e) => (e as HTMLElement & { value: string }).value), 'blue', `round ${round}`);
    }
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __forwarded: string[] }).__forwarded), []);
  });

  test('a long model error is one bounded banner with its actions; the failed search reruns once the model is ready', async () => {
    const message = `Can't reach huggingface.co: offline or a proxy is needed. ${'/home/user/.cache/mobileclip-assets/Xenova--mobileclip_s0/onnx/vision_model.onnx '.repeat(20)}`;
    const page = await gallery(makeItems(6), { status: { kind: 'modelFailed', modelName: 'MobileCLIP-S0', message, retry: 'download' }, width: 320 });
    const box = await page.$eval('[data-status="modelFailed"]', (e) => e.getBoundingClientRect().height);
    assert.ok(box < 200, `banner height ${box}px`);
    assert.deepEqual(await page.$$eval('[data-status="modelFailed"] vscode-button', (els) => els.map((e) => e.textContent)), ['Retry', 'Use Local Folder…', 'Show Details']);
    await page.click('[data-status="modelFailed"] vscode-button:has-text("Use Local Folder…")');
    assert.equal((await waitForSent(page, 'modelAction')).action, 'useLocalFolder');

    await typeQuery(page, 'red');
    const req = await waitForSent(page, 'search', (m) => m.query === 'red');
    await send(page, {
      type: 'searchResults',
      ranked: false,
      seq: req.seq,
      query: 'red',
      results: [],
      noGoodMatch: false,
      bestScore: null,
      error: 'Searching by description needs the model.',
    });
    assert.equal(await page.isVisible('.search-ring'), false);
    await clearSent(page);
    await send(page, { type: 'modelStatus', status: READY });
    assert.equal((await waitForSent(page, 'search', (m) => m.query === 'red')).query, 'red');
  });
});
