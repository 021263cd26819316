// Verify Reinforced Dataset ends with a toast that says what was checked ("OK: 4 samples, 40 views
// replayed.") and a read-only report page (no Untitled buffer that asks to be saved). The dataset
// is built with the CLI (fixture model as the teacher) while the session runs, as a user would.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { colorModelDir } from '../fixtures/models';
import { PROJECT_ROOT } from '../fixtures/paths';
import { waitForIndexed } from './harness/assets';
import { startSession, type Session } from './harness/session';
import { waitUntil } from './harness/workbench';

let s: Session;

before(async () => {
  s = await startSession({ label: 'verify' });
});

after(async () => {
  await s?.stop();
});

test('Verify → toast with the verdict and a read-only report', async (t) => {
  const wb = s.workbench;
  try {
    await waitForIndexed(wb, s.imageCount);
    const out = path.join(s.workspace, 'images-reinforced');
    const built = spawnSync(
      process.execPath,
      [
        path.join(PROJECT_ROOT, 'dist', 'cli.js'),
        'reinforce',
        path.join(s.workspace, 'images'),
        '--out',
        out,
        '--teacher',
        await colorModelDir(),
        '--syn',
        '0',
        '--augmentations',
        '10',
        '--cache-dir',
        path.join(s.dir, 'cli-cache'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(built.status, 0, built.stderr);
    t.diagnostic(built.stdout.trim());

    // The new dataset folder gets "Verify Reinforced Dataset" in its Explorer context menu.
    await wb.openViewContainer('Explorer');
    await wb.explorerRow('images-reinforced').waitFor({ timeout: 30_000 });
    await waitUntil(
      async () => {
        try {
          await wb.explorerContextMenu('images-reinforced', 'Verify Reinforced Dataset');
          return true;
        } catch {
          await wb.page.keyboard.press('Escape');
          return false; // the dataset context key arrives a moment after the folder
        }
      },
      (ok) => ok,
      'the Verify entry on the dataset folder',
      60_000,
      1000,
    );

    const toast = wb.notification(/^images-reinforced: (OK|FAILED)/);
    await toast.waitFor({ timeout: 180_000 });
    const text = (await toast.locator('.notification-list-item-message').textContent()) ?? '';
    assert.equal(text, 'images-reinforced: OK: 4 samples, 40 views replayed.');
    assert.deepEqual(await toast.locator('.monaco-button').allTextContents(), ['Show Report']);
    const tabs = await waitUntil(
      () => wb.tabTitles(),
      (ts) => ts.some((x) => /Verify images-reinforced/.test(x)),
      'the report page',
    );
    assert.ok(!tabs.some((x) => /Untitled/.test(x)), `no Untitled buffer: ${tabs.join(', ')}`);
    // The Markdown preview renders the report (verdict first).
    const preview = await wb.webviewFrame('h1', 60_000);
    const body = await waitUntil(
      async () => (await preview.locator('body').textContent()) ?? '',
      (v) => /Result: OK/.test(v),
      'the rendered report',
      60_000,
    );
    assert.match(body, /Samples checked: 4/);
    await wb.screenshot('toast');
    // Nothing to save: closing the report asks nothing.
    const dirty = await wb.page.locator('.part.editor .tabs-container .tab.dirty').count();
    assert.equal(dirty, 0);
  } catch (err) {
    await wb.screenshot('failure').catch(() => undefined);
    throw new Error(`${(err as Error).message}\n${await s.logs()}`);
  }
});
