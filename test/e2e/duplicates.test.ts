// Asset hygiene in a real VS Code: "Find Duplicate Images" opens the gallery's Duplicates mode
// with logo.png and its resized copy logo-copy.png as one group; "Keep This One" on logo.png
// shows the refactor preview of the references in a Markdown and a CSS file, and once applied
// both files name logo.png; the copy is deleted on request. Then the `unused:` search filter
// lists the images no text file names.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { CLIPART_DIR } from '../fixtures/paths';
import { openGallery, waitForIndexed } from './harness/assets';
import { guarded as guardedStep, RESULTS_DIR, startSession, type Session } from './harness/session';
import { waitUntil } from './harness/workbench';

let s: Session;
/** The two logos are written by beforeStart, on top of the session's own images. */
const LOGOS = 2;

before(async () => {
  s = await startSession({
    label: 'duplicates',
    solidColours: ['red', 'blue'],
    clipartCategories: ['animals'],
    beforeStart: async (workspace) => {
      const dir = path.join(CLIPART_DIR, 'computer');
      const source = path.join(dir, (await fs.readdir(dir)).filter((f) => f.endsWith('.png')).sort()[0]!);
      await fs.mkdir(path.join(workspace, 'assets'), { recursive: true });
      await fs.copyFile(source, path.join(workspace, 'assets', 'logo.png'));
      const { width } = await sharp(source).metadata();
      await sharp(source)
        .resize(Math.round((width ?? 200) * 0.6))
        .png()
        .toFile(path.join(workspace, 'assets', 'logo-copy.png'));
      await fs.mkdir(path.join(workspace, 'docs'), { recursive: true });
      await fs.writeFile(path.join(workspace, 'docs', 'guide.md'), '# Guide\n\n![Our logo](../assets/logo-copy.png)\n\nThe original: ![Logo](../assets/logo.png)\n');
      await fs.mkdir(path.join(workspace, 'styles'), { recursive: true });
      await fs.writeFile(path.join(workspace, 'styles', 'site.css'), '.brand {\n  background: url("../assets/logo-copy.png") no-repeat;\n}\n');
    },
  });
});

after(async () => {
  await s?.stop();
});

const guarded = (name: string, body: () => Promise<void>) => guardedStep(s, name, body);

/** The top of the sidebar (where the gallery's content is), for the README. */
async function sidebarShot(name: string): Promise<void> {
  const box = await s.workbench.page.locator('.part.sidebar').boundingBox();
  assert.ok(box, 'the sidebar is visible');
  await fs.mkdir(RESULTS_DIR, { recursive: true });
  await s.workbench.page.screenshot({ path: path.join(RESULTS_DIR, `duplicates-${name}.png`), clip: { ...box, height: Math.min(box.height, 560) } });
}

test('Find Duplicate Images → Keep This One rewrites the Markdown and CSS references after the preview', () =>
  guarded('keep', async () => {
    const wb = s.workbench;
    await waitForIndexed(wb, s.imageCount + LOGOS);
    const frame = await openGallery(wb);
    await wb.runCommand('MobileCLIP Assets: Find Duplicate Images');

    const tile = (name: string) => frame.locator(`.mode-duplicates .grid-row:not([hidden]) .tile[data-id$="/assets/${name}"]`);
    await tile('logo.png').waitFor({ timeout: 120_000 });
    await tile('logo-copy.png').waitFor();
    const headers = await frame.locator('.mode-duplicates .grid-row:not([hidden]) .group-header').count();
    assert.equal(headers, 1, 'one group: the logo and its resized copy');
    // Each member shows its size, dimensions and reference count.
    const meta = await waitUntil(
      () => tile('logo-copy.png').locator('.meta').textContent(),
      (t) => /refs/.test(t ?? ''),
      'reference counts on the tiles',
    );
    assert.equal(meta, 'assets · 2 refs');
    assert.match((await tile('logo-copy.png').locator('.facts').textContent()) ?? '', /^\d+ × \d+ · [\d.]+ [kKM]?B$/, 'dimensions and size');
    await wb.dismissNotifications();
    await sidebarShot('mode');

    await tile('logo.png').click();
    await frame.locator('.mode-duplicates .selection-bar vscode-button', { hasText: 'Keep This One' }).click();

    // First the choice: rewrite everything at once, or preview edit by edit (taken here).
    const ask = wb.page.locator('.monaco-dialog-box');
    await ask.waitFor({ timeout: 60_000 });
    assert.match((await ask.textContent()) ?? '', /Point 2 references in 2 files at assets\/logo\.png\?/);
    await wb.screenshot('keep-ask');
    await ask.locator('.monaco-button', { hasText: /^Preview Changes…$/ }).click();

    // The refactor preview lists the two edits; nothing is written before Apply.
    const preview = wb.page.locator('.bulk-edit-panel');
    await preview.waitFor({ timeout: 60_000 });
    await waitUntil(
      async () => (await preview.textContent()) ?? '',
      (t) => /guide\.md/.test(t) && /site\.css/.test(t),
      'both files in the refactor preview',
    );
    await wb.screenshot('preview');
    assert.match(await fs.readFile(path.join(s.workspace, 'styles', 'site.css'), 'utf8'), /logo-copy\.png/, 'unchanged until applied');
    // Edits that need confirmation come unticked: tick both files (which ticks their edits), then Apply.
    for (const file of ['guide.md', 'site.css']) {
      const row = preview.locator('.monaco-list-row', { hasText: file }).first();
      const box = row.locator('.monaco-checkbox, [role="checkbox"]').first();
      await box.click();
      await waitUntil(
        async () => (await box.getAttribute('aria-checked')) ?? (await box.evaluate((e) => String(e.classList.contains('checked')))),
        (v) => v === 'true',
        `${file} ticked`,
        10_000,
      );
    }
    const boxes = preview.locator('.monaco-list-row .monaco-checkbox, .monaco-list-row [role="checkbox"]');
    await waitUntil(
      () => boxes.evaluateAll((els) => els.map((e) => e.getAttribute('aria-checked') ?? String(e.classList.contains('checked')))),
      (v) => v.length === 4 && v.every((x) => x === 'true'),
      'both files and both edits ticked',
      10_000,
    );
    await wb.page.mouse.move(0, 0);
    await wb.screenshot('preview-ticked');
    await preview.locator('.monaco-button', { hasText: /^Apply$/ }).click();

    // Then the offer to delete the copy (a modal); where the server has no trash, a second one.
    const dialog = wb.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 60_000 });
    assert.match((await dialog.textContent()) ?? '', /Delete assets\/logo-copy\.png\?/);
    await wb.screenshot('delete-offer');
    await dialog.locator('.monaco-button', { hasText: /^Move to Trash$/ }).click();
    const copy = path.join(s.workspace, 'assets', 'logo-copy.png');
    await waitUntil(
      async () => {
        if (await dialog.isVisible().catch(() => false)) {
          await dialog
            .locator('.monaco-button', { hasText: /^Delete Permanently$/ })
            .click()
            .catch(() => undefined);
        }
        return fs.stat(copy).then(
          () => true,
          () => false,
        );
      },
      (exists) => !exists,
      'logo-copy.png to be deleted',
      30_000,
    );

    const guide = await fs.readFile(path.join(s.workspace, 'docs', 'guide.md'), 'utf8');
    const css = await fs.readFile(path.join(s.workspace, 'styles', 'site.css'), 'utf8');
    assert.equal(guide, '# Guide\n\n![Our logo](../assets/logo.png)\n\nThe original: ![Logo](../assets/logo.png)\n');
    assert.equal(css, '.brand {\n  background: url("../assets/logo.png") no-repeat;\n}\n');
    // The group is gone from the mode.
    await frame.locator('.mode-duplicates .empty:not([hidden])', { hasText: 'No duplicates' }).waitFor({ timeout: 30_000 });
  }));

test('the unused: filter lists the images no text file names', () =>
  guarded('unused', async () => {
    const wb = s.workbench;
    const frame = await openGallery(wb);
    await frame.locator('.dup-toolbar vscode-button', { hasText: 'All Images' }).click();
    await frame.locator('.mode-browse vscode-textfield input').fill('unused:');
    const names = () => frame.locator('.mode-browse .grid-row:not([hidden]) .tile .name').allTextContents();
    // The images nothing names; logo.png is referenced, and the deleted copy leaves the listing
    // once the file watcher reports it.
    const expected = [...s.clipart.map((c) => path.basename(c)), 'blue.png', 'red.png'].sort();
    const shown = await waitUntil(names, (n) => JSON.stringify([...n].sort()) === JSON.stringify(expected), `only the unused images ${expected.join(', ')}`, 30_000);
    assert.ok(!shown.includes('logo.png'));
    await sidebarShot('unused');
  }));
