// The `mobileclipAssets.tags.*` settings as one vocabulary layer for the engine. No `vscode` import.
//
// `tags.vocabulary` is documented as a map of tag name -> definition (`{ "robot": {...} }`), while
// `.vscode/asset-tags.json` nests tags under "tags" next to "threshold", "topK", ... Both shapes are
// accepted here: known top-level keys stay top-level, everything else is a tag.

const SPEC_KEYS = new Set(['$schema', 'defaults', 'threshold', 'minSimilarity', 'topK']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The settings layer for `loadTagVocabulary`: `vocabulary` (either shape) with `maxPerImage` as the
 * layer's topK unless the setting object names its own. A non-object `vocabulary` is passed on
 * unchanged so the engine reports it.
 */
export function settingsVocabulary(vocabulary: unknown, maxPerImage?: unknown): unknown {
  if (vocabulary !== undefined && vocabulary !== null && !isPlainObject(vocabulary)) return vocabulary;
  const spec: Record<string, unknown> = {};
  const tags: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(vocabulary ?? {})) {
    if (key === 'tags' && isPlainObject(value)) Object.assign(tags, value);
    else if (SPEC_KEYS.has(key) || key === 'tags') spec[key] = value;
    else tags[key] = value;
  }
  // A "tags" key that is not an object stays as it is: the engine reports it, and it is fixed first.
  if (Object.keys(tags).length > 0 && spec.tags === undefined) spec.tags = tags;
  if (spec.topK === undefined && Number.isInteger(maxPerImage) && (maxPerImage as number) >= 1) spec.topK = maxPerImage;
  return spec;
}
