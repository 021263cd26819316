// One table of commands (src/extension/commands/table.ts): it and package.json contribute the same
// commands, every menu entry names one of them, the code names no command the table lacks, and
// registering the table builds every handler from the context without doing any work (activation
// stays cheap), with one error path for all of them.
import { fake } from '../helpers/fakeVscode';
import * as vscode from 'vscode';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { registerCommands } from '../../src/extension/commands/register';
import { COMMANDS } from '../../src/extension/commands/table';
import { COMMAND_PREFIX } from '../../src/extension/commands/ids';
import type { Ctx } from '../../src/extension/ctx';
import { PROJECT_ROOT } from '../fixtures/paths';

interface MenuEntry {
  command?: string;
  when?: string;
}
interface Manifest {
  activationEvents: string[];
  contributes: {
    commands: { command: string }[];
    menus: Record<string, MenuEntry[]>;
    configuration: { properties: Record<string, unknown> };
    views: Record<string, { id: string }[]>;
    viewsContainers: Record<string, { id: string }[]>;
  };
}

async function manifest(): Promise<Manifest> {
  return JSON.parse(await fs.readFile(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as Manifest;
}

const tableIds = () =>
  Object.keys(COMMANDS)
    .map((name) => `${COMMAND_PREFIX}${name}`)
    .sort();

test('the command table and package.json contributes.commands list the same commands', async () => {
  const contributed = (await manifest()).contributes.commands.map((c) => c.command).sort();
  assert.deepEqual(tableIds(), contributed);
});

test('every menu and command-palette entry names a command of the table', async () => {
  const ids = new Set(tableIds());
  const unknown: string[] = [];
  for (const [menu, entries] of Object.entries((await manifest()).contributes.menus)) {
    for (const e of entries) if (e.command && !ids.has(e.command)) unknown.push(`${menu}: ${e.command}`);
  }
  assert.deepEqual(unknown, []);
});

test("the extension's code names no command the table lacks (other ids are settings, views, context keys)", async () => {
  const m = await manifest();
  const c = m.contributes;
  const other = new Set<string>([
    ...Object.keys(c.configuration.properties),
    ...Object.values(c.views)
      .flat()
      .map((v) => v.id),
    ...Object.values(c.viewsContainers)
      .flat()
      .map((v) => v.id),
    ...m.activationEvents.map((e) => e.replace(/^[^:]+:/, '')),
    ...Object.values(c.menus)
      .flat()
      .flatMap((e) => e.when?.match(/mobileclipAssets\.[\w.]+/g) ?? []),
    'mobileclipAssets.status', // the status bar item's id
  ]);
  // A settings section ('mobileclipAssets.tags' for the settings UI) is the prefix of a setting.
  const isSetting = (id: string) => [...other].some((o) => o === id || o.startsWith(`${id}.`));
  const commands = new Set(tableIds());
  const strays: string[] = [];
  for (const file of await sourceFiles(path.join(PROJECT_ROOT, 'src', 'extension'))) {
    const text = await fs.readFile(file, 'utf8');
    for (const [, id] of text.matchAll(/['`"](mobileclipAssets\.[\w.]+)['`"]/g)) {
      if (!commands.has(id!) && !isSetting(id!)) strays.push(`${path.relative(PROJECT_ROOT, file)}: ${id}`);
    }
  }
  assert.deepEqual(strays, []);
});

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('registering the table builds every handler without touching the context (activation does no work)', () => {
  const touched: string[] = [];
  const ctx = new Proxy(
    {},
    {
      get: (_t, prop) => {
        touched.push(String(prop));
        return undefined;
      },
    },
  ) as Ctx;
  const disposables = registerCommands(ctx, COMMANDS);
  try {
    assert.equal(disposables.length, Object.keys(COMMANDS).length);
    for (const id of tableIds()) assert.ok(fake.controls.commands.has(id), `${id} is registered`);
    assert.deepEqual(touched, []);
  } finally {
    for (const d of disposables) d.dispose();
  }
  assert.equal(tableIds().filter((id) => fake.controls.commands.has(id)).length, 0, 'disposing unregisters them');
});

test("a command's result is passed on; a failure is logged and shown once, with Show Log, and does not reject", async () => {
  const table = {
    answer: () => async () => 42,
    broken: () => () => {
      throw new Error('The tags file cannot be read\nat line 3');
    },
  };
  const disposables = registerCommands({} as Ctx, table);
  try {
    assert.equal(await vscode.commands.executeCommand('mobileclipAssets.answer'), 42);
    fake.controls.messages.length = 0;
    assert.equal(await vscode.commands.executeCommand('mobileclipAssets.broken'), undefined);
    assert.deepEqual(
      fake.controls.messages.map((m) => [m.severity, m.message, m.items]),
      [['error', 'MobileCLIP Assets: The tags file cannot be read', ['Show Log']]],
    );
    assert.ok(fake.controls.logLines.some((l) => l.level === 'error' && l.text === 'broken: The tags file cannot be read\nat line 3'));
  } finally {
    for (const d of disposables) d.dispose();
  }
});
