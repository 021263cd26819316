// One index for the CLI and the extension: a `.mobileclip/` index built by the CLI is opened by the
// extension without re-embedding anything (its vector file is used as it is), even with the
// background colour spelled differently and a pixel cap set; afterwards the CLI, with no --model
// (it takes the index's own), re-indexes 0 images.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { colorModelDir } from '../fixtures/models';
import { PROJECT_ROOT } from '../fixtures/paths';
import { CMD, waitForIndexed } from './harness/assets';
import { startSession, type Session } from './harness/session';

const CLI = path.join(PROJECT_ROOT, 'dist', 'cli.js');
let s: Session;
let built: { indexed: number; index: string };
let vectorsBefore: unknown;

function cli(args: string[], cacheDir: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args, '--cache-dir', cacheDir], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const manifest = async (dir: string) => JSON.parse(await fs.readFile(path.join(dir, 'index.json'), 'utf8')) as { vectors: unknown; entries: unknown[] };

before(async () => {
  const model = await colorModelDir();
  s = await startSession({
    label: 'shared-index',
    // Written differently from the CLI's default, and a decoder guard: neither changes an embedding.
    settings: { 'mobileclipAssets.transparentBackground': '#FFF', 'mobileclipAssets.maxImageMegapixels': 50 },
    beforeStart: async (workspace) => {
      const r = cli(['index', workspace, '--model', model, '--index', path.join(workspace, '.mobileclip'), '--json'], path.join(path.dirname(workspace), 'cli-cache'));
      assert.equal(r.status, 0, r.stderr);
      built = JSON.parse(r.stdout);
      vectorsBefore = (await manifest(built.index)).vectors;
    },
  });
});

after(async () => {
  await s?.stop();
});

test('a CLI-built .mobileclip/ index is used by the extension unchanged; the CLI then re-indexes 0', async (t) => {
  const wb = s.workbench;
  try {
    assert.equal(built.indexed, s.imageCount);
    await waitForIndexed(wb, s.imageCount);
    // Search works on the shared index.
    await wb.runCommand(CMD.findImages);
    await wb.waitForQuickInputTitle(/^Find Images by Description$/);
    await wb.typeIntoQuickInput('red');
    const rows = await wb.waitForQuickPickRows((r) => r.some((row) => /\.png$/.test(row.label)), 'search results');
    assert.equal(rows[0]!.label, 'red.png');
    await wb.screenshot('search');
    await wb.closeQuickInput();

    const after = await manifest(built.index);
    assert.deepEqual(after.vectors, vectorsBefore, "the vector file is the CLI's, untouched: nothing was re-embedded");
    assert.equal(after.entries.length, s.imageCount);
    const logs = await s.logs();
    assert.match(logs, new RegExp(`0 indexed, ${s.imageCount} unchanged`), "the extension's index run embedded nothing");

    const again = cli(['index', s.workspace, '--json'], path.join(s.dir, 'cli-cache'));
    assert.equal(again.status, 0, again.stderr);
    const summary = JSON.parse(again.stdout) as { indexed: number; unchanged: number; index: string };
    t.diagnostic(again.stdout.trim());
    assert.deepEqual([summary.indexed, summary.unchanged, summary.index], [0, s.imageCount, built.index]);
  } catch (err) {
    await wb.screenshot('failure').catch(() => undefined);
    throw new Error(`${(err as Error).message}\n${await s.logs()}`);
  }
});
