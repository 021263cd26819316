// "Generate Alt Text in File" and "... in Workspace": every image without alt text gets its best
// description in one WorkspaceEdit that VS Code shows in the refactor preview first: every edit
// needs confirmation (generated text is opt-in: the user ticks files or, grouped by type, where the
// text came from). Images that have no caption yet are captioned first with the configured
// captioner (the captions command's progress and cancel).
import * as vscode from 'vscode';
import { readTextFile } from '../../../engine/references/scan';
import { errorMessage } from '../../../engine/util/errors';
import { log } from '../../log';
import type { CaptionFeature } from '../captions/captionFeature';
import { altEdit, altLanguage, planAltText, type AltFix, type AltSource } from './altTextPlan';
import type { AltTextFeature } from './altTextFeature';
import { vsRange } from './altTextFeature';

const CHECKED_FILES = '**/*.{md,markdown,mdx,html,htm,xhtml,php,hbs,astro,jsx,tsx,vue,svelte}';
const SKIPPED_FOLDERS = '{**/node_modules/**,**/.git/**,**/.mobileclip/**}';

const LABELS: Record<Exclude<AltSource, 'none'>, string> = {
  captions: 'Alt text from the image captions',
  tags: 'Alt text from the image tags (no caption yet)',
  'file name': 'Alt text from the file name (not a workspace image)',
};

interface FilePlan {
  uri: vscode.Uri;
  fixes: AltFix[];
}

export interface GenerateAltTextDeps {
  altText: AltTextFeature;
  captions: CaptionFeature;
}

/** The alt text of one document (`target`, else the active editor's). */
export async function generateAltTextInFile(deps: GenerateAltTextDeps, target?: vscode.Uri): Promise<void> {
  const uri = target ?? vscode.window.activeTextEditor?.document.uri;
  if (!uri || uri.scheme !== 'file' || !altLanguage(openDocument(uri)?.languageId, uri.fsPath)) {
    void vscode.window.showInformationMessage('Open a Markdown, HTML, JSX/TSX, Vue or Svelte file to generate its alt text.');
    return;
  }
  await generate(deps, [uri], vscode.workspace.asRelativePath(uri));
}

/** The alt text of every checked file of the workspace. */
export async function generateAltTextInWorkspace(deps: GenerateAltTextDeps): Promise<void> {
  const uris = await vscode.workspace.findFiles(CHECKED_FILES, SKIPPED_FOLDERS);
  await generate(
    deps,
    uris.filter((u) => u.scheme === 'file'),
    'the workspace',
  );
}

async function generate(deps: GenerateAltTextDeps, uris: readonly vscode.Uri[], where: string): Promise<void> {
  let plans = await planFiles(deps, uris);
  const uncaptioned = [
    ...new Set(
      plans
        .flatMap((p) => p.fixes)
        .filter((f) => f.image && f.source !== 'captions')
        .map((f) => f.image!),
    ),
  ];
  if (uncaptioned.length) {
    log().info(`alt text: captioning ${uncaptioned.length} image${uncaptioned.length === 1 ? '' : 's'} without captions first`);
    await deps.captions.runner.generate(uncaptioned);
    await deps.captions.index.settled();
    plans = await planFiles(deps, uris);
  }
  const fixes = plans.reduce((n, p) => n + p.fixes.length, 0);
  if (!fixes) {
    void vscode.window.showInformationMessage(`No image without alt text in ${where}.`);
    return;
  }
  const edit = new vscode.WorkspaceEdit();
  let written = 0;
  for (const { uri, fixes: list } of plans) {
    for (const fix of list) {
      const alt = fix.candidates[0];
      if (!alt || fix.source === 'none') continue;
      const e = altEdit(fix, alt);
      edit.replace(uri, vsRange(e.range), e.newText, { needsConfirmation: true, label: LABELS[fix.source], description: alt });
      written++;
    }
  }
  const left = fixes - written;
  if (!written) {
    void vscode.window.showWarningMessage(
      `${fixes} image${fixes === 1 ? '' : 's'} in ${where} ha${fixes === 1 ? 's' : 've'} no alt text, and nothing describes ${fixes === 1 ? 'it' : 'them'} yet: generate captions or tags first.`,
    );
    return;
  }
  // needsConfirmation: VS Code opens the refactor preview with the edits unticked, to review first.
  const applied = await vscode.workspace.applyEdit(edit, { isRefactoring: true });
  if (applied && left)
    void vscode.window.showInformationMessage(`${left} image${left === 1 ? '' : 's'} still without alt text: nothing describes ${left === 1 ? 'it' : 'them'} yet.`);
}

function planFiles(deps: GenerateAltTextDeps, uris: readonly vscode.Uri[]): Thenable<FilePlan[]> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Looking for images without alt text' }, () => readPlans(deps, uris));
}

async function readPlans(deps: GenerateAltTextDeps, uris: readonly vscode.Uri[]): Promise<FilePlan[]> {
  const out: FilePlan[] = [];
  for (const uri of uris) {
    const open = openDocument(uri);
    const language = altLanguage(open?.languageId, uri.fsPath);
    if (!language) continue;
    try {
      const text = open ? open.getText() : await readTextFile(uri.fsPath);
      if (text === undefined) continue;
      const fixes = planAltText(text, language, uri.fsPath, deps.altText.deps);
      if (fixes.length) out.push({ uri, fixes });
    } catch (err) {
      log().warn(`alt text: cannot read ${uri.fsPath}: ${errorMessage(err)}`);
    }
  }
  return out;
}

/** The open document of a file (its unsaved text is what the edit applies to). */
function openDocument(uri: vscode.Uri): vscode.TextDocument | undefined {
  return vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
}
