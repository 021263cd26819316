// Activation must stay cheap: loading dist/extension.js and running activate() (plus the start-up
// work it schedules, in a workspace-less window) must not load onnxruntime, sharp, Transformers.js
// or any native .node file into the extension host: those belong to the worker process.
// Runs the bundle in a fresh Node process with a stand-in `vscode` module (test/e2e/harness/fake-vscode.cjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../fixtures/paths';

interface ActivationReport {
  loadMs: number;
  activateMs: number;
  commands: string[];
  nativeModules: string[];
  heavyPackages: string[];
  error?: string;
}

async function activateBundle(): Promise<ActivationReport> {
  const storage = path.join(PROJECT_ROOT, '.cache', 'test-activation', String(process.pid));
  await fs.rm(storage, { recursive: true, force: true });
  await fs.mkdir(storage, { recursive: true });
  const r = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'test', 'e2e', 'harness', 'fake-vscode.cjs'), path.join(PROJECT_ROOT, 'dist', 'extension.js'), storage], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', MOBILECLIP_ASSETS_CACHE: path.join(storage, 'cache') },
    timeout: 60_000,
  });
  await fs.rm(storage, { recursive: true, force: true });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let report: ActivationReport;
  try {
    report = JSON.parse(line) as ActivationReport;
  } catch {
    throw new Error(`activation harness printed no report (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  assert.equal(report.error, undefined, `activate() threw: ${report.error}`);
  return report;
}

test('activating the extension loads no native module and no inference package', async (t) => {
  const report = await activateBundle();
  t.diagnostic(`require(dist/extension.js) ${report.loadMs.toFixed(0)} ms, activate() ${report.activateMs.toFixed(0)} ms`);
  assert.deepEqual(report.nativeModules, [], 'native .node files loaded in the extension host');
  assert.deepEqual(report.heavyPackages, [], 'onnxruntime/sharp/transformers required in the extension host');
});

test('activation registers every command the manifest contributes', async () => {
  const report = await activateBundle();
  const pkg = JSON.parse(await fs.readFile(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { contributes: { commands: { command: string }[] } };
  const missing = pkg.contributes.commands.map((c) => c.command).filter((id) => !report.commands.includes(id));
  assert.deepEqual(missing, [], 'commands in package.json contributes.commands that activate() does not register');
});
