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

/**
 * Lower-case words of a path or a query: split at anything but letters and digits, at camelCase
 * and at letter-digit boundaries ("btnRedHerring24px" -> btn, red, herring, 24, px); a trailing
 * plural "s" is dropped ("icons" -> icon) so singular and plural match. Single characters are
 * left out.
 */
export function words(text: string): string[] {
  const spaced = text
    .replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
    .replace(/(\p{L})(\p{N})/gu, '$1 $2')
    .replace(/(\p{N})(\p{L})/gu, '$1 $2');
  const out: string[] = [];
  for (const raw of spaced.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (raw.length < 2) continue;
    out.push(raw.length > 3 && raw.endsWith('s') && !raw.endsWith('ss') ? raw.slice(0, -1) : raw);
  }
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

/** A path's words, file name (without extension) and folders apart. */
export interface PathWords {
  name: ReadonlySet<string>;
  folders: ReadonlySet<string>;
}

export function pathWords(relPath: string): PathWords {
  const slash = relPath.lastIndexOf('/');
  const file = relPath.slice(slash + 1);
  const dot = file.lastIndexOf('.');
  return { name: new Set(words(dot > 0 ? file.slice(0, dot) : file)), folders: new Set(words(relPath.slice(0, Math.max(0, slash)))) };
}

function credit(p: PathWords, word: string): number {
  if (p.name.has(word)) return 1;
  return p.folders.has(word) ? FOLDER_MATCH_CREDIT : 0;
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
  const copy = rows ? Float32Array.from(rows, (r) => scores[r]!) : Float32Array.from(scores);
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

/** Path words of an index's entries, computed on first use and kept for the index's lifetime. */
export class PathWordsCache {
  private readonly cache: (PathWords | undefined)[];

  constructor(private readonly pathOf: (i: number) => string, size: number) {
    this.cache = new Array<PathWords | undefined>(size);
  }

  get(i: number): PathWords {
    return (this.cache[i] ??= pathWords(this.pathOf(i)));
  }
}
