// Bulk copies, moves and renames reach the index: the watcher hands over created folders and marks
// bursts as bulk (test 1, with the stand-in `vscode` module delivering file events), and the
// library rescans on a bulk batch, so images whose events were lost are indexed anyway (test 2:
// 300 images copied at once into nested folders, with most of their events dropped).
import { fake } from '../helpers/fakeVscode';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AssetLibrary } from '../../src/extension/assets/assetLibrary';
import { BULK_EVENTS, DebouncedImageWatcher, type WatchBatch } from '../../src/extension/assets/watcher';
import { ModelPrompts } from '../../src/extension/model/prompts';
import { ModelService } from '../../src/extension/model/service';
import { Thumbnailer } from '../../src/extension/model/thumbnails';
import { writeSolidImage } from '../fixtures/images';
import { colorModelDir } from '../fixtures/models';
import { tempDir } from '../index/helpers';

const WORKER = path.resolve(__dirname, '..', '..', 'dist', 'worker.js');
let base: string;

before(async () => {
  base = await tempDir('watcher');
});

async function until<T>(what: string, read: () => T, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('the watcher hands over created folders and image files, and marks bursts as bulk', async () => {
  const batches: WatchBatch[] = [];
  const watcher = new DebouncedImageWatcher(async (b) => void batches.push(b), 20, 200);
  try {
    const folder = path.join(base, 'copied', 'buildings');
    await fs.mkdir(folder, { recursive: true });
    // A folder copied in, reported only as itself (its files' events were lost).
    fake.controls.fireFileEvent('create', folder);
    fake.controls.fireFileEvent('create', path.join(base, 'notes.txt')); // not an image, not a folder
    fake.controls.fireFileEvent('create', path.join(base, 'a.png'));
    fake.controls.fireFileEvent('delete', path.join(base, 'old-folder'));
    // (The folder is checked with a stat first, so it may come in a batch of its own.)
    const all = () => ({ changed: batches.flatMap((b) => b.changed).sort(), deleted: batches.flatMap((b) => b.deleted) });
    await until('the folder and the image', all, (u) => u.changed.length === 2);
    assert.deepEqual(all(), { changed: [path.join(base, 'a.png'), folder].sort(), deleted: [path.join(base, 'old-folder')] });
    assert.ok(batches.every((b) => !b.bulk));

    const before = batches.length;
    for (let i = 0; i <= BULK_EVENTS; i++) fake.controls.fireFileEvent('create', path.join(base, 'many', `${i}.png`));
    await until(
      'the bulk batch',
      () => batches.length,
      (n) => n === before + 1,
    );
    assert.equal(batches[before]!.bulk, true);
    assert.equal(batches[before]!.changed.length, BULK_EVENTS + 1);
  } finally {
    watcher.dispose();
  }
});

test('300 images copied at once into nested folders are all indexed, also when most events are lost', async () => {
  const root = path.join(base, 'workspace');
  await writeSolidImage(path.join(root, 'start.png'), [200, 30, 30], { width: 24, height: 24 });
  await fake.controls.setSetting('mobileclipAssets.model', await colorModelDir());
  await fake.controls.setSetting('mobileclipAssets.modelCacheDir', path.join(base, 'model-cache'));
  fake.controls.setWorkspaceFolders([root]);
  const models = new ModelService(WORKER);
  const thumbnails = new Thumbnailer(models, WORKER);
  const library = new AssetLibrary({ models, prompts: new ModelPrompts(models), thumbnails, storageRoot: path.join(base, 'storage') });
  try {
    await models.refresh();
    await library.reloadFolders();
    await library.indexAll({ interactive: false });
    const indexed = () => library.folderStates[0]!.snapshot()?.entries.length ?? 0;
    assert.equal(indexed(), 1);

    // Copy 300 distinct images into nested folders in one go (staged outside, then one cp).
    const staging = path.join(base, 'staging', 'more-clipart');
    const files: string[] = [];
    for (let i = 0; i < 300; i++) {
      const rel = path.join(['animals', 'buildings', 'food/fruit', 'signs/arrows/left', 'signs/arrows/right'][i % 5]!, `img-${i}.png`);
      await writeSolidImage(path.join(staging, rel), [i % 256, (i * 7) % 256, (i * 13) % 256], { width: 16 + (i % 5), height: 16 });
      files.push(path.join(root, 'more-clipart', rel));
    }
    await fs.cp(staging, path.join(root, 'more-clipart'), { recursive: true });

    // The watcher saw a burst, but only some of it: nothing under buildings/ arrived at all.
    const seen = files.filter((f, i) => i % 3 === 0 && !f.includes(`${path.sep}buildings${path.sep}`));
    await library.applyChanges({ changed: seen, deleted: [], bulk: seen.length > BULK_EVENTS });
    assert.equal(indexed(), 301, 'every copied image is indexed');
    const entries = library.folderStates[0]!.snapshot()!.entries.map((e) => e.path);
    assert.equal(entries.filter((p) => p.startsWith('more-clipart/buildings/')).length, 60);

    // A folder moved (renamed): its delete and the create of the new folder.
    await fs.rename(path.join(root, 'more-clipart', 'food'), path.join(root, 'more-clipart', 'meals'));
    await library.applyChanges({ changed: [path.join(root, 'more-clipart', 'meals')], deleted: [path.join(root, 'more-clipart', 'food')], bulk: false });
    const after = library.folderStates[0]!.snapshot()!.entries.map((e) => e.path);
    assert.equal(after.length, 301);
    assert.equal(after.filter((p) => p.startsWith('more-clipart/meals/fruit/')).length, 60);
    assert.equal(after.filter((p) => p.startsWith('more-clipart/food/')).length, 0);
  } finally {
    library.dispose();
    thumbnails.dispose();
    models.dispose();
    fake.controls.setWorkspaceFolders(undefined);
  }
});

after(async () => {
  await fs.rm(base, { recursive: true, force: true }).catch(() => undefined);
});
