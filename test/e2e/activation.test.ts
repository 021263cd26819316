// Activation in a real VS Code (code-server): "Developer: Show Running Extensions" lists the
// extension with its activation time (recorded in test-results/e2e/activation.json, not asserted),
// and the extension host process never maps onnxruntime or sharp: inference and decoding run in
// the worker process, which does map them once images are indexed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { describeProcesses, extensionHostProcess, mappedFiles, waitForIndexed, workerProcesses } from './harness/assets';
import { EXTENSIONS_ROOT, RESULTS_DIR } from './harness/codeServer';
import { startSession, type Session } from './harness/session';
import { waitUntil } from './harness/workbench';

let s: Session;

before(async () => {
  s = await startSession({ label: 'activation' });
});

after(async () => {
  await s?.stop();
});

const NATIVE = /libonnxruntime|onnxruntime_binding\.node|sharp-[\w-]+\.node|libvips/;

test('the extension host loads no native inference or image module; the worker does', async (t) => {
  await waitForIndexed(s.workbench, s.imageCount);
  const host = extensionHostProcess(s);
  assert.ok(host, `no extension host process among:\n${describeProcesses(s)}`);
  const hostNative = mappedFiles(host.pid).filter((f) => NATIVE.test(f));
  assert.deepEqual(hostNative, [], 'native inference/image libraries mapped into the extension host');
  const workers = workerProcesses(s);
  assert.ok(workers.length >= 1, `no inference worker process among:\n${describeProcesses(s)}`);
  const workerNative = workers.flatMap((w) => mappedFiles(w.pid)).filter((f) => NATIVE.test(f));
  t.diagnostic(`worker maps: ${workerNative.map((f) => path.basename(f)).join(', ')}`);
  assert.ok(
    workerNative.some((f) => /onnxruntime/.test(f)),
    'the worker runs onnxruntime',
  );
  const notFromVsix = workerNative.filter((f) => !f.startsWith(EXTENSIONS_ROOT + path.sep));
  assert.deepEqual(notFromVsix, [], 'native libraries the worker loaded from outside the installed VSIX');
});

test('"Show Running Extensions" lists MobileCLIP Assets with its activation time', async (t) => {
  const wb = s.workbench;
  try {
    await wb.runCommand('Developer: Show Running Extensions');
    const row = wb.page.locator('.runtime-extensions-editor .monaco-list-row', { hasText: 'MobileCLIP Assets' }).first();
    await row.waitFor({ timeout: 30_000 });
    const text = await waitUntil(
      async () => (await row.textContent()) ?? '',
      (v) => /\d+\s*ms/.test(v),
      'an activation time in the row',
    );
    await row.scrollIntoViewIfNeeded();
    await wb.screenshot('running-extensions');
    await wb.screenshotOf(row, 'running-extensions-row');
    const activation = /(?:activation|activated)[^\d]*(\d+)\s*ms/i.exec(text) ?? /(\d+)\s*ms/.exec(text);
    assert.ok(activation, `no activation time in "${text}"`);
    const record = { activationMs: Number(activation[1]), row: text.replace(/\s+/g, ' ').trim(), measuredAt: new Date().toISOString() };
    t.diagnostic(`activation: ${record.activationMs} ms (${record.row})`);
    await fs.mkdir(RESULTS_DIR, { recursive: true });
    await fs.writeFile(path.join(RESULTS_DIR, 'activation.json'), JSON.stringify(record, null, 2));
  } catch (err) {
    await wb.screenshot('failure').catch(() => undefined);
    throw new Error(`${(err as Error).message}\n${await s.logs()}`);
  }
});
