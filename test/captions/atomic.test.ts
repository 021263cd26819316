// Killing a process in the middle of writing the captions file leaves the previous complete file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { captionsFileFor, loadCaptionStore } from '../../src/engine/captions/store';

const base = path.resolve(__dirname, '../../.cache/test-captions');
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('SIGKILL during a captions-file write leaves the previous version intact', async () => {
  await fs.mkdir(base, { recursive: true });
  let killedMidWrite = 0;
  for (let attempt = 0; attempt < 10 && killedMidWrite === 0; attempt++) {
    const root = await fs.mkdtemp(path.join(base, 'atomic-'));
    dirs.push(root);
    const file = captionsFileFor(root);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'helpers', 'write-loop.ts'), root], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let written = 0;
    child.stdout!.on('data', (chunk: Buffer) => {
      written += (chunk.toString().match(/wrote/g) ?? []).length;
    });
    try {
      // Wait for one complete version, then kill as soon as the next write's temp file exists.
      const deadline = Date.now() + 60_000;
      while (written < 1 && Date.now() < deadline) await sleep(5);
      assert.ok(written >= 1, 'the writer produced a first version');
      const dir = path.dirname(file);
      for (;;) {
        const names = await fs.readdir(dir);
        if (names.some((n) => n.endsWith('.tmp'))) break;
        if (Date.now() > deadline) assert.fail('no write in progress was observed');
      }
      child.kill('SIGKILL');
      await exited;
    } finally {
      child.kill('SIGKILL');
    }
    const leftovers = (await fs.readdir(path.dirname(file))).filter((n) => n.endsWith('.tmp'));
    if (leftovers.length) killedMidWrite++;

    const store = await loadCaptionStore(root);
    assert.equal(store.images.size, 4000, 'every entry of a complete version is there');
    const versions = new Set<string>();
    for (const entry of store.images.values()) {
      assert.equal(entry.generated.length, 5);
      for (const c of entry.generated) versions.add(/^version (\d+) /.exec(c)![1]!);
    }
    assert.equal(versions.size, 1, 'no mix of two versions');
  }
  assert.ok(killedMidWrite > 0, 'at least one kill landed while a temp file was being written');
});
