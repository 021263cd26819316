import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CorruptIndexError, VECTOR_HEADER_BYTES, type IndexEntry } from '../../src/engine/index/format';
import { MANIFEST_FILE } from '../../src/engine/index/location';
import { IndexStore, loadIndexSnapshot, readIndex, type IndexIdentity } from '../../src/engine/index/store';
import { tempDir, wordVector } from './helpers';

const DIM = 12;
const identity: IndexIdentity = { model: { id: 'm', fingerprint: 'fp-1', dim: DIM }, preprocessing: { background: '#ffffff' } };

/** These tests check exact storage: float32 rows give back exactly what went in. */
const F32 = { dtype: 'float32' } as const;

function sha(n: number): string {
  return n.toString(16).padStart(64, '0');
}

/** A store with `n` entries a0..a{n-1}, each with its own vector. */
function fill(store: IndexStore, n: number, from = 0): IndexEntry[] {
  const entries: IndexEntry[] = [];
  for (let i = from; i < from + n; i++) {
    const row = store.addVector(wordVector(`w${i}`, DIM));
    const entry = { path: `dir/a${i}.png`, size: 100 + i, mtimeMs: 1000 + i, sha256: sha(i + 1), row, width: 10 + i, height: 20 };
    store.setEntry(entry);
    entries.push(entry);
  }
  return entries;
}

async function vectorFile(dir: string): Promise<string> {
  const names = (await fs.readdir(dir)).filter((n) => /^vectors-.*\.bin$/.test(n));
  assert.equal(names.length, 1, `one vector file, got ${names.join(', ')}`);
  return path.join(dir, names[0]!);
}

test('round trip: entries, failures and vectors come back exactly', async () => {
  const dir = await tempDir('store-roundtrip');
  const store = IndexStore.empty(dir, identity, { chunkRows: 3, ...F32 });
  const entries = fill(store, 7);
  store.setFailed({ path: 'bad.png', size: 5, mtimeMs: 6, error: 'cannot decode' });
  await store.flush();

  const loaded = await readIndex(dir);
  assert.ok(loaded);
  assert.deepEqual(loaded.manifest.model, identity.model);
  assert.deepEqual(loaded.manifest.preprocessing, identity.preprocessing);
  assert.deepEqual(loaded.manifest.failed, [{ path: 'bad.png', size: 5, mtimeMs: 6, error: 'cannot decode' }]);
  assert.equal(loaded.manifest.vectors.chunkSha256.length, 3);
  const snap = await loadIndexSnapshot(dir);
  assert.ok(snap);
  assert.deepEqual(
    [...snap.entries].map((e) => e.path),
    entries.map((e) => e.path).sort(),
  );
  for (const e of entries) {
    const got = snap.vectors.row(e.row);
    assert.deepEqual(Array.from(got), Array.from(wordVector(`w${e.path.match(/\d+/)![0]}`, DIM)));
  }
});

test('appends across flushes keep every chunk checksum valid', async () => {
  const dir = await tempDir('store-append');
  const store = IndexStore.empty(dir, identity, { chunkRows: 4, ...F32 });
  fill(store, 3);
  await store.flush();
  const file = await vectorFile(dir);
  fill(store, 6, 3); // completes the first chunk and starts a second
  await store.flush();
  assert.equal(await vectorFile(dir), file, 'appends go into the same file');
  fill(store, 1, 9);
  await store.flush();
  const reopened = await IndexStore.open(dir, identity);
  assert.equal(reopened.status, 'loaded');
  assert.equal(reopened.store.entryCount, 10);
  assert.equal((await fs.stat(file)).size, VECTOR_HEADER_BYTES + 10 * DIM * 4);
  const v = reopened.store.vectorOf(reopened.store.entry('dir/a9.png')!.row);
  assert.deepEqual(Array.from(v), Array.from(wordVector('w9', DIM)));
});

test('float16 storage halves the file and reloads the rounded values', async () => {
  const dir = await tempDir('store-f16');
  const store = IndexStore.empty(dir, identity, { dtype: 'float16' });
  fill(store, 5);
  const inMemory = Array.from(store.vectorOf(2));
  await store.flush();
  assert.equal((await fs.stat(await vectorFile(dir))).size, VECTOR_HEADER_BYTES + 5 * DIM * 2);
  const snap = await loadIndexSnapshot(dir);
  assert.deepEqual(Array.from(snap!.vectors.row(2)), inMemory, 'in-memory rows are already rounded');
  const exact = wordVector('w2', DIM);
  inMemory.forEach((x, i) => assert.ok(Math.abs(x - exact[i]!) < 1e-3));
});

test('int8 storage: a byte per value plus a scale per row; rows reload as they were kept', async () => {
  const dir = await tempDir('store-i8');
  const store = IndexStore.empty(dir, identity, { dtype: 'int8' });
  fill(store, 5);
  const inMemory = Array.from(store.vectorOf(3));
  await store.flush();
  assert.equal((await fs.stat(await vectorFile(dir))).size, VECTOR_HEADER_BYTES + 5 * (DIM + 4));
  const snap = await loadIndexSnapshot(dir);
  assert.equal(snap!.vectors.dtype, 'int8');
  assert.deepEqual(Array.from(snap!.vectors.row(3)), inMemory);
  const exact = wordVector('w3', DIM);
  const step = Math.max(...exact.map(Math.abs)) / 127;
  inMemory.forEach((x, i) => assert.ok(Math.abs(x - exact[i]!) <= step / 2 + 1e-7));
  // And back to float16: converted, not re-embedded.
  const opened = await IndexStore.open(dir, identity, { dtype: 'float16' });
  assert.equal(opened.status, 'loaded');
  await opened.store.flush();
  assert.equal((await readIndex(dir))!.manifest.vectors.dtype, 'float16');
});

test('changing the storage precision converts the index instead of discarding it', async () => {
  const dir = await tempDir('store-convert');
  const store = IndexStore.empty(dir, identity, F32);
  fill(store, 4);
  await store.flush();
  const opened = await IndexStore.open(dir, identity, { dtype: 'float16' });
  assert.equal(opened.status, 'loaded');
  assert.equal(opened.store.entryCount, 4);
  await opened.store.flush();
  const loaded = await readIndex(dir);
  assert.equal(loaded!.manifest.vectors.dtype, 'float16');
  assert.equal(loaded!.manifest.entries.length, 4);
  assert.equal((await fs.stat(await vectorFile(dir))).size, VECTOR_HEADER_BYTES + 4 * DIM * 2, 'old float32 file removed');
});

async function corruptCase(name: string, damage: (dir: string) => Promise<void>, expect: RegExp): Promise<void> {
  const dir = await tempDir(`store-${name}`);
  const store = IndexStore.empty(dir, identity, { chunkRows: 2, ...F32 });
  fill(store, 5);
  await store.flush();
  await damage(dir);
  await assert.rejects(readIndex(dir), (err: Error) => err instanceof CorruptIndexError && expect.test(err.message));
  const opened = await IndexStore.open(dir, identity);
  assert.equal(opened.status, 'rebuilt');
  assert.match(opened.reason!, expect);
  assert.equal(opened.store.entryCount, 0, 'a corrupt index is never read as data');
  // Rebuilding writes a clean index that loads again.
  fill(opened.store, 2);
  await opened.store.flush();
  assert.equal((await readIndex(dir))!.manifest.entries.length, 2);
}

test('a truncated vector file is detected and rebuilt', () =>
  corruptCase(
    'truncated',
    async (dir) => {
      const file = await vectorFile(dir);
      await fs.truncate(file, (await fs.stat(file)).size - 10);
    },
    /torn write/,
  ));

test('flipped vector bytes fail the checksum', () =>
  corruptCase(
    'flipped',
    async (dir) => {
      const file = await vectorFile(dir);
      const bytes = await fs.readFile(file);
      bytes[VECTOR_HEADER_BYTES + 3 * DIM * 4 + 5]! ^= 0x40;
      await fs.writeFile(file, bytes);
    },
    /checksum/,
  ));

test('a bad magic number is detected', () =>
  corruptCase(
    'magic',
    async (dir) => {
      const file = await vectorFile(dir);
      const bytes = await fs.readFile(file);
      bytes[0] = 0x58;
      await fs.writeFile(file, bytes);
    },
    /magic/,
  ));

test('an unsupported vector file version is detected', () =>
  corruptCase(
    'version',
    async (dir) => {
      const file = await vectorFile(dir);
      const bytes = await fs.readFile(file);
      bytes.writeUInt32LE(99, 8);
      await fs.writeFile(file, bytes);
    },
    /version 99/,
  ));

test('a manifest that is not JSON is detected', () =>
  corruptCase(
    'badjson',
    async (dir) => {
      const file = path.join(dir, MANIFEST_FILE);
      const text = await fs.readFile(file, 'utf8');
      await fs.writeFile(file, text.slice(0, text.length / 2));
    },
    /not valid JSON/,
  ));

test('a manifest whose entries escape the folder is refused', () =>
  corruptCase(
    'unsafe',
    async (dir) => {
      const file = path.join(dir, MANIFEST_FILE);
      const manifest = JSON.parse(await fs.readFile(file, 'utf8'));
      manifest.entries[0].path = '../../etc/passwd.png';
      await fs.writeFile(file, JSON.stringify(manifest));
    },
    /unsafe path/,
  ));

test('a missing vector file is detected', () => corruptCase('missing', async (dir) => fs.rm(await vectorFile(dir)), /missing/));

test('bytes past the committed rows (an interrupted append) are ignored, then overwritten', async () => {
  const dir = await tempDir('store-tail');
  const store = IndexStore.empty(dir, identity, F32);
  fill(store, 3);
  await store.flush();
  const file = await vectorFile(dir);
  await fs.appendFile(file, Buffer.alloc(DIM * 4 + 3, 0xab)); // torn row, never committed
  const opened = await IndexStore.open(dir, identity);
  assert.equal(opened.status, 'loaded');
  fill(opened.store, 1, 3);
  await opened.store.flush();
  assert.equal((await fs.stat(file)).size, VECTOR_HEADER_BYTES + 4 * DIM * 4);
  const snap = await loadIndexSnapshot(dir);
  const row = snap!.entries.find((e) => e.path === 'dir/a3.png')!.row;
  assert.deepEqual(Array.from(snap!.vectors.row(row)), Array.from(wordVector('w3', DIM)));
});

test('a different model fingerprint or preprocessing invalidates every embedding', async () => {
  const dir = await tempDir('store-fingerprint');
  const store = IndexStore.empty(dir, identity, F32);
  fill(store, 3);
  await store.flush();

  const otherModel: IndexIdentity = { ...identity, model: { ...identity.model, fingerprint: 'fp-2' } };
  const opened = await IndexStore.open(dir, otherModel);
  assert.equal(opened.status, 'invalidated');
  assert.match(opened.reason!, /model changed/);
  assert.equal(opened.store.entryCount, 0);
  fill(opened.store, 1, 50);
  await opened.store.flush();
  const loaded = await readIndex(dir);
  assert.equal(loaded!.manifest.model.fingerprint, 'fp-2');
  assert.deepEqual(
    loaded!.manifest.entries.map((e) => e.path),
    ['dir/a50.png'],
    'no stale vectors mixed in',
  );
  assert.equal(loaded!.manifest.vectors.rows, 1);

  const otherBackground: IndexIdentity = { model: otherModel.model, preprocessing: { background: '#000000' } };
  const again = await IndexStore.open(dir, otherBackground);
  assert.equal(again.status, 'invalidated');
  assert.match(again.reason!, /preprocessing/);

  // The same weights under another display id are the same embeddings.
  const renamed: IndexIdentity = { ...otherModel, model: { ...otherModel.model, id: 'local:/x' } };
  assert.equal((await IndexStore.open(dir, renamed)).status, 'loaded');
});

test('compaction drops unused rows without disturbing an earlier snapshot', async () => {
  const dir = await tempDir('store-compact');
  const store = IndexStore.empty(dir, identity, F32);
  fill(store, 8);
  await store.flush();
  const before = store.snapshot();
  for (let i = 0; i < 4; i++) store.deleteEntry(`dir/a${i}.png`);
  assert.equal(store.garbageRows(), 4);
  await store.flush({ compact: 'auto' });
  assert.equal(store.rows, 4);
  assert.equal((await fs.stat(await vectorFile(dir))).size, VECTOR_HEADER_BYTES + 4 * DIM * 4);
  const snap = await loadIndexSnapshot(dir);
  for (const e of snap!.entries) {
    const i = e.path.match(/\d+/)![0];
    assert.deepEqual(Array.from(snap!.vectors.row(e.row)), Array.from(wordVector(`w${i}`, DIM)));
  }
  // The old snapshot still pairs its entries with their vectors.
  const old = before.entries.find((e) => e.path === 'dir/a6.png')!;
  assert.deepEqual(Array.from(before.vectors.row(old.row)), Array.from(wordVector('w6', DIM)));
});

test('identical content shares one row and is found by hash', async () => {
  const dir = await tempDir('store-hash');
  const store = IndexStore.empty(dir, identity, F32);
  const [a] = fill(store, 1);
  store.setEntry({ ...a!, path: 'copy.png' });
  assert.equal(store.rows, 1);
  assert.equal(store.hashInfo(a!.sha256)!.row, a!.row);
  store.deleteEntry(a!.path);
  store.deleteEntry('copy.png');
  assert.ok(store.hashInfo(a!.sha256), 'a vector stays reusable (for a move) until compaction');
});
