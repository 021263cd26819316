// Command ids: `mobileclipAssets.<name>`, where <name> is a key of the one command table
// (./table.ts), so code that runs or names one of our commands cannot name one that does not
// exist. (A type-only import: the table's modules may import this one.)
import type { COMMANDS } from './table';

export type CommandName = keyof typeof COMMANDS;

export const COMMAND_PREFIX = 'mobileclipAssets.';

export function commandId(name: CommandName): string {
  return `${COMMAND_PREFIX}${name}`;
}
