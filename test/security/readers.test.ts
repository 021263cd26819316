// Issue 12, hole 1 (engine-wide part): every reader of the engine reads only regular files, with a
// size cap. Each case plants what a hostile repository or dataset can ship (a symlink to /dev/zero,
// a FIFO named like the file, a sparse multi-gigabyte file) where the engine reads, and checks that
// the read ends quickly with a clear error instead of growing without bound or hanging.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadCaptionStore } from '../../src/engine/captions/store';
import { sha256File } from '../../src/engine/index/hash';
import { acquireIndexLock, LOCK_FILE } from '../../src/engine/index/lock';
import { MANIFEST_FILE } from '../../src/engine/index/location';
import { scanFolder } from '../../src/engine/index/scan';
import { IndexStore, readIndex } from '../../src/engine/index/store';
import { CorruptIndexError } from '../../src/engine/index/format';
import { loadPreprocessConfig } from '../../src/engine/preprocess/config';
import { DEFAULT_MAX_PIXELS, parseBackground, preprocessImage } from '../../src/engine/preprocess/pipeline';
import { TagStore, TAGS_DATA_FILE } from '../../src/engine/tags/store';
import { loadTagVocabulary } from '../../src/engine/tags/vocabulary';
import { MAX_IMAGE_FILE_BYTES } from '../../src/engine/util/limits';
import { isReinforcedDataset } from '../../src/extension/features/datasets/datasetPlan';
import { tempDir, writeFiles } from '../index/helpers';

const decode = { background: parseBackground('#ffffff'), maxPixels: DEFAULT_MAX_PIXELS };

async function fifo(file: string): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  execFileSync('mkfifo', [file]);
  return file;
}

async function zeroLink(file: string): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.symlink('/dev/zero', file);
  return file;
}

test('images: /dev/zero, a FIFO named x.png and a sparse 600 MB file are per-file errors, read in no time', async () => {
  const dir = await tempDir('sec-images');
  const zero = await zeroLink(path.join(dir, 'zero.png'));
  const pipe = await fifo(path.join(dir, 'pipe.png'));
  const huge = path.join(dir, 'huge.png');
  await fs.writeFile(huge, '');
  await fs.truncate(huge, MAX_IMAGE_FILE_BYTES + 1); // sparse: costs no disk
  const before = process.memoryUsage().rss;
  await assert.rejects(preprocessImage(zero, decode), /^ImageDecodeError: not a regular file \(a device\)$/);
  await assert.rejects(preprocessImage(pipe, decode), /not a regular file \((a FIFO|FIFO or socket)\)/);
  await assert.rejects(preprocessImage(huge, decode), /file is larger than the 512 MB an image may have/);
  assert.ok(process.memoryUsage().rss - before < 100e6, 'nothing of that size was read');
  // Hashing for rename detection and captions runs reads the same way.
  await assert.rejects(sha256File(zero), /not a regular file/);
  await assert.rejects(sha256File(pipe), /not a regular file/);
});

test('metadata files: captions, tags, vocabulary, index, preprocessor config, .gitignore and lock file', async () => {
  const root = await tempDir('sec-metadata');
  await writeFiles(root, { 'a.png': 'x' });
  // captions.json as a FIFO: a plain readFile would wait forever for a writer.
  await fifo(path.join(root, '.mobileclip', 'captions.json'));
  await assert.rejects(loadCaptionStore(root), /cannot read captions file .*not a regular file/);
  // The tags file and the vocabulary as links to /dev/zero: a plain readFile grows until memory runs out.
  await zeroLink(path.join(root, TAGS_DATA_FILE));
  await assert.rejects(TagStore.load(root), /cannot read: not a regular file \(a device\)/);
  await zeroLink(path.join(root, '.vscode', 'asset-tags.json'));
  await assert.rejects(loadTagVocabulary(root), /asset-tags\.json: cannot read: not a regular file/);
  // A committed index whose manifest or vector file is /dev/zero is corrupt, and is rebuilt.
  const index = path.join(root, '.mobileclip');
  await zeroLink(path.join(index, MANIFEST_FILE));
  await assert.rejects(readIndex(index), CorruptIndexError);
  const identity = { model: { id: 'm', fingerprint: 'f', dim: 4 }, preprocessing: {} };
  assert.equal((await IndexStore.open(index, identity)).status, 'rebuilt');
  // A model's preprocessor config as a FIFO.
  const pre = await fifo(path.join(root, 'model', 'preprocessor_config.json'));
  await assert.rejects(loadPreprocessConfig(pre), /not a regular file/);
  // A .gitignore that is a FIFO does not stop (or hang) the scan; a lock file that is one is debris.
  await fifo(path.join(root, '.gitignore'));
  const found: string[] = [];
  for await (const f of scanFolder(root)) found.push(f.path);
  assert.deepEqual(found, ['a.png']);
  const lockDir = path.join(root, 'lockdir');
  await fifo(path.join(lockDir, LOCK_FILE));
  const release = await acquireIndexLock(lockDir);
  await release();
});

test('the extension host never blocks on a dataset manifest.json that is a FIFO or /dev/zero', async () => {
  const dir = await tempDir('sec-dataset-manifest');
  await fifo(path.join(dir, 'a', 'manifest.json'));
  await zeroLink(path.join(dir, 'b', 'manifest.json'));
  assert.equal(await isReinforcedDataset(path.join(dir, 'a')), false);
  assert.equal(await isReinforcedDataset(path.join(dir, 'b')), false);
});
