// `mobileclip-assets search "QUERY" --dir DIR`: ranked images for a text (or combined) query.
import type { Engine } from '../../engine/engine';
import type { IndexSnapshot } from '../../engine/index/format';
import { loadIndexSnapshot } from '../../engine/index/store';
import { TagStore } from '../../engine/tags/store';
import { DEFAULT_THRESHOLD, DEFAULT_TOP_K, SearchEngine, type SearchOptions, type SearchResponse } from '../../engine/search/search';
import { type Command, GLOBAL_OPTIONS, GLOBAL_USAGE, UsageError, openEngine, parseCommandArgs } from '../command';
import { INDEX_OPTIONS, INDEX_USAGE, folderArg, indexerOptionsFrom, refreshIndex, reportDiscarded, type IndexFlagValues } from './indexing';

export const SEARCH_OPTIONS = {
  dir: { type: 'string' },
  top: { type: 'string' },
  threshold: { type: 'string' },
  json: { type: 'boolean' },
  'no-update': { type: 'boolean' },
} as const;

export const SEARCH_USAGE = `  --dir DIR             the indexed folder (default: the current folder); paths print relative to it
  --top K               at most K results (default ${DEFAULT_TOP_K})
  --threshold T         minimum cosine similarity a result needs (default ${DEFAULT_THRESHOLD});
                        when nothing reaches it, the nearest image is named instead
  --json                print [{"path","score"}], best first ([] when nothing is a good match;
                        a query of filters only lists every match, by path, with score null)
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
  json?: boolean;
  'no-update'?: boolean;
}

export function searchOptionsFrom(values: SearchFlagValues): SearchOptions {
  const options: SearchOptions = { cwd: process.cwd() };
  if (values.top !== undefined) {
    const k = Number(values.top);
    if (!Number.isInteger(k) || k <= 0) throw new UsageError(`--top must be a whole number > 0, got "${values.top}"`);
    options.topK = k;
  }
  if (values.threshold !== undefined) {
    const t = Number(values.threshold);
    if (values.threshold.trim() === '' || !Number.isFinite(t) || t < -1 || t > 1) {
      throw new UsageError(`--threshold must be a number between -1 and 1, got "${values.threshold}"`);
    }
    options.threshold = t;
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
      const refreshed = await refreshIndex(engine, indexerOptions);
      reportDiscarded(refreshed.summary);
      if (refreshed.summary.cancelled) return 130;
      const { indexed, failed } = refreshed.summary;
      if (indexed && !values.json) process.stderr.write(`indexed ${indexed} new or changed images\n`);
      if (failed.length) process.stderr.write(`${failed.length} images could not be read (see \`mobileclip-assets index\`)\n`);
      snapshot = refreshed.snapshot;
    }
    options.tagsOf = await loadTags(folder);
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
    process.stderr.write(`tag: filters are off: cannot read the tags file (${(err as Error).message})\n`);
    return undefined;
  }
}

const round = (x: number) => Math.round(x * 10000) / 10000;

export function printResponse(response: SearchResponse, json: boolean, threshold: number): void {
  if (response.noGoodMatch && response.best) {
    const note = `no good match: the nearest image, ${response.best.path} (${response.best.score.toFixed(3)}), is below the threshold ${threshold}; try --threshold`;
    if (json) process.stderr.write(`${note}\n`);
    else process.stdout.write(`${note[0]!.toUpperCase()}${note.slice(1)}.\n`);
  }
  if (json) {
    // A query of filters only is a listing: its results have no score.
    process.stdout.write(`${JSON.stringify(response.results.map((r) => ({ path: r.path, score: response.ranked ? round(r.score) : null })))}\n`);
    return;
  }
  if (response.candidates === 0) {
    process.stdout.write('No images to search (the index is empty or the filters leave nothing).\n');
    return;
  }
  if (!response.results.length) return;
  const lines = [response.ranked ? 'score   size        path' : 'size        path'];
  for (const r of response.results) {
    const size = `${`${r.width}x${r.height}`.padEnd(10)}  ${r.path}`;
    lines.push(response.ranked ? `${r.score.toFixed(3).padStart(6)}  ${size}` : size);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

export const searchCommand: Command = {
  name: 'search',
  summary: "find a folder's images by text (and image) query",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { ...GLOBAL_OPTIONS, ...INDEX_OPTIONS, ...SEARCH_OPTIONS });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('what to search for? give a QUERY');
    const text = positionals.join(' ');
    return runSearch(values, (engine, options) => engine.search(text, options));
  },
};
