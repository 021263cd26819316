// "Export Tags (CSV/JSON)": one workspace folder's tags, in the format and with the tags the user
// picks, to a file the user chooses.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { exportTagsTo, type ExportFormat, type ExportOptions } from '../../../engine/tags/export';
import { commandId } from '../../commands/ids';
import { folderName } from '../../workspace';
import type { WorkspaceTags } from './workspaceTags';

const FORMATS = [
  { label: 'CSV', description: 'one row per image and tag: path, tag, state, source, score', format: 'csv' as ExportFormat },
  { label: 'JSON', description: 'one object per image with its tags', format: 'json' as ExportFormat },
];

const CONTENTS: (vscode.QuickPickItem & { options: ExportOptions })[] = [
  { label: 'Confirmed and suggested tags', description: 'what the gallery shows', options: { includeSuggested: true } },
  { label: 'Confirmed tags only', description: 'the tags you reviewed or added', options: { includeSuggested: false } },
  { label: 'Everything, including removed tags', description: 'with their state', options: { includeSuggested: true, includeRejected: true } },
];

export async function exportTags(tags: WorkspaceTags): Promise<void> {
  const root = await pickFolder(tags);
  if (!root) return;
  const store = await tags.folder(root).loadStore();
  if (store.size === 0) {
    const pick = await vscode.window.showInformationMessage(`${folderName(root)} has no tags yet.`, 'Tag Images');
    if (pick) await vscode.commands.executeCommand(commandId('tagImages'), root);
    return;
  }
  const format = await vscode.window.showQuickPick(FORMATS, { title: 'Export Tags (1/2): format' });
  if (!format) return;
  const content = await vscode.window.showQuickPick(CONTENTS, { title: 'Export Tags (2/2): which tags' });
  if (!content) return;
  const uri = await vscode.window.showSaveDialog({
    title: 'Export Tags',
    saveLabel: 'Export',
    defaultUri: vscode.Uri.file(path.join(root, `asset-tags.${format.format}`)),
    filters: format.format === 'csv' ? { CSV: ['csv'] } : { JSON: ['json'] },
  });
  if (!uri) return;
  if (uri.scheme !== 'file') throw new Error('Choose a file on this machine to export to.');
  await exportTagsTo(store, uri.fsPath, format.format, content.options);
  const pick = await vscode.window.showInformationMessage(`Exported the tags of ${store.size.toLocaleString()} images to ${path.basename(uri.fsPath)}.`, 'Open');
  if (pick) await vscode.commands.executeCommand('vscode.open', uri);
}

/** The only workspace folder, or the one the user picks (with how many images have tags). */
async function pickFolder(tags: WorkspaceTags): Promise<string | undefined> {
  const roots = tags.roots();
  if (!roots.length) throw new Error('Open a folder first: tags are kept per workspace folder.');
  if (roots.length === 1) return roots[0];
  const pick = await vscode.window.showQuickPick(
    roots.map((r) => ({ label: folderName(r), description: `${(tags.folder(r).loaded?.size ?? 0).toLocaleString()} images with tags`, root: r })),
    { title: 'Export Tags', placeHolder: 'Which workspace folder’s tags?' },
  );
  return pick?.root;
}
