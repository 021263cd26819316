// The one check every writer of metadata runs before it writes or deletes anything: the folder it
// writes in (`.mobileclip/`, `.vscode/`, the index folder, `thumbs/`, an image's folder for XMP
// sidecars) must really lie inside the folder it belongs to. A cloned repository can ship
// `.mobileclip` as a symlink to `~/.ssh` or `/`; following it would write index files there and let
// our cleanup delete files there.
import { promises as fs, realpathSync } from 'node:fs';
import * as path from 'node:path';

export class UnsafeFolderError extends Error {
  constructor(
    readonly folder: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnsafeFolderError';
  }
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function realpathOrSelf(p: string): Promise<string> {
  try {
    return await fs.realpath(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * Throws UnsafeFolderError unless `dir` (and every folder between `root` and it) either does not
 * exist yet or is a real folder, or a symlink that resolves inside `root`. Missing folders are
 * fine: the writer's mkdir creates real ones. `root` itself is the user's choice and may be a link.
 */
export async function checkWriteFolder(root: string, dir: string): Promise<void> {
  const base = path.resolve(root);
  const target = path.resolve(dir);
  const rel = path.relative(base, target);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new UnsafeFolderError(target, `refusing to write in ${target}: it is not inside ${base}`);
  }
  const realRoot = await realpathOrSelf(base);
  let current = base;
  for (const segment of rel.split(path.sep).filter(Boolean)) {
    current = path.join(current, segment);
    let st;
    try {
      st = await fs.lstat(current);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (st.isSymbolicLink()) {
      let real: string;
      try {
        real = await fs.realpath(current);
      } catch {
        throw new UnsafeFolderError(current, `refusing to write in ${target}: ${current} is a symbolic link that points nowhere; remove it`);
      }
      if (!isInside(realRoot, real)) {
        throw new UnsafeFolderError(
          current,
          `refusing to write in ${target}: ${current} is a symbolic link to ${real}, outside ${base}. ` +
            'Replace the link with a real folder (or remove it) to let MobileCLIP Assets write there.',
        );
      }
      if (!(await fs.stat(current)).isDirectory()) {
        throw new UnsafeFolderError(current, `refusing to write in ${target}: ${current} is not a folder`);
      }
    } else if (!st.isDirectory()) {
      throw new UnsafeFolderError(current, `refusing to write in ${target}: ${current} is not a folder`);
    }
  }
}

/**
 * The folder an in-folder writer is bounded by: `dir` itself when it lies outside `root` (per-user
 * storage such as workspaceStorage or the CLI cache, or a folder the user named), else `root`.
 */
export function boundaryFor(root: string, dir: string): string {
  return isInside(path.resolve(root), path.resolve(dir)) ? path.resolve(root) : path.resolve(dir);
}

/**
 * Synchronous yes/no form of checkWriteFolder's rule for places that cannot wait (a webview's
 * localResourceRoots): whether `dir`, as far as it exists, resolves inside `root`.
 */
export function resolvesInside(root: string, dir: string): boolean {
  return isInside(resolveExisting(root), resolveExisting(dir));
}

/** realpath of the deepest existing ancestor of `p`, with the rest of `p` appended. */
function resolveExisting(p: string): string {
  let existing = path.resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync(existing), ...rest);
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return path.resolve(p);
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}
