// Text embeddings of tag prompts, cached per model fingerprint (in memory, optionally on disk), and
// the vocabulary turned into unit tag/background directions for scoring.
import type { ImageTextEmbedder } from '../api';
import { writeJsonAtomic } from '../util/atomic';
import { meanDirection, type TagScorer } from './scoring';
import { normalized } from '../vectors';
import type { TagVocabulary } from './vocabulary';
import { readRegularTextFile } from '../util/files';
import { FILE_LIMITS } from '../util/limits';

const CACHE_FORMAT = 'mobileclip-assets-tag-embeddings';
/** Fingerprints kept in a cache file; older models are dropped first. */
const MAX_MODELS = 4;
/** Texts per embedTexts call, so a large vocabulary streams instead of building one huge batch. */
const TEXT_BATCH = 128;

export type TextEmbedder = Pick<ImageTextEmbedder, 'info' | 'embedTexts'>;

interface ModelCache {
  dim: number;
  used: number;
  /** Prompt text -> unit embedding, or null when the model gave it no direction. */
  texts: Map<string, Float32Array | null>;
}

/**
 * Prompt embeddings keyed by model fingerprint + exact prompt text. A different model (or other
 * weights / preprocessing) has another fingerprint, so it never sees these vectors.
 */
export class TagEmbeddingCache {
  private models = new Map<string, ModelCache>();
  private loaded: Promise<void> | undefined;
  private dirty = false;

  /** `file`: where to persist the cache (JSON, written atomically); omitted = memory only. */
  constructor(readonly file?: string) {}

  /** Unit embeddings for `texts` (null for texts with no direction), embedding only what is missing. */
  async embed(embedder: TextEmbedder, texts: readonly string[], signal?: AbortSignal): Promise<Map<string, Float32Array | null>> {
    await this.load();
    const { fingerprint, dim } = embedder.info;
    let model = this.models.get(fingerprint);
    if (!model || model.dim !== dim) {
      model = { dim, used: Date.now(), texts: new Map() };
      this.models.set(fingerprint, model);
    }
    model.used = Date.now();
    const missing = [...new Set(texts)].filter((t) => !model!.texts.has(t));
    for (let i = 0; i < missing.length; i += TEXT_BATCH) {
      signal?.throwIfAborted();
      const chunk = missing.slice(i, i + TEXT_BATCH);
      const result = await embedder.embedTexts(chunk, { signal });
      if (result.length !== chunk.length) throw new Error(`text embedder returned ${result.length} embeddings for ${chunk.length} texts`);
      result.forEach((r, k) => {
        if (r.embedding.length !== dim) throw new Error(`text embedding of ${JSON.stringify(chunk[k])} has ${r.embedding.length} values, the model says ${dim}`);
        model!.texts.set(chunk[k]!, normalized(r.embedding) ?? null);
      });
      this.dirty = true;
    }
    return new Map(texts.map((t) => [t, model!.texts.get(t) ?? null]));
  }

  /** Persist to `file` if anything new was embedded. */
  async save(): Promise<void> {
    if (!this.file || !this.dirty) return;
    const models = [...this.models.entries()].sort((a, b) => b[1].used - a[1].used).slice(0, MAX_MODELS);
    const out: Record<string, unknown> = {};
    for (const [fp, m] of models) {
      const texts: Record<string, string | null> = {};
      for (const [t, v] of m.texts) texts[t] = v ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : null;
      out[fp] = { dim: m.dim, used: m.used, texts };
    }
    await writeJsonAtomic(this.file, { format: CACHE_FORMAT, version: 1, models: out });
    this.dirty = false;
  }

  private load(): Promise<void> {
    this.loaded ??= this.readFile();
    return this.loaded;
  }

  private async readFile(): Promise<void> {
    if (!this.file) return;
    let raw: unknown;
    try {
      raw = JSON.parse(await readRegularTextFile(this.file, { maxBytes: FILE_LIMITS.metadata }));
    } catch {
      return; // missing or unreadable: it is only a cache
    }
    const models = (raw as { format?: unknown; models?: unknown })?.format === CACHE_FORMAT ? (raw as { models: unknown }).models : undefined;
    if (!models || typeof models !== 'object') return;
    for (const [fp, m] of Object.entries(models as Record<string, { dim?: unknown; used?: unknown; texts?: unknown }>)) {
      if (!Number.isInteger(m?.dim) || !m.texts || typeof m.texts !== 'object') continue;
      const dim = m.dim as number;
      const texts = new Map<string, Float32Array | null>();
      for (const [t, b64] of Object.entries(m.texts as Record<string, unknown>)) {
        if (b64 === null) texts.set(t, null);
        else if (typeof b64 === 'string') {
          const bytes = Buffer.from(b64, 'base64');
          if (bytes.length !== dim * 4) continue;
          const v = new Float32Array(dim);
          new Uint8Array(v.buffer).set(bytes);
          texts.set(t, v);
        }
      }
      this.models.set(fp, { dim, used: typeof m.used === 'number' ? m.used : 0, texts });
    }
  }
}

/** Above this cosine between a tag and its background, the tag's score says nothing (always ≈ 0.50). */
const UNINFORMATIVE_COSINE = 0.999;

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Process-wide memory cache used when a caller does not bring its own. */
export const sharedTagEmbeddingCache = new TagEmbeddingCache();

export interface PreparedVocabulary {
  vocab: TagVocabulary;
  /** Tag names in scorer order. */
  names: string[];
  index: Map<string, number>;
  scorer: TagScorer;
  /** Tags left out because none of their prompts gave the model a direction, and similar notes. */
  issues: string[];
}

/**
 * Embed every tag's prompts and backgrounds (through the cache) and build the scorer's matrices:
 * tag direction = normalized mean of its prompt embeddings; the same for its background.
 */
export async function prepareVocabulary(
  embedder: TextEmbedder,
  vocab: TagVocabulary,
  options: { cache?: TagEmbeddingCache; signal?: AbortSignal } = {},
): Promise<PreparedVocabulary> {
  const cache = options.cache ?? sharedTagEmbeddingCache;
  const dim = embedder.info.dim;
  const all = new Set<string>();
  for (const t of vocab.tags) {
    t.prompts.forEach((p) => all.add(p));
    t.background.forEach((p) => all.add(p));
  }
  const vectors = await cache.embed(embedder, [...all], options.signal);
  const issues: string[] = [];
  const names: string[] = [];
  const tagRows: Float32Array[] = [];
  const thresholds: number[] = [];
  const backgroundRows: Float32Array[] = [];
  const backgroundKeys = new Map<string, number>();
  const backgroundOf: number[] = [];
  const informative: number[] = [];
  const blind: string[] = [];
  for (const t of vocab.tags) {
    const usable = (texts: string[]) => texts.map((p) => vectors.get(p)).filter((v): v is Float32Array => !!v);
    const direction = meanDirection(usable(t.prompts), dim);
    if (!direction) {
      issues.push(`tag "${t.name}" (${t.origin}): the model gives none of its prompts a direction; it is left out`);
      continue;
    }
    // Tags usually share a background (all verbatim-prompt tags, all templated subjects): embed once.
    const key = [...t.background].sort().join('\n');
    let bRow = backgroundKeys.get(key);
    if (bRow === undefined) {
      const b = meanDirection(usable(t.background), dim);
      bRow = b ? backgroundRows.push(b) - 1 : -1;
      backgroundKeys.set(key, bRow);
    }
    // A tag whose prompts embed like its background ("an image.") scores σ(0) = 0.50 on every
    // image: the model cannot tell it from nothing. It stays listed, without a score, and is
    // never suggested.
    const sees = bRow < 0 || dot(direction, backgroundRows[bRow]!) < UNINFORMATIVE_COSINE;
    if (!sees) blind.push(t.name);
    names.push(t.name);
    tagRows.push(direction);
    thresholds.push(t.threshold ?? vocab.threshold);
    backgroundOf.push(bRow);
    informative.push(sees ? 1 : 0);
  }
  if (blind.length) {
    const shown = blind.slice(0, 6).join(', ') + (blind.length > 6 ? `, … (${blind.length} in all)` : '');
    issues.push(
      `${blind.length === 1 ? 'tag' : `${blind.length} tags`} ${shown}: the model cannot tell ${blind.length === 1 ? 'its prompts' : 'their prompts'} from a plain "an image", so ${blind.length === 1 ? 'it is' : 'they are'} never suggested; describe ${blind.length === 1 ? 'it' : 'them'} in other words`,
    );
  }
  const flat = (rows: Float32Array[]) => {
    const out = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => out.set(r, i * dim));
    return out;
  };
  return {
    vocab,
    names,
    index: new Map(names.map((n, i) => [n, i])),
    issues,
    scorer: {
      dim,
      tagCount: names.length,
      tags: flat(tagRows),
      backgrounds: flat(backgroundRows),
      backgroundCount: backgroundRows.length,
      backgroundOf: Int32Array.from(backgroundOf),
      thresholds: Float32Array.from(thresholds),
      informative: Uint8Array.from(informative),
      minSimilarity: vocab.minSimilarity,
    },
  };
}
