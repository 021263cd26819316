// The extension's lifecycle, activated in this process with the stand-in `vscode` module, a real
// model (the fixture) and a real worker process: one owner of the workspace's folder and settings
// events, deactivate() returns a promise that ends with the worker processes stopped, and every
// disposable (commands, watchers, listeners, the output channel) goes with the subscriptions.
import { fake } from '../helpers/fakeVscode';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import childProcess, { type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMAND_PREFIX } from '../../src/extension/commands/ids';
import { FIXTURE_COLORS, colorModelDir } from '../fixtures/models';
import { writeSolidImage } from '../fixtures/images';
import { PROJECT_ROOT } from '../fixtures/paths';
import { tempDir } from '../index/helpers';

// Every process the extension forks (the inference and thumbnail workers), to see them stop.
const forked: ChildProcess[] = [];
const fork = childProcess.fork;
childProcess.fork = ((...args: Parameters<typeof fork>) => {
  const child = fork(...args);
  forked.push(child);
  return child;
}) as typeof fork;

let base: string | undefined;

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('activate → index with a worker → deactivate stops it → disposing the subscriptions leaves nothing behind', async () => {
  base = await tempDir('lifecycle');
  const root = path.join(base, 'workspace');
  await writeSolidImage(path.join(root, 'red.png'), FIXTURE_COLORS.red!);
  await writeSolidImage(path.join(root, 'icons', 'blue.png'), FIXTURE_COLORS.blue!);
  await fake.controls.setSetting('mobileclipAssets.model', await colorModelDir());
  await fake.controls.setSetting('mobileclipAssets.modelCacheDir', path.join(base, 'cache'));
  fake.controls.setWorkspaceFolders([root]);
  const listenersBefore = { folders: fake.controls.listenerCount('workspaceFolders'), settings: fake.controls.listenerCount('configuration') };
  const channelsBefore = fake.controls.outputChannels.length;
  const context = {
    subscriptions: [] as { dispose(): unknown }[],
    extensionUri: vscode.Uri.file(PROJECT_ROOT),
    asAbsolutePath: (p: string) => path.join(PROJECT_ROOT, p),
    storageUri: vscode.Uri.file(path.join(base, 'storage')),
    globalStorageUri: vscode.Uri.file(path.join(base, 'global')),
  } as unknown as vscode.ExtensionContext;

  const { activate, deactivate } = await import('../../src/extension/extension.js');
  activate(context);
  assert.equal(fake.controls.listenerCount('workspaceFolders') - listenersBefore.folders, 1, 'one owner of folder changes');
  assert.equal(fake.controls.listenerCount('configuration') - listenersBefore.settings, 1, 'one owner of settings changes');

  // Start-up: the model loads in a worker process and the folder is indexed in the background.
  await until('the background index run', () => fake.controls.logLines.some((l) => /^workspace: 2 indexed/.test(l.text)));
  const workers = forked.filter((c) => c.exitCode === null && c.signalCode === null);
  assert.ok(workers.length >= 1, 'a worker process runs');

  const stopping = deactivate();
  assert.ok(stopping instanceof Promise, 'deactivate() returns a promise VS Code waits for');
  await stopping;
  assert.deepEqual(
    workers.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => c.pid),
    [],
    'the worker processes have exited',
  );

  for (const d of context.subscriptions) d.dispose();
  assert.deepEqual(
    [...fake.controls.commands.keys()].filter((id) => id.startsWith(COMMAND_PREFIX)),
    [],
    'every command unregistered',
  );
  assert.deepEqual(
    fake.controls.watchers.filter((w) => !w.disposed).map((w) => w.glob),
    [],
    'every file watcher disposed',
  );
  assert.equal(fake.controls.listenerCount('workspaceFolders'), listenersBefore.folders);
  assert.equal(fake.controls.listenerCount('configuration'), listenersBefore.settings);
  const channels = fake.controls.outputChannels.slice(channelsBefore);
  assert.deepEqual(
    channels.map((c) => [c.name, c.disposed]),
    [['MobileCLIP Assets', true]],
    'the output channel is owned and disposed',
  );
});

after(async () => {
  fake.controls.setWorkspaceFolders(undefined);
  for (const c of forked) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (base) await fs.rm(base, { recursive: true, force: true });
});
