// An image added to the workspace while VS Code is open becomes searchable without any command:
// the file watcher indexes it in the background.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { FIXTURE_COLORS } from '../fixtures/models';
import { writeSolidImage } from '../fixtures/images';
import { CMD, statusBarText, waitForIndexed } from './harness/assets';
import { startSession, type Session } from './harness/session';

let s: Session;

before(async () => {
  s = await startSession({ label: 'new-image' });
});

after(async () => {
  await s?.stop();
});

test('an image written into the workspace during the session is found by search', async (t) => {
  const wb = s.workbench;
  const initial = s.imageCount;
  try {
    await waitForIndexed(wb, initial);
    await writeSolidImage(path.join(s.workspace, 'images', 'added', 'purple.png'), FIXTURE_COLORS.purple!, { width: 80, height: 60 });
    await waitForIndexed(wb, initial + 1);
    t.diagnostic(`status bar: ${await statusBarText(wb)}`);
    await wb.screenshot('status-bar');

    await wb.runCommand(CMD.findImages);
    await wb.waitForQuickInputTitle(/Find Images by Description/);
    await wb.typeIntoQuickInput('purple');
    const rows = await wb.waitForQuickPickRows((r) => r.some((row) => /\.png$/.test(row.label)), 'search results for "purple"');
    await wb.screenshot('results');
    assert.equal(rows[0]!.label, 'purple.png', 'the new image is the first result');
    assert.match(rows[0]!.detail, /images\/added\/purple\.png/, 'the row shows where the image is');
  } catch (err) {
    await wb.screenshot('failure').catch(() => undefined);
    throw new Error(`${(err as Error).message}\n${await s.logs()}`);
  }
});
