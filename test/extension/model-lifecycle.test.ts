// The model lifecycle state machine (src/extension/model/service.ts, with what the user is asked:
// model/prompts.ts) in plain Node with the stand-in
// `vscode` module: settings, the user's answers and what the extension shows are scripted and
// recorded there. Resolving, downloading and starting engines are replaced by controllable fakes
// (their timing decides the races under test); the last test runs a real worker process.
import { fake } from '../helpers/fakeVscode';
import { test, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Engine } from '../../src/engine/engine';
import { LocalModelError, ModelNotDownloadedError, ModelOfflineError, resolveModel } from '../../src/engine/models/resolve';
import type { EngineOptions, ModelInfo, ResolvedModel } from '../../src/engine/types';
import { FindImagesPicker, modelRows } from '../../src/extension/commands/findImages';
import type { Ctx } from '../../src/extension/ctx';
import { ModelPrompts } from '../../src/extension/model/prompts';
import { ModelService, type ModelServiceDeps } from '../../src/extension/model/service';
import type { ModelState, ModelStateKind } from '../../src/extension/model/state';
import { Engine as RealEngine } from '../../src/engine/engine';
import { colorModelDir } from '../fixtures/models';
import { tempDir } from '../index/helpers';

const WORKER = path.resolve(__dirname, '..', '..', 'dist', 'worker.js');
const TOWERS: [number, number] = [45_543_630, 39_974_020];

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface FakeEngine {
  spec: string;
  info: ModelInfo;
  options: EngineOptions;
  disposed: boolean;
  revived: number;
  dispose(): Promise<void>;
  revive(): Promise<void>;
}

/** Fakes for the outside world, with a log of what happened. */
class World {
  /** Registry ids that are downloaded. */
  downloaded = new Set<string>();
  /** Folder specs that are usable model folders. */
  folders = new Set<string>();
  loads: { spec: string; signal: AbortSignal; done: Deferred<FakeEngine> }[] = [];
  downloads: { spec: string; signal: AbortSignal; done: Deferred<void> }[] = [];
  /** When set, loads finish at once with this outcome. */
  autoLoad: 'ok' | Error | undefined = 'ok';
  engines: FakeEngine[] = [];

  deps(): ModelServiceDeps {
    return {
      describe: async (spec) => ({ spec, name: spec === 'mobileclip-s0' ? 'MobileCLIP-S0' : path.basename(spec), ...(spec === 'mobileclip-s0' ? { towerBytes: TOWERS } : {}) }),
      resolve: async (spec) => {
        if (this.folders.has(spec) || this.downloaded.has(spec)) return { id: spec, dir: spec, fingerprint: `fp-${spec}` } as ResolvedModel;
        if (spec.startsWith('/')) throw new LocalModelError(spec, ['tokenizer.json is missing']);
        throw new ModelNotDownloadedError(spec, [
          { path: 'onnx/vision_model.onnx', url: `https://huggingface.co/x/resolve/r/onnx/vision_model.onnx`, dest: '/cache/x/onnx/vision_model.onnx', size: TOWERS[0] },
        ]);
      },
      download: async (spec, opts) => {
        const done = deferred<void>();
        this.downloads.push({ spec, signal: opts.signal!, done });
        opts.signal?.addEventListener('abort', () => done.reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
        opts.onProgress?.({ bytes: 10, totalBytes: 100, bytesPerSecond: 10, etaSeconds: 9, file: 'x' } as never);
        await done.promise;
        this.downloaded.add(spec);
      },
      createEngine: async (model, options, signal) => {
        const done = deferred<FakeEngine>();
        this.loads.push({ spec: model.id, signal, done });
        signal.addEventListener('abort', () => done.reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
        if (this.autoLoad === 'ok') done.resolve(this.makeEngine(model.id, options));
        else if (this.autoLoad) done.reject(this.autoLoad);
        return (await done.promise) as unknown as Engine;
      },
    };
  }

  makeEngine(spec: string, options: EngineOptions): FakeEngine {
    const engine: FakeEngine = {
      spec,
      options,
      disposed: false,
      revived: 0,
      info: { id: spec, fingerprint: `fp-${spec}`, dim: 4, imageSize: 8, contextLength: 77, executionProvider: 'cpu', dynamicBatch: true },
      dispose: async () => {
        engine.disposed = true;
      },
      revive: async () => {
        engine.revived++;
        options.onWorkerRecovered?.();
      },
    };
    this.engines.push(engine);
    return engine;
  }
}

let world: World;
const services: ModelService[] = [];

function service(): { models: ModelService; prompts: ModelPrompts; states: ModelStateKind[] } {
  const models = new ModelService(WORKER, world.deps());
  const states: ModelStateKind[] = [];
  models.onDidChangeState((s: ModelState) => states.push(s.kind));
  services.push(models);
  return { models, prompts: new ModelPrompts(models), states };
}

/** The state's kind (a function, so assertions do not narrow `models.state` for the rest of a test). */
function kindOf(models: ModelService): ModelStateKind {
  return models.state.kind;
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeEach(async () => {
  for (const s of services.splice(0)) s.dispose();
  world = new World();
  fake.controls.messages.length = 0;
  fake.controls.executed.length = 0;
  await fake.controls.setSetting('mobileclipAssets.model', undefined);
});

after(() => {
  for (const s of services.splice(0)) s.dispose();
});

test('missing → downloading → idle → loading → ready: the registry model is offered, downloaded and loaded', async () => {
  const { models, prompts, states } = service();
  await models.refresh();
  assert.equal(kindOf(models), 'missing');
  assert.deepEqual(models.state.model.towerBytes, TOWERS);
  assert.equal(await models.getEngine(), undefined, 'no prompt and no wait while the model is missing');

  const downloaded = prompts.download();
  await until('the download to start', () => world.downloads.length === 1);
  assert.equal(kindOf(models), 'downloading');
  world.downloads[0]!.done.resolve();
  assert.equal(await downloaded, true);
  const engine = await models.getEngine();
  assert.ok(engine);
  assert.deepEqual(states, ['missing', 'downloading', 'downloading', 'idle', 'loading', 'ready']);
});

test('a setting change during a load cancels it: the superseded engine never becomes the engine', async () => {
  world.downloaded.add('mobileclip-s0');
  world.folders.add('/models/mine');
  world.autoLoad = undefined; // loads wait for the test
  const { models, states } = service();
  await models.refresh();
  const first = models.getEngine();
  await until('the first load', () => world.loads.length === 1);
  assert.equal(kindOf(models), 'loading');

  await fake.controls.setSetting('mobileclipAssets.model', '/models/mine');
  const refreshed = models.refresh();
  assert.equal(world.loads[0]!.signal.aborted, true, 'the old load is cancelled');
  await refreshed;
  assert.equal(await first, undefined, 'whoever waited for the old load gets nothing');
  await until('the new load', () => world.loads.length === 2);
  assert.equal(world.loads[1]!.spec, '/models/mine', 'a model that was loading is loaded again under the new setting');
  world.loads[1]!.done.resolve(world.makeEngine('/models/mine', {}));
  const engine = await models.getEngine();
  assert.equal((engine as unknown as FakeEngine).spec, '/models/mine');
  assert.equal(kindOf(models), 'ready');
  assert.equal(models.state.model.name, 'mine');
  assert.deepEqual(states, ['idle', 'loading', 'idle', 'loading', 'ready']);
});

test('stop() cancels an in-flight start and disposes what arrives late', async () => {
  world.downloaded.add('mobileclip-s0');
  world.autoLoad = undefined;
  const { models } = service();
  await models.refresh();
  const pending = models.getEngine();
  await until('the load', () => world.loads.length === 1);
  // The engine is created just as stop() runs: it must be disposed, not kept.
  const late = world.makeEngine('mobileclip-s0', {});
  await models.stop();
  assert.equal(world.loads[0]!.signal.aborted, true);
  world.loads[0]!.done.resolve(late);
  assert.equal(await pending, undefined);
  assert.equal(models.runningEngine, undefined);
  assert.equal(kindOf(models), 'idle');
});

test('a load error is failed(load) with Retry reloading, not a download failure', async () => {
  world.downloaded.add('mobileclip-s0');
  world.autoLoad = new Error('Load model from /cache/x/onnx/vision_model.onnx failed: Protobuf parsing failed.');
  const { models, prompts } = service();
  await models.refresh();
  assert.equal(await models.getEngine(), undefined);
  const state = models.state;
  assert.equal(state.kind, 'failed');
  if (state.kind !== 'failed') return;
  assert.equal(state.failure.kind, 'load');
  assert.equal(state.failure.retry, 'load');
  assert.equal(state.failure.message, 'MobileCLIP-S0 could not be loaded: Load model from vision_model.onnx failed: Protobuf parsing failed.');
  assert.doesNotMatch(state.failure.message, /download/i);

  // A command asks: one sentence and the three actions; Retry loads again (now it works).
  world.autoLoad = 'ok';
  fake.controls.answer(/could not be loaded/, 'Retry');
  const engine = await prompts.requireEngine('Find Images');
  assert.ok(engine);
  const shown = fake.controls.messages.at(-1)!;
  assert.deepEqual([shown.severity, shown.items], ['error', ['Retry', 'Use Local Folder…', 'Show Details']]);
  assert.equal(world.downloads.length, 0, 'Retry of a load never downloads');
});

test('offline: one sentence naming the host, with Retry (download), Use Local Folder… and Show Details', async () => {
  const { models, prompts } = service();
  await models.refresh();
  const downloading = prompts.download();
  await until('the download', () => world.downloads.length === 1);
  const cause = Object.assign(new Error('getaddrinfo ENOTFOUND huggingface.co'), { code: 'ENOTFOUND' });
  world.downloads[0]!.done.reject(new ModelOfflineError('mobileclip-s0', [{ path: 'onnx/a.onnx', url: 'https://huggingface.co/x/a', dest: '/cache/a' }], 'huggingface.co', cause));
  assert.equal(await downloading, false);
  const state = models.state;
  assert.equal(state.kind, 'failed');
  if (state.kind !== 'failed') return;
  assert.equal(state.failure.message, "Can't reach huggingface.co: offline or a proxy is needed.");
  assert.equal(state.failure.retry, 'download');
  assert.match(state.failure.details, /\/cache\/a/, 'the file list is in the details, not the sentence');
  await until('the toast', () => fake.controls.messages.some((m) => m.message === state.failure.message));
  assert.deepEqual(fake.controls.messages.find((m) => m.message === state.failure.message)!.items, ['Retry', 'Use Local Folder…', 'Show Details']);
});

test('Use Local Folder… from the "model needed" message sets the model and loads it, without a reload', async () => {
  world.folders.add('/models/fixture');
  const { models, prompts, states } = service();
  await models.refresh();
  fake.controls.answer(/needs the MobileCLIP-S0 model/, (m) => {
    assert.deepEqual(m.items, ['Download (46 MB + 40 MB)', 'Use Local Folder…', 'Select Model']);
    return 'Use Local Folder…';
  });
  fake.controls.answerOpenDialog(['/models/fixture']);
  const engine = await prompts.requireEngine('Find Images');
  assert.equal((engine as unknown as FakeEngine | undefined)?.spec, '/models/fixture');
  assert.equal(kindOf(models), 'ready');
  assert.deepEqual(states, ['missing', 'idle', 'loading', 'ready']);
});

test('a folder that is not a model is failed(notAModel); the download command says there is nothing to download', async () => {
  await fake.controls.setSetting('mobileclipAssets.model', '/models/broken');
  const { models, prompts } = service();
  await models.refresh();
  const state = models.state;
  assert.equal(state.kind, 'failed');
  if (state.kind !== 'failed') return;
  assert.equal(state.failure.kind, 'notAModel');
  assert.equal(state.failure.message, "The model folder broken can't be used: tokenizer.json is missing.");
  assert.equal(await prompts.download(), false);
  assert.match(fake.controls.messages.at(-1)!.message, /folder broken: there is nothing to download/);
  assert.equal(world.downloads.length, 0);
});

test('worker crashes: crashed → restarting → ready from the exit event; log text never changes the state', async () => {
  world.downloaded.add('mobileclip-s0');
  const { models, states } = service();
  await models.refresh();
  await models.getEngine();
  const engine = world.engines[0]!;
  engine.options.log?.('worker: something about a crash in a file name');
  assert.equal(kindOf(models), 'ready');
  engine.options.onWorkerCrash?.('inference worker crashed (signal SIGKILL); restarting');
  await until('recovery', () => models.state.kind === 'ready');
  assert.deepEqual(states.slice(-3), ['crashed', 'restarting', 'ready']);
  assert.equal(engine.revived, 1);

  // A crash loop stops the automatic restarts and says so.
  for (let i = 0; i < 4; i++) engine.options.onWorkerCrash?.('inference worker crashed (exit code 134); restarting');
  await until('the state to settle', () => models.state.kind === 'crashed');
  assert.equal(engine.revived, 3, 'three crashes within a minute are restarted, the fourth is not');
  assert.match(fake.controls.messages.at(-1)!.message, /keeps stopping/);
});

test('Find Images opens its picker at once while the model is missing, with the download sizes inline', async () => {
  const { models, prompts } = service();
  await models.refresh();
  assert.deepEqual(
    modelRows(models.state).map((r) => r.label),
    ['$(cloud-download) Model needed: Download (46 MB + 40 MB)', '$(folder-opened) Use Local Folder…', '$(list-selection) Select Model'],
  );
  const searched: string[] = [];
  const ctx = {
    models,
    prompts,
    library: {
      folderStates: [],
      search: {
        searchAll: async (q: string) => {
          searched.push(q);
          return { ranked: false, hits: [], noGoodMatch: false, bestScore: null };
        },
      },
      prepareSearch: async () => undefined,
      scheduler: {
        progress: { running: false, done: 0, total: 0, etaSeconds: null, failed: [] },
        onDidUpdateIndex: () => ({ dispose: () => undefined }),
      },
    },
    modelActions: { download: async () => undefined },
  } as unknown as Ctx;
  const opened = new Promise<(typeof fake.controls.quickPicks)[number]>((resolve) => {
    const sub = fake.controls.onDidShowQuickPick((qp) => {
      sub.dispose();
      resolve(qp);
    });
  });
  FindImagesPicker.open(ctx, '');
  const qp = await opened;
  assert.equal(qp.title, 'Find Images by Description: model needed');
  assert.match(qp.items[0]!.label, /Model needed: Download \(46 MB \+ 40 MB\)/);
  // Words need the model (the rows stay); filters alone do not.
  qp.type('red car');
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(searched.length, 0);
  assert.match(qp.items[0]!.label, /Model needed/);
  qp.type('type:png');
  await until('the filter search', () => searched.includes('type:png'));
  qp.hide();
});

test('a real worker: killing it is detected (crashed → restarting → ready) and inference works again', async (t) => {
  const work = await tempDir('model-lifecycle');
  const modelDir = await colorModelDir();
  await fake.controls.setSetting('mobileclipAssets.model', modelDir);
  await fake.controls.setSetting('mobileclipAssets.modelCacheDir', path.join(work, 'cache'));
  const models = new ModelService(WORKER, { ...world.deps(), resolve: resolveModel, createEngine: (m, o, s) => RealEngine.create(m, o, s) });
  services.push(models);
  const states: ModelStateKind[] = [];
  models.onDidChangeState((s) => states.push(s.kind));
  await models.refresh();
  const engine = await models.getEngine();
  assert.ok(engine);
  process.kill(engine.workerPid!, 'SIGKILL');
  await until('the restart', () => states.includes('restarting') && models.state.kind === 'ready', 30_000);
  assert.deepEqual(states.slice(-3), ['crashed', 'restarting', 'ready']);
  const [vector] = await engine.embedTexts(['red']);
  assert.equal(vector!.embedding.length, engine.info.dim);
  t.diagnostic(`states: ${states.join(' → ')}`);
  await fs.rm(work, { recursive: true, force: true });
});
