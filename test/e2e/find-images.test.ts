// Command palette -> "Find Images by Description" -> "red": the red image ranks first, and Enter
// opens it in VS Code's image editor.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CMD, waitForIndexed } from './harness/assets';
import { startSession, type Session } from './harness/session';
import { waitUntil } from './harness/workbench';

let s: Session;

before(async () => {
  s = await startSession({ label: 'find-images' });
});

after(async () => {
  await s?.stop();
});

test('"red" ranks red.png first and Enter opens it in the image editor', async (t) => {
  const wb = s.workbench;
  try {
    await waitForIndexed(wb, s.imageCount);
    await wb.runCommand(CMD.findImages);
    await wb.waitForQuickInputTitle(/Find Images by Description/);
    await wb.typeIntoQuickInput('red');
    const rows = await wb.waitForQuickPickRows((r) => r.some((row) => /\.png$/.test(row.label)), 'search results for "red"');
    await wb.screenshot('results');
    t.diagnostic(`rows: ${rows.map((r) => `${r.label} ${r.description}`).join(' | ')}`);
    assert.equal(rows[0]!.label, 'red.png', 'the red image is the first result');
    assert.match(rows[0]!.description, /^\d\.\d{3}/, 'the row shows a score');
    assert.ok(!rows.slice(1).some((r) => r.label === 'red.png'), 'red.png is listed once');

    await wb.page.keyboard.press('Enter');
    const title = await waitUntil(
      () => wb.activeTabTitle(),
      (v) => v === 'red.png',
      'red.png to open in an editor tab',
    );
    assert.equal(title, 'red.png');
    // VS Code's built-in image preview draws the file in a webview <img>.
    const preview = await wb.webviewFrame('img.scale-to-fit, .image-container img, img');
    const src = await preview.locator('img').first().getAttribute('src');
    assert.match(src ?? '', /red\.png/, 'the image editor shows red.png');
    await wb.screenshot('opened');
  } catch (err) {
    await wb.screenshot('failure').catch(() => undefined);
    throw new Error(`${(err as Error).message}\n${await s.logs()}`);
  }
});
