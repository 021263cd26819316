// Thumbnail bookkeeping. The worker writes `<sha256>-<size>.webp` into the cache directory from
// the same decode that feeds the model; entries are keyed by content hash, so renamed or copied
// files share one thumbnail and nothing needs rewriting when a file moves.
import * as path from 'node:path';
import { pruneTempFiles, removeOwnFiles } from '../util/atomic';

/** Longest side of gallery thumbnails, in pixels (sharp enough for ~96 CSS px tiles at 2x). */
export const DEFAULT_THUMBNAIL_SIZE = 192;

const THUMB_NAME = /^([0-9a-f]{64})-(\d+)\.webp$/;

export function thumbnailPath(dir: string, sha256: string, size: number): string {
  return path.join(dir, `${sha256}-${size}.webp`);
}

/**
 * Delete cached thumbnails whose content is no longer in the index, and the temp files of
 * thumbnail writes cut short by a kill; returns how many went. Only our own names, only regular
 * files (the caller checked `dir`, see util/folders.ts).
 */
export async function pruneThumbnails(dir: string, liveHashes: ReadonlySet<string>): Promise<number> {
  const stale = (name: string) => {
    const m = THUMB_NAME.exec(name);
    return m !== null && !liveHashes.has(m[1]!);
  };
  return (await removeOwnFiles(dir, stale)) + (await pruneTempFiles(dir, (target) => THUMB_NAME.test(target)));
}
