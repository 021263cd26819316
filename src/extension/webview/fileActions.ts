// Ready-made VS Code implementations of the AssetBackend actions that need no engine:
// open, reveal, copy path, copy Markdown link, settings, open folder. The extension's backend
// delegates to these with a resolver from item ids to files.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AssetBackend } from './backend';
import { altTextFor, markdownImageLink } from './markdownLink';

export interface ResolvedFile {
  path: string;
  name: string;
}

export type FileActions = Pick<AssetBackend, 'open' | 'reveal' | 'copyPaths' | 'copyMarkdownLinks' | 'openSettings' | 'openFolder'>;

export const SETTINGS_QUERY = '@ext:mobileclip-assets.mobileclip-assets';

export function createFileActions(resolve: (ids: readonly string[]) => Promise<ResolvedFile[]>): FileActions {
  return {
    async open(ids) {
      const files = await resolve(ids);
      // One file opens as a preview (like a click in the Explorer); several open as tabs.
      for (const f of files) {
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(f.path), { preview: files.length === 1 });
      }
    },
    async reveal(id) {
      const [f] = await resolve([id]);
      if (f) await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(f.path));
    },
    async copyPaths(ids) {
      const files = await resolve(ids);
      await vscode.env.clipboard.writeText(files.map((f) => f.path).join('\n'));
    },
    async copyMarkdownLinks(ids) {
      const files = await resolve(ids);
      const doc = vscode.window.activeTextEditor?.document;
      const links = files.map((f) => {
        const from = doc?.uri.scheme === 'file' ? path.dirname(doc.uri.fsPath) : (vscode.workspace.getWorkspaceFolder(vscode.Uri.file(f.path))?.uri.fsPath ?? path.dirname(f.path));
        return markdownImageLink(f.path, from, altTextFor(f.name));
      });
      await vscode.env.clipboard.writeText(links.join('\n'));
      void vscode.window.setStatusBarMessage(`Copied ${links.length} Markdown image link${links.length === 1 ? '' : 's'}`, 3000);
    },
    async openSettings(query) {
      await vscode.commands.executeCommand('workbench.action.openSettings', query ?? SETTINGS_QUERY);
    },
    async openFolder() {
      await vscode.commands.executeCommand('workbench.action.files.openFolder');
    },
  };
}
