// Where a workspace folder's index lives. Shared by the CLI and the extension so both find the
// same index for the same folder.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** Folder name of an index kept inside the workspace (committed and shared by a team). */
export const IN_REPOSITORY_DIR = '.mobileclip';
export const MANIFEST_FILE = 'index.json';
export const THUMBNAILS_DIR = 'thumbs';

export interface IndexLocationOptions {
  /** Per-user storage root: the extension's workspaceStorage, the CLI's `<cacheDir>/index`. */
  storageRoot: string;
  /** Keep the index in `<folder>/.mobileclip/` instead (for sharing it through the repository). */
  inRepository?: boolean;
}

/** Normalized absolute folder path used as the storage key (drive letters differ in case on Windows). */
export function folderKey(folder: string): string {
  let abs = path.resolve(folder);
  if (process.platform === 'win32') abs = abs.replace(/^[A-Z]:/, (d) => d.toLowerCase());
  return abs;
}

export function indexDirFor(folder: string, options: IndexLocationOptions): string {
  if (options.inRepository) return path.join(path.resolve(folder), IN_REPOSITORY_DIR);
  const key = createHash('sha1').update(folderKey(folder)).digest('hex').slice(0, 16);
  return path.join(options.storageRoot, key);
}

/**
 * The one rule both the CLI and the extension follow: an explicit override wins (`--index DIR`);
 * `inRepository` asks for `<folder>/.mobileclip/`; otherwise an in-repository index that already
 * exists (`<folder>/.mobileclip/index.json`, e.g. committed by a team or built by the CLI) is used;
 * otherwise the per-user storage.
 */
export function resolveIndexDir(folder: string, options: IndexLocationOptions & { override?: string }): string {
  if (options.override) return path.resolve(options.override);
  const inRepo = indexDirFor(folder, { storageRoot: '', inRepository: true });
  if (options.inRepository || existsSync(path.join(inRepo, MANIFEST_FILE))) return inRepo;
  return indexDirFor(folder, { storageRoot: options.storageRoot });
}

/** The CLI's per-user storage is `<cacheDir>/index`. */
export function resolveCliIndexDir(folder: string, options: { override?: string; cacheDir: string }): string {
  return resolveIndexDir(folder, { override: options.override, storageRoot: path.join(options.cacheDir, 'index') });
}
