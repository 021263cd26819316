// Path, type and tag filters of a parsed query, compiled once per search.
import picomatch from 'picomatch';
import type { QueryFilters } from './query';

/** Extensions that name the same type. */
const TYPE_ALIASES: Record<string, string> = { jpeg: 'jpg', jpe: 'jpg', tif: 'tiff', svgz: 'svg' };

function canonicalType(ext: string): string {
  const e = ext.toLowerCase();
  return TYPE_ALIASES[e] ?? e;
}

export function fileType(relPath: string): string {
  const dot = relPath.lastIndexOf('.');
  return dot > relPath.lastIndexOf('/') ? canonicalType(relPath.slice(dot + 1)) : '';
}

function inFolder(relPath: string, folder: string): boolean {
  const p = relPath.toLowerCase();
  const f = folder.toLowerCase();
  return p.startsWith(f + '/');
}

function globMatcher(globs: string[]): ((p: string) => boolean) | undefined {
  if (globs.length === 0) return undefined;
  const matchers = globs.map((g) => picomatch(g, { nocase: true, dot: true, basename: !g.includes('/') }));
  return (p) => matchers.some((m) => m(p));
}

export type TagsOf = (relPath: string) => readonly string[];

/** Compile filters into a predicate on relative paths; undefined when nothing filters. */
export function compileFilters(filters: QueryFilters, tagsOf?: TagsOf): ((relPath: string) => boolean) | undefined {
  const types = new Set(filters.types.map(canonicalType));
  const notTypes = new Set(filters.notTypes.map(canonicalType));
  const paths = globMatcher(filters.paths);
  const notPaths = globMatcher(filters.notPaths);
  const needTags = filters.tags.length > 0 || filters.notTags.length > 0;
  const checks: ((p: string) => boolean)[] = [];
  if (types.size) checks.push((p) => types.has(fileType(p)));
  if (notTypes.size) checks.push((p) => !notTypes.has(fileType(p)));
  if (filters.folders.length) checks.push((p) => filters.folders.some((f) => inFolder(p, f)));
  if (filters.notFolders.length) checks.push((p) => !filters.notFolders.some((f) => inFolder(p, f)));
  if (paths) checks.push(paths);
  if (notPaths) checks.push((p) => !notPaths(p));
  if (needTags) {
    checks.push((p) => {
      const tags = new Set((tagsOf?.(p) ?? []).map((t) => t.toLowerCase()));
      if (filters.tags.length && !filters.tags.some((t) => tags.has(t))) return false;
      return !filters.notTags.some((t) => tags.has(t));
    });
  }
  if (checks.length === 0) return undefined;
  return (p) => checks.every((check) => check(p));
}
