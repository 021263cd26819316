// Find Duplicate Images: the gallery in its Duplicates mode, with the groups found now.
import type { CommandFactory } from '../../ctx';

export const findDuplicates: CommandFactory = (ctx) => async () => {
  await ctx.webviews.gallery.showMode('duplicates');
  await ctx.duplicates.find();
};
