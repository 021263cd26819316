// Path predicates shared by the captions and dataset features. No `vscode` import.
import * as path from 'node:path';

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
