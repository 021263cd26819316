// A stand-in for the `vscode` module: explicit where the extension's behaviour depends on it
// (configuration, messages and their answers, progress, quick picks, events, commands), an inert
// proxy elsewhere. Used in plain Node by test/e2e/harness/fake-vscode.cjs (activation cost) and,
// through test/helpers/fakeVscode.ts, by unit tests of VS Code adapters (the model lifecycle).
//
// createVscodeStub() returns { vscode, controls }: `vscode` is what `require('vscode')` returns,
// `controls` lets a test set settings, script answers to messages and dialogs, and read what the
// extension showed.
'use strict';
const path = require('node:path');
const { createEditorStub } = require('./vscode-stub-editor.cjs');

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
  constructor() {
    this.listeners = new Set();
    this.event = (l) => {
      this.listeners.add(l);
      return { dispose: () => this.listeners.delete(l) };
    };
  }
  fire(v) {
    for (const l of [...this.listeners]) l(v);
  }
  dispose() {
    this.listeners.clear();
  }
}

class Uri {
  constructor(scheme, fsPath, query = '') {
    this.scheme = scheme;
    this.fsPath = fsPath;
    this.path = fsPath;
    this.query = query;
  }
  static file(p) {
    return new Uri('file', p);
  }
  static joinPath(base, ...parts) {
    return new Uri(base.scheme, path.join(base.fsPath, ...parts));
  }
  static parse(s) {
    const m = /^([a-z][\w+.-]*):(?:\/\/)?([^?]*)(?:\?(.*))?$/i.exec(s);
    return m ? new Uri(m[1], m[2], m[3] ?? '') : new Uri('file', s);
  }
  static from(c) {
    return new Uri(c.scheme, c.path ?? '', c.query ?? '');
  }
  with(change) {
    return new Uri(change.scheme ?? this.scheme, change.path ?? this.fsPath, change.query ?? this.query);
  }
  toString() {
    return `${this.scheme}://${this.fsPath}${this.query ? `?${this.query}` : ''}`;
  }
}

class Disposable {
  constructor(fn) {
    this.fn = fn;
  }
  dispose() {
    this.fn?.();
    this.fn = undefined;
  }
  static from(...d) {
    return new Disposable(() => d.forEach((x) => x.dispose()));
  }
}

class CancellationTokenSource {
  constructor() {
    const emitter = new EventEmitter();
    this.emitter = emitter;
    this.token = { isCancellationRequested: false, onCancellationRequested: emitter.event };
  }
  cancel() {
    if (this.token.isCancellationRequested) return;
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose() {}
}

// The two kinds of glob the extension watches: everything, and image extensions.
function globMatches(glob, fsPath) {
  if (glob === '**/*') return true;
  const m = /^\*\*\/\*\.\{([^}]+)\}$/.exec(glob);
  if (m) return m[1].split(',').some((ext) => fsPath.endsWith(`.${ext}`));
  return false; // other globs (the tags files) get no events in these tests
}

function createVscodeStub(options = {}) {
  const commands = new Map();
  const executed = [];
  const config = new Map(Object.entries(options.settings ?? {}));
  const configEmitter = new EventEmitter();
  const foldersEmitter = new EventEmitter();
  const saveEmitter = new EventEmitter();
  /** Every message shown: { severity, message, items, modal }. */
  const messages = [];
  /** Scripted answers: { match: RegExp, pick: string | undefined }, used once each in order. */
  const answers = [];
  const messageEmitter = new EventEmitter();
  const openDialogAnswers = [];
  const progressRuns = [];
  const quickPicks = [];
  const quickPickEmitter = new EventEmitter();
  const documents = [];
  const logLines = [];
  /** File system watchers: { glob, ignore: { create, change, delete }, emitters }. */
  const watchers = [];

  const configuration = (section) => {
    const full = (key) => (section ? `${section}.${key}` : key);
    return {
      get: (key, fallback) => (config.has(full(key)) ? config.get(full(key)) : fallback),
      has: (key) => config.has(full(key)),
      inspect: (key) => (config.has(full(key)) ? { key: full(key), globalValue: config.get(full(key)) } : { key: full(key) }),
      update: async (key, value) => controls.setSetting(full(key), value),
    };
  };

  const showMessage =
    (severity) =>
    (message, ...rest) => {
      let modal = false;
      if (rest.length && typeof rest[0] === 'object' && rest[0] !== null && !('title' in rest[0])) modal = Boolean(rest.shift().modal);
      const items = rest.map((i) => (typeof i === 'string' ? i : i.title));
      const shown = { severity, message, items, modal };
      messages.push(shown);
      messageEmitter.fire(shown);
      const i = answers.findIndex((a) => a.match.test(message));
      if (i < 0) return Promise.resolve(undefined);
      const [answer] = answers.splice(i, 1);
      if (typeof answer.pick === 'function') return Promise.resolve(answer.pick(shown));
      return Promise.resolve(answer.pick);
    };

  const createQuickPick = () => {
    const emitters = {
      value: new EventEmitter(),
      accept: new EventEmitter(),
      hide: new EventEmitter(),
      button: new EventEmitter(),
      itemButton: new EventEmitter(),
      active: new EventEmitter(),
      selection: new EventEmitter(),
    };
    const qp = {
      title: undefined,
      placeholder: undefined,
      value: '',
      items: [],
      activeItems: [],
      selectedItems: [],
      busy: false,
      buttons: [],
      canSelectMany: false,
      matchOnDescription: false,
      matchOnDetail: false,
      keepScrollPosition: false,
      sortByLabel: true,
      ignoreFocusOut: false,
      visible: false,
      enabled: true,
      onDidChangeValue: emitters.value.event,
      onDidAccept: emitters.accept.event,
      onDidHide: emitters.hide.event,
      onDidTriggerButton: emitters.button.event,
      onDidTriggerItemButton: emitters.itemButton.event,
      onDidChangeActive: emitters.active.event,
      onDidChangeSelection: emitters.selection.event,
      show() {
        qp.visible = true;
        quickPickEmitter.fire(qp);
      },
      hide() {
        if (!qp.visible) return;
        qp.visible = false;
        emitters.hide.fire();
      },
      dispose() {
        qp.visible = false;
      },
      // --- test driving
      type(value) {
        qp.value = value;
        emitters.value.fire(value);
      },
      accept(item) {
        if (item) {
          qp.activeItems = [item];
          qp.selectedItems = [item];
          emitters.selection.fire([item]);
        }
        emitters.accept.fire();
      },
      pressButton(button) {
        emitters.button.fire(button);
      },
    };
    quickPicks.push(qp);
    return qp;
  };

  /** Every output channel created: { name, disposed, ... }. */
  const outputChannels = [];
  const output = (name) => {
    const line = (level) => (text) => logLines.push({ level, text: String(text), channel: name });
    const channel = {
      name,
      disposed: false,
      append: line('append'),
      appendLine: line('info'),
      replace() {},
      clear() {},
      show() {},
      hide() {},
      dispose() {
        channel.disposed = true;
      },
      trace: line('trace'),
      debug: line('debug'),
      info: line('info'),
      warn: line('warn'),
      error: line('error'),
      logLevel: 2,
      onDidChangeLogLevel: () => disposable(),
    };
    outputChannels.push(channel);
    return channel;
  };

  const statusBarItem = () => ({
    show() {
      this.visible = true;
    },
    hide() {
      this.visible = false;
    },
    dispose() {},
    text: '',
    tooltip: '',
    command: undefined,
    name: '',
  });

  const editor = createEditorStub({ EventEmitter, Uri, Disposable });
  const explicit = {
    EventEmitter,
    Uri,
    Disposable,
    CancellationTokenSource,
    ...editor.classes,
    languages: editor.languages,
    StatusBarAlignment: { Left: 1, Right: 2 },
    ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    LogLevel: { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 },
    ExtensionMode: { Production: 1, Development: 2, Test: 3 },
    QuickPickItemKind: { Separator: -1, Default: 0 },
    ThemeIcon: class {
      constructor(id) {
        this.id = id;
      }
    },
    ThemeColor: class {
      constructor(id) {
        this.id = id;
      }
    },
    RelativePattern: class {
      constructor(base, pattern) {
        this.base = base;
        this.pattern = pattern;
      }
    },
    Range: class {
      constructor(sl, sc, el, ec) {
        this.start = { line: sl, character: sc };
        this.end = { line: el, character: ec };
      }
    },
    TabInputText: class {},
    TabInputCustom: class {},
    commands: {
      registerCommand: (id, fn) => {
        commands.set(id, fn);
        return new Disposable(() => commands.delete(id));
      },
      executeCommand: async (id, ...args) => {
        executed.push({ id, args });
        const fn = commands.get(id);
        return fn ? fn(...args) : undefined;
      },
      getCommands: async () => [...commands.keys()],
    },
    window: {
      createStatusBarItem: statusBarItem,
      createOutputChannel: output,
      createQuickPick,
      registerWebviewViewProvider: () => disposable(),
      registerWebviewPanelSerializer: () => disposable(),
      registerCustomEditorProvider: () => disposable(),
      registerTreeDataProvider: () => disposable(),
      onDidChangeActiveTextEditor: () => disposable(),
      onDidChangeWindowState: () => disposable(),
      showInformationMessage: showMessage('info'),
      showWarningMessage: showMessage('warning'),
      showErrorMessage: showMessage('error'),
      showOpenDialog: async () => (openDialogAnswers.length ? openDialogAnswers.shift() : undefined),
      showQuickPick: async () => undefined,
      showTextDocument: async (doc) => {
        documents.push(doc);
        return {};
      },
      setStatusBarMessage: () => disposable(),
      withProgress: async (opts, task) => {
        const source = new CancellationTokenSource();
        const run = { title: opts.title, reports: [], cancel: () => source.cancel(), done: false };
        progressRuns.push(run);
        try {
          return await task({ report: (r) => run.reports.push(r) }, source.token);
        } finally {
          run.done = true;
        }
      },
      tabGroups: { activeTabGroup: { activeTab: undefined }, all: [] },
      activeTextEditor: undefined,
    },
    workspace: {
      workspaceFolders: options.workspaceFolders,
      isTrusted: true,
      getConfiguration: configuration,
      onDidChangeConfiguration: configEmitter.event,
      onDidChangeWorkspaceFolders: foldersEmitter.event,
      onDidSaveTextDocument: saveEmitter.event,
      onDidGrantWorkspaceTrust: () => disposable(),
      createFileSystemWatcher: (glob, ignoreCreate = false, ignoreChange = false, ignoreDelete = false) => {
        const w = {
          glob: String(glob),
          ignore: { create: ignoreCreate, change: ignoreChange, delete: ignoreDelete },
          create: new EventEmitter(),
          change: new EventEmitter(),
          delete: new EventEmitter(),
          disposed: false,
        };
        watchers.push(w);
        return {
          onDidCreate: w.create.event,
          onDidChange: w.change.event,
          onDidDelete: w.delete.event,
          dispose() {
            w.disposed = true;
          },
        };
      },
      registerTextDocumentContentProvider: () => disposable(),
      openTextDocument: async (arg) => ({ uri: arg instanceof Uri ? arg : Uri.parse('untitled:Untitled-1'), arg }),
      findFiles: async () => [],
      getWorkspaceFolder: () => undefined,
      asRelativePath: (p) => String(p),
      fs: inert('workspace.fs'),
      ...editor.workspace,
    },
    env: { clipboard: { writeText: async () => undefined }, language: 'en', appName: 'fake', uiKind: 1, remoteName: undefined },
    l10n: { t: (s) => s },
  };

  const controls = {
    editor: editor.controls,
    commands,
    executed,
    messages,
    progressRuns,
    quickPicks,
    documents,
    logLines,
    outputChannels,
    watchers,
    /** How many listeners an event of `vscode.workspace` has ('workspaceFolders' | 'configuration'). */
    listenerCount(event) {
      return (event === 'workspaceFolders' ? foldersEmitter : configEmitter).listeners.size;
    },
    onDidShowMessage: messageEmitter.event,
    onDidShowQuickPick: quickPickEmitter.event,
    /** Changes a setting ("section.key") and fires onDidChangeConfiguration like VS Code does. */
    async setSetting(key, value) {
      if (value === undefined) config.delete(key);
      else config.set(key, value);
      configEmitter.fire({ affectsConfiguration: (section) => key === section || key.startsWith(`${section}.`) || section.startsWith(`${key}.`) });
    },
    /** Answers the next message matching `match` with `pick` (a button title, or a function of the message). */
    answer(match, pick) {
      answers.push({ match, pick });
    },
    /** The next showOpenDialog resolves to these paths (undefined: the user cancels). */
    answerOpenDialog(paths) {
      openDialogAnswers.push(paths?.map((p) => Uri.file(p)));
    },
    /** Delivers a file event ('create' | 'change' | 'delete') to every watcher whose glob matches, as VS Code does. */
    fireFileEvent(kind, fsPath) {
      for (const w of watchers) {
        if (w.disposed || w.ignore[kind] || !globMatches(w.glob, fsPath)) continue;
        w[kind].fire(Uri.file(fsPath));
      }
    },
    /** Fires onDidSaveTextDocument for a file document with this text. */
    saveDocument(fsPath, text) {
      saveEmitter.fire({ uri: Uri.file(fsPath), isDirty: false, getText: () => text });
    },
    setWorkspaceFolders(folders) {
      explicit.workspace.workspaceFolders = folders?.map((f, index) => ({ uri: Uri.file(f), name: path.basename(f), index }));
      foldersEmitter.fire({ added: [], removed: [] });
    },
  };
  if (options.workspaceFolders) controls.setWorkspaceFolders(options.workspaceFolders);

  const vscode = new Proxy(explicit, {
    get(target, prop) {
      if (prop in target) return target[prop];
      if (prop === '__esModule') return false;
      if (prop === 'then') return undefined;
      return (target[prop] = inert(`vscode.${String(prop)}`));
    },
  });
  return { vscode, controls };
}

module.exports = { createVscodeStub, inert, EventEmitter, Uri };
