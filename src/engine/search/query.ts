// Query syntax (rclip-style, one string; never throws, odd input degrades to plain text):
//
//   red car                 plain words form one text phrase
//   cat +sunset -dog        "+" starts another positive phrase, "-" a negative one (subtracted)
//   red +2:blue             a weight before a colon: "+0.5:sunset", "-2:dog", "3:cat" (default 1)
//   "a photo of a dog"      quotes group words and keep + - : literal; \" escapes a quote
//   cat +sunset sky -dog    words continue the current phrase: cat, +"sunset sky", -dog
//   cat + sunset - dog      a lone + or - applies to the next word
//   photos/cat.png          a phrase that is a single image path (relative to the folder, or
//                           absolute) is an image term: indexed images reuse their vector
//   tag:icon type:png in:assets/ path:"**/logo*"    filters: AND across kinds, OR within a kind
//   -tag:draft -type:svg -in:vendor/                negated filters exclude
//
// The combined query vector is normalize(Σ w·normalize(term)), negative weights subtracting.
import { DEFAULT_IMAGE_EXTENSIONS } from '../index/scan';

export interface QueryTerm {
  /** The phrase (or image path) as typed, without quotes. */
  text: string;
  /** Signed weight: negative terms are subtracted. Never 0. */
  weight: number;
  /** A single token with an image extension: the search engine tries it as an image first. */
  imageCandidate: boolean;
}

export interface QueryFilters {
  tags: string[];
  notTags: string[];
  /** Lower-case extensions without the dot. */
  types: string[];
  notTypes: string[];
  /** Folder prefixes relative to the searched folder, '/'-separated, no trailing slash. */
  folders: string[];
  notFolders: string[];
  /** Globs on the relative path (a glob without '/' matches the file name). */
  paths: string[];
  notPaths: string[];
}

export interface ParsedQuery {
  terms: QueryTerm[];
  filters: QueryFilters;
}

export const FILTER_KEYS = ['tag', 'type', 'in', 'path'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

interface Token {
  sign?: '+' | '-';
  weight?: number;
  filter?: FilterKey;
  value: string;
}

const IMAGE_EXTENSION = new RegExp(`\\.(${DEFAULT_IMAGE_EXTENSIONS.join('|')})$`, 'i');
const WEIGHT = /^(\d+(?:\.\d*)?|\.\d+):(?=[^\d\s])/;
const FILTER = /^(tag|type|in|path):/i;

function readValue(input: string, start: number): { value: string; end: number } {
  if (input[start] === '"') {
    let value = '';
    let i = start + 1;
    while (i < input.length && input[i] !== '"') {
      if (input[i] === '\\' && (input[i + 1] === '"' || input[i + 1] === '\\')) i++;
      value += input[i];
      i++;
    }
    return { value, end: Math.min(input.length, i + 1) }; // an unterminated quote runs to the end
  }
  let i = start;
  while (i < input.length && !/\s/.test(input[i]!)) i++;
  return { value: input.slice(start, i), end: i };
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let pendingSign: '+' | '-' | undefined;
  let i = 0;
  while (i < input.length) {
    if (/\s/.test(input[i]!)) {
      i++;
      continue;
    }
    let sign: '+' | '-' | undefined = pendingSign;
    pendingSign = undefined;
    if (input[i] === '+' || input[i] === '-') {
      const next = input[i + 1];
      if (next === undefined || /\s/.test(next)) {
        pendingSign = input[i] as '+' | '-';
        i++;
        continue;
      }
      sign = input[i] as '+' | '-';
      i++;
    }
    const rest = input.slice(i);
    let weight: number | undefined;
    let filter: FilterKey | undefined;
    const f = FILTER.exec(rest);
    if (f) {
      filter = f[1]!.toLowerCase() as FilterKey;
      i += f[0].length;
    } else {
      const w = WEIGHT.exec(rest);
      if (w) {
        weight = Number(w[1]);
        i += w[0].length;
      }
    }
    const { value, end } = readValue(input, i);
    i = end;
    tokens.push({ sign, weight, filter, value });
  }
  return tokens;
}

function emptyFilters(): QueryFilters {
  return { tags: [], notTags: [], types: [], notTypes: [], folders: [], notFolders: [], paths: [], notPaths: [] };
}

export function normalizeFolder(value: string): string {
  return value
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '')
    .replace(/\/{2,}/g, '/');
}

function addFilter(filters: QueryFilters, key: FilterKey, value: string, negated: boolean): void {
  const v = value.trim();
  if (!v) return;
  switch (key) {
    case 'tag':
      (negated ? filters.notTags : filters.tags).push(v.toLowerCase());
      break;
    case 'type':
      (negated ? filters.notTypes : filters.types).push(v.replace(/^\*?\./, '').toLowerCase());
      break;
    case 'in': {
      const folder = normalizeFolder(v);
      if (folder && folder !== '.') (negated ? filters.notFolders : filters.folders).push(folder);
      break;
    }
    case 'path':
      (negated ? filters.notPaths : filters.paths).push(v.replace(/\\/g, '/'));
      break;
  }
}

export function parseQuery(input: string): ParsedQuery {
  const filters = emptyFilters();
  const clauses: { weight: number; words: string[] }[] = [];
  let current: { weight: number; words: string[] } | undefined;
  for (const token of tokenize(input)) {
    if (token.filter) {
      addFilter(filters, token.filter, token.value, token.sign === '-');
      continue;
    }
    const startsClause = token.sign !== undefined || token.weight !== undefined || !current;
    if (startsClause) {
      const magnitude = token.weight ?? 1;
      current = { weight: token.sign === '-' ? -magnitude : magnitude, words: [] };
      clauses.push(current);
    }
    if (token.value.trim()) current!.words.push(token.value.trim());
  }
  const terms: QueryTerm[] = [];
  for (const c of clauses) {
    if (c.words.length === 0 || c.weight === 0 || !Number.isFinite(c.weight)) continue;
    const text = c.words.join(' ');
    terms.push({ text, weight: c.weight, imageCandidate: c.words.length === 1 && IMAGE_EXTENSION.test(text) });
  }
  return { terms, filters };
}

export function hasFilters(filters: QueryFilters): boolean {
  return Object.values(filters).some((list) => (list as string[]).length > 0);
}
