// The child-process runner the distillation command uses: stderr lines stream as progress,
// the --json document is read from stdout, failures keep their message, and cancelling stops
// the child (SIGINT first, so it can save; SIGKILL if it does not exit).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { cliError, parseJsonOutput, runCli } from '../../src/extension/features/datasets/cliProcess';
import { PROJECT_ROOT } from '../fixtures/paths';

const work = path.join(PROJECT_ROOT, '.cache', 'test-extension-cli-process', String(process.pid));
const script = path.join(work, 'fake-cli.js');

before(async () => {
  await fs.mkdir(work, { recursive: true });
  await fs.writeFile(
    script,
    `
const [mode, ...rest] = process.argv.slice(2);
if (mode === 'ok') {
  process.stderr.write('\\x1b[Kstep 1\\n');
  process.stderr.write('step 2\\rstep 3\\n');
  process.stdout.write('some note\\n' + JSON.stringify({ args: rest, cwd: process.cwd(), electron: process.env.ELECTRON_RUN_AS_NODE }) + '\\n');
} else if (mode === 'fail') {
  process.stderr.write('working\\nmobileclip-assets distill: too few samples with captions (3)\\n');
  process.exitCode = 1;
} else if (mode === 'wait') {
  process.on('SIGINT', () => { process.stderr.write('stopping\\n'); process.exit(130); });
  process.stderr.write('ready\\n');
  setInterval(() => {}, 1000);
} else if (mode === 'stubborn') {
  process.on('SIGINT', () => {});
  process.stderr.write('ready\\n');
  setInterval(() => {}, 1000);
}
`,
  );
});
after(() => fs.rm(work, { recursive: true, force: true }));

test('stderr lines stream (carriage returns split, colour codes dropped) and the JSON result is read', async () => {
  const lines: string[] = [];
  const r = await runCli(script, ['ok', 'distill', '/some dir', '--json'], { cwd: work, onLine: (l) => lines.push(l) });
  assert.equal(r.code, 0);
  assert.equal(r.cancelled, false);
  assert.deepEqual(lines, ['step 1', 'step 2', 'step 3']);
  const out = parseJsonOutput<{ args: string[]; cwd: string; electron: string }>(r.stdout);
  assert.deepEqual(out?.args, ['distill', '/some dir', '--json']);
  assert.equal(await fs.realpath(out!.cwd), await fs.realpath(work));
  assert.equal(out?.electron, '1');
});

test('a failing command reports its last error line without the program prefix', async () => {
  const r = await runCli(script, ['fail']);
  assert.equal(r.code, 1);
  assert.equal(cliError(r), 'too few samples with captions (3)');
  assert.equal(parseJsonOutput(r.stdout), undefined);
});

test('cancelling sends SIGINT and the command can stop cleanly', async () => {
  const abort = new AbortController();
  const r = await runCli(script, ['wait'], {
    signal: abort.signal,
    onLine: (l) => {
      if (l === 'ready') abort.abort();
    },
  });
  assert.equal(r.cancelled, true);
  assert.equal(r.code, 130);
  assert.deepEqual(r.stderrTail, ['ready', 'stopping']);
});

test('a command that ignores SIGINT is killed after the grace period', async () => {
  const abort = new AbortController();
  const r = await runCli(script, ['stubborn'], {
    signal: abort.signal,
    killAfterMs: 200,
    onLine: (l) => {
      if (l === 'ready') abort.abort();
    },
  });
  assert.equal(r.cancelled, true);
  assert.equal(r.code, null);
});
