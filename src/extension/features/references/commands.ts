// Unused-asset commands: Report Unused Images (a read-only report, like Verify's) and Reveal
// References (a quick pick of the file:line locations that name an image; the highlighted one
// is shown in the editor as you move through the list).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatBytes } from '../../../engine/util/format';
import type { CommandFactory } from '../../ctx';
import { showReport } from '../../reports';
import type { AssetLibrary } from '../../assets/assetLibrary';
import { targetPaths } from '../commandArgs';
import type { ReferenceService } from './referenceService';

/** Markdown text with its special characters escaped (file names may hold any of them). */
const md = (s: string) => s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');

/** Scans once, with a cancellable progress notification; false when cancelled. */
export async function ensureReferences(references: ReferenceService): Promise<boolean> {
  if (references.ready) return true;
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Finding image references', cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    try {
      await references.ensureBuilt({ signal: abort.signal, onProgress: (n) => progress.report({ message: `${n.toLocaleString('en')} text files read` }) });
      return true;
    } catch (err) {
      if (abort.signal.aborted) return false;
      throw err;
    } finally {
      sub.dispose();
    }
  });
}

/** The report's Markdown: unused images by folder, biggest first, with the bytes they hold. */
export function unusedReportMarkdown(rows: ReadonlyArray<{ folder: string; rel: string; size: number }>, images: number, multiRoot: boolean): string {
  const total = rows.reduce((s, r) => s + r.size, 0);
  const lines = ['# Unused images', ''];
  if (!rows.length) {
    lines.push(`All ${images.toLocaleString('en')} images are referenced by a text file of the workspace.`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(
    `${rows.length.toLocaleString('en')} of ${images.toLocaleString('en')} images (${formatBytes(total)}) are not referenced by any text file of the workspace:`,
    'not by a relative path, a path from the folder, an alias or web-root path, nor by file name in an import, `url()`, `src`, a Markdown link, JSON or YAML.',
    'Files that `.gitignore`, `mobileclipAssets.index.exclude`, `files.exclude` or `search.exclude` leave out are not searched.',
    '',
    '| Size | Image |',
    '| ---: | --- |',
  );
  const sorted = [...rows].sort((a, b) => b.size - a.size || (a.rel < b.rel ? -1 : 1));
  for (const r of sorted) lines.push(`| ${formatBytes(r.size)} | ${md(multiRoot ? `${r.folder}/${r.rel}` : r.rel)} |`);
  lines.push('', 'The gallery shows them with the search `unused:`; Reveal References on an image lists where a used one is named.');
  return `${lines.join('\n')}\n`;
}

export async function reportUnusedImages(library: AssetLibrary, references: ReferenceService): Promise<void> {
  if (!(await ensureReferences(references))) return;
  references.syncImages();
  const rows = references.unused().map(({ folder, rel }) => ({ folder: folder.name, rel, size: folder.files.get(rel)?.size ?? 0 }));
  const images = library.folderStates.reduce((n, f) => n + f.files.size, 0);
  await showReport('Unused images', unusedReportMarkdown(rows, images, library.folderStates.length > 1));
}

interface LocationPick extends vscode.QuickPickItem {
  uri: vscode.Uri;
  range: vscode.Range;
}

export async function revealReferences(library: AssetLibrary, references: ReferenceService, image: string | undefined): Promise<void> {
  const target = image ?? vscode.window.activeTextEditor?.document.uri.fsPath;
  if (!target || !library.folderOf(target)) {
    void vscode.window.showInformationMessage('Reveal References works on an image of the workspace: right-click one in the gallery or the Explorer.');
    return;
  }
  if (!(await ensureReferences(references))) return;
  const refs = references.referencesTo(target);
  const name = path.basename(target);
  if (!refs.length) {
    void vscode.window.showInformationMessage(`No text file of the workspace references ${name}.`);
    return;
  }
  const picks: LocationPick[] = refs.map((r) => ({
    label: `${r.file}:${r.range.start.line + 1}`,
    description: r.text,
    detail: r.how === 'name' ? 'by file name (an alias or web root)' : undefined,
    uri: vscode.Uri.file(r.absFile),
    range: new vscode.Range(r.range.start.line, r.range.start.character, r.range.end.line, r.range.end.character),
  }));
  const quickPick = vscode.window.createQuickPick<LocationPick>();
  quickPick.title = `${refs.length === 1 ? '1 reference' : `${refs.length} references`} to ${name}`;
  quickPick.placeholder = 'Type to filter; Enter opens the location';
  quickPick.items = picks;
  quickPick.matchOnDescription = true;
  const show = (p: LocationPick | undefined, preserveFocus: boolean) => p && vscode.window.showTextDocument(p.uri, { selection: p.range, preserveFocus, preview: true });
  quickPick.onDidChangeActive((active) => void show(active[0], true));
  quickPick.onDidAccept(() => {
    void show(quickPick.selectedItems[0] ?? quickPick.activeItems[0], false);
    quickPick.hide();
  });
  quickPick.onDidHide(() => quickPick.dispose());
  quickPick.show();
}

export const reportUnused: CommandFactory = (ctx) => () => reportUnusedImages(ctx.library, ctx.references);

export const revealReferencesOf: CommandFactory = (ctx) => (first?: unknown, second?: unknown) => revealReferences(ctx.library, ctx.references, targetPaths(first, second)[0]);
