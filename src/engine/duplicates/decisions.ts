// "Not duplicates" decisions, in a file a team commits: `<folder>/.vscode/asset-duplicates.json`.
//
//   {
//     "format": "mobileclip-assets/duplicates",
//     "notDuplicates": [
//       ["icons/error.png", "icons/warning.png"],
//       ["logo-dark.png", "logo-light.png", "logo.png"]
//     ],
//     "version": 1
//   }
//
// Each set names files (relative to the folder, '/'-separated) that look alike but are distinct
// assets: no two of them are ever grouped. One set per line, sorted, so a decision is a one-line
// diff. Paths are only compared, never opened; entries that are not plain relative paths are
// dropped and reported.
import * as path from 'node:path';
import { writeFileAtomic } from '../util/atomic';
import { readRegularTextFile, UnreadableFileError } from '../util/files';

export const DECISIONS_FILE = '.vscode/asset-duplicates.json';
export const DECISIONS_FORMAT = 'mobileclip-assets/duplicates';
export const DECISIONS_VERSION = 1;
const MAX_BYTES = 16 * 2 ** 20;

export interface DuplicateDecisions {
  /** Sets of files that are not duplicates of each other; each sorted, the list sorted. */
  notDuplicates: string[][];
  /** Entries dropped while reading, for the log. */
  problems: string[];
}

export function decisionsFileFor(root: string): string {
  return path.join(path.resolve(root), DECISIONS_FILE);
}

function isPlainRelative(p: unknown): p is string {
  if (typeof p !== 'string' || p === '' || p.includes('\0') || p.includes('\\')) return false;
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const setKey = (set: readonly string[]) => JSON.stringify(set);

/** Sorted, de-duplicated sets with no set contained in another (a larger decision covers a smaller one). */
function normalizeSets(sets: readonly (readonly string[])[]): string[][] {
  const clean = sets.map((s) => [...new Set(s)].sort(byText)).filter((s) => s.length >= 2);
  clean.sort((a, b) => b.length - a.length);
  const kept: string[][] = [];
  for (const s of clean) {
    if (kept.some((k) => s.every((p) => k.includes(p)))) continue;
    kept.push(s);
  }
  return kept.sort((a, b) => byText(setKey(a), setKey(b)));
}

export async function loadDuplicateDecisions(root: string): Promise<DuplicateDecisions> {
  const file = decisionsFileFor(root);
  let text: string;
  try {
    text = await readRegularTextFile(file, { maxBytes: MAX_BYTES });
  } catch (err) {
    if (err instanceof UnreadableFileError && err.reason === 'missing') return { notDuplicates: [], problems: [] };
    throw err;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`${DECISIONS_FILE} is not valid JSON (${(err as Error).message}); fix or delete it`);
  }
  const problems: string[] = [];
  const list = (doc as { notDuplicates?: unknown })?.notDuplicates;
  if (list !== undefined && !Array.isArray(list)) throw new Error(`${DECISIONS_FILE}: "notDuplicates" must be a list of lists of paths`);
  const sets: string[][] = [];
  for (const [i, raw] of (list ?? []).entries()) {
    if (!Array.isArray(raw)) {
      problems.push(`notDuplicates[${i}] is not a list of paths: ignored`);
      continue;
    }
    const good = raw.filter(isPlainRelative);
    if (good.length !== raw.length) problems.push(`notDuplicates[${i}]: ${raw.length - good.length} entries are not relative paths inside the folder: ignored`);
    sets.push(good);
  }
  return { notDuplicates: normalizeSets(sets), problems };
}

function decisionsText(sets: readonly string[][]): string {
  const lines = sets.map((s) => `    ${JSON.stringify(s).replace(/","/g, '", "')}`);
  const list = lines.length ? `[\n${lines.join(',\n')}\n  ]` : '[]';
  return `{\n  "format": ${JSON.stringify(DECISIONS_FORMAT)},\n  "notDuplicates": ${list},\n  "version": ${DECISIONS_VERSION}\n}\n`;
}

/** Remember that `files` are not duplicates of each other (atomic write; returns the new decisions). */
export async function recordNotDuplicates(root: string, files: readonly string[]): Promise<DuplicateDecisions> {
  const bad = files.filter((f) => !isPlainRelative(f));
  if (bad.length) throw new Error(`not a path relative to the folder: ${JSON.stringify(bad[0])}`);
  if (new Set(files).size < 2) throw new Error('a "not duplicates" decision needs at least two files');
  const current = await loadDuplicateDecisions(root);
  const next = { notDuplicates: normalizeSets([...current.notDuplicates, [...files]]), problems: current.problems };
  await writeFileAtomic(decisionsFileFor(root), decisionsText(next.notDuplicates));
  return next;
}

/** For grouping: whether a decision keeps `a` and `b` apart. */
export function separatedBy(decisions: DuplicateDecisions): (a: string, b: string) => boolean {
  const setsOf = new Map<string, number[]>();
  decisions.notDuplicates.forEach((set, i) => {
    for (const p of set) setsOf.set(p, [...(setsOf.get(p) ?? []), i]);
  });
  return (a, b) => {
    const sa = setsOf.get(a);
    const sb = sa && setsOf.get(b);
    return !!sb && sa.some((i) => sb.includes(i));
  };
}
