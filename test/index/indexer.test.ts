import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { EmbedImagesOptions } from '../../src/engine/api';
import { WorkspaceIndexer, updateIndex, type IndexProgress, type IndexerOptions } from '../../src/engine/index/indexer';
import { IndexBusyError, LOCK_FILE } from '../../src/engine/index/lock';
import { readIndex } from '../../src/engine/index/store';
import type { ImageRequestItem, ImageResult } from '../../src/engine/types';
import { FakeEmbedder, tempDir, textVector, writeFiles } from './helpers';

async function setup(name: string, files: Record<string, string>): Promise<{ root: string; indexDir: string }> {
  const base = await tempDir(name);
  const root = path.join(base, 'folder');
  await writeFiles(root, files);
  return { root, indexDir: path.join(base, 'index') };
}

function opts(root: string, indexDir: string, embedder: FakeEmbedder, extra: Partial<IndexerOptions> = {}): IndexerOptions {
  return { root, indexDir, embedder, preprocessing: { background: '#ffffff' }, ...extra };
}

const rel = (root: string, list: string[]) => list.map((p) => path.relative(root, p).split(path.sep).join('/')).sort();

/** Equal up to the index's float16 storage (half precision: ~3 significant digits). */
function assertSameVector(actual: Float32Array, expected: Float32Array, message?: string): void {
  assert.equal(actual.length, expected.length, message);
  actual.forEach((x, i) => assert.ok(Math.abs(x - expected[i]!) <= 1e-3, `${message ?? 'vector'}: [${i}] ${x} vs ${expected[i]}`));
}

async function bump(file: string, content?: string): Promise<void> {
  if (content !== undefined) await fs.writeFile(file, content);
  const t = new Date(Date.now() + 5000 + Math.random() * 1000);
  await fs.utimes(file, t, t);
}

async function entryPaths(indexDir: string): Promise<string[]> {
  return (await readIndex(indexDir))!.manifest.entries.map((e) => e.path);
}

test('first run embeds everything; an unchanged second run embeds nothing', async () => {
  const { root, indexDir } = await setup('idx-basic', { 'red.png': 'red', 'blue.jpg': 'blue', 'sub/green.webp': 'green', 'notes.txt': 'x' });
  const fake = new FakeEmbedder();
  const first = await updateIndex(opts(root, indexDir, fake));
  assert.equal(first.summary.indexed, 3);
  assert.equal(first.summary.status, 'new');
  assert.deepEqual(rel(root, fake.embedded), ['blue.jpg', 'red.png', 'sub/green.webp']);
  const entry = first.snapshot.entries.find((e) => e.path === 'red.png')!;
  assert.equal(entry.width, 3, 'dimensions recorded from the embedder');
  assert.deepEqual(await entryPaths(indexDir), ['blue.jpg', 'red.png', 'sub/green.webp']);

  const again = new FakeEmbedder();
  const second = await updateIndex(opts(root, indexDir, again));
  assert.deepEqual(again.embedded, [], 'nothing re-embedded');
  assert.deepEqual(
    { indexed: second.summary.indexed, unchanged: second.summary.unchanged, removed: second.summary.removed, status: second.summary.status },
    { indexed: 0, unchanged: 3, removed: 0, status: 'loaded' },
  );
});

test('changed files are re-embedded, touched ones only re-hashed', async () => {
  const { root, indexDir } = await setup('idx-change', { 'a.png': 'red', 'b.png': 'blue', 'c.png': 'green' });
  await updateIndex(opts(root, indexDir, new FakeEmbedder()));
  await bump(path.join(root, 'a.png'), 'yellow'); // new content, same length
  await bump(path.join(root, 'b.png')); // same content, new mtime
  const fake = new FakeEmbedder();
  const { summary, snapshot } = await updateIndex(opts(root, indexDir, fake));
  assert.deepEqual(rel(root, fake.embedded), ['a.png']);
  assert.equal(summary.indexed, 1);
  assert.equal(summary.unchanged, 2);
  const a = snapshot.entries.find((e) => e.path === 'a.png')!;
  const v = snapshot.vectors.row(a.row);
  assertSameVector(v, textVector('yellow', snapshot.dim), 'the new content vector, not the stale one');
  // The touched file's new mtime is recorded, so the next run does not hash it again.
  const third = new FakeEmbedder();
  assert.equal((await updateIndex(opts(root, indexDir, third))).summary.unchanged, 3);
});

test('renames, moves and copies reuse embeddings by content hash; deletions drop rows', async () => {
  const { root, indexDir } = await setup('idx-rename', { 'a.png': 'red', 'b.png': 'blue', 'c.png': 'green' });
  await updateIndex(opts(root, indexDir, new FakeEmbedder()));
  await fs.mkdir(path.join(root, 'moved'));
  await fs.rename(path.join(root, 'a.png'), path.join(root, 'moved', 'renamed.png'));
  await fs.copyFile(path.join(root, 'b.png'), path.join(root, 'copy-of-b.png'));
  await fs.rm(path.join(root, 'c.png'));
  const fake = new FakeEmbedder();
  const { summary, snapshot } = await updateIndex(opts(root, indexDir, fake));
  assert.deepEqual(fake.embedded, [], 'no inference for known content');
  assert.equal(summary.renamed, 2);
  assert.equal(summary.removed, 2); // a.png (moved away) and c.png
  assert.deepEqual(
    snapshot.entries.map((e) => e.path),
    ['b.png', 'copy-of-b.png', 'moved/renamed.png'],
  );
  const moved = snapshot.entries.find((e) => e.path === 'moved/renamed.png')!;
  assertSameVector(snapshot.vectors.row(moved.row), textVector('red', snapshot.dim));
  const b = snapshot.entries.find((e) => e.path === 'b.png')!;
  assert.equal(snapshot.entries.find((e) => e.path === 'copy-of-b.png')!.row, b.row, 'a copy shares the row');
  // The garbage row of the deleted file was compacted away at the end of the run.
  const manifest = (await readIndex(indexDir))!.manifest;
  assert.equal(manifest.vectors.rows, 2);
});

test('failed files are recorded and retried only when they change', async () => {
  const { root, indexDir } = await setup('idx-failed', { 'good.png': 'red', 'bad.png': 'BROKEN bytes' });
  const first = await updateIndex(opts(root, indexDir, new FakeEmbedder()));
  assert.deepEqual(first.summary.failed, [{ path: 'bad.png', error: 'cannot decode image' }]);
  const persisted = (await readIndex(indexDir))!.manifest.failed[0]!;
  assert.equal(persisted.size, 'BROKEN bytes'.length);

  const second = new FakeEmbedder();
  const run2 = await updateIndex(opts(root, indexDir, second));
  assert.deepEqual(second.embedded, [], 'an unchanged broken file is not retried');
  assert.deepEqual(
    run2.summary.failed.map((f) => f.path),
    ['bad.png'],
    'still reported as failing',
  );

  await bump(path.join(root, 'bad.png'), 'green now');
  const third = new FakeEmbedder();
  const run3 = await updateIndex(opts(root, indexDir, third));
  assert.deepEqual(rel(root, third.embedded), ['bad.png']);
  assert.deepEqual(run3.summary.failed, []);
  assert.ok(run3.snapshot.entries.some((e) => e.path === 'bad.png'));

  // A file that breaks drops its old embedding instead of keeping a stale one.
  await bump(path.join(root, 'good.png'), 'BROKEN again');
  const run4 = await updateIndex(opts(root, indexDir, new FakeEmbedder()));
  assert.ok(!run4.snapshot.entries.some((e) => e.path === 'good.png'));
  assert.deepEqual(
    run4.summary.failed.map((f) => f.path),
    ['good.png'],
  );
});

test('exclude globs, .gitignore and the size cap shape the index', async () => {
  const { root, indexDir } = await setup('idx-filters', {
    '.gitignore': 'generated/\n',
    'a.png': 'red',
    'generated/b.png': 'blue',
    'vendor/c.png': 'green',
    'huge.png': 'x'.repeat(100),
  });
  const { summary, snapshot } = await updateIndex(opts(root, indexDir, new FakeEmbedder(), { scan: { exclude: ['vendor/**'], maxFileSizeBytes: 50 } }));
  assert.deepEqual(
    snapshot.entries.map((e) => e.path),
    ['a.png'],
  );
  assert.equal(summary.skipped, 1);
});

test('a different model fingerprint re-embeds everything', async () => {
  const { root, indexDir } = await setup('idx-model', { 'a.png': 'red', 'b.png': 'blue' });
  await updateIndex(opts(root, indexDir, new FakeEmbedder()));
  const other = new FakeEmbedder({ fingerprint: 'another-model' });
  const { summary } = await updateIndex(opts(root, indexDir, other));
  assert.equal(summary.status, 'invalidated');
  assert.equal(summary.indexed, 2);
  assert.equal(other.embedded.length, 2);
  assert.equal((await readIndex(indexDir))!.manifest.model.fingerprint, 'another-model');
});

test('progress reports phases, totals and an ETA', async () => {
  const { root, indexDir } = await setup('idx-progress', { 'a.png': 'red', 'b.png': 'blue', 'c.png': 'green' });
  const events: IndexProgress[] = [];
  await updateIndex({ ...opts(root, indexDir, new FakeEmbedder()), onProgress: (p) => events.push(p) });
  const embedding = events.filter((e) => e.phase === 'embedding');
  assert.deepEqual(
    embedding.map((e) => [e.done, e.total]),
    [
      [1, 3],
      [2, 3],
      [3, 3],
    ],
  );
  assert.equal(embedding.at(-1)!.etaSeconds, 0);
  assert.ok(embedding.every((e) => typeof e.imagesPerSecond === 'number'));
  assert.ok(events.some((e) => e.phase === 'scanning' && e.total === 3));
});

/** An embedder that stops after `n` images until released (to inspect the disk mid-run). */
class GatedEmbedder extends FakeEmbedder {
  private count = 0;
  release!: () => void;
  private readonly gate = new Promise<void>((r) => (this.release = r));
  constructor(private readonly n: number) {
    super();
  }
  override async embedImages(items: ReadonlyArray<string | ImageRequestItem>, options: EmbedImagesOptions = {}): Promise<ImageResult[]> {
    const out: ImageResult[] = [];
    for (let i = 0; i < items.length; i++) {
      if (this.count++ === this.n) await this.gate;
      options.signal?.throwIfAborted();
      const [r] = await super.embedImages([items[i]!], { ...options, onResult: undefined });
      out.push(r!);
      options.onResult?.(r!, i, { done: i + 1, total: items.length });
    }
    return out;
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 3000; i++) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('finished work is persisted periodically during a run', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 10; i++) files[`img${i}.png`] = `word${i}`;
  const { root, indexDir } = await setup('idx-checkpoint', files);
  const gated = new GatedEmbedder(6);
  const run = updateIndex(opts(root, indexDir, gated, { checkpointEveryImages: 1, batchSize: 4 }));
  // While the embedder is stuck on the 7th image, the first six are already on disk.
  const onDisk = await waitFor('a checkpoint with six entries', async () => {
    const loaded = await readIndex(indexDir);
    return loaded && loaded.manifest.entries.length === 6 ? loaded.manifest.entries.map((e) => e.path) : undefined;
  });
  assert.deepEqual(onDisk, ['img0.png', 'img1.png', 'img2.png', 'img3.png', 'img4.png', 'img5.png']);
  gated.release();
  assert.equal((await run).summary.indexed, 10);
});

test('cancelling keeps finished work; the next run embeds only the rest and matches a clean run', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 12; i++) files[`img${String(i).padStart(2, '0')}.png`] = `word${i}`;
  const { root, indexDir } = await setup('idx-cancel', files);
  const ac = new AbortController();
  const fake = new FakeEmbedder();
  let seen = 0;
  const first = await updateIndex({
    ...opts(root, indexDir, fake, { batchSize: 3 }),
    signal: ac.signal,
    onProgress: (p) => {
      if (p.phase === 'embedding' && ++seen === 5) ac.abort();
    },
  });
  assert.equal(first.summary.cancelled, true);
  assert.equal(first.summary.indexed, 5);
  assert.equal((await entryPaths(indexDir)).length, 5, 'what finished is on disk');

  const resume = new FakeEmbedder();
  const second = await updateIndex(opts(root, indexDir, resume));
  assert.equal(resume.embedded.length, 7, 'only the remaining images');
  assert.equal(second.summary.unchanged, 5);

  const clean = await updateIndex(opts(root, path.join(indexDir, '..', 'clean'), new FakeEmbedder()));
  assert.deepEqual(
    second.snapshot.entries.map(({ row: _r, ...e }) => e),
    clean.snapshot.entries.map(({ row: _r, ...e }) => e),
  );
  for (const e of second.snapshot.entries) {
    const c = clean.snapshot.entries.find((x) => x.path === e.path)!;
    assert.deepEqual(Array.from(second.snapshot.vectors.row(e.row)), Array.from(clean.snapshot.vectors.row(c.row)));
  }
});

test('an embedder failure keeps the finished work and reports the error', async () => {
  const { root, indexDir } = await setup('idx-crash', { 'a.png': 'red', 'b.png': 'blue', 'c.png': 'green', 'd.png': 'pink' });
  class Crashing extends FakeEmbedder {
    calls = 0;
    override async embedImages(items: ReadonlyArray<string | ImageRequestItem>, options: EmbedImagesOptions = {}): Promise<ImageResult[]> {
      if (++this.calls === 2) throw new Error('worker died');
      return super.embedImages(items, options);
    }
  }
  await assert.rejects(updateIndex(opts(root, indexDir, new Crashing(), { batchSize: 2 })), /worker died/);
  assert.deepEqual(await entryPaths(indexDir), ['a.png', 'b.png']);
  assert.ok(!(await fs.readdir(indexDir)).includes(LOCK_FILE), 'the lock is released');
});

test('applyChanges handles created, modified and deleted files and folders', async () => {
  const { root, indexDir } = await setup('idx-watch', { 'a.png': 'red', 'b.png': 'blue', 'dir/c.png': 'green', 'dir/d.png': 'pink' });
  const fake = new FakeEmbedder();
  const indexer = await WorkspaceIndexer.open(opts(root, indexDir, fake));
  await indexer.update();
  fake.embedded.length = 0;

  await writeFiles(root, { 'new.png': 'yellow', 'ignored.txt': 'x', 'node_modules/x.png': 'orange' });
  await bump(path.join(root, 'a.png'), 'black');
  await fs.rm(path.join(root, 'b.png'));
  await fs.rm(path.join(root, 'dir'), { recursive: true });
  await writeFiles(root, { 'moved-in/e.png': 'purple', 'moved-in/f.png': 'green' }); // f: same content as old dir/c.png
  const summary = await indexer.applyChanges(
    [path.join(root, 'new.png'), 'a.png', 'ignored.txt', 'node_modules/x.png', 'moved-in', '../outside.png'],
    ['b.png', path.join(root, 'dir')],
  );
  assert.deepEqual(rel(root, fake.embedded), ['a.png', 'moved-in/e.png', 'new.png']);
  assert.equal(summary.removed, 3);
  assert.equal(summary.renamed, 1);
  assert.deepEqual(
    indexer.snapshot().entries.map((e) => e.path),
    ['a.png', 'moved-in/e.png', 'moved-in/f.png', 'new.png'],
  );
  assert.deepEqual(await entryPaths(indexDir), ['a.png', 'moved-in/e.png', 'moved-in/f.png', 'new.png']);

  // A "changed" path that is already gone counts as deleted.
  await fs.rm(path.join(root, 'new.png'));
  await indexer.applyChanges(['new.png'], []);
  assert.ok(!indexer.snapshot().entries.some((e) => e.path === 'new.png'));
});

test('thumbnails are made in the same pass, keyed by content, and pruned when unused', async () => {
  const { root, indexDir } = await setup('idx-thumbs', { 'a.png': 'red', 'b.png': 'blue' });
  await updateIndex(opts(root, indexDir, new FakeEmbedder()));
  const thumbs = path.join(indexDir, 'thumbs');
  const manifest = (await readIndex(indexDir))!.manifest;
  const names = (await fs.readdir(thumbs)).sort();
  assert.deepEqual(names, manifest.entries.map((e) => `${e.sha256}-192.webp`).sort());
  await fs.rm(path.join(root, 'b.png'));
  await updateIndex(opts(root, indexDir, new FakeEmbedder()));
  const a = (await readIndex(indexDir))!.manifest.entries[0]!;
  assert.deepEqual(await fs.readdir(thumbs), [`${a.sha256}-192.webp`]);
});

test('an index inside the folder excludes itself and keeps thumbnails out of the repository', async () => {
  const base = await tempDir('idx-inrepo');
  await writeFiles(base, { 'a.png': 'red' });
  const indexDir = path.join(base, '.idx');
  await updateIndex(opts(base, indexDir, new FakeEmbedder(), { scan: { exclude: [] } }));
  const second = await updateIndex(opts(base, indexDir, new FakeEmbedder(), { scan: { exclude: [] } }));
  assert.deepEqual(
    second.snapshot.entries.map((e) => e.path),
    ['a.png'],
    'its own thumbnails are not indexed',
  );
  assert.match(await fs.readFile(path.join(indexDir, '.gitignore'), 'utf8'), /^thumbs\/$/m);
});

test('one writer at a time; a lock left by a dead process is taken over', async () => {
  const { root, indexDir } = await setup('idx-lock', { 'a.png': 'red' });
  const gated = new GatedEmbedder(0);
  const first = updateIndex(opts(root, indexDir, gated));
  await waitFor('the lock', async () => ((await fs.readdir(indexDir)).includes(LOCK_FILE) ? true : undefined));
  const other = await WorkspaceIndexer.open(opts(root, indexDir, new FakeEmbedder()));
  await assert.rejects(other.update(), IndexBusyError);
  gated.release();
  await first;

  await fs.writeFile(path.join(indexDir, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), started: '' }));
  assert.equal((await updateIndex(opts(root, indexDir, new FakeEmbedder()))).summary.unchanged, 1);
});

test('an indexer notices when another process updated the index', async () => {
  const { root, indexDir } = await setup('idx-reload', { 'a.png': 'red' });
  const longLived = await WorkspaceIndexer.open(opts(root, indexDir, new FakeEmbedder()));
  await longLived.update();
  await writeFiles(root, { 'b.png': 'blue' });
  await updateIndex(opts(root, indexDir, new FakeEmbedder())); // e.g. the CLI
  const fake = new FakeEmbedder();
  const longLivedFake = await WorkspaceIndexer.open(opts(root, indexDir, fake));
  assert.equal((await longLivedFake.update()).indexed, 0);
  const summary = await longLived.update();
  assert.equal(summary.indexed, 0, 'reloaded from disk instead of embedding b.png again');
  assert.deepEqual(
    longLived.snapshot().entries.map((e) => e.path),
    ['a.png', 'b.png'],
  );
});
