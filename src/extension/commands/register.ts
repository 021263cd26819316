// Registers every command of the table (./table.ts) as `mobileclipAssets.<name>`. A failure is
// logged and shown to the user once, with a way to the log, instead of surfacing as an unhandled
// rejection; a command's result (Select Model answers whether a model was chosen) is passed on.
import * as vscode from 'vscode';
import { errorMessage, firstLineOf } from '../../engine/util/errors';
import type { CommandFactory, Ctx } from '../ctx';
import { log } from '../log';
import { COMMAND_PREFIX } from './ids';

export function registerCommands(ctx: Ctx, table: Readonly<Record<string, CommandFactory>>): vscode.Disposable[] {
  return Object.entries(table).map(([name, factory]) => {
    const handler = factory(ctx);
    return vscode.commands.registerCommand(`${COMMAND_PREFIX}${name}`, async (...args: unknown[]) => {
      try {
        return await handler(...args);
      } catch (err) {
        log().error(`${name}: ${errorMessage(err)}`);
        void vscode.window.showErrorMessage(`MobileCLIP Assets: ${firstLineOf(err)}`, 'Show Log').then((pick) => pick && log().show());
        return undefined;
      }
    });
  });
}
