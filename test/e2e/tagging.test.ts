// Tagging with a vocabulary that matches nothing is not a dead end: the summary offers Edit
// Vocabulary (which creates .vscode/asset-tags.json with the built-in tags and opens it) and Lower
// Threshold; after the vocabulary describes the images, Tag Images tags them and the gallery shows it.
// (The fixture model understands colour words only, so the built-in vocabulary matches nothing.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { openGallery, tiles, waitForIndexed } from './harness/assets';
import { startSession, type Session } from './harness/session';
import { waitUntil } from './harness/workbench';

let s: Session;
const TAG_IMAGES = 'MobileCLIP Assets: Tag Images';

before(async () => {
  s = await startSession({ label: 'tagging' });
});

after(async () => {
  await s?.stop();
});

test('no match → Edit Vocabulary → re-tag → tags shown', async (t) => {
  const wb = s.workbench;
  const vocabulary = path.join(s.workspace, '.vscode', 'asset-tags.json');
  try {
    await waitForIndexed(wb, s.imageCount);
    assert.equal(existsSync(vocabulary), false);
    await wb.runCommand(TAG_IMAGES);
    const summary = wb.notification(/None matches a tag of the vocabulary/);
    await summary.waitFor({ timeout: 120_000 });
    const text = (await summary.locator('.notification-list-item-message').textContent()) ?? '';
    t.diagnostic(`summary: ${text}`);
    assert.match(text, new RegExp(`^Tagged ${s.imageCount} images\\. None matches a tag of the vocabulary: describe your images in it, or lower the threshold\\.`));
    const buttons = await summary.locator('.monaco-button').allTextContents();
    assert.ok(buttons.includes('Edit Vocabulary') && buttons.includes('Lower Threshold'), `buttons: ${buttons.join(', ')}`);
    assert.ok(!buttons.includes('Re-tag All'), 're-tagging with the same vocabulary would change nothing');
    await wb.page.waitForTimeout(500);
    await wb.screenshot('no-match');

    // Edit Vocabulary: the file is created with the built-in tags, and opened.
    await wb.clickNotificationButton(/None matches a tag/, 'Edit Vocabulary');
    await waitUntil(
      () => wb.activeTabTitle(),
      (v) => v === 'asset-tags.json',
      'the vocabulary file in an editor',
    );
    const created = await fs.readFile(vocabulary, 'utf8');
    assert.match(created, /"icon": \{ "prompts": /);
    assert.match(created, /"animal": \{ "phrases": /);
    await wb.screenshot('vocabulary');

    // The team describes its images in words the (colour) model knows; then Tag Images again.
    await fs.writeFile(vocabulary, '{\n  "defaults": false,\n  "tags": { "red": {}, "green": {}, "blue": {}, "yellow": {} }\n}\n');
    await wb.page.waitForTimeout(1500); // the extension notices the new vocabulary
    await wb.runCommand(TAG_IMAGES);
    const tagged = wb.notification(/Most common:/);
    await tagged.waitFor({ timeout: 120_000 });
    t.diagnostic(`summary: ${await tagged.locator('.notification-list-item-message').textContent()}`);

    const gallery = await openGallery(wb);
    const red = await waitUntil(
      async () => (await tiles(gallery)).find((x) => x.name === 'red.png'),
      (tile) => !!tile && /Tags: .*\bred\b/.test(tile.title),
      'the red tag on red.png',
    );
    assert.ok(red);
    const blue = (await tiles(gallery)).find((x) => x.name === 'blue.png')!;
    assert.match(blue.title, /Tags: .*\bblue\b/);
    assert.doesNotMatch(blue.title, /\bred\b/);
    // The tags as filter chips, and as a `tag:` filter in the search box.
    await gallery.locator('.filters summary').click();
    await gallery.locator('.chip-group[aria-label="Tags"] .chip', { hasText: 'red' }).waitFor({ timeout: 30_000 });
    await gallery.locator('vscode-textfield input').fill('tag:red');
    await waitUntil(
      () => tiles(gallery),
      (ts) => ts.length === 1 && ts[0]!.name === 'red.png',
      'tag:red to show red.png only',
    );
    await wb.screenshot('tags-shown');
  } catch (err) {
    await wb.screenshot('failure').catch(() => undefined);
    throw new Error(`${(err as Error).message}\n${await s.logs()}`);
  }
});
