// The subcommand table: one line per command.
import type { Command } from '../command';
import { caption } from './caption';
import { embed } from './embed';

export const commands: Command[] = [
  embed,
  caption,
];
