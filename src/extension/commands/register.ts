// Registers a `mobileclipAssets.*` command whose failures are logged and shown to the user once,
// with a way to the log, instead of surfacing as an unhandled rejection.
import * as vscode from 'vscode';
import { log } from '../log';
import { errorMessage } from '../../engine/util/errors';

export function registerCommand(context: vscode.ExtensionContext, id: string, run: (...args: any[]) => unknown): void {
  context.subscriptions.push(vscode.commands.registerCommand(`mobileclipAssets.${id}`, async (...args: unknown[]) => {
    try {
      return await run(...args); // e.g. Select Model answers whether a model was chosen
    } catch (err) {
      const message = errorMessage(err);
      log().error(`${id}: ${message}`);
      void vscode.window.showErrorMessage(`MobileCLIP Assets: ${message.split('\n')[0]}`, 'Show Log').then((pick) => pick && log().show());
      return undefined;
    }
  }));
}
