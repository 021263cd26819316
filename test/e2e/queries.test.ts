// Queries in the gallery and in Find Images: filters alone filter (the README documents them),
// ranked results stay one ranked list, and typing fast after Ctrl+A keeps every character.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { CMD, openGallery, tiles, waitForIndexed } from './harness/assets';
import { guarded as guardedStep, startSession, type Session } from './harness/session';
import { waitUntil } from './harness/workbench';

let s: Session;

before(async () => {
  s = await startSession({ label: 'queries', extraImages: { 'assets/icons/red-dot.jpg': [230, 30, 30], 'assets/red-banner.png': [220, 20, 40] } });
});

after(async () => {
  await s?.stop();
});

const guarded = (name: string, body: () => Promise<void>) => guardedStep(s, name, body);

test('a query of filters only filters the gallery and Find Images (no scores, no error)', () =>
  guarded('filters', async () => {
    const wb = s.workbench;
    await waitForIndexed(wb, s.imageCount);
    const gallery = await openGallery(wb);
    const search = gallery.locator('vscode-textfield input');
    await search.fill('type:png in:images/');
    const count = gallery.locator('[data-search="count"]');
    await count.waitFor({ timeout: 30_000 });
    assert.match((await count.textContent()) ?? '', /^4 images match “type:png in:images\/”/);
    const shown = await waitUntil(
      () => tiles(gallery),
      (ts) => ts.length === 4,
      'the four solid images',
    );
    assert.deepEqual(shown.map((x) => x.name).sort(), ['blue.png', 'green.png', 'red.png', 'yellow.png']);
    assert.ok(
      shown.every((x) => !/score/.test(x.ariaLabel)),
      'a filter has no scores',
    );
    assert.equal(await gallery.locator('[data-search="error"]').count(), 0);
    await wb.screenshot('gallery-filter-only');

    await search.fill('in:assets/');
    await waitUntil(
      () => tiles(gallery),
      (ts) =>
        ts
          .map((x) => x.name)
          .sort()
          .join() === 'red-banner.png,red-dot.jpg',
      'the assets/ folder only',
    );
    await search.fill('-type:png');
    const negative = gallery.locator('[data-search="count"]');
    await waitUntil(
      async () => (await negative.textContent()) ?? '',
      (v) => /match(es)? “-type:png”/.test(v),
      'a negated filter alone',
    );
    assert.deepEqual(
      (await tiles(gallery)).map((x) => x.name),
      ['red-dot.jpg'],
    );

    // Words and filters together: one ranked list (no folder groups in the way of the ranking).
    await search.fill('red type:png');
    const ranked = await waitUntil(
      () => tiles(gallery),
      (ts) => ts.length > 0 && /score/.test(ts[0]!.ariaLabel),
      'ranked results',
    );
    assert.deepEqual(
      ranked.map((x) => path.extname(x.name)).filter((e) => e !== '.png'),
      [],
    );
    assert.equal(await gallery.locator('.grid-row:not([hidden]) .group-header').count(), 0, 'search results are a flat ranked list');
    const scores = ranked.map((r) => Number(/score (-?[\d.]+)/.exec(r.ariaLabel)![1]));
    assert.deepEqual(
      [...scores].sort((a, b) => b - a),
      scores,
    );
    await wb.screenshot('gallery-ranked');
    await search.fill('');

    await wb.runCommand(CMD.findImages);
    await wb.waitForQuickInputTitle(/^Find Images by Description$/);
    await wb.typeIntoQuickInput('type:jpg');
    const rows = await wb.waitForQuickPickRows((r) => r.some((row) => /\.jpg$/.test(row.label)), 'the jpg listing');
    assert.deepEqual(
      rows.map((r) => r.label),
      ['red-dot.jpg'],
    );
    assert.doesNotMatch(rows[0]!.description, /\d\.\d{3}/, 'no score');
    await wb.screenshot('picker-filter-only');
    await wb.closeQuickInput();
  }));

test('typing fast after Ctrl+A in the gallery search keeps the first character (7 of 7)', () =>
  guarded('select-all', async () => {
    const wb = s.workbench;
    const gallery = await openGallery(wb);
    const input = gallery.locator('vscode-textfield input');
    await input.click();
    await input.fill('green');
    const values: string[] = [];
    for (let round = 0; round < 7; round++) {
      await input.press('Control+A');
      await wb.page.keyboard.type(round % 2 ? 'blue' : 'yellow', { delay: 8 });
      await wb.page.waitForTimeout(300); // time for a late "select all" from the workbench to arrive
      values.push(await input.inputValue());
    }
    assert.deepEqual(values, ['yellow', 'blue', 'yellow', 'blue', 'yellow', 'blue', 'yellow']);
    await wb.screenshot('select-all');
    await input.fill('');
  }));
