// Path predicates shared by the features. No `vscode` import.
import * as path from 'node:path';
import { DEFAULT_IMAGE_EXTENSIONS } from '../engine/index/scan';

const IMAGE_EXTENSIONS = new Set<string>(DEFAULT_IMAGE_EXTENSIONS.map((e) => `.${e}`));

/** Whether `p` names an image by its extension (the index's image types). */
export function isImageFile(p: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(p).toLowerCase());
}

/** True when `p` is `root` itself or lies below it. */
export function isInsideOrEqual(root: string, p: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(p));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** True when `p` lies strictly below `root`. */
export function isStrictlyInside(root: string, p: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(p));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** The deepest of `roots` that contains `p` (or is `p`), if any. */
export function deepestContaining(roots: Iterable<string>, p: string): string | undefined {
  let best: string | undefined;
  for (const root of roots) {
    if (isInsideOrEqual(root, p) && (best === undefined || path.resolve(root).length > path.resolve(best).length)) best = root;
  }
  return best;
}
