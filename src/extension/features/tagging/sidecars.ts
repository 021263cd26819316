// XMP sidecars (`image.png.xmp`, dc:subject) kept in step with the tags file. Only images whose set
// of tags changed get their sidecar rewritten: re-scoring a folder changes scores everywhere but
// the tags of few images, and a sidecar holds no scores. No `vscode` import.
import type { ItemError } from '../../../engine/types';
import { removeXmpSidecar, writeXmpSidecar } from '../../../engine/tags/export';
import * as path from 'node:path';
import { resolveInside } from '../../../engine/util/atomic';
import { checkWriteFolder } from '../../../engine/util/folders';
import { errorMessage } from '../../../engine/util/errors';

/** Read side of the TagStore that sidecars need. */
export interface TagListSource {
  paths(): string[];
  peek(relPath: string): unknown;
  tagsOf(relPath: string): string[];
}

/**
 * Path -> the image's tags as a set (sorted, joined): dc:subject is an unordered bag. `only`
 * limits it to these paths (those with an entry), for edits of a few images in a large folder.
 */
export function tagLists(store: TagListSource, only?: Iterable<string>): Map<string, string> {
  const out = new Map<string, string>();
  const paths = only ? [...new Set(only)].filter((p) => store.peek(p) !== undefined) : store.paths();
  for (const p of paths) out.set(p, [...store.tagsOf(p)].sort().join('\n'));
  return out;
}

/** Images whose tag set changed between two `tagLists` results: sidecars to write or remove. */
export function changedTagLists(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): { write: string[]; remove: string[] } {
  const write: string[] = [];
  const remove: string[] = [];
  for (const [p, tags] of after) if (before.get(p) !== tags) write.push(p);
  for (const p of before.keys()) if (!after.has(p)) remove.push(p);
  return { write: write.sort(), remove: remove.sort() };
}

/**
 * Bring the sidecars of `changes` in line with the store. A sidecar written by another tool is never
 * touched (reported as an error); every problem is per image and never stops the rest.
 */
export async function syncSidecars(
  root: string,
  store: TagListSource,
  changes: { write: readonly string[]; remove: readonly string[] },
): Promise<{ written: number; removed: number; errors: ItemError[] }> {
  const errors: ItemError[] = [];
  let written = 0;
  let removed = 0;
  for (const p of changes.write) {
    try {
      const abs = resolveInside(root, p);
      await checkWriteFolder(root, path.dirname(abs)); // the image's folder may be a link out of the workspace
      await writeXmpSidecar(abs, store.tagsOf(p));
      written++;
    } catch (err) {
      errors.push({ input: p, error: errorMessage(err) });
    }
  }
  for (const p of changes.remove) {
    try {
      const abs = resolveInside(root, p);
      await checkWriteFolder(root, path.dirname(abs));
      await removeXmpSidecar(abs);
      removed++;
    } catch (err) {
      errors.push({ input: p, error: errorMessage(err) });
    }
  }
  return { written, removed, errors };
}
