// Search over every workspace folder: each folder's index is searched with the same options and
// the hits are ranked together (scores are comparable: one model, one query), then images whose
// captions say what was typed are added. A query of filters only lists every image that passes
// them, indexed or not, without the model.
import * as path from 'node:path';
import type { Engine } from '../../engine/engine';
import { compileFilters, type TagsOf } from '../../engine/search/filters';
import { parseQuery, type QueryFilters } from '../../engine/search/query';
import { QueryError, queryKind, type SearchOptions as EngineSearchOptions, type SearchResponse } from '../../engine/search/search';
import type { ModelService } from '../model/service';
import { readSettings } from '../settings';
import { folderOf, type FolderState } from './folderState';
import type { AssetAnnotations } from './itemList';

export interface SearchHit {
  id: string;
  score: number;
  nameBoost?: number;
  folder: FolderState;
  relPath: string;
}

/** Search hits of every workspace folder, best first (by path for a query of filters only). */
export interface SearchHits {
  ranked: boolean;
  hits: SearchHit[];
  noGoodMatch: boolean;
  bestScore: number | null;
}

export interface SearchOptions {
  signal?: AbortSignal;
  /** Find Similar: the image to rank the others against (the query text is ignored). */
  similarTo?: string;
  topK?: number;
}

export interface WorkspaceSearchDeps {
  folders(): readonly FolderState[];
  models: ModelService;
  annotations(): AssetAnnotations;
  /** Index in the background first when no folder has an index open. */
  ensureIndexed(): Promise<void>;
}

export class WorkspaceSearch {
  constructor(private readonly deps: WorkspaceSearchDeps) {}

  /** Never prompts: when the model is not ready the error says so in one sentence. */
  async searchAll(query: string, opts: SearchOptions = {}): Promise<SearchHits> {
    const settings = readSettings();
    if (!opts.similarTo) {
      const filters = filtersOnly(query);
      if (filters) return this.listFiltered(filters);
    }
    const engine = await this.deps.models.getEngine();
    if (!engine) throw new Error(modelNotReadyMessage(this.deps.models, opts.similarTo ? 'Finding similar images' : 'Searching by description'));
    if (!this.deps.folders().some((f) => f.attached)) await this.deps.ensureIndexed();
    const topK = opts.topK ?? settings.search.maxResults;
    const options = { topK, threshold: settings.search.threshold, ranking: settings.search.ranking, signal: opts.signal };
    const responses: FolderResponse[] = [];
    for (const folder of this.deps.folders()) {
      const response = await this.searchFolder(folder, engine, query, { ...options, similarTo: opts.similarTo });
      if (response) responses.push({ folder, response });
    }
    const merged = mergeRankedHits(responses, topK);
    // Images whose captions say what was typed but that the embedding search ranked out.
    const matches = !opts.similarTo && this.deps.annotations().captionMatches?.(query);
    const hits = matches ? withCaptionMatches(merged.hits, matches, { topK, floor: settings.search.threshold, folders: this.deps.folders() }) : merged.hits;
    return { ranked: true, hits, noGoodMatch: merged.anyCandidates && hits.length === 0, bestScore: merged.bestScore };
  }

  private async searchFolder(folder: FolderState, engine: Engine, query: string, options: EngineSearchOptions & { similarTo?: string }): Promise<SearchResponse | undefined> {
    await folder.attach(engine);
    const search = folder.search;
    if (!search || search.size === 0) return undefined;
    const { similarTo, ...rest } = options;
    const withTags = { ...rest, tagsOf: this.tagsOf(folder) };
    try {
      return similarTo ? await search.similar(similarTo, withTags) : await search.search(query, withTags);
    } catch (err) {
      throw err instanceof QueryError ? new Error(err.message) : err;
    }
  }

  /** Every workspace image that passes the filters, by path (the model is not needed for this). */
  private listFiltered(filters: QueryFilters): SearchHits {
    const hits: SearchHit[] = [];
    for (const folder of this.deps.folders()) {
      const accept = compileFilters(filters, this.tagsOf(folder));
      for (const rel of [...folder.files.keys()].sort()) {
        if (!accept || accept(rel)) hits.push({ id: path.join(folder.root, rel), score: 0, folder, relPath: rel });
      }
    }
    return { ranked: false, hits, noGoodMatch: false, bestScore: null };
  }

  private tagsOf(folder: FolderState): TagsOf {
    return (rel) =>
      this.deps
        .annotations()
        .tagsOf(path.join(folder.root, rel))
        .map((t) => t.tag);
  }
}

/** The query's filters when it is filters only (no words, no image); a bad query throws its message. */
function filtersOnly(query: string): QueryFilters | undefined {
  try {
    const parsed = parseQuery(query);
    return queryKind(parsed) === 'filter' ? parsed.filters : undefined;
  } catch (err) {
    throw err instanceof QueryError ? new Error(err.message) : err;
  }
}

export interface FolderResponse {
  folder: FolderState;
  response: SearchResponse;
}

/** Every folder's ranked results as one list, best first, cut to `topK`; the best score seen anywhere. */
export function mergeRankedHits(responses: readonly FolderResponse[], topK: number): { hits: SearchHit[]; bestScore: number | null; anyCandidates: boolean } {
  const hits: SearchHit[] = [];
  let bestScore: number | null = null;
  let anyCandidates = false;
  for (const { folder, response } of responses) {
    anyCandidates ||= response.candidates > 0;
    for (const r of response.results) hits.push({ id: path.join(folder.root, r.path), score: r.score, nameBoost: r.nameBoost, folder, relPath: r.path });
    const best = response.results[0]?.score ?? response.best?.score;
    if (best !== undefined && (bestScore === null || best > bestScore)) bestScore = best;
  }
  hits.sort((a, b) => b.score - a.score);
  return { hits: hits.slice(0, topK), bestScore, anyCandidates };
}

/**
 * `hits` plus the images whose captions match (`matches`, best first) that are not among them,
 * at the lowest score shown (`floor` when there is none), up to twice `topK` in all. Only images
 * the scan found in a workspace folder are added.
 */
export function withCaptionMatches(hits: readonly SearchHit[], matches: readonly string[], opts: { topK: number; floor: number; folders: readonly FolderState[] }): SearchHit[] {
  const out = [...hits];
  const have = new Set(out.map((h) => h.id));
  const floor = out.length ? out[out.length - 1]!.score : opts.floor;
  for (const id of matches) {
    if (out.length >= 2 * opts.topK) break;
    const folder = folderOf(opts.folders, id);
    const relPath = folder?.relative(id);
    if (!folder || relPath === undefined || have.has(id) || !folder.files.has(relPath)) continue;
    out.push({ id, score: floor, folder, relPath });
    have.add(id);
  }
  return out;
}

/** Why a search cannot run now, in one sentence. */
export function modelNotReadyMessage(models: Pick<ModelService, 'state'>, what: string): string {
  const state = models.state;
  const name = state.model.name;
  const filters = 'filters such as type:png work without it';
  switch (state.kind) {
    case 'missing':
      return `${what} needs the ${name} model, which is not downloaded yet (${filters}).`;
    case 'downloading':
      return `${what} waits for the ${name} download (${filters}).`;
    case 'failed':
      return `${what} needs the ${name} model (see above; ${filters}).`;
    default:
      return `The ${name} model is not loaded (${filters}).`;
  }
}
