import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EntryTable, entryListOf } from '../../src/engine/index/entries';
import type { IndexEntry } from '../../src/engine/index/format';
import { MANIFEST_FILE } from '../../src/engine/index/location';
import { IndexStore, loadIndexSnapshot, readIndex, type IndexIdentity } from '../../src/engine/index/store';
import { tempDir, wordVector } from './helpers';

const DIM = 6;
const identity: IndexIdentity = { model: { id: 'm', fingerprint: 'fp-cols', dim: DIM }, preprocessing: {} };

function sha(n: number): string {
  return n.toString(16).padStart(64, '0');
}

function entry(p: string, n: number, row = n): IndexEntry {
  // Sizes past 2^32 and fractional mtimes must come back exactly.
  return { path: p, size: 2 ** 33 + n, mtimeMs: 1_700_000_000_000.25 + n, sha256: sha(n + 1), row, width: 640 + n, height: 480 };
}

test('the entry table gives back every field, sorted by path, through objects and columns', () => {
  const entries = [entry('b/é ü.png', 2), entry('a.png', 0), entry('Z.png', 1), entry('b/a.png', 3)];
  const table = EntryTable.from(entries);
  const expected = [...entries].sort((x, y) => (x.path < y.path ? -1 : 1));
  const list = table.list();
  assert.equal(list.length, 4);
  assert.deepEqual(
    Array.from({ length: list.length }, (_, i) => list.at(i)),
    expected,
  );
  assert.deepEqual(
    Array.from({ length: list.length }, (_, i) => [list.path(i), list.row(i), list.sha256(i), list.width(i), list.height(i)]),
    expected.map((e) => [e.path, e.row, e.sha256, e.width, e.height]),
  );
  assert.deepEqual(
    [...list.rows()],
    expected.map((e) => e.row),
  );
  assert.deepEqual(table.get('b/é ü.png'), entries[0]);
  assert.equal(table.get('missing.png'), undefined);
});

test('replacing, renaming and removing entries; a removed content stays known until rows are remapped', () => {
  const table = new EntryTable();
  table.set(entry('a.png', 1));
  table.set(entry('b.png', 2));
  const before = table.list();
  // Rename: the same content and row under a new path.
  table.delete('a.png');
  table.set({ ...entry('a.png', 1), path: 'moved/a.png' });
  // Replace: b.png changed content.
  table.set(entry('b.png', 5));
  table.delete('gone.png');
  assert.deepEqual(before.at(0), entry('a.png', 1), 'an earlier list still shows its own state');
  assert.deepEqual([...table.paths()].sort(), ['b.png', 'moved/a.png']);
  assert.equal(table.size, 2);
  assert.equal(table.get('b.png')!.sha256, sha(6));
  assert.deepEqual(table.contentInfo(sha(3)), { row: 2, width: 642, height: 480 }, "b.png's old content can still be reused");
  assert.equal(table.distinctCount, 2);
  table.set({ ...entry('copy.png', 5) });
  assert.equal(table.distinctCount, 2, 'a copy is not a new content');
  assert.deepEqual(table.liveRows(), new Set([1, 5]));
  // Compaction renumbers rows and forgets what no live entry holds.
  table.remapRows((row) => (row === 1 ? 0 : 1));
  assert.deepEqual(table.get('moved/a.png')!.row, 0);
  assert.deepEqual(table.get('copy.png')!.row, 1);
  assert.equal(table.contentInfo(sha(3)), undefined);
  assert.deepEqual(table.contentInfo(sha(6)), { row: 1, width: 645, height: 480 });
});

test('retired slots are repacked without losing live entries or reusable contents', () => {
  const table = new EntryTable();
  // Six rounds of new contents, then many touches (same content, new mtime) that retire slots only.
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < 1000; i++) table.set(entry(`f${i}.png`, round * 1000 + i));
  }
  for (let touch = 0; touch < 10; touch++) {
    for (let i = 0; i < 1000; i++) table.set({ ...entry(`f${i}.png`, 5000 + i), mtimeMs: touch });
  }
  table.delete('f0.png');
  assert.equal(table.size, 999);
  assert.ok(table.slotCount < 9000, `retired slots were dropped (${table.slotCount} held for 16,000 writes)`);
  assert.deepEqual(table.get('f999.png'), { ...entry('f999.png', 5999), mtimeMs: 9 });
  assert.deepEqual(table.contentInfo(sha(1)), { row: 0, width: 640, height: 480 }, 'first round content, long replaced');
  assert.deepEqual(table.contentInfo(sha(5001)), { row: 5000, width: 5640, height: 480 }, 'a deleted file');
  assert.equal(table.distinctCount, 999);
});

test('entryListOf reads snapshots built from plain objects too', () => {
  const entries = [entry('a.png', 0), entry('b.png', 1)];
  const list = entryListOf({ entries });
  assert.deepEqual([list.length, list.path(1), [...list.rows()]], [2, 'b.png', [0, 1]]);
});

async function storeWith(dir: string, entries: IndexEntry[]): Promise<IndexStore> {
  const store = IndexStore.empty(dir, identity, { dtype: 'float32' });
  for (const e of entries) {
    while (store.rows <= e.row) store.addVector(wordVector(`w${store.rows}`, DIM));
    store.setEntry(e);
  }
  await store.flush();
  return store;
}

test('index.json is unchanged by the columns: one sorted entry per line, reread the same way and by JSON.parse', async () => {
  const dir = await tempDir('entries-persist');
  const entries = [entry('c/ä.png', 2), entry('a.png', 0), entry('b "quoted".png', 1)];
  await storeWith(dir, entries);
  const text = await fs.readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  const sorted = [...entries].sort((x, y) => (x.path < y.path ? -1 : 1));
  const lines = sorted.map((e) => `    ${JSON.stringify({ height: e.height, mtimeMs: e.mtimeMs, path: e.path, row: e.row, sha256: e.sha256, size: e.size, width: e.width })}`);
  assert.ok(text.startsWith(`{\n  "entries": [\n${lines.join(',\n')}\n  ],\n  "failed": [],\n`), text.slice(0, 400));
  assert.deepEqual(JSON.parse(text).entries, sorted);
  const loaded = (await readIndex(dir))!;
  assert.deepEqual(loaded.manifest.entries, sorted);
  assert.deepEqual((await loadIndexSnapshot(dir))!.entries, sorted);
  const reopened = (await IndexStore.open(dir, identity)).store;
  assert.deepEqual(reopened.entries(), sorted);
  // Written again without a change, the file is byte-identical but for its timestamp.
  reopened.setEntry(reopened.entry('a.png')!);
  await reopened.flush();
  const again = await fs.readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  const noStamp = (s: string) => s.replace(/"updated": "[^"]*"/, '');
  assert.equal(noStamp(again), noStamp(text));
});

test('a manifest laid out differently (hand-edited, reformatted) reads the same', async () => {
  const dir = await tempDir('entries-other-layout');
  const entries = [entry('b.png', 1), entry('a.png', 0)];
  await storeWith(dir, entries);
  const file = path.join(dir, MANIFEST_FILE);
  const manifest = JSON.parse(await fs.readFile(file, 'utf8'));
  await fs.writeFile(file, JSON.stringify({ ...manifest, entries: [...manifest.entries].reverse() }));
  assert.deepEqual((await loadIndexSnapshot(dir))!.entries, [entry('a.png', 0), entry('b.png', 1)]);
});

test('a bad or duplicate line in our own layout is refused as corrupt, never half read', async () => {
  const dir = await tempDir('entries-bad-line');
  await storeWith(dir, [entry('a.png', 0), entry('b.png', 1)]);
  const file = path.join(dir, MANIFEST_FILE);
  const text = await fs.readFile(file, 'utf8');
  await fs.writeFile(file, text.replace('"a.png"', '"../a.png"'));
  await assert.rejects(readIndex(dir), /unsafe path/);
  await fs.writeFile(file, text.replace('"b.png"', '"a.png"'));
  await assert.rejects(readIndex(dir), /duplicate entry a\.png/);
  await fs.writeFile(file, text.replace('"row":1', '"row":7'));
  await assert.rejects(readIndex(dir), /points past the vectors/);
  await fs.writeFile(file, text.replace('},\n', '}\n'));
  await assert.rejects(readIndex(dir), /not valid JSON/, 'a missing comma is not JSON, whatever the layout');
});
