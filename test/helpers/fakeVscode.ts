// Makes `import * as vscode from 'vscode'` resolve to the stand-in of ./vscode-stub.cjs in this
// test process, so VS Code adapters (src/extension/**) run in plain Node. Import this module
// before any module that imports `vscode`; `fake.controls` sets settings, scripts the user's
// answers and records what the extension showed.
import Module from 'node:module';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createVscodeStub } = require('./vscode-stub.cjs') as { createVscodeStub: (o?: unknown) => { vscode: unknown; controls: FakeControls } };

export interface ShownMessage {
  severity: 'info' | 'warning' | 'error';
  message: string;
  items: string[];
  modal: boolean;
}

export interface FakeQuickPick {
  title?: string;
  value: string;
  items: readonly { label: string; description?: string; detail?: string; [k: string]: unknown }[];
  busy: boolean;
  visible: boolean;
  type(value: string): void;
  accept(item?: unknown): void;
  hide(): void;
}

/** A document of the fake editor (see vscode-stub-editor.cjs). */
export interface FakeDocument {
  uri: { scheme: string; fsPath: string; toString(): string };
  fileName: string;
  languageId: string;
  version: number;
  getText(): string;
  lineAt(line: number): { text: string };
}

export interface FakeEditorControls {
  diagnostics: Map<string, Array<{ range: unknown; message: string; severity: number; source?: string; code?: unknown }>>;
  providers: Record<'codeActions' | 'hover' | 'drop', Array<{ selector: unknown; provider: unknown; metadata?: unknown }>>;
  appliedEdits: Array<{ edit: unknown; metadata?: unknown }>;
  openDocument(file: string, languageId: string, text: string): FakeDocument;
  changeDocument(doc: FakeDocument, text: string): void;
  closeDocument(doc: FakeDocument): void;
}

export interface FakeControls {
  editor: FakeEditorControls;
  messages: ShownMessage[];
  executed: { id: string; args: unknown[] }[];
  progressRuns: { title?: string; reports: { message?: string; increment?: number }[]; cancel(): void; done: boolean }[];
  quickPicks: FakeQuickPick[];
  documents: unknown[];
  logLines: { level: string; text: string; channel: string }[];
  commands: Map<string, (...args: unknown[]) => unknown>;
  outputChannels: { name: string; disposed: boolean }[];
  watchers: { glob: string; disposed: boolean }[];
  listenerCount(event: 'workspaceFolders' | 'configuration'): number;
  onDidShowMessage(listener: (m: ShownMessage) => void): { dispose(): void };
  onDidShowQuickPick(listener: (qp: FakeQuickPick) => void): { dispose(): void };
  setSetting(key: string, value: unknown): Promise<void>;
  answer(match: RegExp, pick: string | undefined | ((m: ShownMessage) => string | undefined)): void;
  answerOpenDialog(paths: string[] | undefined): void;
  setWorkspaceFolders(folders: string[] | undefined): void;
  fireFileEvent(kind: 'create' | 'change' | 'delete', fsPath: string): void;
  saveDocument(fsPath: string, text: string): void;
}

const stub = createVscodeStub();
type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
const moduleWithLoad = Module as unknown as { _load: Load };
const originalLoad = moduleWithLoad._load;
moduleWithLoad._load = function (request, parent, isMain) {
  if (request === 'vscode') return stub.vscode;
  return originalLoad.call(this, request, parent, isMain);
};

export const fake = { controls: stub.controls, vscode: stub.vscode };

/** Resolves with the next message the extension shows that matches `match`. */
export function nextMessage(match: RegExp): Promise<ShownMessage> {
  const seen = stub.controls.messages.find((m) => match.test(m.message));
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve) => {
    const sub = stub.controls.onDidShowMessage((m) => {
      if (!match.test(m.message)) return;
      sub.dispose();
      resolve(m);
    });
  });
}
