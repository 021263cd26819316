// Search over an index snapshot: text, image and combined queries (syntax in ./query.ts), filters,
// exact brute-force cosine scoring, and a relevance cut-off with an explicit "no good match" state.
// Results are ordered by the rule in ./ranking.ts (by meaning, or also by file name).
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { ImageTextEmbedder } from '../api';
import { entryListOf } from '../index/entries';
import type { IndexEntry, IndexSnapshot } from '../index/format';
import { isItemError } from '../types';
import { compileFilters, type TagsOf } from './filters';
import { hasFilters, normalizeFolder, parseQuery, type ParsedQuery, type QueryTerm } from './query';
import { NameRanking, PathWordsCache, nameQuery, type RankingMode } from './ranking';
import { TopK } from './topk';
import { dotRow, dotRows, l2Norm, normalizeInPlace } from '../vectors';

/**
 * Cosine below which a text→image match is not worth showing. MobileCLIP text-image cosines sit
 * far below image-image ones; a production peer (Ente Photos, MobileCLIP-S2) uses ~0.175 as its
 * "no good match" line.
 */
export const DEFAULT_THRESHOLD = 0.175;
export const DEFAULT_TOP_K = 20;

export interface SearchOptions {
  topK?: number;
  /** Minimum relevance (cosine with the positive terms) a result needs. */
  threshold?: number;
  /** Tags per relative path, for `tag:` filters. */
  tagsOf?: TagsOf;
  /** Directory that relative image paths in a query are resolved against, after the index (default: the folder). */
  cwd?: string;
  /** Leave images used as query terms out of their own results (default true). */
  excludeQueryImages?: boolean;
  /** How results are ordered (./ranking.ts): by meaning only (default), or also by file name. */
  ranking?: RankingMode;
  signal?: AbortSignal;
}

export interface SearchHit {
  path: string;
  /**
   * What results are ordered by: the cosine with the combined query vector (negatives included),
   * plus `nameBoost` under hybrid ranking.
   */
  score: number;
  /** Cosine with the positive terms only; compared (plus `nameBoost`) with the threshold. */
  relevance: number;
  /** Hybrid ranking only, when the path names query words: what that added to the cosine. */
  nameBoost?: number;
  width: number;
  height: number;
  sha256: string;
}

export interface ResolvedTerm {
  text: string;
  weight: number;
  kind: 'text' | 'image';
  /** For image terms: the indexed path, or the absolute path of an outside image. */
  image?: string;
}

export interface SearchResponse {
  /**
   * False for a query of filters only (`type:png`, `tag:icon in:assets/`): the results are every
   * image that passes the filters, by path, and their scores mean nothing.
   */
  ranked: boolean;
  results: SearchHit[];
  /** Images passed the filters but none reached the threshold; `best` is the nearest one. */
  noGoodMatch: boolean;
  best?: { path: string; score: number };
  /** Images that passed the filters (what was ranked). */
  candidates: number;
  terms: ResolvedTerm[];
}

/** A query the engine cannot run (no positive term, unreadable query image, wrong model). */
export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

/**
 * What a parsed query asks for: a ranking (it has a positive term) or a listing of what passes its
 * filters (filters only). A query that is neither fails with a message about what was typed.
 */
export function queryKind(query: ParsedQuery): 'rank' | 'filter' {
  if (query.terms.some((t) => t.weight > 0)) return 'rank';
  if (query.terms.length === 0) {
    if (hasFilters(query.filters)) return 'filter';
    throw new QueryError('type what to look for, e.g. “red icon”, or a filter such as type:png');
  }
  // Only terms typed with "-": say what they do, in the user's own words.
  const typed = query.terms.map((t) => `-${/\s/.test(t.text) ? `"${t.text}"` : t.text}`).join(' ');
  throw new QueryError(`${typed} only pushes matching images down: add what to look for, e.g. “cat ${typed}”`);
}

function addScaled(target: Float32Array, v: Float32Array, weight: number): void {
  // Terms are normalized before weighting so each counts by its weight, not its raw length.
  const norm = l2Norm(v);
  const scale = norm > 0 ? weight / norm : 0;
  for (let i = 0; i < v.length; i++) target[i]! += v[i]! * scale;
}

export class SearchEngine {
  private index: IndexSnapshot;
  readonly root: string;
  private readonly embedder?: ImageTextEmbedder;
  /** Path (and lower-cased path) -> position in the snapshot's entries. */
  private byPath: Map<string, number> | undefined;
  private byLowerPath: Map<string, number> | undefined;
  /** entries[i].row for every i, built once per snapshot. */
  private rows: Int32Array | undefined;
  private pathWords: PathWordsCache | undefined;
  private scoreBuffer: Float32Array | undefined;

  /** `embedder` is needed for text terms and for images outside the index. */
  constructor(index: IndexSnapshot, root: string, embedder?: ImageTextEmbedder) {
    this.index = index;
    this.root = path.resolve(root);
    this.embedder = embedder;
  }

  /** Swap in a newer snapshot (after an index update). */
  setIndex(index: IndexSnapshot): void {
    this.index = index;
    this.byPath = undefined;
    this.byLowerPath = undefined;
    this.rows = undefined;
    this.pathWords = undefined;
  }

  get size(): number {
    return entryListOf(this.index).length;
  }

  search(query: string | ParsedQuery, options: SearchOptions = {}): Promise<SearchResponse> {
    return this.run(typeof query === 'string' ? parseQuery(query) : query, options, false);
  }

  /** Images like the given one(s) (paths in the index, relative to the folder, or anywhere on disk). */
  similar(images: string | readonly string[], options: SearchOptions & { query?: string } = {}): Promise<SearchResponse> {
    const extra = options.query ? parseQuery(options.query) : parseQuery('');
    const terms: QueryTerm[] = (typeof images === 'string' ? [images] : [...images]).map((text) => ({ text, weight: 1, imageCandidate: true }));
    return this.run({ terms: [...terms, ...extra.terms], filters: extra.filters }, options, true);
  }

  private entryRows(): Int32Array {
    this.rows ??= entryListOf(this.index).rows();
    return this.rows;
  }

  /** The hybrid rule for this query, or undefined when only meaning counts (or no word to match). */
  private nameRanking(terms: readonly ResolvedTerm[], ranking: RankingMode | undefined, scores: Float32Array): NameRanking | undefined {
    const query = ranking === 'hybrid' ? nameQuery(terms) : undefined;
    if (!query) return undefined;
    const entries = entryListOf(this.index);
    this.pathWords ??= new PathWordsCache((i) => entries.path(i), entries.length);
    return new NameRanking(query, this.pathWords, scores, this.entryRows());
  }

  private entryFor(text: string): IndexEntry | undefined {
    const entries = entryListOf(this.index);
    if (!this.byPath) {
      this.byPath = new Map();
      this.byLowerPath = new Map();
      for (let i = 0; i < entries.length; i++) {
        this.byPath.set(entries.path(i), i);
        this.byLowerPath.set(entries.path(i).toLowerCase(), i);
      }
    }
    let rel = text;
    if (path.isAbsolute(text)) {
      rel = path.relative(this.root, text);
      if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
    }
    const key = normalizeFolder(rel);
    const i = this.byPath.get(key) ?? this.byLowerPath!.get(key.toLowerCase());
    return i === undefined ? undefined : entries.at(i);
  }

  private requireEmbedder(why: string): ImageTextEmbedder {
    if (!this.embedder) throw new QueryError(`${why} needs the model, and none is loaded`);
    if (this.embedder.info.fingerprint !== this.index.model.fingerprint) {
      throw new QueryError(`the index was built with ${this.index.model.id}, but ${this.embedder.info.id} is loaded: update the index first`);
    }
    return this.embedder;
  }

  private async resolveTerms(
    terms: readonly QueryTerm[],
    options: SearchOptions,
    imagesOnly: boolean,
  ): Promise<{ resolved: ResolvedTerm[]; vectors: Float32Array[]; queryPaths: Set<string> }> {
    const dim = this.index.dim;
    const resolved: ResolvedTerm[] = [];
    const vectors: (Float32Array | undefined)[] = [];
    const queryPaths = new Set<string>();
    const outside: { slot: number; file: string }[] = [];
    const texts: { slot: number; text: string }[] = [];
    for (const term of terms) {
      const slot = resolved.length;
      if (term.imageCandidate || imagesOnly) {
        const entry = this.entryFor(term.text);
        if (entry) {
          resolved.push({ text: term.text, weight: term.weight, kind: 'image', image: entry.path });
          vectors.push(this.index.vectors.row(entry.row));
          queryPaths.add(entry.path);
          continue;
        }
        const file = path.resolve(options.cwd ?? this.root, term.text);
        const indexed = this.entryFor(file); // a path typed relative to the current folder
        if (indexed && existsSync(file)) {
          resolved.push({ text: term.text, weight: term.weight, kind: 'image', image: indexed.path });
          vectors.push(this.index.vectors.row(indexed.row));
          queryPaths.add(indexed.path);
          continue;
        }
        if (existsSync(file) && statSync(file).isFile()) {
          resolved.push({ text: term.text, weight: term.weight, kind: 'image', image: file });
          vectors.push(undefined);
          outside.push({ slot, file });
          const rel = path.relative(this.root, file);
          if (!rel.startsWith('..') && !path.isAbsolute(rel)) queryPaths.add(normalizeFolder(rel));
          continue;
        }
        if (imagesOnly) throw new QueryError(`no such image: ${term.text}`);
      }
      resolved.push({ text: term.text, weight: term.weight, kind: 'text' });
      vectors.push(undefined);
      texts.push({ slot, text: term.text });
    }
    if (outside.length) {
      const embedder = this.requireEmbedder('an image outside the index');
      const results = await embedder.embedImages(
        outside.map((o) => o.file),
        { signal: options.signal },
      );
      results.forEach((r, i) => {
        if (isItemError(r)) throw new QueryError(`cannot use ${outside[i]!.file} as a query image: ${r.error}`);
        vectors[outside[i]!.slot] = r.embedding;
      });
    }
    if (texts.length) {
      const embedder = this.requireEmbedder('a text query');
      const results = await embedder.embedTexts(
        texts.map((t) => t.text),
        { signal: options.signal },
      );
      results.forEach((r, i) => (vectors[texts[i]!.slot] = r.embedding));
    }
    for (const v of vectors) {
      if (!v || v.length !== dim) throw new QueryError(`query vector has ${v?.length ?? 0} values, the index has ${dim}`);
    }
    return { resolved, vectors: vectors as Float32Array[], queryPaths };
  }

  /** A query of filters only lists what passes them (by path, no model needed, every match). */
  private listFiltered(query: ParsedQuery, options: SearchOptions): SearchResponse {
    const accept = compileFilters(query.filters, options.tagsOf);
    const results: SearchHit[] = [];
    for (const e of this.index.entries) {
      if (accept && !accept(e.path)) continue;
      results.push({ path: e.path, score: 0, relevance: 0, width: e.width, height: e.height, sha256: e.sha256 });
    }
    return { ranked: false, results, noGoodMatch: false, candidates: results.length, terms: [] };
  }

  private async run(query: ParsedQuery, options: SearchOptions, imagesOnly: boolean): Promise<SearchResponse> {
    const dim = this.index.dim;
    const topK = Math.max(1, Math.floor(options.topK ?? DEFAULT_TOP_K));
    const threshold = options.threshold ?? DEFAULT_THRESHOLD;
    if (queryKind(query) === 'filter') return this.listFiltered(query, options);
    const { resolved, vectors, queryPaths } = await this.resolveTerms(query.terms, options, imagesOnly);
    options.signal?.throwIfAborted();

    const positive = new Float32Array(dim);
    const combined = new Float32Array(dim);
    let hasNegative = false;
    resolved.forEach((term, i) => {
      addScaled(combined, vectors[i]!, term.weight);
      if (term.weight > 0) addScaled(positive, vectors[i]!, term.weight);
      else hasNegative = true;
    });
    // Terms are unit vectors, so a norm this small means they cancelled (up to float rounding).
    if (normalizeInPlace(positive) < 1e-4) throw new QueryError('the positive terms cancel out');
    if (normalizeInPlace(combined) < 1e-4) throw new QueryError('the negative terms cancel the positive ones');

    const vectorsAll = this.index.vectors;
    const rows = vectorsAll.rows;
    // One buffer reused by every query (what follows runs without awaiting, so queries cannot
    // interleave): a fresh 4 bytes per image each time only fed the garbage collector.
    if (this.scoreBuffer?.length !== rows) this.scoreBuffer = new Float32Array(rows);
    const scores = dotRows(vectorsAll, dim, combined, this.scoreBuffer);
    // Relevance (positive terms only) differs from the score only when there are negatives; it is
    // then computed just for images that would make the top k, not for every row.
    const relevanceOf = hasNegative ? (row: number) => dotRow(vectorsAll, dim, row, positive) : (row: number) => scores[row]!;
    const names = this.nameRanking(resolved, options.ranking, scores);

    const accept = compileFilters(query.filters, options.tagsOf);
    const excludeQuery = options.excludeQueryImages ?? true;
    const entries = entryListOf(this.index);
    const rowOf = this.entryRows();
    // Entry objects are only touched when a path must be checked: a plain query runs over rowOf.
    const checkPaths = (excludeQuery && queryPaths.size > 0) || accept !== undefined;
    const top = new TopK(topK);
    let candidates = 0;
    let bestIndex = -1;
    let bestScore = 0;
    for (let i = 0; i < rowOf.length; i++) {
      if (checkPaths) {
        const p = entries.path(i);
        if (excludeQuery && queryPaths.has(p)) continue;
        if (accept && !accept(p)) continue;
      }
      candidates++;
      const row = rowOf[i]!;
      const boost = names ? names.boost(i) : 0;
      const score = scores[row]! + boost;
      if (bestIndex < 0 || score > bestScore) {
        bestIndex = i;
        bestScore = score;
      }
      if (top.accepts(i, score) && relevanceOf(row) + boost >= threshold) top.push(i, score);
    }
    const results: SearchHit[] = top.sorted().map(({ index, score }) => {
      const e = entries.at(index);
      const boost = names ? names.boost(index) : 0;
      const hit: SearchHit = { path: e.path, score, relevance: relevanceOf(e.row), width: e.width, height: e.height, sha256: e.sha256 };
      if (boost !== 0) hit.nameBoost = boost;
      return hit;
    });
    const noGoodMatch = candidates > 0 && results.length === 0;
    const response: SearchResponse = { ranked: true, results, noGoodMatch, candidates, terms: resolved };
    if (noGoodMatch) {
      const best = entries.at(bestIndex);
      response.best = { path: best.path, score: bestScore };
    }
    return response;
  }
}
