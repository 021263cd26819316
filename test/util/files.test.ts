// readRegularFile: the engine's one reader for files named by untrusted input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UnreadableFileError, readRegularFile } from '../../src/engine/util/files';

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'mca-files-'));
}

async function refusal(p: Promise<unknown>): Promise<UnreadableFileError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof UnreadableFileError, `expected UnreadableFileError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a refusal');
}

test('reads a regular file whole', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'a.bin');
  await fs.writeFile(file, Buffer.from([1, 2, 3, 4]));
  assert.deepEqual([...(await readRegularFile(file, { maxBytes: 4 }))], [1, 2, 3, 4]);
});

test('refuses a file over the cap, a device, a directory, a FIFO and a missing file', async () => {
  const dir = await tempDir();
  const big = path.join(dir, 'big.png');
  await fs.writeFile(big, Buffer.alloc(10));
  assert.equal((await refusal(readRegularFile(big, { maxBytes: 9 }))).reason, 'too-large');
  assert.equal((await refusal(readRegularFile('/dev/zero', { maxBytes: 1e9 }))).reason, 'not-regular');
  assert.equal((await refusal(readRegularFile(dir, { maxBytes: 1e9 }))).reason, 'not-regular');
  const fifo = path.join(dir, 'fifo.png');
  execFileSync('mkfifo', [fifo]);
  // Would hang forever with a plain readFile: no writer ever opens the FIFO.
  assert.equal((await refusal(readRegularFile(fifo, { maxBytes: 1e9 }))).reason, 'not-regular');
  assert.equal((await refusal(readRegularFile(path.join(dir, 'none.png'), { maxBytes: 1 }))).reason, 'missing');
});

test('a symlink to /dev/zero is refused like the device itself', async () => {
  const dir = await tempDir();
  const link = path.join(dir, 'zero.png');
  await fs.symlink('/dev/zero', link);
  assert.equal((await refusal(readRegularFile(link, { maxBytes: 1e9 }))).reason, 'not-regular');
});
