// What "Tag Images" / "Edit Tags" act on: the invoked paths grouped by workspace folder, and a
// selection matched against a folder's indexed images. No `vscode` import.
import * as path from 'node:path';
import { deepestContaining } from '../../paths';

export interface FolderSelection {
  /** The workspace folder (absolute, as given in `roots`). */
  root: string;
  /** The whole workspace folder is selected (no selection, or the folder itself). */
  whole: boolean;
  /** Selected files and directories inside `root`: relative, '/'-separated. Empty when `whole`. */
  paths: string[];
}

/**
 * Groups absolute target paths by the workspace folder that contains them (the deepest one when
 * folders nest). No targets means every folder, whole. Paths outside every folder are returned
 * in `outside`.
 */
export function groupByRoot(roots: readonly string[], targets: readonly string[]): { groups: FolderSelection[]; outside: string[] } {
  if (targets.length === 0) return { groups: roots.map((root) => ({ root, whole: true, paths: [] })), outside: [] };
  const byRoot = new Map<string, FolderSelection>();
  const outside: string[] = [];
  for (const target of targets) {
    const root = deepestContaining(roots, target);
    if (root === undefined) {
      outside.push(target);
      continue;
    }
    let group = byRoot.get(root);
    if (!group) {
      group = { root, whole: false, paths: [] };
      byRoot.set(root, group);
    }
    const rel = toRelative(root, target);
    if (rel === '') group.whole = true;
    else if (!group.paths.includes(rel)) group.paths.push(rel);
  }
  const groups = roots.filter((r) => byRoot.has(r)).map((r) => byRoot.get(r)!);
  for (const g of groups) if (g.whole) g.paths = [];
  return { groups, outside };
}

/** `abs` relative to `root`, '/'-separated ('' for the root itself). */
export function toRelative(root: string, abs: string): string {
  return path.relative(path.resolve(root), path.resolve(abs)).split(path.sep).join('/');
}

/**
 * The indexed paths a selection covers: a selected file covers itself, a selected directory every
 * path below it. `unmatched` lists selected paths that cover no indexed image (not indexed yet,
 * excluded by the index settings, failed to decode, or an empty directory).
 */
export function matchSelection(indexPaths: Iterable<string>, selection: readonly string[]): { matched: Set<string>; unmatched: string[] } {
  const wanted = new Set(selection);
  const hit = new Set<string>();
  const matched = new Set<string>();
  for (const p of indexPaths) {
    // Walk up from the file itself through its parent directories (all the way: a selection may
    // hold both a directory and a file inside it).
    for (let at = p; ;) {
      if (wanted.has(at)) {
        matched.add(p);
        hit.add(at);
      }
      const slash = at.lastIndexOf('/');
      if (slash < 0) break;
      at = at.slice(0, slash);
    }
  }
  return { matched, unmatched: selection.filter((s) => !hit.has(s)) };
}
