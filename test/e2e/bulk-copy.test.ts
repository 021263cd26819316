// Bulk changes while VS Code is open: 300 images copied at once into nested folders are all
// indexed by the file watcher (no "Index Workspace Images" needed), and a folder renamed afterwards
// keeps every image (indexed under its new path, nothing left under the old one).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeSolidImage } from '../fixtures/images';
import { openGallery, statusBarText, tiles, waitForIndexed } from './harness/assets';
import { startSession, type Session } from './harness/session';
import { waitUntil } from './harness/workbench';

const COPIED = 300;
const FOLDERS = ['animals', 'buildings', 'food/fruit', 'signs/arrows/left', 'signs/arrows/right', 'people'];
let s: Session;

before(async () => {
  s = await startSession({ label: 'bulk-copy' });
});

after(async () => {
  await s?.stop();
});

test(`${COPIED} images copied at once into nested folders are all indexed; a renamed folder keeps them`, async (t) => {
  const wb = s.workbench;
  try {
    await waitForIndexed(wb, s.imageCount);
    // Staged outside the workspace, then copied in one go (like a drag and drop of a folder tree).
    const staging = path.join(s.dir, 'staging', 'more-clipart');
    for (let i = 0; i < COPIED; i++) {
      const rel = path.join(FOLDERS[i % FOLDERS.length]!, `img-${String(i).padStart(3, '0')}.png`);
      await writeSolidImage(path.join(staging, rel), [(i * 37) % 256, (i * 91) % 256, (i * 53) % 256], { width: 20 + (i % 7), height: 18 });
    }
    const started = Date.now();
    await fs.cp(staging, path.join(s.workspace, 'more-clipart'), { recursive: true });
    await waitForIndexed(wb, s.imageCount + COPIED, 240_000);
    t.diagnostic(`${COPIED} copied images indexed ${((Date.now() - started) / 1000).toFixed(1)} s after the copy`);
    await wb.screenshot('indexed');

    const gallery = await openGallery(wb);
    const search = gallery.locator('vscode-textfield input');
    await search.fill('in:more-clipart/buildings/');
    const perFolder = COPIED / FOLDERS.length;
    await waitUntil(
      async () => (await gallery.locator('[data-search="count"]').textContent()) ?? '',
      (v) => v.startsWith(`${perFolder} images match`),
      `${perFolder} images in buildings/`,
    );

    // Rename a folder: its images move in the index (no re-embedding), none is lost.
    await fs.rename(path.join(s.workspace, 'more-clipart', 'buildings'), path.join(s.workspace, 'more-clipart', 'houses'));
    await search.fill('in:more-clipart/houses/');
    await waitUntil(
      async () => (await gallery.locator('[data-search="count"]').textContent()) ?? '',
      (v) => v.startsWith(`${perFolder} images match`),
      `${perFolder} images in houses/`,
      120_000,
    );
    const shown = await waitUntil(
      () => tiles(gallery),
      (ts) => ts.length > 0 && ts.every((x) => x.thumbState === 'loaded'),
      'thumbnails of the renamed folder',
    );
    assert.ok(shown.length > 0);
    await wb.screenshot('renamed');
    await search.fill('in:more-clipart/buildings/');
    await waitUntil(
      async () => (await gallery.locator('[data-search="count"]').textContent()) ?? '',
      (v) => v.startsWith('0 images match'),
      'nothing left under buildings/',
    );
    assert.match(await statusBarText(wb), new RegExp(`^${s.imageCount + COPIED} images`));
    await search.fill('');
  } catch (err) {
    await wb.screenshot('failure').catch(() => undefined);
    throw new Error(`${(err as Error).message}\n${await s.logs()}`);
  }
});
