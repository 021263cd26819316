// Explorer right-click on an image -> "Find Similar Images" -> the results panel lists images
// ranked by similarity to it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CMD, resultsFrame, tiles, waitForIndexed } from './harness/assets';
import { startSession, type Session } from './harness/session';
import { waitUntil } from './harness/workbench';

let s: Session;

before(async () => {
  // A second, slightly different green: the image most similar to green.png.
  s = await startSession({ label: 'find-similar', extraImages: { 'more/green-leaf.jpg': [40, 160, 60] } });
});

after(async () => {
  await s?.stop();
});

test('Explorer context menu "Find Similar Images" opens the results panel with ranked results', async (t) => {
  const wb = s.workbench;
  try {
    await waitForIndexed(wb, s.imageCount);
    // Expand images/ in the Explorer, then right-click green.png.
    await wb.openViewContainer('Explorer');
    await wb.explorerRow('images').click();
    await wb.explorerRow('green.png').waitFor();
    await wb.explorerContextMenu('green.png', CMD.findSimilar);

    const title = await waitUntil(
      () => wb.tabTitles(),
      (ts) => ts.some((x) => /Similar to green\.png/.test(x)),
      'the results panel tab',
    );
    t.diagnostic(`tabs: ${title.join(', ')}`);
    const frame = await resultsFrame(wb);
    // The panel renders its frame first and its results when the extension sends them.
    const heading = await waitUntil(
      async () => (await frame.locator('h1.query').textContent()) ?? '',
      (v) => /green\.png/.test(v),
      'the results heading',
    );
    assert.match(heading, /Similar to green\.png/);
    const results = await waitUntil(
      () => tiles(frame),
      (ts) => ts.length > 0 && ts.every((x) => x.thumbState === 'loaded'),
      'result tiles with thumbnails',
    );
    await wb.screenshot('results');
    t.diagnostic(`results: ${results.map((r) => r.ariaLabel).join(' | ')}`);
    assert.ok(
      results.every((r) => /score -?\d/.test(r.ariaLabel)),
      'every result shows its similarity score',
    );
    const scores = results.map((r) => Number(/score (-?[\d.]+)/.exec(r.ariaLabel)![1]));
    assert.deepEqual(
      [...scores].sort((a, b) => b - a),
      scores,
      'results are ranked by similarity',
    );
    const names = results.map((r) => r.name).filter((n) => n !== 'green.png'); // the query itself may be listed
    assert.equal(names[0], 'green-leaf.jpg', 'the other green image is the most similar');
    // The query image is shown next to the heading.
    const queryImage = frame.locator('.query-image');
    assert.equal(await queryImage.isVisible(), true, 'the query image is shown');
    assert.match((await queryImage.getAttribute('title')) ?? '', /images\/green\.png/);
    assert.ok(await queryImage.locator('img').evaluate((img) => (img as HTMLImageElement).naturalWidth > 0), 'with its thumbnail');

    // Pinned results stay: the next Find Similar opens a second panel.
    await frame.locator('vscode-button.pin').click();
    await waitUntil(
      () => wb.tabTitles(),
      (ts) => ts.some((x) => /Similar to green\.png \(pinned\)/.test(x)),
      'the pinned tab title',
    );
    await wb.openViewContainer('Explorer');
    await wb.explorerContextMenu('red.png', CMD.findSimilar);
    const both = await waitUntil(
      () => wb.tabTitles(),
      (ts) => ts.some((x) => /Similar to red\.png/.test(x)) && ts.some((x) => /Similar to green\.png \(pinned\)/.test(x)),
      'both results tabs',
    );
    t.diagnostic(`tabs: ${both.join(', ')}`);
    await wb.page.waitForTimeout(1000);
    await wb.screenshot('pinned');
  } catch (err) {
    await wb.screenshot('failure').catch(() => undefined);
    throw new Error(`${(err as Error).message}\n${await s.logs()}`);
  }
});
