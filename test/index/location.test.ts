import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { indexDirFor, resolveCliIndexDir } from '../../src/engine/index/location';
import { tempDir } from './helpers';

test('indexDirFor: in the folder for team sharing, else keyed by the folder path under the storage root', () => {
  const folder = path.resolve('/work/some/project');
  assert.equal(indexDirFor(folder, { storageRoot: '/storage', inRepository: true }), path.join(folder, '.mobileclip'));
  const key = createHash('sha1').update(folder).digest('hex').slice(0, 16);
  assert.equal(indexDirFor(folder, { storageRoot: '/storage' }), path.join('/storage', key));
  assert.equal(indexDirFor(folder + '/', { storageRoot: '/storage' }), path.join('/storage', key), 'same folder, same index');
  assert.notEqual(indexDirFor('/work/some/other', { storageRoot: '/storage' }), path.join('/storage', key));
});

test('the CLI prefers --index, then an existing in-repository index, then the cache', async () => {
  const folder = await tempDir('location');
  const cacheDir = path.join(folder, '..', 'cache');
  const inCache = indexDirFor(folder, { storageRoot: path.join(cacheDir, 'index') });
  assert.equal(resolveCliIndexDir(folder, { cacheDir }), inCache);
  await fs.mkdir(path.join(folder, '.mobileclip'));
  assert.equal(resolveCliIndexDir(folder, { cacheDir }), inCache, 'an empty .mobileclip folder is not an index');
  await fs.writeFile(path.join(folder, '.mobileclip', 'index.json'), '{}');
  assert.equal(resolveCliIndexDir(folder, { cacheDir }), path.join(folder, '.mobileclip'));
  assert.equal(resolveCliIndexDir(folder, { cacheDir, override: 'rel/idx' }), path.resolve('rel/idx'));
});
