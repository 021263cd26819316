// Re-indexing a large unchanged folder (Debian's openclipart-png, ~7,000 real PNGs, installed by
// .ci/run) only stats files: nothing is embedded, nothing is hashed, the index is not rewritten.
import assert from 'node:assert/strict';
import { existsSync, promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { updateIndex } from '../../src/engine/index/indexer';
import { MANIFEST_FILE } from '../../src/engine/index/location';
import { DEBIAN_CLIPART_DIR as OPENCLIPART, needsDebianClipart } from '../fixtures/paths';
import { FakeEmbedder, tempDir } from './helpers';

test('an unchanged 7,000-image folder re-indexes by stat alone', { timeout: 600_000, skip: needsDebianClipart() }, async () => {
  assert.ok(existsSync(OPENCLIPART), `${OPENCLIPART} is missing: install the Debian package openclipart-png (.ci/run does)`);
  const indexDir = await tempDir('openclipart-index');
  const first = new FakeEmbedder();
  const options = { root: OPENCLIPART, indexDir, preprocessing: { background: '#ffffff' }, thumbnails: false as const, batchSize: 256 };
  const built = await updateIndex({ ...options, embedder: first });
  assert.ok(built.summary.indexed > 5000, `expected thousands of PNGs, indexed ${built.summary.indexed}`);
  assert.equal(built.summary.failed.length, 0);
  const manifest = path.join(indexDir, MANIFEST_FILE);
  const before = statSync(manifest).mtimeMs;

  const again = new FakeEmbedder();
  let hashed = 0;
  const rerun = await updateIndex({
    ...options,
    embedder: again,
    onProgress: (p) => {
      if (p.phase === 'hashing' || p.phase === 'embedding') hashed = Math.max(hashed, p.done);
    },
  });
  assert.equal(again.embedded.length, 0, 'no image is sent to the model');
  assert.equal(hashed, 0, 'no file is read to hash it');
  assert.equal(rerun.summary.indexed, 0);
  assert.equal(rerun.summary.unchanged, built.summary.indexed + built.summary.renamed + built.summary.duplicates);
  assert.equal(rerun.summary.total, built.summary.total);
  assert.equal(statSync(manifest).mtimeMs, before, 'the index is not rewritten');
  await fs.rm(indexDir, { recursive: true, force: true });
});
