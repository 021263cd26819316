// Alt-text commands: Generate Alt Text in File, Generate Alt Text in Workspace.
import type * as vscode from 'vscode';
import type { CommandFactory } from '../../ctx';
import { generateAltTextInFile, generateAltTextInWorkspace } from './generateAltText';

/** From the editor title or the Explorer (a URI), or the palette (the active editor). */
export const inFile: CommandFactory = (ctx) => (target?: unknown) => generateAltTextInFile(ctx, isUri(target) ? target : undefined);

export const inWorkspace: CommandFactory = (ctx) => () => generateAltTextInWorkspace(ctx);

function isUri(v: unknown): v is vscode.Uri {
  return !!v && typeof v === 'object' && typeof (v as { fsPath?: unknown }).fsPath === 'string' && typeof (v as { scheme?: unknown }).scheme === 'string';
}
