// One index for the CLI and the extension: an index written by either side is used unchanged by
// the other (nothing re-embedded, the vector file untouched), because both compute the index
// identity with the engine's indexIdentity() from the settings that change an embedding only.
// The extension side is the real settings reader (through the stand-in `vscode` module) and the
// real FolderState; the CLI side is the built CLI in a child process.
import { fake } from '../helpers/fakeVscode';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { embeddingSettings, indexIdentity, indexModelSpec } from '../../src/engine/index/identity';
import { resolveModel } from '../../src/engine/models/resolve';
import { FolderState, folderConfigFrom } from '../../src/extension/assets/folderState';
import { readSettings } from '../../src/extension/settings';
import { FIXTURE_COLORS, colorModelDir } from '../fixtures/models';
import { writeSolidImage } from '../fixtures/images';
import { tempDir } from '../index/helpers';

const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
let base: string;
let cacheDir: string;
let modelDir: string;
let engine: Engine;

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args, '--cache-dir', cacheDir], { encoding: 'utf8', cwd: base });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function workspace(name: string): Promise<string> {
  const root = path.join(base, name);
  await writeSolidImage(path.join(root, 'red.png'), FIXTURE_COLORS.red!);
  await writeSolidImage(path.join(root, 'icons', 'blue.png'), FIXTURE_COLORS.blue!);
  await writeSolidImage(path.join(root, 'icons', 'green.webp'), FIXTURE_COLORS.green!);
  return root;
}

async function manifestOf(indexDir: string): Promise<{ vectors: { file: string; nonce: string }; preprocessing: unknown; model: { id: string } }> {
  return JSON.parse(await fs.readFile(path.join(indexDir, 'index.json'), 'utf8'));
}

before(async () => {
  base = await tempDir('shared-index');
  cacheDir = path.join(base, 'cache');
  modelDir = await colorModelDir();
  engine = await Engine.create(await resolveModel(modelDir, { cacheDir }), {});
  // The extension's settings as a user would have them: the colour written differently from the
  // CLI's default, a pixel cap (a decoder guard, not an embedding setting), default storage.
  await fake.controls.setSetting('mobileclipAssets.transparentBackground', '#FFF');
  await fake.controls.setSetting('mobileclipAssets.maxImageMegapixels', 50);
});

after(async () => {
  await engine?.dispose();
});

test('embedding settings are normalised: only the background, in one spelling', () => {
  assert.deepEqual(embeddingSettings({ background: '#FFF' }), { background: '#ffffff' });
  assert.deepEqual(embeddingSettings({ background: 'ffffff', maxPixels: 100_000_000 }), { background: '#ffffff' });
  assert.deepEqual(embeddingSettings({}), { background: '#ffffff' }, 'the default is the decoder default');
  assert.notDeepEqual(embeddingSettings({ background: '#000' }), embeddingSettings({}));
  const model = { id: 'local:/m', fingerprint: 'f', dim: 3 };
  assert.deepEqual(indexIdentity(model, { background: '#fff' }), indexIdentity(model, { background: '#FFFFFF', maxPixels: 5 }));
});

test('a CLI-built .mobileclip/ index is opened by the extension without re-embedding', async () => {
  const root = await workspace('cli-first');
  const built = cli(['index', root, '--model', modelDir, '--index', path.join(root, '.mobileclip'), '--json']);
  assert.equal(built.status, 0, built.stderr);
  assert.equal(JSON.parse(built.stdout).indexed, 3);
  const before = await manifestOf(path.join(root, '.mobileclip'));

  // Default settings (index.location: workspaceStorage): an existing .mobileclip/ index is shared.
  const settings = readSettings();
  assert.equal(settings.index.location, 'workspaceStorage');
  const folder = new FolderState(folderConfigFrom(settings, { root, name: 'cli-first' }, path.join(base, 'storage')));
  assert.equal(folder.indexDir, path.join(root, '.mobileclip'));
  await folder.attach(engine);
  const summary = (await folder.update({}))!;
  assert.equal(summary.status, 'loaded', summary.reason);
  assert.deepEqual([summary.indexed, summary.unchanged, summary.renamed], [0, 3, 0]);
  const afterRun = await manifestOf(path.join(root, '.mobileclip'));
  assert.deepEqual(afterRun.vectors, before.vectors, 'the vector file is used as it is');
  await folder.dispose();
});

test("an index the extension built is refreshed by the CLI with 0 embedded, with the index's own model", async () => {
  const root = await workspace('extension-first');
  const settings = readSettings();
  settings.index.location = 'repository';
  const folder = new FolderState(folderConfigFrom(settings, { root, name: 'extension-first' }, path.join(base, 'storage')));
  await folder.attach(engine);
  const first = (await folder.update({}))!;
  assert.equal(first.indexed, 3);
  await folder.dispose();
  const indexDir = path.join(root, '.mobileclip');
  const before = await manifestOf(indexDir);
  assert.equal(await indexModelSpec(indexDir), `local:${modelDir}`);

  // No --model: the CLI takes the model the index was built with (not the default registry model,
  // which is not downloaded here and would fail).
  const refreshed = cli(['index', root, '--json']);
  assert.equal(refreshed.status, 0, refreshed.stderr);
  const summary = JSON.parse(refreshed.stdout);
  assert.deepEqual([summary.indexed, summary.unchanged, summary.index], [0, 3, indexDir]);
  assert.deepEqual((await manifestOf(indexDir)).vectors, before.vectors);

  const search = cli(['search', 'red', '--dir', root, '--json']);
  assert.equal(search.status, 0, search.stderr);
  assert.equal(JSON.parse(search.stdout)[0].path, 'red.png');
  const tag = cli(['tag', root, '--tags', 'red,blue', '--json']);
  assert.equal(tag.status, 0, tag.stderr);
  // --model still overrides: another model means another index identity (rebuilt, not mixed).
  const other = cli(['search', 'red', '--dir', root, '--json', '--model', 'mobileclip-s0']);
  assert.notEqual(other.status, 0);
  assert.match(other.stderr, /mobileclip-s0/);
});

test('a missing model named by the index is a clear error that points at --model', async () => {
  const root = await workspace('gone-model');
  const indexDir = path.join(root, '.mobileclip');
  assert.equal(cli(['index', root, '--model', modelDir, '--index', indexDir]).status, 0);
  const manifest = JSON.parse(await fs.readFile(path.join(indexDir, 'index.json'), 'utf8'));
  manifest.model.id = `local:${path.join(base, 'no-such-model')}`;
  await fs.writeFile(path.join(indexDir, 'index.json'), JSON.stringify(manifest));
  const r = cli(['search', 'red', '--dir', root]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /built with .*no-such-model, which cannot be loaded/);
  assert.match(r.stderr, /--model/);
});
