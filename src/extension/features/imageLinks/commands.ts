// Show in Gallery: the asset gallery, filtered to one image (the hover's link).
import type { CommandFactory } from '../../ctx';
import { targetPaths } from '../commandArgs';

export const showInGallery: CommandFactory = (ctx) => async (first?: unknown, second?: unknown) => {
  const image = targetPaths(first, second)[0];
  const folder = image ? ctx.library.folderOf(image) : undefined;
  const rel = image ? folder?.relative(image) : undefined;
  // `path:` globs on the path relative to the image's folder; quotes keep spaces in it.
  await ctx.webviews.gallery.search(rel !== undefined ? `path:"${rel.replace(/["\\]/g, '\\$&')}"` : '');
};
