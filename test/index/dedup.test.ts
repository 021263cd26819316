// Each distinct content is embedded once: copies in a fresh index, copies added, renamed or
// deleted later, and files that change between hashing and embedding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { EmbedImagesOptions } from '../../src/engine/api';
import { updateIndex, type IndexerOptions } from '../../src/engine/index/indexer';
import { readIndex } from '../../src/engine/index/store';
import type { ImageRequestItem, ImageResult } from '../../src/engine/types';
import { FakeEmbedder, tempDir, textVector, writeFiles } from './helpers';

async function setup(name: string, files: Record<string, string>): Promise<{ root: string; indexDir: string }> {
  const base = await tempDir(name);
  const root = path.join(base, 'folder');
  await writeFiles(root, files);
  return { root, indexDir: path.join(base, 'index') };
}

function opts(root: string, indexDir: string, embedder: FakeEmbedder): IndexerOptions {
  return { root, indexDir, embedder, preprocessing: { background: '#ffffff' } };
}

const rel = (root: string, list: readonly string[]) => list.map((p) => path.relative(root, p).split(path.sep).join('/')).sort();

/** Every entry's vector is its own content's (up to float16 storage). */
function assertVectorsMatchContent(snapshot: Awaited<ReturnType<typeof updateIndex>>['snapshot'], contentOf: Record<string, string>): void {
  for (const e of snapshot.entries) {
    const expected = textVector(contentOf[e.path]!, snapshot.dim);
    const actual = snapshot.vectors.row(e.row);
    actual.forEach((x, i) => assert.ok(Math.abs(x - expected[i]!) <= 1e-3, `${e.path}: its vector is not ${JSON.stringify(contentOf[e.path])}'s`));
  }
}

test('a fresh index embeds each distinct content once; copies share its row and thumbnail', async () => {
  const contentOf = {
    'icons/red.png': 'red',
    'vendor/a/red.png': 'red',
    'vendor/b/red-copy.png': 'red',
    'blue.png': 'blue',
    'green.png': 'green',
    'assets/green.png': 'green',
  };
  const { root, indexDir } = await setup('dedup-fresh', contentOf);
  const fake = new FakeEmbedder();
  const { summary, snapshot } = await updateIndex(opts(root, indexDir, fake));
  assert.equal(fake.embedded.length, 3, `one embedding per content, got ${rel(root, fake.embedded).join(', ')}`);
  assert.deepEqual(
    { indexed: summary.indexed, duplicates: summary.duplicates, total: summary.total, distinct: summary.distinct },
    { indexed: 3, duplicates: 3, total: 6, distinct: 3 },
  );
  assert.deepEqual(
    snapshot.entries.map((e) => e.path),
    Object.keys(contentOf).sort(),
    'one entry per path',
  );
  const rowOf = (p: string) => snapshot.entries.find((e) => e.path === p)!.row;
  assert.equal(new Set(['icons/red.png', 'vendor/a/red.png', 'vendor/b/red-copy.png'].map(rowOf)).size, 1);
  assert.notEqual(rowOf('icons/red.png'), rowOf('green.png'));
  assert.equal((await readIndex(indexDir))!.manifest.vectors.rows, 3, 'three vectors on disk');
  assertVectorsMatchContent(snapshot, contentOf);
  // Dimensions (and the thumbnail, named by content) come with the shared result.
  const red = snapshot.entries.filter((e) => contentOf[e.path as keyof typeof contentOf] === 'red');
  assert.deepEqual(new Set(red.map((e) => `${e.width}x${e.height}:${e.sha256}`)).size, 1);
  const thumbs = await fs.readdir(path.join(indexDir, 'thumbs'));
  assert.equal(thumbs.length, 3);
  assert.ok(thumbs.includes(`${red[0]!.sha256}-192.webp`));
});

test('copies, renames and deletions of either copy keep every entry right without embedding', async () => {
  const contentOf: Record<string, string> = { 'a.png': 'red', 'b.png': 'red', 'c.png': 'blue' };
  const { root, indexDir } = await setup('dedup-later', contentOf);
  await updateIndex(opts(root, indexDir, new FakeEmbedder()));

  // Copy: a third file with the content.
  await fs.copyFile(path.join(root, 'a.png'), path.join(root, 'copy.png'));
  contentOf['copy.png'] = 'red';
  let fake = new FakeEmbedder();
  let run = await updateIndex(opts(root, indexDir, fake));
  assert.deepEqual(fake.embedded, []);
  assert.deepEqual([run.summary.renamed, run.summary.total, run.summary.distinct], [1, 4, 2]);
  assertVectorsMatchContent(run.snapshot, contentOf);

  // Delete the copy that was embedded first, then rename another: the rest keep the vector.
  await fs.rm(path.join(root, 'a.png'));
  delete contentOf['a.png'];
  await fs.rename(path.join(root, 'b.png'), path.join(root, 'renamed.png'));
  delete contentOf['b.png'];
  contentOf['renamed.png'] = 'red';
  fake = new FakeEmbedder();
  run = await updateIndex(opts(root, indexDir, fake));
  assert.deepEqual(fake.embedded, []);
  assert.deepEqual([run.summary.removed, run.summary.renamed, run.summary.total, run.summary.distinct], [2, 1, 3, 2]);
  assert.deepEqual(
    run.snapshot.entries.map((e) => e.path),
    ['c.png', 'copy.png', 'renamed.png'],
  );
  assertVectorsMatchContent(run.snapshot, contentOf);

  // Change one copy: only it is embedded; the other keeps the old content's vector.
  await fs.writeFile(path.join(root, 'copy.png'), 'green');
  contentOf['copy.png'] = 'green';
  fake = new FakeEmbedder();
  run = await updateIndex(opts(root, indexDir, fake));
  assert.deepEqual(rel(root, fake.embedded), ['copy.png']);
  assertVectorsMatchContent(run.snapshot, contentOf);

  // Delete the last red file: its content leaves the index (and its vector, once compacted).
  await fs.rm(path.join(root, 'renamed.png'));
  delete contentOf['renamed.png'];
  run = await updateIndex(opts(root, indexDir, new FakeEmbedder()));
  assert.deepEqual([run.summary.total, run.summary.distinct], [2, 2]);
  assertVectorsMatchContent(run.snapshot, contentOf);
  assert.equal((await readIndex(indexDir))!.manifest.vectors.rows, 2);
});

test('copies of a broken file fail together, from one attempt', async () => {
  const { root, indexDir } = await setup('dedup-broken', { 'x/bad.png': 'BROKEN bytes', 'y/bad.png': 'BROKEN bytes', 'ok.png': 'red' });
  const fake = new FakeEmbedder();
  const { summary } = await updateIndex(opts(root, indexDir, fake));
  assert.deepEqual(rel(root, fake.embedded), ['ok.png', 'x/bad.png']);
  assert.deepEqual(summary.failed, [
    { path: 'x/bad.png', error: 'cannot decode image' },
    { path: 'y/bad.png', error: 'cannot decode image' },
  ]);
});

/** An embedder that does something to a file just before it reads it (once per file). */
class MeddlingEmbedder extends FakeEmbedder {
  private readonly done = new Set<string>();
  constructor(private readonly meddle: (file: string) => Promise<void>) {
    super();
  }
  override async embedImages(items: ReadonlyArray<string | ImageRequestItem>, options: EmbedImagesOptions = {}): Promise<ImageResult[]> {
    for (const item of items) {
      const file = typeof item === 'string' ? item : item.path;
      if (!this.done.has(file)) {
        this.done.add(file);
        await this.meddle(file);
      }
    }
    return super.embedImages(items, options);
  }
}

test('a file deleted or changed after hashing does not decide for its copies', async () => {
  // Deleted: the next copy is embedded instead, and gets its own result.
  {
    const { root, indexDir } = await setup('dedup-vanish', { 'a.png': 'red', 'b.png': 'red', 'c.png': 'red' });
    let first: string | undefined;
    const fake = new MeddlingEmbedder(async (file) => {
      first ??= file;
      if (file === first) await fs.rm(file);
    });
    const { summary, snapshot } = await updateIndex(opts(root, indexDir, fake));
    assert.equal(fake.embedded.length, 2, 'the vanished file, then one of its copies');
    assert.deepEqual(
      summary.failed.map((f) => f.path),
      [path.basename(first!)],
    );
    assert.equal(snapshot.entries.length, 2);
    assertVectorsMatchContent(snapshot, { 'a.png': 'red', 'b.png': 'red', 'c.png': 'red' });
  }
  // Changed: it is indexed with its new content; the copies are embedded for the old one.
  {
    const { root, indexDir } = await setup('dedup-change', { 'a.png': 'red', 'b.png': 'red', 'c.png': 'red' });
    let first: string | undefined;
    const fake = new MeddlingEmbedder(async (file) => {
      first ??= file;
      if (file === first) await fs.writeFile(file, 'blue');
    });
    const { snapshot } = await updateIndex(opts(root, indexDir, fake));
    assert.equal(fake.embedded.length, 2);
    const contentOf: Record<string, string> = { 'a.png': 'red', 'b.png': 'red', 'c.png': 'red', [path.basename(first!)]: 'blue' };
    assert.equal(snapshot.entries.length, 3);
    assertVectorsMatchContent(snapshot, contentOf);
  }
});
