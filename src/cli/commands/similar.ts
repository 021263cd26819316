// `mobileclip-assets similar IMAGE --dir DIR`: images that look like the given one(s).
import { DEFAULT_THRESHOLD } from '../../engine/search/search';
import { defineCommand, GLOBAL_OPTIONS, GLOBAL_USAGE } from '../command';
import { INDEX_OPTIONS, INDEX_USAGE } from './indexing';
import { SEARCH_OPTIONS, SEARCH_USAGE, runSearch } from './search';

const USAGE = `Usage: mobileclip-assets similar IMAGE [IMAGE...] [options]

Finds DIR's images most like IMAGE (several images are averaged). IMAGE may be in the index (its
stored embedding is reused) or anywhere on disk; the image itself is left out of the results.
Similarity between images runs higher than between text and images (default threshold ${DEFAULT_THRESHOLD}).

Options:
  --query Q             also weigh in a text query, e.g. --query "-blurry +2:night"
${SEARCH_USAGE}

${INDEX_USAGE}

${GLOBAL_USAGE}`;

export const similarCommand = defineCommand({
  name: 'similar',
  summary: 'find images that look like a given image',
  usage: USAGE,
  options: {
    ...GLOBAL_OPTIONS,
    ...INDEX_OPTIONS,
    ...SEARCH_OPTIONS,
    query: { type: 'string' },
  },
  positionals: { min: 1, missing: 'which image? give IMAGE' },
  async run(values, positionals) {
    return runSearch(values, (engine, options) => engine.similar(positionals, { ...options, query: values.query }));
  },
});
