// Loads dist/extension.js in a plain Node process with a stand-in `vscode` module, calls
// activate(), lets the start-up work it schedules run, and prints one JSON line describing what
// happened: load/activate times, commands registered, and every native (.node) file or heavy
// package that got loaded. Used by test/extension/activation-load.test.ts (and the e2e report).
//
//   node fake-vscode.cjs <extension.js> <storage dir>
'use strict';
const Module = require('node:module');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const [extensionJs, storageDir] = process.argv.slice(2);
const extensionRoot = path.resolve(path.dirname(extensionJs), '..');

const HEAVY = ['onnxruntime-node', 'onnxruntime-web', 'onnxruntime-common', 'sharp', '@huggingface/transformers'];
const loadedNative = [];
const loadedHeavy = [];
const originalDlopen = process.dlopen;
process.dlopen = function (mod, filename, ...rest) {
  loadedNative.push(filename);
  return originalDlopen.call(this, mod, filename, ...rest);
};

// The stand-in vscode API (shared with the in-process unit tests of VS Code adapters).
const { createVscodeStub, inert } = require('../../helpers/vscode-stub.cjs');
const { vscode: vscodeStub, controls } = createVscodeStub();
const Uri = vscodeStub.Uri;

const originalLoad = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'vscode') return vscodeStub;
  const name = request.startsWith('@') ? request.split('/').slice(0, 2).join('/') : request.split('/')[0];
  if (HEAVY.includes(name)) loadedHeavy.push(request);
  return originalLoad.call(this, request, parent, isMain);
};

(async () => {
  const subscriptions = [];
  const memento = () => {
    const m = new Map();
    return { get: (k, d) => (m.has(k) ? m.get(k) : d), update: async (k, v) => void m.set(k, v), keys: () => [...m.keys()], setKeysForSync() {} };
  };
  const context = new Proxy(
    {
      subscriptions,
      extensionPath: extensionRoot,
      extensionUri: Uri.file(extensionRoot),
      asAbsolutePath: (p) => path.join(extensionRoot, p),
      storageUri: Uri.file(path.join(storageDir, 'workspace')),
      globalStorageUri: Uri.file(path.join(storageDir, 'global')),
      logUri: Uri.file(path.join(storageDir, 'log')),
      storagePath: path.join(storageDir, 'workspace'),
      globalStoragePath: path.join(storageDir, 'global'),
      workspaceState: memento(),
      globalState: memento(),
      extensionMode: 3,
      extension: { id: 'mobileclip-assets.mobileclip-assets', packageJSON: readPackageJson() },
    },
    { get: (t, p) => (p in t ? t[p] : inert(`context.${String(p)}`)) },
  );

  const t0 = performance.now();
  const ext = require(path.resolve(extensionJs));
  const t1 = performance.now();
  await ext.activate(context);
  const t2 = performance.now();
  // Let the work activation schedules (setTimeout 0, folder reload) run before looking.
  await new Promise((r) => setTimeout(r, 300));
  const result = {
    loadMs: t1 - t0,
    activateMs: t2 - t1,
    commands: [...controls.commands.keys()].sort(),
    subscriptions: subscriptions.length,
    nativeModules: loadedNative,
    heavyPackages: loadedHeavy,
  };
  for (const d of subscriptions) {
    try {
      d.dispose();
    } catch {
      /* ignore */
    }
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
})().catch((err) => {
  process.stdout.write(`${JSON.stringify({ error: String((err && err.stack) || err) })}\n`);
  process.exit(1);
});

function readPackageJson() {
  try {
    return require(path.join(extensionRoot, 'package.json'));
  } catch {
    return {};
  }
}
