// Captions commands: Generate Synthetic Captions, Edit Captions.
import type { CommandFactory } from '../../ctx';
import { targetPaths } from '../commandArgs';
import { editCaptions as edit } from './editCaptions';

export const generateCaptions: CommandFactory = (ctx) => (first?: unknown, second?: unknown) => ctx.captions.runner.generate(targetPaths(first, second));

export const editCaptions: CommandFactory = (ctx) => (first?: unknown, second?: unknown) => edit(targetPaths(first, second), ctx.captions.index);
