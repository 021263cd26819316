// Issue 12, hole 7 as a user meets it in a terminal (the built CLI in a child process):
// - file names with ESC]52…BEL (sets the clipboard) or ESC[2J (clears the screen) print escaped;
// - a FIFO named *.png makes neither `embed` nor `caption` hang, and the other files' results arrive;
// - captions.json entries that cannot be used are reported (and kept), not dropped silently;
// - an index lock held by another live process does not stop read-only `search`, and a lock whose
//   pid now belongs to an unrelated process (pid reuse) is recognised as stale.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { indexDirFor } from '../../src/engine/index/location';
import { LOCK_FILE } from '../../src/engine/index/lock';
import { bootId, processStartTicks } from '../../src/engine/util/process';
import { captionerModelDir } from '../fixtures/captioner';
import { writeSolidImage } from '../fixtures/images';
import { FIXTURE_COLORS, colorModelDir } from '../fixtures/models';
import { CLI } from '../helpers/cli';
import { tempDir } from '../index/helpers';

let base: string;
let model: string;
const children: Array<{ kill(): unknown }> = [];

/** The CLI with a deadline: a hang fails the test instead of stalling the suite. */
function cli(args: string[], timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: base, env: { ...process.env, MOBILECLIP_ASSETS_CACHE: path.join(base, 'cache') } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mobileclip-assets ${args[0]} did not finish within ${timeoutMs} ms (hung)`));
    }, timeoutMs);
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

before(async () => {
  base = await tempDir('sec-cli');
  model = await colorModelDir();
});
after(() => {
  for (const c of children) c.kill();
});

const ESC = '\x1b';
const OSC52 = `${ESC}]52;c;aGFja2Vk\x07`;
const CLEAR = `${ESC}[2J`;

test('embed: a FIFO named x.png does not hang; control characters in names print escaped', async () => {
  const dir = path.join(base, 'embed');
  const red = await writeSolidImage(path.join(dir, `red${OSC52}.png`), FIXTURE_COLORS.red!);
  const blue = await writeSolidImage(path.join(dir, `blue${CLEAR}.png`), FIXTURE_COLORS.blue!);
  const fifo = path.join(dir, 'pipe.png');
  execFileSync('mkfifo', [fifo]);
  const r = await cli(['embed', '--model', model, red, fifo, blue]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.includes(ESC) && !r.stdout.includes('\x07'), `raw control characters reached the terminal: ${JSON.stringify(r.stdout)}`);
  assert.ok(r.stdout.includes('red\\x1b]52;c;aGFja2Vk\\x07.png'), r.stdout);
  assert.ok(r.stdout.includes('blue\\x1b[2J.png'), r.stdout);
  assert.match(r.stdout, /pipe\.png: not a regular file \(a FIFO\)/);
  assert.match(r.stdout, /2 embedded, 1 failed/);
  // --json keeps the exact names (JSON escapes them itself).
  const j = await cli(['embed', '--model', model, red, '--json']);
  assert.equal(JSON.parse(j.stdout).items[0].input, red);
});

test('caption: a FIFO named x.png does not hang, the other image is captioned; ignored captions.json entries are reported and kept', async () => {
  const dir = path.join(base, 'caption');
  const red = await writeSolidImage(path.join(dir, 'red.png'), FIXTURE_COLORS.red!);
  const fifo = path.join(dir, 'pipe.png');
  execFileSync('mkfifo', [fifo]);
  const captionsFile = path.join(dir, '.mobileclip', 'captions.json');
  await fs.mkdir(path.dirname(captionsFile), { recursive: true });
  const hostile = { '../../outside.png': { generated: ['x'] }, 'odd.png': 'not an object' };
  await fs.writeFile(captionsFile, JSON.stringify({ format: 'mobileclip-assets/captions', version: 1, runs: {}, images: hostile }));
  const r = await cli(['caption', dir, red, fifo, '--captioner', await captionerModelDir(), '--count', '2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Array<{ path: string; captions?: string[]; error?: string }>;
  const byPath = new Map(out.map((o) => [o.path, o]));
  assert.equal(byPath.get(red)!.captions!.length, 2);
  assert.match(byPath.get(fifo)!.error!, /not a regular file \(a FIFO\)/);
  assert.match(r.stderr, /warning: .*captions\.json: image "\.\.\/\.\.\/outside\.png": path outside the folder, ignored \(kept in the file\)/);
  assert.match(r.stderr, /warning: .*captions\.json: image "odd\.png": not an object, ignored/);
  const saved = JSON.parse(await fs.readFile(captionsFile, 'utf8'));
  assert.deepEqual(saved.images['../../outside.png'], hostile['../../outside.png'], 'the ignored entry is still in the file');
  assert.equal(saved.images['odd.png'], 'not an object');
  assert.ok(saved.images['red.png'].generated.length === 2);
});

/** A lock file naming a live process that is not an indexer (a pid that got reused). */
async function lockOf(indexDir: string, pid: number, startTicks: number | undefined): Promise<void> {
  await fs.mkdir(indexDir, { recursive: true });
  const owner = { pid, host: os.hostname(), started: new Date().toISOString(), ...(startTicks !== undefined ? { startTicks, bootId: bootId() } : {}) };
  await fs.writeFile(path.join(indexDir, LOCK_FILE), JSON.stringify(owner));
}

test('search: a lock of another live process does not stop it; a reused pid is recognised as not the indexer', async () => {
  const root = path.join(base, 'photos');
  await writeSolidImage(path.join(root, 'red.png'), FIXTURE_COLORS.red!);
  await writeSolidImage(path.join(root, 'blue.png'), FIXTURE_COLORS.blue!);
  const cacheDir = path.join(base, 'search-cache');
  const flags = ['--model', model, '--cache-dir', cacheDir, '--dir', root];
  const first = await cli(['search', 'red', ...flags, '--json']);
  assert.equal(first.code, 0, first.stderr);
  const indexDir = indexDirFor(root, { storageRoot: path.join(cacheDir, 'index') });

  // An unrelated live process whose pid a crashed indexer's lock names.
  const sleeper = spawn('sleep', ['600']);
  children.push(sleeper);
  const ticks = processStartTicks(sleeper.pid!);
  assert.ok(ticks !== undefined, 'this test needs /proc');

  // Old-style lock (pid only): the owner cannot be told apart from an indexer, yet search runs.
  await lockOf(indexDir, sleeper.pid!, undefined);
  const held = await cli(['search', 'red', ...flags, '--json']);
  assert.equal(held.code, 0, held.stderr);
  assert.equal(JSON.parse(held.stdout)[0].path, 'red.png');
  assert.match(held.stderr, /being updated by another process \(pid \d+ .*\); searching the index as it is/);

  // A lock that records its owner's start time: a pid now running another program is stale.
  await lockOf(indexDir, sleeper.pid!, ticks! - 1);
  const reused = await cli(['search', 'blue', ...flags, '--json']);
  assert.equal(reused.code, 0, reused.stderr);
  assert.doesNotMatch(reused.stderr, /being updated by another process/);
  await assert.rejects(fs.access(path.join(indexDir, LOCK_FILE)), 'the stale lock was taken over and released');

  // The same owner with its real start time is a live indexer: writers wait, search still reads.
  await lockOf(indexDir, sleeper.pid!, ticks);
  const index = await cli(['index', root, '--model', model, '--cache-dir', cacheDir]);
  assert.equal(index.code, 1);
  assert.match(index.stderr, /being updated by another process/);
  const reader = await cli(['search', 'blue', ...flags, '--json']);
  assert.equal(reader.code, 0, reader.stderr);
  assert.equal(JSON.parse(reader.stdout)[0].path, 'blue.png');
});
