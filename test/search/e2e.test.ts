// End to end with the real Engine (worker process, sharp decoding, onnxruntime) and the colour
// fixture model: real clip-art PNGs plus generated coloured images, indexed, then searched.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { WorkspaceIndexer } from '../../src/engine/index/indexer';
import { resolveModel } from '../../src/engine/models/resolve';
import { SearchEngine } from '../../src/engine/search/search';
import { FIXTURE_COLORS, colorModelDir } from '../fixtures/models';
import { writeSolidImage } from '../fixtures/images';
import { CLIPART_DIR as CLIPART } from '../fixtures/paths';
import { tempDir } from '../index/helpers';

let engine: Engine;
let root: string;
let base: string;
let indexer: WorkspaceIndexer;

async function copyClipart(dest: string, categories: string[]): Promise<number> {
  let n = 0;
  for (const c of categories) {
    await fs.mkdir(path.join(dest, c), { recursive: true });
    for (const name of await fs.readdir(path.join(CLIPART, c))) {
      if (!name.toLowerCase().endsWith('.png')) continue;
      await fs.copyFile(path.join(CLIPART, c, name), path.join(dest, c, name));
      n++;
    }
  }
  return n;
}

before(async () => {
  base = await tempDir('e2e-search');
  root = path.join(base, 'workspace');
  await copyClipart(path.join(root, 'clipart'), ['animals', 'food', 'tools']);
  await writeSolidImage(path.join(root, 'colours', 'red.png'), FIXTURE_COLORS.red!);
  await writeSolidImage(path.join(root, 'colours', 'green.jpg'), FIXTURE_COLORS.green!, { width: 48, height: 40 });
  await writeSolidImage(path.join(root, 'colours', 'green-light.webp'), [60, 190, 80]);
  await writeSolidImage(path.join(root, 'colours', 'blue.png'), FIXTURE_COLORS.blue!, { alpha: 0.9 });
  await writeSolidImage(path.join(root, 'colours', 'yellow.gif'), FIXTURE_COLORS.yellow!);
  await fs.writeFile(path.join(root, 'colours', 'broken.png'), 'not a png');
  const cacheDir = path.join(base, 'cache');
  engine = await Engine.create(await resolveModel(await colorModelDir(), { cacheDir }), { log: () => undefined });
  indexer = await WorkspaceIndexer.open({ root, indexDir: path.join(base, 'index'), embedder: engine, preprocessing: { background: '#ffffff' } });
});

after(async () => {
  await engine?.dispose();
});

test('indexing real images: every image embedded once, the broken one reported, thumbnails written', async () => {
  const summary = await indexer.update();
  const expected = (await fs.readdir(path.join(root, 'clipart'), { recursive: true })).filter((n) => n.endsWith('.png')).length + 5;
  assert.equal(summary.indexed, expected);
  assert.deepEqual(
    summary.failed.map((f) => f.path),
    ['colours/broken.png'],
  );
  const green = indexer.snapshot().entries.find((e) => e.path === 'colours/green.jpg')!;
  assert.deepEqual([green.width, green.height], [48, 40]);
  const thumbs = await fs.readdir(path.join(base, 'index', 'thumbs'));
  assert.equal(thumbs.length, new Set(indexer.snapshot().entries.map((e) => e.sha256)).size);
  const again = await indexer.update();
  assert.deepEqual([again.indexed, again.unchanged], [0, expected]);
});

test('"red" finds the red image first', async () => {
  const search = new SearchEngine(indexer.snapshot(), root, engine);
  const res = await search.search('red');
  assert.equal(res.results[0]?.path, 'colours/red.png');
});

test('"a photo of something green" finds the green images first', async () => {
  const search = new SearchEngine(indexer.snapshot(), root, engine);
  const res = await search.search('a photo of something green');
  assert.deepEqual(
    res.results
      .slice(0, 2)
      .map((r) => r.path)
      .sort(),
    ['colours/green-light.webp', 'colours/green.jpg'],
  );
});

test('negatives and filters on real embeddings', async () => {
  const search = new SearchEngine(indexer.snapshot(), root, engine);
  const greens = await search.search('green -green', {}).catch((err: Error) => err);
  assert.ok(greens instanceof Error, 'a term minus itself is refused');
  const notJpg = await search.search('green -type:jpg');
  assert.equal(notJpg.results[0]?.path, 'colours/green-light.webp');
  const inClipart = await search.search('red in:clipart', { threshold: -1 });
  assert.ok(inClipart.results.length > 0 && inClipart.results.every((r) => r.path.startsWith('clipart/')));
});

test('an image query: an indexed image reuses its vector, an outside one is embedded', async () => {
  const search = new SearchEngine(indexer.snapshot(), root, engine);
  const similar = await search.similar('colours/green.jpg');
  assert.equal(similar.results[0]?.path, 'colours/green-light.webp');
  const outside = await writeSolidImage(path.join(base, 'query-red.png'), [200, 30, 40]);
  const res = await search.similar(outside);
  assert.equal(res.results[0]?.path, 'colours/red.png');
});

test('the file watcher path: a new image becomes searchable, a deleted one disappears', async () => {
  const added = await writeSolidImage(path.join(root, 'colours', 'new-yellow.png'), FIXTURE_COLORS.yellow!, { width: 20 });
  await fs.rm(path.join(root, 'colours', 'yellow.gif'));
  const summary = await indexer.applyChanges([added], [path.join(root, 'colours', 'yellow.gif')]);
  assert.deepEqual([summary.indexed, summary.removed], [1, 1]);
  const res = await new SearchEngine(indexer.snapshot(), root, engine).search('yellow');
  assert.equal(res.results[0]?.path, 'colours/new-yellow.png');
  assert.ok(!res.results.some((r) => r.path === 'colours/yellow.gif'));
});
