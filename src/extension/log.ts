// One output channel ("MobileCLIP Assets") for everything the extension and its worker log. It is
// created on first use and owned by the extension: activate() registers disposeLog.
import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

export function log(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('MobileCLIP Assets', { log: true });
  return channel;
}

/**
 * Disposes the channel. Lines logged later (by work that ends during deactivation) go to the
 * disposed channel, which drops them, rather than to a new channel that nothing would dispose.
 */
export function disposeLog(): void {
  channel?.dispose();
}
