// `mobileclip-assets search "QUERY" --dir DIR`: ranked images for a text (or combined) query.
import type { Engine } from '../../engine/engine';
import type { IndexSnapshot } from '../../engine/index/format';
import { IndexBusyError } from '../../engine/index/lock';
import { loadIndexSnapshot } from '../../engine/index/store';
import { TagStore } from '../../engine/tags/store';
import { DEFAULT_RANKING, RANKING_MODES, isRankingMode } from '../../engine/search/ranking';
import { DEFAULT_THRESHOLD, DEFAULT_TOP_K, SearchEngine, type SearchOptions, type SearchResponse } from '../../engine/search/search';
import { defineCommand, GLOBAL_OPTIONS, GLOBAL_USAGE, UsageError, numberFlag, openEngine } from '../command';
import { INDEX_OPTIONS, INDEX_USAGE, folderArg, indexerOptionsFrom, refreshIndex, reportDiscarded, type IndexFlagValues } from './indexing';
import { printLines } from '../output';
import { errorMessage } from '../../engine/util/errors';

export const SEARCH_OPTIONS = {
  dir: { type: 'string' },
  top: { type: 'string' },
  threshold: { type: 'string' },
  ranking: { type: 'string' },
  json: { type: 'boolean' },
  'no-update': { type: 'boolean' },
} as const;

export const SEARCH_USAGE = `  --dir DIR             the indexed folder (default: the current folder); paths print relative to it
  --top K               at most K results (default ${DEFAULT_TOP_K})
  --threshold T         minimum cosine similarity a result needs (default ${DEFAULT_THRESHOLD});
                        when nothing reaches it, the nearest image is named instead
  --ranking MODE        ${RANKING_MODES.join(' or ')} (default ${DEFAULT_RANKING}): hybrid also lifts images
                        whose file or folder names contain the query's words, by at most half
                        the gap between the best and the median score (as the
                        mobileclipAssets.search.ranking setting)
  --json                print [{"path","score"}], best first ([] when nothing is a good match;
                        a query of filters only lists every match, by path, with score null);
                        under hybrid ranking, "nameBoost" is what a name match added
  --no-update           search the index as it is, without refreshing it first`;

const USAGE = `Usage: mobileclip-assets search QUERY [options]

Finds DIR's images that match QUERY. The index is refreshed first (only new or changed images
are embedded) unless --no-update is given.

Query syntax:
  red car                 words form one phrase
  cat +sunset -dog        + adds another phrase, - subtracts one (pushes its matches down)
  red +2:blue             a weight before a colon (also -0.5:dog, 3:cat)
  "rock + roll"           quotes keep words (and + - :) together
  photos/cat.png          an image path is an image term (find similar, combinable with text)
  tag:icon type:png in:assets/ path:"**/logo*"   filters; -tag: -type: -in: -path: exclude;
                          filters alone list every image that passes them

Options:
${SEARCH_USAGE}

${INDEX_USAGE}

${GLOBAL_USAGE}`;

export interface SearchFlagValues extends IndexFlagValues {
  dir?: string;
  top?: string;
  threshold?: string;
  ranking?: string;
  json?: boolean;
  'no-update'?: boolean;
}

export function searchOptionsFrom(values: SearchFlagValues): SearchOptions {
  const options: SearchOptions = { cwd: process.cwd() };
  if (values.top !== undefined) options.topK = numberFlag('--top', values.top, 'top');
  if (values.threshold !== undefined) options.threshold = numberFlag('--threshold', values.threshold, 'search.threshold');
  if (values.ranking !== undefined) {
    if (!isRankingMode(values.ranking)) throw new UsageError(`--ranking must be ${RANKING_MODES.join(' or ')}, got "${values.ranking}"`);
    options.ranking = values.ranking;
  }
  return options;
}

/**
 * Everything search and similar share: validate flags, start the model, refresh (or load) the
 * index, run `query` on it, print, clean up.
 */
export async function runSearch(
  values: SearchFlagValues & Record<string, unknown>,
  query: (engine: SearchEngine, options: SearchOptions) => Promise<SearchResponse>,
): Promise<number> {
  const folder = await folderArg(values.dir, '--dir');
  const indexerOptions = indexerOptionsFrom(folder, values);
  const options = searchOptionsFrom(values);
  const engine: Engine = await openEngine(values, {}, indexerOptions.indexDir);
  try {
    let snapshot: IndexSnapshot | undefined;
    if (values['no-update']) {
      snapshot = await loadIndexSnapshot(indexerOptions.indexDir);
      if (!snapshot) {
        throw new UsageError(`${folder} has no index at ${indexerOptions.indexDir}: run \`mobileclip-assets index\` first, or drop --no-update`);
      }
    } else {
      let refreshed: Awaited<ReturnType<typeof refreshIndex>> | undefined;
      try {
        refreshed = await refreshIndex(engine, indexerOptions);
      } catch (err) {
        // Searching only reads: another process updating the index must not stop it.
        if (!(err instanceof IndexBusyError)) throw err;
        snapshot = await loadIndexSnapshot(indexerOptions.indexDir);
        if (!snapshot) throw new Error(`${err.message}, and there is no index to search yet; try again when it is done`);
        printLines(process.stderr, `${err.message}; searching the index as it is`);
      }
      if (refreshed) {
        reportDiscarded(refreshed.summary);
        if (refreshed.summary.cancelled) return 130;
        const { indexed, failed } = refreshed.summary;
        if (indexed && !values.json) printLines(process.stderr, `indexed ${indexed} new or changed images`);
        if (failed.length) printLines(process.stderr, `${failed.length} images could not be read (see \`mobileclip-assets index\`)`);
        snapshot = refreshed.snapshot;
      }
    }
    options.tagsOf = await loadTags(folder);
    if (!snapshot) throw new Error(`${folder} has no index at ${indexerOptions.indexDir}`);
    const response = await query(new SearchEngine(snapshot, folder, engine), options);
    printResponse(response, values.json ?? false, options.threshold ?? DEFAULT_THRESHOLD);
    return 0;
  } finally {
    await engine.dispose();
  }
}

/** The folder's tags for `tag:` filters; a tags file that cannot be read only disables them. */
async function loadTags(folder: string): Promise<SearchOptions['tagsOf']> {
  try {
    const tags = await TagStore.load(folder);
    return (relPath) => tags.tagsOf(relPath);
  } catch (err) {
    printLines(process.stderr, `tag: filters are off: cannot read the tags file (${errorMessage(err)})`);
    return undefined;
  }
}

const round = (x: number) => Math.round(x * 10000) / 10000;

export function printResponse(response: SearchResponse, json: boolean, threshold: number): void {
  if (response.noGoodMatch && response.best) {
    const note = `no good match: the nearest image, ${response.best.path} (${response.best.score.toFixed(3)}), is below the threshold ${threshold}; try --threshold`;
    if (json) printLines(process.stderr, note);
    else printLines(process.stdout, `${note[0]!.toUpperCase()}${note.slice(1)}.`);
  }
  if (json) {
    // A query of filters only is a listing: its results have no score.
    const rows = response.results.map((r) => {
      if (!response.ranked) return { path: r.path, score: null };
      return r.nameBoost ? { path: r.path, score: round(r.score), nameBoost: round(r.nameBoost) } : { path: r.path, score: round(r.score) };
    });
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    return;
  }
  if (response.candidates === 0) {
    process.stdout.write('No images to search (the index is empty or the filters leave nothing).\n');
    return;
  }
  if (!response.results.length) return;
  const lines = [response.ranked ? 'score   size        path' : 'size        path'];
  for (const r of response.results) {
    const name = r.nameBoost ? `  (name match ${r.nameBoost > 0 ? '+' : ''}${r.nameBoost.toFixed(3)})` : '';
    const size = `${`${r.width}x${r.height}`.padEnd(10)}  ${r.path}${name}`;
    lines.push(response.ranked ? `${r.score.toFixed(3).padStart(6)}  ${size}` : size);
  }
  printLines(process.stdout, lines);
}

export const searchCommand = defineCommand({
  name: 'search',
  summary: "find a folder's images by text (and image) query",
  usage: USAGE,
  options: { ...GLOBAL_OPTIONS, ...INDEX_OPTIONS, ...SEARCH_OPTIONS },
  positionals: { min: 1, missing: 'what to search for? give a QUERY' },
  async run(values, positionals) {
    const text = positionals.join(' ');
    return runSearch(values, (engine, options) => engine.search(text, options));
  },
});
