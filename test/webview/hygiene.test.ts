// The gallery's asset-hygiene parts in headless Chromium, driven through the message protocol:
// the Duplicates mode (groups as sections, Keep This One / Not Duplicates post the right
// messages) and the `unused:` filter (search syntax and chips).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { AssetItem, IndexingProgress, ModelStatus } from '../../src/shared/messages';
import { duplicateSections, splitUsageQuery } from '../../webview/common/model';
import { clearSent, getPageState, itemsMessages, makeItems, openPage, send, sent, useHarness, waitForSent, type Harness } from './harness';

const READY: ModelStatus = { kind: 'ready', modelName: 'MobileCLIP-S0' };
const IDLE: IndexingProgress = { running: false, done: 0, total: 0, etaSeconds: null, failed: [] };

let h: Harness;
const pages: Page[] = [];

// Every scenario must run without CSP violations or script errors.
useHarness((started) => (h = started), pages);

/** Six items: id-0..id-5; references 0, 2, 0, 1, undefined (not counted), 3. */
function hygieneItems(): AssetItem[] {
  const refs = [0, 2, 0, 1, undefined, 3];
  return makeItems(6).map((it, i) => (refs[i] === undefined ? it : { ...it, references: refs[i] }));
}

async function gallery(items: AssetItem[], state: object = {}): Promise<Page> {
  const page = await openPage(h, { bundle: 'gallery', state: { tileSize: 64, ...state }, height: 900 });
  pages.push(page);
  await send(page, { type: 'init', status: READY, progress: IDLE, total: items.length }, ...itemsMessages(items));
  return page;
}

const shownIds = (page: Page, root = '.mode-browse') => page.$$eval(`${root} .grid-row:not([hidden]) .tile`, (els) => els.map((e) => (e as HTMLElement).dataset.id ?? '').sort());

describe('unused: filter', () => {
  test('the search syntax splits off unused:, -unused:, used: and unused:no', () => {
    assert.deepEqual(splitUsageQuery('unused:'), { text: '', usage: 'unused' });
    assert.deepEqual(splitUsageQuery('red icon unused: type:png'), { text: 'red icon type:png', usage: 'unused' });
    assert.deepEqual(splitUsageQuery('-unused: logo'), { text: 'logo', usage: 'used' });
    assert.deepEqual(splitUsageQuery('used:'), { text: '', usage: 'used' });
    assert.deepEqual(splitUsageQuery('unused:no'), { text: '', usage: 'used' });
    assert.deepEqual(splitUsageQuery('unusedstuff  red'), { text: 'unusedstuff  red', usage: null }, 'other words are left exactly as typed');
  });

  test('typing unused: shows only unreferenced images, without a host search', async () => {
    const page = await gallery(hygieneItems());
    await page.waitForSelector('.mode-browse .tile');
    await clearSent(page);
    await send(page, { type: 'setQuery', query: 'unused:' });
    await page.waitForFunction(() => document.querySelectorAll('.mode-browse .grid-row:not([hidden]) .tile').length === 2);
    assert.deepEqual(await shownIds(page), ['id-0', 'id-2'], 'references 0 only; an item not counted yet is not called unused');
    assert.equal((await sent(page)).filter((m) => m.type === 'search').length, 0, 'a filter of the gallery alone asks the host nothing');

    // With words, only the words go to the host.
    await send(page, { type: 'setQuery', query: 'red unused:' });
    const search = await waitForSent(page, 'search');
    assert.equal(search.query, 'red');
    await send(page, {
      type: 'searchResults',
      seq: search.seq,
      query: 'red',
      results: [
        { id: 'id-0', score: 0.3 },
        { id: 'id-1', score: 0.2 },
      ],
      ranked: true,
      noGoodMatch: false,
      bestScore: 0.3,
    });
    await page.waitForFunction(() => document.querySelectorAll('.mode-browse .grid-row:not([hidden]) .tile').length === 1);
    assert.deepEqual(await shownIds(page), ['id-0'], 'the search results, narrowed to unused images');
  });

  test('the References chips filter by usage and are remembered', async () => {
    const page = await gallery(hygieneItems(), { filtersOpen: true });
    await page.waitForSelector('.chip-group[data-kind="usage"]');
    const labels = await page.$$eval('.chip-group[data-kind="usage"] .chip', (els) => els.map((e) => e.textContent));
    assert.deepEqual(labels, ['Unused2', 'Used3'], 'counts of counted items only');
    await page.click('.chip-group[data-kind="usage"] .chip:nth-of-type(2)');
    await page.waitForFunction(() => document.querySelectorAll('.mode-browse .grid-row:not([hidden]) .tile').length === 3);
    assert.deepEqual(await shownIds(page), ['id-1', 'id-3', 'id-5']);
    const state = await getPageState<{ filters: { usage: string[] } }>(page);
    assert.deepEqual(state.filters.usage, ['used']);
  });
});

describe('Duplicates mode', () => {
  const groups = [
    { ids: ['id-1', 'id-0'], bytesWasted: 5000, similarity: 0.97, exact: false },
    { ids: ['id-3', 'id-5', 'id-2'], bytesWasted: 9000, similarity: 1, exact: true },
  ];

  test('sections follow the host order, keep first, drop members no longer listed', () => {
    const items = new Map(hygieneItems().map((it) => [it.id, it]));
    const sections = duplicateSections([...groups, { ids: ['id-4', 'gone'], bytesWasted: 1, similarity: 1, exact: true }], items, new Set());
    assert.deepEqual(
      sections.map((s) => s.items.map((i) => i.id)),
      [
        ['id-1', 'id-0'],
        ['id-3', 'id-5', 'id-2'],
      ],
      'a group left with one member is dropped',
    );
    assert.match(sections[0]!.label, /^image-00001\.\w+ · 5\.0 KB to free · similarity 0\.97$/);
    assert.match(sections[1]!.label, /identical files$/);
  });

  test('the Duplicates button asks for groups; tiles show size, dimensions and references; Keep This One and Not Duplicates name the group', async () => {
    const page = await gallery(hygieneItems());
    await page.waitForSelector('.mode-browse .tile');
    await clearSent(page);
    await page.click('.mode-button');
    await waitForSent(page, 'findDuplicates');
    assert.equal(await page.isVisible('.mode-browse .grid'), false, 'the browse grid is hidden');
    await send(page, { type: 'duplicates', state: 'running', groups: [], message: 'comparing 3 of 6 images' });
    await page.waitForSelector('.mode-duplicates[data-state="running"] .empty vscode-progress-ring');

    await send(page, { type: 'duplicates', state: 'done', groups, images: 6 });
    await page.waitForSelector('.mode-duplicates .grid-header');
    const headers = await page.$$eval('.mode-duplicates .grid-row:not([hidden]) .group-header', (els) => els.map((e) => e.children[1]!.textContent));
    assert.equal(headers.length, 2);
    assert.match(headers[0]!, /5\.0 KB to free/, 'host order (already by bytes wasted) is kept');
    assert.match((await page.textContent('.dup-summary')) ?? '', /2 groups; keeping one file of each frees 14 KB/);
    const facts = await page.$eval('.mode-duplicates .tile[data-id="id-1"] .facts', (e) => e.textContent ?? '');
    assert.match(facts, /^\d+ × \d+ · [\d.]+ KB/, 'dimensions and size');
    const meta = (id: string) => page.$eval(`.mode-duplicates .tile[data-id="${id}"] .meta`, (e) => e.textContent ?? '');
    assert.equal(await meta('id-1'), 'assets/photos · 2 refs', 'folder and reference count');
    assert.equal(await meta('id-0'), 'assets/icons · unused');

    await clearSent(page);
    await page.click('.mode-duplicates .tile[data-id="id-0"]');
    await page.locator('.mode-duplicates .selection-bar vscode-button', { hasText: 'Keep This One' }).click();
    const keep = await waitForSent(page, 'keepDuplicate');
    assert.deepEqual(keep, { type: 'keepDuplicate', id: 'id-0', others: ['id-1'] });

    await page.click('.mode-duplicates .tile[data-id="id-5"]');
    await page.locator('.mode-duplicates .selection-bar vscode-button', { hasText: 'Not Duplicates' }).click();
    const not = await waitForSent(page, 'notDuplicates');
    assert.deepEqual(not.ids, ['id-3', 'id-5', 'id-2'], 'the whole group of the selected tile');

    // The host drops the group: it disappears.
    await send(page, { type: 'duplicates', state: 'done', groups: [groups[0]!], images: 6 });
    await page.waitForFunction(() => document.querySelectorAll('.mode-duplicates .grid-row:not([hidden]) .group-header').length === 1);
    const state = await getPageState<{ mode: string }>(page);
    assert.equal(state.mode, 'duplicates', 'the mode survives a reload of the view');

    await page.locator('.dup-toolbar vscode-button', { hasText: 'All Images' }).click();
    await page.waitForSelector('.mode-browse .grid:not([hidden])');
    assert.equal(await page.isVisible('.mode-duplicates'), false);
  });

  test('setMode from the host (Find Duplicate Images) shows the mode; no groups says so', async () => {
    const page = await gallery(hygieneItems());
    await send(page, { type: 'setMode', mode: 'duplicates' }, { type: 'duplicates', state: 'done', groups: [], images: 6 });
    await page.waitForSelector('.mode-duplicates .empty:not([hidden])');
    assert.match((await page.textContent('.mode-duplicates .empty')) ?? '', /No duplicates among 6 indexed images/);
  });
});
