// Indexing: Index Workspace, Rebuild Index, Pause and Resume Indexing.
import type { CommandFactory } from '../ctx';

export const indexWorkspace: CommandFactory = (ctx) => () => ctx.library.indexAll({ interactive: true });

export const rebuildIndex: CommandFactory = (ctx) => async () => {
  await ctx.library.rebuild();
  await ctx.library.indexAll({ interactive: true, notify: true });
};

export const pauseIndexing: CommandFactory = (ctx) => () => ctx.library.scheduler.setPaused(true);

export const resumeIndexing: CommandFactory = (ctx) => () => {
  ctx.library.scheduler.setPaused(false);
  return ctx.library.indexAll({ interactive: false });
};
