// The index-run scheduler (src/extension/assets/indexScheduler.ts) with the stand-in `vscode`
// module: one run at a time in request order, cancel and pause, progress for the status bar and
// the notification, and failures that are shown once and never reject.
import { fake } from '../helpers/fakeVscode';
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import type { IndexProgress } from '../../src/engine/index/indexer';
import { IndexScheduler } from '../../src/extension/assets/indexScheduler';
import type { IndexingProgress } from '../../src/shared/messages';

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise((r) => setImmediate(r));
const FAILED = [{ id: '/ws/bad.png', relPath: 'bad.png', error: 'not an image' }];

beforeEach(() => {
  fake.controls.messages.length = 0;
  fake.controls.executed.length = 0;
  fake.controls.progressRuns.length = 0;
});

test('runs one at a time, in the order asked for; each run ends with an update event', async () => {
  const scheduler = new IndexScheduler(() => []);
  const order: string[] = [];
  let updates = 0;
  scheduler.onDidUpdateIndex(() => updates++);
  const first = deferred();
  const a = scheduler.run(async () => {
    order.push('a start');
    await first.promise;
    order.push('a end');
  }, false);
  const b = scheduler.run(async () => {
    order.push('b');
  }, false);
  await tick();
  assert.equal(scheduler.running, true);
  assert.deepEqual(order, ['a start'], 'the second run waits for the first');
  first.resolve();
  await Promise.all([a, b]);
  assert.deepEqual(order, ['a start', 'a end', 'b']);
  assert.equal(updates, 2);
  assert.equal(scheduler.running, false);
  scheduler.dispose();
});

test('cancel() and pausing abort the run in progress; pausing sets the context key the menus use', async () => {
  const scheduler = new IndexScheduler(() => []);
  let seen: AbortSignal | undefined;
  const run = scheduler.run(async (signal) => {
    seen = signal;
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
  }, false);
  await tick();
  scheduler.setPaused(true);
  await run;
  assert.equal(seen?.aborted, true);
  assert.equal(scheduler.paused, true);
  assert.deepEqual(
    fake.controls.executed.map((e) => [e.id, ...e.args]),
    [['setContext', 'mobileclipAssets.indexingPaused', true]],
  );
  assert.equal(fake.controls.messages.length, 0, 'a cancelled run is not a failure');
  scheduler.setPaused(false);
  assert.equal(scheduler.paused, false);
  scheduler.dispose();
});

test('progress: counted while hashing and embedding, with the ETA; the end of a run lists the failed files', async () => {
  const scheduler = new IndexScheduler(() => FAILED);
  const seen: IndexingProgress[] = [];
  scheduler.onDidChangeProgress((p) => seen.push(p));
  const steps: IndexProgress[] = [
    { phase: 'scanning', done: 3, total: 0 },
    { phase: 'embedding', done: 5, total: 20, etaSeconds: 12 },
    { phase: 'embedding', done: 10, total: 20, etaSeconds: Number.POSITIVE_INFINITY },
    { phase: 'saving', done: 1, total: 1 },
  ];
  await scheduler.run(async (_signal, onProgress) => {
    for (const p of steps) onProgress(p);
  }, false);
  assert.deepEqual(
    seen.map((p) => [p.running, p.done, p.total, p.etaSeconds]),
    [
      [true, 0, 0, null],
      [true, 5, 20, 12],
      [true, 10, 20, null],
      [false, 0, 0, null],
      [false, 0, 0, null],
    ],
  );
  assert.deepEqual(scheduler.progress.failed, FAILED);
  assert.equal(fake.controls.progressRuns.length, 0, 'no notification unless asked for');
  scheduler.dispose();
});

test('a notified run shows count and ETA in a notification whose Cancel stops the run', async () => {
  const scheduler = new IndexScheduler(() => []);
  const started = deferred();
  const run = scheduler.run(async (signal, onProgress) => {
    onProgress({ phase: 'embedding', done: 50, total: 200, etaSeconds: 90 });
    started.resolve();
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
  }, true);
  await started.promise;
  const notification = fake.controls.progressRuns.at(-1)!;
  assert.equal(notification.title, 'Indexing images');
  assert.deepEqual(notification.reports, [{ increment: 25, message: '50 of 200 · 1 min 30 s left' }]);
  notification.cancel();
  await run;
  assert.equal(notification.done, true);
  assert.equal(scheduler.running, false);
  scheduler.dispose();
});

test('a failed run is logged and shown once; it never rejects, and the next run goes ahead', async () => {
  const scheduler = new IndexScheduler(() => []);
  await scheduler.run(async () => {
    throw new Error('disk full');
  }, false);
  assert.deepEqual(
    fake.controls.messages.map((m) => [m.severity, m.message]),
    [['error', 'MobileCLIP Assets: indexing failed: disk full']],
  );
  assert.ok(fake.controls.logLines.some((l) => l.level === 'error' && l.text === 'indexing failed: disk full'));
  let ran = false;
  await scheduler.run(async () => {
    ran = true;
  }, false);
  assert.equal(ran, true);
  scheduler.dispose();
});
