// The text-editor part of the `vscode` stand-in (./vscode-stub.cjs): positions, ranges,
// diagnostics, code actions, workspace edits, hovers, drops and the language registrations, with
// controls to open and edit documents and to call the registered providers.
'use strict';
const path = require('node:path');

class Position {
  constructor(line, character) {
    this.line = line;
    this.character = character;
  }
}

class Range {
  constructor(a, b, c, d) {
    if (typeof a === 'number') {
      this.start = new Position(a, b);
      this.end = new Position(c, d);
    } else {
      this.start = a;
      this.end = b;
    }
  }
}

const DiagnosticSeverity = { Error: 0, Warning: 1, Information: 2, Hint: 3 };

class Diagnostic {
  constructor(range, message, severity = DiagnosticSeverity.Error) {
    this.range = range;
    this.message = message;
    this.severity = severity;
  }
}

class CodeActionKind {
  constructor(value) {
    this.value = value;
  }
  append(part) {
    return new CodeActionKind(`${this.value}.${part}`);
  }
}
CodeActionKind.QuickFix = new CodeActionKind('quickfix');
CodeActionKind.Refactor = new CodeActionKind('refactor');

class CodeAction {
  constructor(title, kind) {
    this.title = title;
    this.kind = kind;
  }
}

class WorkspaceEdit {
  constructor() {
    this.entries = [];
  }
  replace(uri, range, newText, metadata) {
    this.entries.push({ uri, range, newText, metadata });
  }
  insert(uri, position, newText, metadata) {
    this.entries.push({ uri, range: new Range(position, position), newText, metadata });
  }
  get size() {
    return new Set(this.entries.map((e) => e.uri.toString())).size;
  }
}

class MarkdownString {
  constructor(value = '', supportThemeIcons = false) {
    this.value = value;
    this.supportThemeIcons = supportThemeIcons;
  }
  appendMarkdown(s) {
    this.value += s;
    return this;
  }
  appendText(s) {
    this.value += s.replace(/[\\`*_{}[\]()#+\-.!]/g, '\\$&');
    return this;
  }
}

class Hover {
  constructor(contents, range) {
    this.contents = Array.isArray(contents) ? contents : [contents];
    this.range = range;
  }
}

class DocumentDropEdit {
  constructor(insertText) {
    this.insertText = insertText;
  }
}

class DataTransferItem {
  constructor(value) {
    this.value = value;
  }
  async asString() {
    return typeof this.value === 'string' ? this.value : JSON.stringify(this.value);
  }
}

class DataTransfer {
  constructor() {
    this.items = new Map();
  }
  set(mime, item) {
    this.items.set(mime.toLowerCase(), item);
  }
  get(mime) {
    return this.items.get(mime.toLowerCase());
  }
}

/** A text document with just what providers read. */
function textDocument(Uri, file, languageId, text) {
  const doc = {
    uri: Uri.file(file),
    fileName: file,
    languageId,
    version: 1,
    text,
    getText() {
      return doc.text;
    },
    lineAt(line) {
      return { text: doc.text.split('\n')[line] ?? '' };
    },
  };
  return doc;
}

function createEditorStub({ EventEmitter, Uri, Disposable }) {
  const open = new EventEmitter();
  const change = new EventEmitter();
  const close = new EventEmitter();
  const textDocuments = [];
  const diagnostics = new Map();
  const providers = { codeActions: [], hover: [], drop: [] };
  const appliedEdits = [];
  const register = (list) => (selector, provider, metadata) => {
    const entry = { selector, provider, metadata };
    list.push(entry);
    return new Disposable(() => list.splice(list.indexOf(entry), 1));
  };
  const languages = {
    createDiagnosticCollection: (name) => ({
      name,
      set: (uri, list) => diagnostics.set(uri.toString(), list),
      get: (uri) => diagnostics.get(uri.toString()),
      delete: (uri) => diagnostics.delete(uri.toString()),
      clear: () => diagnostics.clear(),
      dispose: () => diagnostics.clear(),
    }),
    registerCodeActionsProvider: register(providers.codeActions),
    registerHoverProvider: register(providers.hover),
    registerDocumentDropEditProvider: register(providers.drop),
  };
  const workspace = {
    textDocuments,
    onDidOpenTextDocument: open.event,
    onDidChangeTextDocument: change.event,
    onDidCloseTextDocument: close.event,
    applyEdit: async (edit, metadata) => {
      appliedEdits.push({ edit, metadata });
      return true;
    },
  };
  const controls = {
    diagnostics,
    providers,
    appliedEdits,
    /** Opens a document (fires onDidOpenTextDocument) and returns it. */
    openDocument(file, languageId, text) {
      const doc = textDocument(Uri, path.resolve(file), languageId, text);
      textDocuments.push(doc);
      open.fire(doc);
      return doc;
    },
    /** Replaces a document's text (fires onDidChangeTextDocument). */
    changeDocument(doc, text) {
      doc.text = text;
      doc.version++;
      change.fire({ document: doc, contentChanges: [{ text }] });
    },
    closeDocument(doc) {
      textDocuments.splice(textDocuments.indexOf(doc), 1);
      close.fire(doc);
    },
  };
  const classes = {
    Position,
    Range,
    Diagnostic,
    DiagnosticSeverity,
    CodeAction,
    CodeActionKind,
    WorkspaceEdit,
    MarkdownString,
    Hover,
    DocumentDropEdit,
    DataTransfer,
    DataTransferItem,
  };
  return { classes, languages, workspace, controls };
}

module.exports = { createEditorStub };
