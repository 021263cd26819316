// The resumability promise, tested the hard way: the CLI indexes real images in a child process,
// gets SIGKILLed mid-run, and the rerun keeps what was finished and ends equal to a clean run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { LOCK_FILE } from '../../src/engine/index/lock';
import { loadIndexSnapshot, readIndex } from '../../src/engine/index/store';
import { FIXTURE_COLORS, colorModelDir } from '../fixtures/models';
import { writeSolidImage } from '../fixtures/images';
import { CLIPART_DIR as CLIPART } from '../fixtures/paths';
import { tempDir } from './helpers';

const PROJECT = path.resolve(__dirname, '..', '..');
const CLI = path.join(PROJECT, 'dist', 'cli.js');

async function makeFolder(root: string): Promise<number> {
  let n = 0;
  for (const category of await fs.readdir(CLIPART)) {
    const dir = path.join(CLIPART, category);
    if (!(await fs.stat(dir)).isDirectory()) continue;
    await fs.cp(dir, path.join(root, category), { recursive: true });
    n += (await fs.readdir(dir)).filter((f) => f.endsWith('.png')).length;
  }
  const colours = Object.values(FIXTURE_COLORS);
  // Enough work that the run is still going when the poll below sees its first checkpoint, even on
  // a loaded machine (with 120 it once finished first).
  for (let i = 0; i < GENERATED; i++) {
    const [r, g, b] = colours[i % colours.length]!;
    await writeSolidImage(path.join(root, 'generated', `c${String(i).padStart(3, '0')}.png`), [r, g, (b + i) % 256], { width: 24 + i });
  }
  return n + GENERATED;
}

const GENERATED = 600;

function cliArgs(root: string, indexDir: string, model: string, cacheDir: string): string[] {
  return [CLI, 'index', root, '--model', model, '--cache-dir', cacheDir, '--index', indexDir, '--json', '--checkpoint-every', '10'];
}

test('SIGKILL mid-index: finished work survives, the index loads, the rerun equals a clean run', { timeout: 240_000 }, async () => {
  const base = await tempDir('kill');
  const root = path.join(base, 'folder');
  const total = await makeFolder(root);
  const model = await colorModelDir();
  const cacheDir = path.join(base, 'cache');
  const indexDir = path.join(base, 'index');

  const child = spawn(process.execPath, cliArgs(root, indexDir, model, cacheDir), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  let killedAt = -1;
  for (let i = 0; i < 12_000 && child.exitCode === null; i++) {
    const loaded = await readIndex(indexDir).catch(() => undefined);
    if (loaded && loaded.manifest.entries.length >= 20) {
      child.kill('SIGKILL');
      killedAt = loaded.manifest.entries.length;
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(await exited, 'SIGKILL', `the run was killed mid-way (stderr: ${stderr})`);
  assert.ok(killedAt >= 20 && killedAt < total, `killed with ${killedAt} of ${total} persisted`);

  // The index the dead process left loads cleanly, with at least what we saw persisted.
  const afterKill = await readIndex(indexDir);
  assert.ok(afterKill, 'the index loads after the kill');
  const kept = afterKill.manifest.entries.length;
  assert.ok(kept >= killedAt && kept < total, `${kept} entries kept`);
  assert.ok((await fs.readdir(indexDir)).includes(LOCK_FILE), 'the dead run left its lock behind');

  const rerun = spawnSync(process.execPath, cliArgs(root, indexDir, model, cacheDir), { encoding: 'utf8' });
  assert.equal(rerun.status, 0, rerun.stderr);
  const summary = JSON.parse(rerun.stdout);
  assert.equal(summary.unchanged, kept, 'finished work is not redone');
  // The rest is embedded, or reused when its content was already embedded (duplicate clip-art).
  assert.equal(summary.indexed + summary.renamed + summary.duplicates, total - kept);
  assert.deepEqual(summary.failed, []);

  const cleanDir = path.join(base, 'clean-index');
  const clean = spawnSync(process.execPath, cliArgs(root, cleanDir, model, cacheDir), { encoding: 'utf8' });
  assert.equal(clean.status, 0, clean.stderr);
  const resumed = (await loadIndexSnapshot(indexDir))!;
  const reference = (await loadIndexSnapshot(cleanDir))!;
  const strip = (s: typeof resumed) => s.entries.map(({ row: _row, ...rest }) => rest);
  assert.deepEqual(strip(resumed), strip(reference));
  assert.equal(resumed.entries.length, total);
  const dim = reference.dim;
  for (let i = 0; i < reference.entries.length; i++) {
    const a = resumed.entries[i]!;
    const b = reference.entries[i]!;
    const va = resumed.vectors.row(a.row);
    const vb = reference.vectors.row(b.row);
    for (let j = 0; j < dim; j++) assert.ok(Math.abs(va[j]! - vb[j]!) < 1e-6, `${a.path}[${j}]`);
  }
  assert.ok(!(await fs.readdir(indexDir)).includes(LOCK_FILE), 'the rerun released the lock');
});
