// The extension's tagging path end to end without VS Code: the colour fixture model in a real
// Engine (worker process), a real index, FolderTags over its snapshot, the "Edit Tags" picker
// logic on live suggestions, a selection run, and a rename picked up after re-indexing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import type { IndexSnapshot } from '../../src/engine/index/format';
import { updateIndex } from '../../src/engine/index/indexer';
import { resolveModel } from '../../src/engine/models/resolve';
import { TagEmbeddingCache, TagStore } from '../../src/engine/tags';
import { buildTagRows, planTagChanges, statesOf, TagPickerModel } from '../../src/extension/features/tagging/editPlan';
import { FolderTags } from '../../src/extension/features/tagging/folderTags';
import { settingsVocabulary } from '../../src/extension/features/tagging/settingsVocab';
import { FIXTURE_COLORS, colorModelDir } from '../fixtures/models';
import { writeSolidImage } from '../fixtures/images';
import { tempFolder } from '../tags/helpers';

let engine: Engine;
let work: string;

before(async () => {
  work = await tempFolder('extension-model');
  engine = await Engine.create(await resolveModel(await colorModelDir(), { cacheDir: path.join(work, 'model-cache') }), {});
});

after(async () => {
  await engine?.dispose();
});

test("tag a folder, edit one image's tags, tag a selection, and keep tags across a rename", async () => {
  const root = path.join(work, 'ws');
  const files: Record<string, readonly [number, number, number]> = {
    'red.png': FIXTURE_COLORS.red!,
    'icons/red2.png': FIXTURE_COLORS.red!,
    'green.png': FIXTURE_COLORS.green!,
    'blue.png': FIXTURE_COLORS.blue!,
    'gray.png': FIXTURE_COLORS.gray!,
  };
  for (const [rel, rgb] of Object.entries(files)) await writeSolidImage(path.join(root, rel), rgb, { width: 40, height: 32 });
  let snapshot: IndexSnapshot | undefined;
  const reindex = async () => {
    const r = await updateIndex({ root, indexDir: path.join(work, 'ws-index'), embedder: engine, thumbnails: false });
    assert.deepEqual(r.summary.failed, []);
    snapshot = r.snapshot;
  };
  await reindex();
  const folder = new FolderTags({
    root,
    index: { snapshot: () => snapshot, onDisk: (p) => snapshot!.entries.some((e) => e.path === p) },
    settingsVocabulary: () => settingsVocabulary({ defaults: false, red: {}, green: {}, blue: {} }, 5),
    writeSidecars: () => false,
    embeddingCache: () => new TagEmbeddingCache(),
  });

  const run = await folder.run(engine);
  assert.equal(run.tagged, 5);
  assert.deepEqual(run.issues, []);
  const tagsNow = () => Object.fromEntries(folder.loaded!.paths().map((p) => [p, folder.loaded!.tagsOf(p)]));
  assert.deepEqual(tagsNow(), { 'blue.png': ['blue'], 'gray.png': [], 'green.png': ['green'], 'icons/red2.png': ['red'], 'red.png': ['red'] });
  assert.deepEqual(
    folder.tagsOf('red.png').map((t) => [t.tag, t.source]),
    [['red', 'auto']],
  );

  // "Edit Tags" on red.png: keep the suggestion, add a typed tag.
  const live = await folder.suggest(engine, ['red.png']);
  assert.equal(live.live, true);
  const model = new TagPickerModel(buildTagRows(live.lists));
  assert.deepEqual([...model.initial], ['red']);
  const [change] = planTagChanges(statesOf(live.lists), model.initial, model.result('favourite'));
  assert.deepEqual(change, { confirm: ['favourite', 'red'], reject: [] });
  await folder.applyChanges([{ path: 'red.png', sha256: snapshot!.entries.find((e) => e.path === 'red.png')!.sha256, ...change! }]);
  // Both confirmed: the one confirmed from a scored suggestion first (the one tag order, engine/tags/order.ts).
  assert.deepEqual(
    folder.tagsOf('red.png').map((t) => [t.tag, t.source, t.score]),
    [
      ['red', 'user', 1],
      ['favourite', 'user', 1],
    ],
  );

  // A selection: only the chosen image is re-tagged.
  const one = await folder.run(engine, { mode: 'all', only: new Set(['icons/red2.png']) });
  assert.equal(one.tagged, 1);
  assert.equal(one.considered, 1);
  assert.deepEqual(one.tagCounts, [['red', 1]]);

  // Rename on disk, re-index: the tags file follows by content hash.
  await fs.mkdir(path.join(root, 'moved'));
  await fs.rename(path.join(root, 'red.png'), path.join(root, 'moved', 'red.png'));
  await reindex();
  const after = await folder.run(engine);
  assert.deepEqual(after.renamed, [{ from: 'red.png', to: 'moved/red.png' }]);
  assert.equal(after.tagged, 0);
  const saved = await TagStore.load(root);
  assert.deepEqual(saved.tagsOf('moved/red.png').sort(), ['favourite', 'red']);
  assert.equal(saved.get('red.png'), undefined);
});
