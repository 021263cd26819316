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

// --- the stand-in vscode API: explicit where behaviour matters, an inert proxy elsewhere ----------
function inert(name) {
  const cache = new Map();
  const fn = function () {};
  return new Proxy(fn, {
    get(_t, prop) {
      if (prop === 'then') return undefined; // not a thenable
      if (prop === Symbol.iterator) return function* () {};
      if (prop === Symbol.toPrimitive) return () => '';
      if (prop === 'length') return 0;
      if (prop === 'dispose') return () => undefined;
      if (!cache.has(prop)) cache.set(prop, inert(`${name}.${String(prop)}`));
      return cache.get(prop);
    },
    apply: () => inert(`${name}()`),
    construct: () => inert(`new ${name}`),
  });
}
const disposable = () => ({ dispose() {} });
class EventEmitter {
  constructor() { this.listeners = new Set(); this.event = (l) => { this.listeners.add(l); return { dispose: () => this.listeners.delete(l) }; }; }
  fire(v) { for (const l of [...this.listeners]) l(v); }
  dispose() { this.listeners.clear(); }
}
class Uri {
  constructor(scheme, fsPath) { this.scheme = scheme; this.fsPath = fsPath; this.path = fsPath; }
  static file(p) { return new Uri('file', p); }
  static joinPath(base, ...parts) { return new Uri(base.scheme, path.join(base.fsPath, ...parts)); }
  static parse(s) { return new Uri(s.split(':')[0], s.replace(/^file:\/\//, '')); }
  with() { return this; }
  toString() { return `${this.scheme}://${this.fsPath}`; }
}
class Disposable { constructor(fn) { this.fn = fn; } dispose() { this.fn?.(); } static from(...d) { return new Disposable(() => d.forEach((x) => x.dispose())); } }
const commands = new Set();
const configuration = {
  get: (_key, fallback) => fallback,
  has: () => false,
  inspect: () => undefined,
  update: async () => undefined,
};
const statusBarItem = () => ({ show() {}, hide() {}, dispose() {}, text: '', tooltip: '', command: undefined, name: '' });
const outputChannel = (name) => ({
  name, append() {}, appendLine() {}, replace() {}, clear() {}, show() {}, hide() {}, dispose() {},
  trace() {}, debug() {}, info() {}, warn() {}, error() {}, logLevel: 2, onDidChangeLogLevel: () => disposable(),
});
const explicit = {
  EventEmitter, Uri, Disposable,
  StatusBarAlignment: { Left: 1, Right: 2 },
  ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  LogLevel: { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 },
  ExtensionMode: { Production: 1, Development: 2, Test: 3 },
  ThemeIcon: class { constructor(id) { this.id = id; } },
  ThemeColor: class { constructor(id) { this.id = id; } },
  RelativePattern: class { constructor(base, pattern) { this.base = base; this.pattern = pattern; } },
  CancellationTokenSource: class { constructor() { this.token = { isCancellationRequested: false, onCancellationRequested: () => disposable() }; } cancel() {} dispose() {} },
  TabInputText: class {}, TabInputCustom: class {},
  commands: {
    registerCommand: (id) => { commands.add(id); return disposable(); },
    executeCommand: async () => undefined,
    getCommands: async () => [...commands],
  },
  window: {
    createStatusBarItem: statusBarItem,
    createOutputChannel: outputChannel,
    registerWebviewViewProvider: () => disposable(),
    registerWebviewPanelSerializer: () => disposable(),
    registerCustomEditorProvider: () => disposable(),
    registerTreeDataProvider: () => disposable(),
    onDidChangeActiveTextEditor: () => disposable(),
    onDidChangeWindowState: () => disposable(),
    showInformationMessage: async () => undefined,
    showWarningMessage: async () => undefined,
    showErrorMessage: async () => undefined,
    withProgress: async (_o, task) => task({ report() {} }, explicitToken()),
    tabGroups: { activeTabGroup: { activeTab: undefined }, all: [] },
    activeTextEditor: undefined,
  },
  workspace: {
    workspaceFolders: undefined,
    isTrusted: true,
    getConfiguration: () => configuration,
    onDidChangeConfiguration: () => disposable(),
    onDidChangeWorkspaceFolders: () => disposable(),
    onDidGrantWorkspaceTrust: () => disposable(),
    createFileSystemWatcher: () => ({ onDidCreate: () => disposable(), onDidChange: () => disposable(), onDidDelete: () => disposable(), dispose() {} }),
    findFiles: async () => [],
    getWorkspaceFolder: () => undefined,
    fs: inert('workspace.fs'),
  },
  env: { clipboard: { writeText: async () => undefined }, language: 'en', appName: 'fake', uiKind: 1, remoteName: undefined },
  l10n: { t: (s) => s },
};
function explicitToken() { return { isCancellationRequested: false, onCancellationRequested: () => disposable() }; }
const vscodeStub = new Proxy(explicit, {
  get(target, prop) {
    if (prop in target) return target[prop];
    if (prop === '__esModule') return false;
    if (prop === 'then') return undefined;
    return (target[prop] = inert(`vscode.${String(prop)}`));
  },
});

const originalLoad = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'vscode') return vscodeStub;
  const name = request.startsWith('@') ? request.split('/').slice(0, 2).join('/') : request.split('/')[0];
  if (HEAVY.includes(name)) loadedHeavy.push(request);
  return originalLoad.call(this, request, parent, isMain);
};

(async () => {
  const subscriptions = [];
  const memento = () => { const m = new Map(); return { get: (k, d) => (m.has(k) ? m.get(k) : d), update: async (k, v) => void m.set(k, v), keys: () => [...m.keys()], setKeysForSync() {} }; };
  const context = new Proxy({
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
  }, { get: (t, p) => (p in t ? t[p] : inert(`context.${String(p)}`)) });

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
    commands: [...commands].sort(),
    subscriptions: subscriptions.length,
    nativeModules: loadedNative,
    heavyPackages: loadedHeavy,
  };
  for (const d of subscriptions) { try { d.dispose(); } catch { /* ignore */ } }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
})().catch((err) => {
  process.stdout.write(`${JSON.stringify({ error: String(err && err.stack || err) })}\n`);
  process.exit(1);
});

function readPackageJson() {
  try { return require(path.join(extensionRoot, 'package.json')); } catch { return {}; }
}
