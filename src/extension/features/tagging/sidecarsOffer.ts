// The XMP sidecar setting was switched on: sidecars are written from now on as tags change; this
// offers them for the images that already have tags.
import * as vscode from 'vscode';
import { log } from '../../log';
import { readSettings } from '../../settings';
import type { WorkspaceTags } from './workspaceTags';

export async function offerSidecars(tags: WorkspaceTags): Promise<void> {
  const roots = tags.roots().filter((r) => readSettings(vscode.Uri.file(r)).tags.writeXmpSidecars);
  const tagged = roots.reduce((n, r) => n + (tags.folder(r).loaded?.size ?? 0), 0);
  if (!roots.length || tagged === 0) return;
  const pick = await vscode.window.showInformationMessage(
    `XMP sidecars are written from now on whenever tags change. Write them now for the images that already have tags?`,
    'Write Sidecars',
  );
  if (!pick) return;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Writing XMP sidecars' }, async () => {
    let written = 0;
    const errors: string[] = [];
    for (const root of roots) {
      const r = await tags.folder(root).writeAllSidecars();
      written += r.written;
      for (const e of r.errors) errors.push(`${e.input}: ${e.error}`);
    }
    for (const e of errors) log().warn(`tags: sidecar ${e}`);
    const note = errors.length ? ` ${errors.length} could not be written (see the log; sidecars of other tools are left alone).` : '';
    void vscode.window.showInformationMessage(`Wrote ${written} XMP ${written === 1 ? 'sidecar' : 'sidecars'}.${note}`);
  });
}
