// Explorer right-click on an image -> "Generate Synthetic Captions" (fixture captioner with the real
// Transformers.js generate loop) -> the captions show in the image's gallery tile details.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { captionerModelDir } from '../fixtures/captioner';
import { CMD, openGallery, tiles, waitForIndexed } from './harness/assets';
import { startSession, type Session } from './harness/session';
import { waitUntil } from './harness/workbench';

let s: Session;

before(async () => {
  s = await startSession({ label: 'captions', settings: { 'mobileclipAssets.captions.model': await captionerModelDir(), 'mobileclipAssets.captions.count': 3 } });
});

after(async () => {
  await s?.stop();
});

/** Captions are the tooltip lines in curly quotes (see webview/common/tile.ts tileTooltip). */
const captionsIn = (title: string) => [...title.matchAll(/“([^”]+)”/g)].map((m) => m[1]!);

test('Explorer "Generate Synthetic Captions" puts captions in the gallery tile details', async (t) => {
  const wb = s.workbench;
  try {
    await waitForIndexed(wb, s.imageCount);
    await wb.openViewContainer('Explorer');
    await wb.explorerRow('images').click();
    await wb.explorerRow('red.png').waitFor();
    await wb.explorerContextMenu('red.png', CMD.generateCaptions);

    const frame = await openGallery(wb);
    const red = await waitUntil(
      async () => {
        // A missing command or a failed run shows as an error notification: fail with its text.
        const errors = (await wb.notificationMessages()).filter((m) => /not found|failed|error|MobileCLIP Assets:/i.test(m));
        if (errors.length) throw new Error(`"${CMD.generateCaptions}" did not run: ${errors.join(' | ')}`);
        return (await tiles(frame)).find((x) => x.name === 'red.png');
      },
      (tile) => !!tile && captionsIn(tile.title).length > 0,
      'captions in the red.png tile details',
      180_000,
    );
    // Show the details as a user would: hover the tile.
    await frame.locator(`.tile[data-id="${red!.id.replace(/"/g, '\\"')}"]`).hover();
    await wb.screenshot('tile-captions');
    const captions = captionsIn(red!.title);
    t.diagnostic(`captions: ${captions.join(' | ')}`);
    assert.ok(
      captions.some((c) => /\bred\b/.test(c)),
      `a caption of the red image mentions red: ${captions.join(' | ')}`,
    );
    assert.ok(
      captions.every((c) => c.trim().split(/\s+/).length >= 2),
      'captions are phrases, not single tokens',
    );

    // The summary offers the captions as a page to read (not the raw JSON with hashes).
    await wb.clickNotificationButton(/caption/i, 'Show Captions');
    await waitUntil(
      () => wb.tabTitles(),
      (ts) => ts.some((x) => /Captions of workspace/.test(x)),
      'the captions page',
    );
    const page = await wb.webviewFrame('h1', 60_000);
    const text = await waitUntil(
      async () => (await page.locator('body').textContent()) ?? '',
      (v) => /images\/red\.png/.test(v),
      'the rendered captions page',
    );
    for (const c of captions) assert.ok(text.includes(c), `the page lists "${c}"`);
    assert.doesNotMatch(text, /[0-9a-f]{40}/, 'no hashes');
    await wb.page.waitForTimeout(800);
    await wb.screenshot('captions-page');
  } catch (err) {
    await wb.screenshot('failure').catch(() => undefined);
    throw new Error(`${(err as Error).message}\n${await s.logs()}`);
  }
});
