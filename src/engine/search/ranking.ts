// How search results are ordered. One rule for the gallery, the quick pick and the CLI:
//
//   semantic (default)  score = cosine similarity with the query. Nothing else moves a result.
//   hybrid              score = cosine + NAME_MATCH_WEIGHT × spread × nameMatch
//
// nameMatch ∈ [-1, 1] is how much of the query's words the image's path contains (see nameMatch
// below); spread = best − median cosine over the folder's images for this query, i.e. how far the
// query separates its best image from a typical one. So a path that names every query word lifts
// an image by half that gap: enough to overtake images that look about as relevant, never one that
// is clearly more relevant. A blue `red-herring.png` scores like a typical image for "red", so it
// stays below every image in the upper half of that gap: the red ones. The boost is relative to
// the query's own scores, so it behaves the same for every model, whatever its cosine scale.
//
// Reciprocal rank fusion was considered and rejected: a name match is nearly binary, so the
// lexical "ranking" is one big tie at rank 1, and RRF (k = 60) would then put every name match
// above every image that only looks right — exactly the red-herring failure. It also discards the
// score gaps that say how sure the model is.
import type { ResolvedTerm } from './search';

export const RANKING_MODES = ['semantic', 'hybrid'] as const;
export type RankingMode = (typeof RANKING_MODES)[number];
export const DEFAULT_RANKING: RankingMode = 'semantic';

/** Fraction of the query's best-minus-median score gap that a full name match adds. */
export const NAME_MATCH_WEIGHT = 0.5;
/** Credit for a query word found only in a folder name (a word in the file name counts 1). */
export const FOLDER_MATCH_CREDIT = 0.5;

export function isRankingMode(value: unknown): value is RankingMode {
  return typeof value === 'string' && (RANKING_MODES as readonly string[]).includes(value);
}

const enum CharClass {
  Other,
  Lower,
  Upper,
  Digit,
  /** A combining mark: part of the word it follows. */
  Mark,
}

const UPPER = /\p{Lu}/u;
const LETTER = /\p{L}/u;
const NUMBER = /\p{N}/u;
const MARK = /\p{M}/u;

function classOf(codePoint: number): CharClass {
  if (codePoint < 128) {
    if (codePoint >= 97 && codePoint <= 122) return CharClass.Lower;
    if (codePoint >= 65 && codePoint <= 90) return CharClass.Upper;
    if (codePoint >= 48 && codePoint <= 57) return CharClass.Digit;
    return CharClass.Other;
  }
  const ch = String.fromCodePoint(codePoint);
  if (UPPER.test(ch)) return CharClass.Upper;
  if (LETTER.test(ch)) return CharClass.Lower; // caseless scripts (CJK...) behave like lower case
  if (NUMBER.test(ch)) return CharClass.Digit;
  return MARK.test(ch) ? CharClass.Mark : CharClass.Other;
}

function pushWord(out: string[], word: string): void {
  if (word.length < 2 && word.charCodeAt(0) < 128) return; // "a", "x", "2": too common to mean anything
  const w = word.toLowerCase();
  out.push(w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w);
}

/**
 * Lower-case words of a path or a query: split at anything but letters and digits, at camelCase
 * and at letter-digit boundaries ("SVGLogo_btnRedHerring24px" -> svg, logo, btn, red, herring,
 * 24, px); a trailing plural "s" is dropped ("icons" -> icon) so singular and plural match.
 * Single ASCII characters are left out. (One pass over the characters: every path of an index is
 * split on the first hybrid query, and regular expressions took over a second for 100k paths.)
 */
export function words(text: string): string[] {
  const out: string[] = [];
  let start = -1; // where the current word began, -1 between words
  let prev = CharClass.Other;
  let prevPrev = CharClass.Other;
  let prevAt = -1;
  for (let i = 0; i < text.length;) {
    const codePoint = text.codePointAt(i)!;
    const size = codePoint > 0xffff ? 2 : 1;
    const cls = classOf(codePoint);
    if (cls === CharClass.Mark) {
      i += size; // part of the word it follows
      continue;
    }
    if (cls === CharClass.Other) {
      if (start >= 0) pushWord(out, text.slice(start, i));
      start = -1;
    } else if (start < 0) {
      start = i;
    } else if (cls === CharClass.Lower && prev === CharClass.Upper && prevPrev === CharClass.Upper && prevAt > start) {
      pushWord(out, text.slice(start, prevAt)); // "SVGLogo": the last capital starts the next word
      start = prevAt;
    } else if ((cls === CharClass.Upper && prev === CharClass.Lower) || (cls === CharClass.Digit) !== (prev === CharClass.Digit)) {
      pushWord(out, text.slice(start, i));
      start = i;
    }
    prevPrev = prev;
    prev = cls;
    prevAt = i;
    i += size;
  }
  if (start >= 0) pushWord(out, text.slice(start));
  return out;
}

/** The words a name match looks for: from the query's text terms (image terms have none). */
export interface NameQuery {
  positive: string[];
  negative: string[];
}

export function nameQuery(terms: readonly Pick<ResolvedTerm, 'text' | 'weight' | 'kind'>[]): NameQuery | undefined {
  const positive = new Set<string>();
  const negative = new Set<string>();
  for (const t of terms) {
    if (t.kind !== 'text') continue;
    for (const w of words(t.text)) (t.weight > 0 ? positive : negative).add(w);
  }
  for (const w of positive) negative.delete(w);
  return positive.size ? { positive: [...positive], negative: [...negative] } : undefined;
}

/**
 * A path's words, file name (without extension) and folders apart, each as " w1 w2 … " (one
 * string per path instead of a Set: an index keeps one per image).
 */
export interface PathWords {
  name: string;
  folders: string;
}

const wordList = (text: string) => ` ${words(text).join(' ')} `;

export function pathWords(relPath: string, folderWords: (folder: string) => string = wordList): PathWords {
  const slash = relPath.lastIndexOf('/');
  const file = relPath.slice(slash + 1);
  const dot = file.lastIndexOf('.');
  return { name: wordList(dot > 0 ? file.slice(0, dot) : file), folders: folderWords(relPath.slice(0, Math.max(0, slash))) };
}

/** Whether a " w1 w2 … " list holds `word` (as a whole word). */
function hasWord(list: string, word: string): boolean {
  for (let at = list.indexOf(word); at >= 0; at = list.indexOf(word, at + 1)) {
    if (list.charCodeAt(at - 1) === 32 && list.charCodeAt(at + word.length) === 32) return true;
  }
  return false;
}

function credit(p: PathWords, word: string): number {
  if (hasWord(p.name, word)) return 1;
  return hasWord(p.folders, word) ? FOLDER_MATCH_CREDIT : 0;
}

/**
 * How well a path names the query, in [-1, 1]: the mean credit of the positive words (1 in the
 * file name, FOLDER_MATCH_CREDIT in a folder name, 0 absent), minus the credit of negative words
 * ("logo -dark" does not lift logo-dark.svg) on the same scale.
 */
export function nameMatch(p: PathWords, q: NameQuery): number {
  let sum = 0;
  for (const w of q.positive) sum += credit(p, w);
  for (const w of q.negative) sum -= credit(p, w);
  return Math.max(-1, Math.min(1, sum / q.positive.length));
}

/** The k-th smallest value (0-based) of `values`, reordering it (quickselect). */
function select(values: Float32Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i++] = values[j]!;
        values[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return values[k]!;
}

/**
 * Best minus median score (of `rows` of `scores`, or all of them): how far a query separates its
 * best image from a typical one.
 */
export function scoreSpread(scores: ArrayLike<number>, rows?: ArrayLike<number>): number {
  const copy = new Float32Array(rows ? rows.length : scores.length);
  for (let i = 0; i < copy.length; i++) copy[i] = scores[rows ? rows[i]! : i]!; // (a callback to Float32Array.from is many times slower)
  const n = copy.length;
  if (n < 2) return 0;
  let best = -Infinity;
  for (let i = 0; i < n; i++) if (copy[i]! > best) best = copy[i]!;
  const median = n % 2 ? select(copy, n >> 1) : (select(copy, n / 2 - 1) + select(copy, n / 2)) / 2;
  return Math.max(0, best - median);
}

/** What a name match adds to an image's cosine under the hybrid rule. */
export function nameBoost(match: number, spread: number): number {
  return NAME_MATCH_WEIGHT * spread * match;
}

/**
 * The hybrid rule for one query over one index: `boost(i)` is what entry i's path adds to its
 * cosine (`scores[rows[i]]`). Path words are computed once per index (the cache outlives the
 * query) and the spread only once some path matches.
 */
export class NameRanking {
  private spread: number | undefined;

  constructor(
    private readonly query: NameQuery,
    private readonly paths: PathWordsCache,
    private readonly scores: ArrayLike<number>,
    private readonly rows: ArrayLike<number>,
  ) {}

  boost(i: number): number {
    const match = nameMatch(this.paths.get(i), this.query);
    if (match === 0) return 0;
    this.spread ??= scoreSpread(this.scores, this.rows);
    return nameBoost(match, this.spread);
  }
}

/**
 * Path words of an index's entries, computed on first use and kept for the index's lifetime
 * (folders, shared by many images, are split once).
 */
export class PathWordsCache {
  private readonly cache: (PathWords | undefined)[];
  private readonly folders = new Map<string, string>();
  private readonly folderWords = (folder: string): string => {
    let list = this.folders.get(folder);
    if (list === undefined) this.folders.set(folder, (list = wordList(folder)));
    return list;
  };

  constructor(
    private readonly pathOf: (i: number) => string,
    size: number,
  ) {
    this.cache = new Array<PathWords | undefined>(size);
  }

  get(i: number): PathWords {
    return (this.cache[i] ??= pathWords(this.pathOf(i), this.folderWords));
  }
}
