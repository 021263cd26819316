// Issue 12, hole 7 (engine side): implausible preprocessor configs are refused at model load with
// one clear error, and symlinked image files that point outside the folder follow one documented
// policy (skipped, with the reason) for indexing, watcher updates and reinforce alike.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { updateIndex, WorkspaceIndexer } from '../../src/engine/index/indexer';
import { scanFolder, symlinkedFileProblem } from '../../src/engine/index/scan';
import { parsePreprocessConfig, resolveGeometry } from '../../src/engine/preprocess/config';
import { FakeEmbedder, tempDir, writeFiles } from '../index/helpers';

test('a preprocessor config with crop_size 20000 or image_std 1e-320 is refused with one error naming both', () => {
  // crop_size 20000 tried to allocate 4.8 GB per image; image_std 1e-320 made every embedding zero.
  assert.throws(
    () => parsePreprocessConfig({ crop_size: 20000, do_normalize: true, image_mean: [0.5, 0.5, 0.5], image_std: 1e-320 }, 'preprocessor_config.json'),
    (err: Error) => {
      assert.match(err.message, /^preprocessor_config\.json: implausible preprocessing \(/);
      assert.match(err.message, /crop_size width 20000 is above 2048 px/);
      assert.match(err.message, /image_std 1e-320 is outside 0\.001\.\.1000/);
      assert.match(err.message, /refusing to load this model$/);
      return true;
    },
  );
  assert.throws(() => parsePreprocessConfig({ size: { shortest_edge: 100000 } }), /size\.shortest_edge 100000 is above 2048 px/);
  assert.throws(() => parsePreprocessConfig({ do_normalize: true, image_std: [0.2, 0, 0.2] }), /image_std 0 is outside/);
  assert.throws(() => parsePreprocessConfig({ rescale_factor: 1e9 }), /rescale_factor 1000000000 is outside/);
  // The vision graph's own input size is held to the same bound.
  assert.throws(() => resolveGeometry(parsePreprocessConfig({}), 20000), /input size 20000 is outside 1\.\.2048 px/);
  // Real configs pass: MobileCLIP v1 and OpenAI CLIP.
  parsePreprocessConfig({ crop_size: 256, do_normalize: false, size: { shortest_edge: 256 } });
  parsePreprocessConfig({ crop_size: 224, do_normalize: true, image_mean: [0.48145466, 0.4578275, 0.40821073], image_std: [0.26862954, 0.26130258, 0.27577711] });
});

async function linkedFolder(name: string) {
  const base = await tempDir(name);
  const root = path.join(base, 'repo');
  await writeFiles(base, { 'repo/own.png': 'own', 'repo/sub/deep.png': 'deep', 'private/secret.png': 'secret' });
  await fs.symlink(path.join(root, 'sub', 'deep.png'), path.join(root, 'alias.png'));
  await fs.symlink(path.join(base, 'private', 'secret.png'), path.join(root, 'logo.png'));
  await fs.symlink(path.join(base, 'nowhere.png'), path.join(root, 'dangling.png'));
  return { base, root };
}

test('symlinked images: followed inside the folder, skipped with the reason when they lead out of it', async () => {
  const { base, root } = await linkedFolder('sec-links');
  const skipped: Array<[string, string]> = [];
  const found: string[] = [];
  for await (const f of scanFolder(root, { onSkip: (p, why) => skipped.push([p, why]) })) found.push(f.path);
  assert.deepEqual(found.sort(), ['alias.png', 'own.png', 'sub/deep.png']);
  assert.deepEqual(skipped.map(([p]) => p).sort(), ['dangling.png', 'logo.png']);
  assert.match(skipped.find(([p]) => p === 'logo.png')![1], /a symbolic link to .*private\/secret\.png, outside .*repo/);
  // The exported policy reinforce uses says the same for any path.
  assert.equal(await symlinkedFileProblem(root, path.join(root, 'alias.png')), undefined);
  assert.equal(await symlinkedFileProblem(root, path.join(root, 'own.png')), undefined);
  assert.match((await symlinkedFileProblem(root, path.join(root, 'logo.png')))!, /outside/);

  // A file watcher reporting the link does not get it indexed either.
  const embedder = new FakeEmbedder();
  const indexDir = path.join(base, 'index');
  await updateIndex({ root, indexDir, embedder });
  assert.ok(!embedder.embedded.some((p) => p.endsWith('logo.png')), 'the private file was embedded');
  const indexer = await WorkspaceIndexer.open({ root, indexDir, embedder });
  await indexer.applyChanges([path.join(root, 'logo.png')], []);
  assert.ok(!embedder.embedded.some((p) => p.endsWith('logo.png')));
  assert.deepEqual(
    indexer
      .snapshot()
      .entries.map((e) => e.path)
      .sort(),
    ['alias.png', 'own.png', 'sub/deep.png'],
  );
});
