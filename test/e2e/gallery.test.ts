// The Assets sidebar gallery shows thumbnails of the workspace images, and its search box filters them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { openGallery, tiles, waitForIndexed } from './harness/assets';
import { guarded as guardedStep, startSession, type Session } from './harness/session';
import { waitUntil } from './harness/workbench';

let s: Session;

before(async () => {
  s = await startSession({ label: 'gallery' });
});

after(async () => {
  await s?.stop();
});

const guarded = (name: string, body: () => Promise<void>) => guardedStep(s, name, body);

test('the gallery shows a thumbnail tile for every workspace image', () =>
  guarded('tiles', async () => {
    const wb = s.workbench;
    const expected = [...Object.values(s.solid).map((f) => path.basename(f)), ...s.clipart.map((f) => path.basename(f))].sort();
    await waitForIndexed(wb, expected.length);
    const frame = await openGallery(wb);
    const all = await waitUntil(
      () => tiles(frame),
      (ts) => ts.length === expected.length && ts.every((x) => x.thumbState === 'loaded'),
      `${expected.length} tiles with loaded thumbnails`,
    );
    await wb.screenshot('tiles');
    assert.deepEqual(all.map((x) => x.name).sort(), expected);
    // Thumbnails are real pictures: every <img> decoded with a non-zero size.
    const sizes = await frame.locator('.tile img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
    assert.ok(sizes.length === expected.length && sizes.every((w) => w > 0), `thumbnail widths: ${sizes}`);
  }));

test('typing in the gallery search box filters the tiles to matching images', () =>
  guarded('search', async () => {
    const wb = s.workbench;
    const frame = await openGallery(wb);
    const before = (await tiles(frame)).length;
    await frame.locator('vscode-textfield input').fill('blue');
    const count = frame.locator('[data-search="count"]');
    await count.waitFor({ timeout: 30_000 });
    assert.match((await count.textContent()) ?? '', /for “blue”/);
    const shown = await waitUntil(
      () => tiles(frame),
      (ts) => ts.length > 0 && ts.length < before,
      'the tiles to be filtered',
    );
    await wb.screenshot('search-blue');
    assert.equal(shown[0]!.name, 'blue.png', 'the blue image is the first tile');
    assert.ok(!shown.some((x) => x.name === 'red.png'), 'red.png is filtered out');
    assert.match(shown[0]!.ariaLabel, /score \d/, 'tiles show their score');

    // Clearing the search restores every tile.
    await frame.locator('vscode-textfield input').fill('');
    await waitUntil(
      () => tiles(frame),
      (ts) => ts.length === before,
      'all tiles to come back',
    );
  }));
