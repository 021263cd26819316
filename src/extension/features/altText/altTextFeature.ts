// Alt text in the editor: diagnostics for images without alt text (off by default:
// `mobileclipAssets.altText.diagnostics`), kept current on open, edit (debounced) and setting
// change; and the quick fix "Generate alt text" that writes the image's best caption (the other
// captions as alternatives), its tags when it has no caption, or offers to caption it first.
// Detection and ranking are the engine's; ./altTextPlan.ts joins them with captions and tags.
import * as vscode from 'vscode';
import { errorMessage } from '../../../engine/util/errors';
import { Debouncer } from '../../debounce';
import { log } from '../../log';
import { altEdit, altLanguage, ALT_TEXT_LANGUAGE_IDS, planAltText, touches, type AltFix, type AltTextDeps } from './altTextPlan';

export const DIAGNOSTICS_SETTING = 'altText.diagnostics';
export const DIAGNOSTIC_SOURCE = 'MobileCLIP Assets';
export const DIAGNOSTIC_CODE = 'missing-alt-text';
const EDIT_DELAY_MS = 400;

export class AltTextFeature implements vscode.CodeActionProvider, vscode.Disposable {
  readonly diagnostics = vscode.languages.createDiagnosticCollection('mobileclipAssets.altText');
  private readonly debouncer = new Debouncer((m) => log().error(`alt text: ${m}`));
  private readonly disposables: vscode.Disposable[] = [];

  constructor(readonly deps: AltTextDeps) {
    const selector = ALT_TEXT_LANGUAGE_IDS.map((language) => ({ language }));
    this.disposables.push(
      this.diagnostics,
      vscode.languages.registerCodeActionsProvider(selector, this, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
      vscode.workspace.onDidOpenTextDocument((d) => this.update(d)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length) this.debouncer.run(e.document.uri.toString(), EDIT_DELAY_MS, () => this.update(e.document));
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.diagnostics.delete(d.uri)),
    );
    this.refreshAll();
  }

  /** From the one owner of settings changes (WorkspaceEvents). */
  configurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (e.affectsConfiguration(`mobileclipAssets.${DIAGNOSTICS_SETTING}`)) this.refreshAll();
  }

  /** Checks every open document again (after a setting change). */
  refreshAll(): void {
    for (const d of vscode.workspace.textDocuments) this.update(d);
  }

  /** The document's diagnostics now (none when the setting is off or the language is not checked). */
  update(document: vscode.TextDocument): void {
    try {
      const fixes = enabledFor(document) ? this.fixesIn(document) : undefined;
      if (!fixes?.length) {
        this.diagnostics.delete(document.uri);
        return;
      }
      this.diagnostics.set(
        document.uri,
        fixes.map((f) => diagnosticFor(f)),
      );
    } catch (err) {
      log().error(`alt text: ${document.uri.fsPath}: ${errorMessage(err)}`);
    }
  }

  /** The images without alt text in a document, with their descriptions (undefined when it is not checked). */
  fixesIn(document: vscode.TextDocument): AltFix[] | undefined {
    const language = altLanguage(document.languageId, document.fileName);
    // Files and new documents; not the old side of a diff (git:), output channels or other views.
    if (!language || (document.uri.scheme !== 'file' && document.uri.scheme !== 'untitled')) return undefined;
    return planAltText(document.getText(), language, document.uri.fsPath, this.deps);
  }

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const ours = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE && d.code === DIAGNOSTIC_CODE);
    if (!ours.length) return [];
    const actions: vscode.CodeAction[] = [];
    for (const fix of this.fixesIn(document) ?? []) {
      const diagnostic = ours.find((d) => touches(toRange(d.range), fix.finding.range));
      if (!diagnostic || !touches(toRange(range), fix.finding.range)) continue;
      actions.push(...codeActionsFor(document, fix, diagnostic));
    }
    return actions;
  }

  dispose(): void {
    this.debouncer.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function enabledFor(document: vscode.TextDocument): boolean {
  return vscode.workspace.getConfiguration('mobileclipAssets', document.uri).get<boolean>(DIAGNOSTICS_SETTING, false) === true;
}

function diagnosticFor(fix: AltFix): vscode.Diagnostic {
  const message =
    fix.finding.kind === 'markdown-empty-alt'
      ? 'Image without alt text: describe it for people who cannot see it.'
      : 'Image without an alt attribute: describe it, or write alt="" if it is decorative.';
  const d = new vscode.Diagnostic(vsRange(fix.finding.range), message, vscode.DiagnosticSeverity.Warning);
  d.source = DIAGNOSTIC_SOURCE;
  d.code = DIAGNOSTIC_CODE;
  return d;
}

/** "Generate alt text" with the best description (preferred), then the alternatives; or "caption it first". */
export function codeActionsFor(document: vscode.TextDocument, fix: AltFix, diagnostic: vscode.Diagnostic): vscode.CodeAction[] {
  const actions: vscode.CodeAction[] = [];
  fix.candidates.forEach((alt, i) => {
    const title = i === 0 ? `Generate alt text: "${alt}"` : `Use alt text: "${alt}"`;
    const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
    const edit = altEdit(fix, alt);
    action.edit = new vscode.WorkspaceEdit();
    action.edit.replace(document.uri, vsRange(edit.range), edit.newText);
    action.diagnostics = [diagnostic];
    action.isPreferred = i === 0;
    actions.push(action);
  });
  if (fix.image && fix.source !== 'captions') {
    // Nothing or only tags to go on: a caption describes the image better.
    const action = new vscode.CodeAction('Generate Synthetic Captions for this image (then generate alt text)', vscode.CodeActionKind.QuickFix);
    action.command = { title: action.title, command: 'mobileclipAssets.generateCaptions', arguments: [vscode.Uri.file(fix.image)] };
    action.diagnostics = [diagnostic];
    action.isPreferred = actions.length === 0;
    actions.push(action);
  }
  return actions;
}

export function vsRange(r: { start: { line: number; character: number }; end: { line: number; character: number } }): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

function toRange(r: vscode.Range): { start: { line: number; character: number }; end: { line: number; character: number } } {
  return { start: { line: r.start.line, character: r.start.character }, end: { line: r.end.line, character: r.end.character } };
}
