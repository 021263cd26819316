// First run with no model: default settings (model mobileclip-s0, nothing in the cache). The
// extension offers the download (status bar, gallery, and the Find Images picker's first row),
// shows download progress, and ends ready to search in the same picker. The "hub" is a local server
// (mobileclipAssets.modelHost) serving the fixture model under mobileclip-s0's file names; the
// matching manifest comes in through $MOBILECLIP_ASSETS_MODELS_DIR.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { colorModelDir } from '../fixtures/models';
import { CMD, openGallery, statusBarText, waitForIndexed } from './harness/assets';
import { fixtureAsRegistryModel, startFixtureHub, type FixtureHub } from './harness/modelHub';
import { E2E_ROOT } from './harness/codeServer';
import { startSession, type Session } from './harness/session';
import { waitUntil } from './harness/workbench';

const MODEL_ID = 'mobileclip-s0';
let s: Session;
let hub: FixtureHub;
let served: Map<string, Buffer>;

before(async () => {
  const manifestDir = path.join(E2E_ROOT, `manifests-${process.pid}`);
  served = await fixtureAsRegistryModel(MODEL_ID, await colorModelDir(), manifestDir);
  const manifest = JSON.parse(await fs.readFile(path.join(manifestDir, `${MODEL_ID}.json`), 'utf8')) as { hub: { repo: string; revision: string } };
  // Throttled (32 KiB every 50 ms) so that the download lasts long enough to watch its progress.
  hub = await startFixtureHub(manifest.hub.repo, manifest.hub.revision, served, { chunkBytes: 32 * 1024, chunkDelayMs: 50 });
  s = await startSession({
    label: 'model-download',
    // Default model and precisions: only where the files come from differs.
    settings: { 'mobileclipAssets.model': undefined, 'mobileclipAssets.textPrecision': undefined, 'mobileclipAssets.modelHost': hub.host },
    env: { MOBILECLIP_ASSETS_MODELS_DIR: manifestDir },
  });
});

after(async () => {
  await s?.stop();
  await hub?.close();
});

test('first run offers the default model, downloads it with progress, and search works', async (t) => {
  const wb = s.workbench;
  try {
    // The offer before any feature is used: status bar and gallery banner; nothing downloaded yet.
    await waitUntil(
      () => statusBarText(wb),
      (v) => /model needed/i.test(v),
      'the status bar to say a model is needed',
    );
    const gallery = await openGallery(wb);
    const banner = gallery.locator('.banner', { hasText: /need the MobileCLIP-S0 model/ });
    await banner.waitFor({ timeout: 30_000 });
    assert.match((await banner.textContent()) ?? '', /runs locally/);
    await wb.screenshot('offer');
    assert.deepEqual(
      hub.requests.filter((r) => r.startsWith('GET')),
      [],
      'nothing is downloaded before the user agrees',
    );

    // Find Images opens its picker at once, with the download (and its size) as its first row.
    await wb.runCommand(CMD.findImages);
    await wb.waitForQuickInputTitle(/Find Images by Description: model needed/);
    const offered = await wb.waitForQuickPickRows((r) => r.some((row) => /Model needed: Download \(.+ \+ .+\)/.test(row.label)), 'the inline download row');
    assert.deepEqual(
      offered.map((r) => r.label.trim().replace(/ \(.*\)$/, '')),
      ['Model needed: Download', 'Use Local Folder…', 'Select Model'],
    );
    await wb.screenshot('picker-model-needed');
    await wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Model needed: Download' }).first().click();
    const progress = wb.notification(/Downloading MobileCLIP-S0/);
    await progress.waitFor({ timeout: 30_000 });
    // The toast reports bytes received out of the total while the (throttled) hub sends.
    const progressText = await waitUntil(
      async () => (await progress.textContent().catch(() => '')) ?? '',
      (v) => /\d[\d.,]* ?[KMG]?B of \d/.test(v),
      'byte counts in the progress notification',
      30_000,
    );
    await wb.screenshot('progress');
    t.diagnostic(`progress: ${progressText}`);

    // Ready: the same picker searches, and "red" finds the red image.
    await wb.waitForQuickInputTitle(/^Find Images by Description$/);
    await wb.typeIntoQuickInput('red');
    const rows = await wb.waitForQuickPickRows((r) => r.some((row) => /\.png$/.test(row.label)), 'search results after the download');
    await wb.screenshot('ready');
    assert.equal(rows[0]!.label, 'red.png');
    const downloaded = new Set(hub.requests.filter((r) => r.startsWith('GET')).map((r) => r.split('/resolve/')[1]!.split('/').slice(1).join('/')));
    assert.deepEqual([...downloaded].sort(), [...served.keys()].sort(), 'every model file came from the configured host');
    await wb.closeQuickInput();
    await waitForIndexed(wb, s.imageCount);
  } catch (err) {
    await wb.screenshot('failure').catch(() => undefined);
    throw new Error(`${(err as Error).message}\nhub requests: ${hub.requests.join(', ')}\n${await s.logs()}`);
  }
});
