// First run, offline, no model: default settings (mobileclip-s0, nothing in the cache) and a model
// host that cannot be reached. Every entry point answers: the gallery's search says at once why it
// cannot run (no spinner), Find Images opens with the download inline, the failed download is one
// sentence with Retry / Use Local Folder… / Show Details, the details open as a page, and choosing
// a local model folder makes search work in the same window, without a reload.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { colorModelDir } from '../fixtures/models';
import { CMD, openGallery, statusBarText, tiles, waitForIndexed } from './harness/assets';
import { startSession, type Session } from './harness/session';
import { QUICK_INPUT, waitUntil } from './harness/workbench';

let s: Session;
let deadHost: string;

/** A 127.0.0.1 port with nothing listening: connections are refused, as offline. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

before(async () => {
  deadHost = `127.0.0.1:${await closedPort()}`;
  s = await startSession({
    label: 'first-run-offline',
    settings: { 'mobileclipAssets.model': undefined, 'mobileclipAssets.textPrecision': undefined, 'mobileclipAssets.modelHost': `http://${deadHost}` },
  });
});

after(async () => {
  await s?.stop();
});

test('offline with no model: short messages with actions, then a local folder makes search work without a reload', async (t) => {
  const wb = s.workbench;
  const rows = () => wb.quickPickRows();
  try {
    await waitUntil(
      () => statusBarText(wb),
      (v) => /model needed/i.test(v),
      'the status bar to say a model is needed',
    );

    // The gallery's search answers at once: why it cannot search by description, no spinner.
    const gallery = await openGallery(wb);
    await gallery.locator('vscode-textfield input').fill('red');
    const searchError = gallery.locator('[data-search="error"]');
    await searchError.waitFor({ timeout: 30_000 });
    assert.match(
      (await searchError.textContent()) ?? '',
      /^Searching by description needs the MobileCLIP-S0 model, which is not downloaded yet \(filters such as type:png work without it\)\.$/,
    );
    assert.equal(await gallery.locator('.search-ring').isVisible(), false, 'no spinner');
    await wb.screenshot('gallery-no-model');

    // Find Images opens at once; its first row downloads, which fails: one sentence, three actions.
    await wb.runCommand(CMD.findImages);
    await wb.waitForQuickPickRows((r) => r.some((row) => /^Model needed: Download/.test(row.label.trim())), 'the inline download row');
    await wb.page.locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: 'Model needed: Download' }).first().click();
    const failed = await wb.waitForQuickPickRows((r) => r.length === 4 && /Can't reach/.test(r[0]!.label), 'the failure and its actions in the picker');
    assert.deepEqual(
      failed.map((r) => r.label.trim()),
      [`Can't reach ${deadHost}: offline or a proxy is needed.`, 'Retry', 'Use Local Folder…', 'Show Details'],
    );
    // The download's progress toast closes once it failed.
    await wb
      .notification(/Downloading MobileCLIP-S0/)
      .waitFor({ state: 'detached', timeout: 15_000 })
      .catch(() => undefined);
    await wb.screenshot('picker-offline');
    const banner = gallery.locator('[data-status="modelFailed"]');
    await banner.waitFor({ timeout: 30_000 });
    assert.match((await banner.locator('.text').textContent()) ?? '', new RegExp(`^Can't reach ${deadHost.replace(/\./g, '\\.')}: offline or a proxy is needed\\.$`));
    const height = (await banner.boundingBox())!.height;
    assert.ok(height < 160, `the banner is short (${height}px), not a wall of paths`);
    assert.deepEqual(await banner.locator('vscode-button').allTextContents(), ['Retry', 'Use Local Folder…', 'Show Details']);
    // The gallery's search message follows the model's state (no stale sentence).
    await waitUntil(
      async () => (await searchError.textContent()) ?? '',
      (v) => /see above/.test(v),
      'the search message to follow the failure',
    );
    await wb.screenshot('gallery-offline');

    // Show Details: the file list and URLs on a read-only page.
    await wb.page.locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: 'Show Details' }).first().click();
    await waitUntil(
      () => wb.tabTitles(),
      (ts) => ts.some((x) => /MobileCLIP-S0 problem/.test(x)),
      'the details page',
    );
    await wb.page.waitForTimeout(1500); // let the Markdown preview render for the screenshot
    await wb.screenshot('details');

    // Use Local Folder…: the folder picker (VS Code's own dialog), then the model loads.
    await wb.runCommand(CMD.findImages);
    await wb.waitForQuickPickRows((r) => r.some((row) => /Use Local Folder/.test(row.label)), 'the Use Local Folder row');
    await wb.page.locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: 'Use Local Folder…' }).first().click();
    const folder = await colorModelDir();
    await chooseFolder(folder);
    t.diagnostic(`chose ${folder}`);

    // No reload: the picker comes back and searches; the gallery's earlier search runs again.
    await wb.waitForQuickInputTitle(/^Find Images by Description$/, 120_000);
    await wb.typeIntoQuickInput('red');
    const found = await wb.waitForQuickPickRows((r) => r.some((row) => /\.png$/.test(row.label)), 'search results after choosing the folder');
    assert.equal(found[0]!.label, 'red.png');
    await wb.screenshot('search-works');
    await wb.closeQuickInput();
    await waitForIndexed(wb, s.imageCount);
    const shown = await waitUntil(
      () => tiles(gallery),
      (ts) => ts.length > 0 && ts[0]!.name === 'red.png' && /score/.test(ts[0]!.ariaLabel),
      'the gallery search to run again',
    );
    t.diagnostic(`gallery: ${shown.map((x) => x.name).join(', ')}`);
    assert.equal(await gallery.locator('[data-status="modelFailed"]').count(), 0, 'the failure banner is gone');
    await wb.screenshot('gallery-ready');
  } catch (err) {
    await wb.screenshot('failure').catch(() => undefined);
    throw new Error(`${(err as Error).message}\nrows: ${JSON.stringify(await rows().catch(() => []))}\n${await s.logs()}`);
  }
});

/** Picks `dir` in VS Code's folder dialog (in code-server, the "simple" dialog: a quick input with a path box). */
async function chooseFolder(dir: string): Promise<void> {
  const wb = s.workbench;
  const box = wb.page.locator(`${QUICK_INPUT} .quick-input-box input`);
  await wb.page.locator(`${QUICK_INPUT} .quick-input-title`, { hasText: /Hugging Face ONNX/ }).waitFor({ timeout: 30_000 });
  // The dialog fills in its start folder a moment after it opens (later on a loaded machine),
  // which can overwrite what was typed: type until the box keeps it.
  const target = dir.endsWith('/') ? dir : `${dir}/`;
  await waitUntil(
    async () => {
      if ((await box.inputValue()) !== target) await box.fill(target);
      await wb.page.waitForTimeout(500);
      return box.inputValue();
    },
    (v) => v === target,
    'the folder path in the dialog',
    30_000,
    0,
  );
  await wb.screenshot('folder-dialog');
  // The dialog's OK button carries the openLabel.
  await wb.page.locator(`${QUICK_INPUT} .monaco-button`, { hasText: 'Use This Model Folder' }).first().click();
}
