// Searching: Find Images by Description (./findImages.ts), Find Similar Images, Pin Results.
import type { CommandFactory } from '../ctx';
import { targetPaths } from '../features/commandArgs';
import { activeImage } from '../workspace';
import { FindImagesPicker } from './findImages';

export const findImages: CommandFactory = (ctx) => (query?: unknown) => FindImagesPicker.open(ctx, typeof query === 'string' ? query : '');

export const findSimilar: CommandFactory = (ctx) => async (first?: unknown, second?: unknown) => {
  const target = targetPaths(first, second)[0] ?? activeImage();
  if (!target) throw new Error('Right-click an image in the Explorer to find similar ones.');
  if (!(await ctx.library.ensureSearchReady('Find Similar Images'))) return;
  ctx.webviews.showResults(await ctx.backend.findSimilar(target));
};

export const pinResults: CommandFactory = (ctx) => () => ctx.webviews.pinActiveResults();
