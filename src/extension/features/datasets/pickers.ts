// Choosing a folder or one of the workspace's reinforced datasets.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DatasetFeature } from './datasetFeature';

export async function pickFolder(title: string, openLabel: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel, title, defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri });
  return picked?.[0]?.scheme === 'file' ? picked[0].fsPath : undefined;
}

/** One of the known datasets, or any folder. */
export async function pickDataset(title: string, datasets: DatasetFeature): Promise<string | undefined> {
  const known = datasets.list;
  if (!known.length) return pickFolder(title, 'Use This Dataset');
  const browse = { label: '$(folder-opened) Choose a folder…', dir: undefined as string | undefined };
  const pick = await vscode.window.showQuickPick([...known.map((dir) => ({ label: path.basename(dir), description: vscode.workspace.asRelativePath(dir), dir })), browse], {
    title,
  });
  if (!pick) return undefined;
  return pick.dir ?? pickFolder(title, 'Use This Dataset');
}
