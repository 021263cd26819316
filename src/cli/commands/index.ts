// The subcommand table: one line per command.
import type { Command } from '../command';
import { caption } from './caption';
import { embed } from './embed';
import { tag } from './tag';
import { distill } from './distill';
import { reinforce } from './reinforce';
import { verify } from './verify';
import { indexCommand } from './indexing';
import { searchCommand } from './search';
import { similarCommand } from './similar';
import { duplicatesCommand } from './duplicates';
import { unusedCommand } from './unused';

export const commands: Command[] = [embed, indexCommand, searchCommand, similarCommand, duplicatesCommand, unusedCommand, caption, tag, reinforce, verify, distill];
