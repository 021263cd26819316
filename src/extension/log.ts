// One output channel ("MobileCLIP Assets") for everything the extension and its worker log.
import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

export function log(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('MobileCLIP Assets', { log: true });
  return channel;
}
