// The workspace as the features see it: its local folders (file scheme; the engine reads files
// from disk) with their names, and the image open in the active editor.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_IMAGE_EXTENSIONS } from '../engine/index/scan';
import { isImageFile } from './paths';

/** The workspace folders on this machine's file system. */
export function workspaceFolders(): vscode.WorkspaceFolder[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
}

/** The local workspace folders' paths. */
export function workspaceRoots(): string[] {
  return workspaceFolders().map((f) => path.resolve(f.uri.fsPath));
}

/** A folder's name as the workspace shows it (its base name when it is not a workspace folder). */
export function folderName(root: string): string {
  return vscode.workspace.getWorkspaceFolder(vscode.Uri.file(root))?.name ?? path.basename(root);
}

/**
 * The images a command without a selection works on: the active image, else what the user picks
 * (image files, and folders when `folders`); empty when cancelled.
 */
export async function activeOrPickedImages(openLabel: string, folders: boolean): Promise<string[]> {
  const active = activeImage();
  if (active) return [active];
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectFolders: folders,
    canSelectMany: true,
    openLabel,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    filters: { Images: [...DEFAULT_IMAGE_EXTENSIONS] },
  });
  return (picked ?? []).filter((u) => u.scheme === 'file').map((u) => u.fsPath);
}

/** The image in the active editor or preview tab (VS Code's image preview is a custom editor), if any. */
export function activeImage(): string | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri = vscode.window.activeTextEditor?.document.uri ?? (input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined);
  return uri?.scheme === 'file' && isImageFile(uri.fsPath) ? uri.fsPath : undefined;
}
