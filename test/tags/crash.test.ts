// Crash safety: a writer killed with SIGKILL in the middle of saving a large tags file leaves the
// previous (or the new) complete file, never a torn one; the next load cleans up its temp file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs, watch } from 'node:fs';
import * as path from 'node:path';
import { TAGS_DATA_FILE, TagStore } from '../../src/engine/tags';
import { tempFolder } from './helpers';

const ENTRIES = 10_000;

/**
 * Run the writer; when its temp file appears for the `nth` time (it is writing the new tags file
 * right now), wait `delayMs` and SIGKILL it.
 */
async function killDuringWrite(folder: string, nth: number, delayMs: number): Promise<{ lastSaved: number; writing: number }> {
  const dir = path.join(folder, path.dirname(TAGS_DATA_FILE));
  await fs.mkdir(dir, { recursive: true });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'crash-writer.ts'), folder, String(ENTRIES)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let lastSaved = 0,
      writing = 0,
      buf = '',
      killing = false;
    const temps = new Set<string>(); // one temp file per save; watch reports each several times
    const watcher = watch(dir, (_event, name) => {
      if (killing || !name?.endsWith('.tmp')) return;
      temps.add(name);
      if (temps.size < nth) return;
      killing = true;
      setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [what, gen] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        if (what === 'saved') lastSaved = Number(gen);
        if (what === 'writing') writing = Number(gen);
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      watcher.close();
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own (${signal})`));
      else resolve({ lastSaved, writing });
    });
  });
}

test('SIGKILL during a tags-file write leaves a complete, parseable file', { timeout: 120_000 }, async () => {
  const folder = await tempFolder('crash');
  const file = path.join(folder, TAGS_DATA_FILE);
  let previous = 0;
  // Kill at different points of the write: right away, a little later, later still.
  for (const [nth, delay] of [
    [2, 0],
    [2, 2],
    [3, 5],
    [2, 10],
  ] as const) {
    const { lastSaved, writing } = await killDuringWrite(folder, nth, delay);
    assert.ok(writing > previous, 'the writer made progress');
    const text = await fs.readFile(file, 'utf8');
    const raw = JSON.parse(text) as { images: Record<string, { sha256: string }> };
    const gens = new Set(Object.values(raw.images).map((e) => parseInt(e.sha256, 16)));
    assert.equal(Object.keys(raw.images).length, ENTRIES, 'every entry is there');
    assert.equal(gens.size, 1, `one generation, not a torn mix: ${[...gens].join(',')}`);
    const gen = [...gens][0]!;
    assert.ok(gen === lastSaved || gen === writing, `on disk: generation ${gen}; last saved ${lastSaved}, being written ${writing}`);
    const tmp = (await fs.readdir(path.dirname(file))).filter((n) => n.endsWith('.tmp'));
    console.log(`killed at +${delay}ms: ${tmp.length ? 'mid-write' : 'between writes'}`);
    const store = await TagStore.load(folder);
    assert.deepEqual(store.warnings, []);
    assert.equal(store.size, ENTRIES);
    const leftovers = (await fs.readdir(path.dirname(file))).filter((n) => n.endsWith('.tmp'));
    assert.deepEqual(leftovers, [], "the dead writer's temp file is removed on load");
    previous = gen;
  }
});
