// Dataset commands: Reinforce Dataset, Verify Reinforced Dataset, Distill Adapter.
import type { CommandFactory } from '../../ctx';
import { targetPaths } from '../commandArgs';
import { distill } from './distill';
import { reinforce } from './reinforce';
import { verify } from './verify';

export const reinforceDataset: CommandFactory = (ctx) => (first?: unknown, second?: unknown) => reinforce(ctx.datasets, targetPaths(first, second)[0]);

export const verifyDataset: CommandFactory = (ctx) => (first?: unknown, second?: unknown) => verify(ctx.datasets, targetPaths(first, second)[0]);

export const distillAdapter: CommandFactory = (ctx) => (first?: unknown, second?: unknown) => distill(ctx.datasets, targetPaths(first, second)[0]);
