// Auto-tagging: the vocabulary's tag directions against the index's image embeddings, blended with
// the user's own decisions, recorded in the TagStore. Used by the extension and the CLI alike.
import { createHash } from 'node:crypto';
import type { VectorTable } from '../search/vectors';
import type { ItemError, Progress } from '../types';
import { prepareVocabulary, type PreparedVocabulary, type TagEmbeddingCache, type TextEmbedder } from './embeddings';
import { normalizeRelativePath } from './names';
import { FEWSHOT_ALPHA, FEWSHOT_BETA, pickTags, scoreImages, type FewShotCache, type TagScorer } from './scoring';
import { normalized } from '../vectors';
import { compareTags } from './order';
import { roundScore, type TagEntry, type TagSource, type TagState, type TagStore } from './store';
import type { TagVocabulary } from './vocabulary';

/** Images scored per step: bounds memory ([chunk, T] scores) and keeps cancellation responsive. */
const CHUNK = 1024;

/**
 * An image to tag: its embedding given directly, or a row of the index's vectors. Either is read
 * (and normalized again, to be safe) whenever the image is scored: the tagger keeps no copy, so
 * tagging a 100k-image index holds no second float32 matrix of it.
 */
export interface TagImageInput {
  /** Folder-relative, '/'-separated (as the index stores it). */
  path: string;
  sha256: string;
  /** The image's embedding… */
  embedding?: Float32Array;
  /** …or row `row` of the index's vectors (see imagesFromSnapshot). */
  vectors?: VectorTable;
  row?: number;
}

export interface FewShotOptions {
  /** Learn from the user's confirmed/removed tags (default true). */
  enabled?: boolean;
  alpha?: number;
  beta?: number;
}

export interface AutoTaggerOptions {
  embedder: TextEmbedder;
  vocab: TagVocabulary;
  store: TagStore;
  /** Tag prompt embedding cache (default: the process-wide memory cache). */
  cache?: TagEmbeddingCache;
  fewShot?: FewShotOptions;
  signal?: AbortSignal;
}

export interface TagRunOptions {
  /** The folder's current images with embeddings. Entries of files not listed are treated as gone. */
  images?: readonly TagImageInput[];
  /** incremental (default): only images never tagged, changed since, or tagged with another vocabulary/model. */
  mode?: 'incremental' | 'all';
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /** Detect renames and drop entries of vanished files (default true: `images` is the whole folder). */
  reconcile?: boolean;
}

export interface TagImagesResult {
  /** Valid images considered. */
  total: number;
  /** Images (re)tagged in this run. */
  tagged: number;
  renamed: { from: string; to: string }[];
  dropped: string[];
  /** Per-image problems (bad embedding, duplicate path, ...); those images were skipped. */
  errors: ItemError[];
  /** Vocabulary problems (e.g. tags the model cannot represent). */
  issues: string[];
  cancelled: boolean;
}

export interface TagSuggestion {
  tag: string;
  /** Calibrated score 0..1; absent for tags outside the vocabulary or images not indexed. */
  score?: number;
  /** The user's decision or the tagger's suggestion currently recorded; "none" = not on the image. */
  state: TagState | 'none';
  source?: TagSource;
  /** Whether the tagger, ignoring confirmations, would put this tag on the image now. */
  wouldSuggest: boolean;
  inVocabulary: boolean;
}

/** The incremental rule: an image needs (re)tagging when never tagged, changed since, or tagged with another vocabulary or model. */
export function needsTagging(entry: Readonly<TagEntry> | undefined, sha256: string, signature: string): boolean {
  return !entry || entry.sha256 !== sha256 || entry.auto !== signature;
}

/**
 * suggestTags without a model: the vocabulary's tags and the image's other tags with their
 * recorded state and score (nothing is scored live, so nothing "would be suggested").
 */
export function suggestionsFromStore(vocabulary: readonly string[], entry: Readonly<TagEntry> | undefined): TagSuggestion[] {
  return withRecordedTags(
    [...new Set(vocabulary)].map((tag) => recordedSuggestion(tag, entry, true)),
    entry,
  );
}

function recordedSuggestion(tag: string, entry: Readonly<TagEntry> | undefined, inVocabulary: boolean): TagSuggestion {
  const m = entry?.tags[tag];
  return { tag, score: m?.score, state: m?.state ?? 'none', source: m?.source, wouldSuggest: false, inVocabulary };
}

/** `rows` plus the image's recorded tags outside them, in the one tag order. */
function withRecordedTags(rows: TagSuggestion[], entry: Readonly<TagEntry> | undefined): TagSuggestion[] {
  const seen = new Set(rows.map((r) => r.tag));
  for (const tag of Object.keys(entry?.tags ?? {})) if (!seen.has(tag)) rows.push(recordedSuggestion(tag, entry, false));
  return rows.sort(compareTags);
}

export class AutoTagger {
  readonly signature: string;
  private imagePaths: string[] = [];
  private imageRows = new Map<string, number>();
  private imageSha: string[] = [];
  /** The valid inputs, by image index: read when scored (see vectorOf). */
  private sources: TagImageInput[] = [];
  /** Bumped by setImages: few-shot examples are vectors of the current image set. */
  private imageSet = 0;
  private scratch: Float32Array | undefined;
  private imageErrors: ItemError[] = [];
  private fewShotFor: { storeVersion: number; imageSet: number } | undefined;

  private constructor(
    private readonly options: AutoTaggerOptions,
    readonly prepared: PreparedVocabulary,
  ) {
    this.signature = vocabularySignature(options.embedder.info.fingerprint, prepared);
  }

  /** Embeds the vocabulary's prompts (cached per model fingerprint). */
  static async create(options: AutoTaggerOptions): Promise<AutoTagger> {
    const prepared = await prepareVocabulary(options.embedder, options.vocab, { cache: options.cache, signal: options.signal });
    return new AutoTagger(options, prepared);
  }

  get vocab(): TagVocabulary {
    return this.options.vocab;
  }

  /** Replace the image set (path -> embedding) used for tagging, suggestions and few-shot examples. */
  setImages(images: readonly TagImageInput[]): void {
    const dim = this.prepared.scorer.dim;
    this.imagePaths = [];
    this.imageSha = [];
    this.imageRows = new Map();
    this.sources = [];
    this.imageErrors = [];
    this.imageSet++;
    for (const img of images) {
      const input = typeof img?.path === 'string' ? img.path : String(img?.path);
      try {
        const p = normalizeRelativePath(img.path);
        if (this.imageRows.has(p)) throw new Error('listed more than once');
        if (typeof img.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(img.sha256)) throw new Error(`sha256 ${JSON.stringify(img.sha256)} is not a sha256 hex digest`);
        const tableRow = img.embedding === undefined && isTableRow(img);
        const length = tableRow ? img.vectors!.dim : img.embedding?.length;
        if (!(tableRow || img.embedding instanceof Float32Array) || length !== dim) {
          throw new Error(`embedding has ${length ?? 'no'} values; the model's dimension is ${dim} (re-index the folder)`);
        }
        if (!this.read(img)) throw new Error('embedding is zero or not finite');
        this.imageRows.set(p, this.sources.length);
        this.imagePaths.push(p);
        this.imageSha.push(img.sha256);
        this.sources.push(img);
      } catch (err) {
        this.imageErrors.push({ input, error: (err as Error).message });
      }
    }
    this.fewShotFor = undefined;
  }

  /** Image `i`'s unit embedding (a fresh array). */
  private vectorOf(i: number): Float32Array {
    return this.read(this.sources[i]!)!;
  }

  /** An input's embedding, normalized; undefined when it has no direction. */
  private read(img: TagImageInput): Float32Array | undefined {
    if (img.embedding) return normalized(img.embedding);
    const table = img.vectors!;
    if (this.scratch?.length !== table.dim) this.scratch = new Float32Array(table.dim);
    return normalized(table.row(img.row!, this.scratch));
  }

  /** Tag images and record the results in the store (the caller saves the store). */
  async tagImages(run: TagRunOptions = {}): Promise<TagImagesResult> {
    const { store } = this.options;
    if (run.images) this.setImages(run.images);
    const signal = run.signal ?? this.options.signal;
    const result: TagImagesResult = {
      total: this.imagePaths.length,
      tagged: 0,
      renamed: [],
      dropped: [],
      errors: [...this.imageErrors],
      issues: [...this.prepared.issues],
      cancelled: false,
    };
    if (run.reconcile !== false) {
      const r = store.reconcile(this.imagePaths.map((p, i) => ({ path: p, sha256: this.imageSha[i]! })));
      result.renamed = r.renamed;
      result.dropped = r.dropped;
    }
    const targets: number[] = [];
    for (let i = 0; i < this.imagePaths.length; i++) {
      if (run.mode === 'all') targets.push(i);
      else {
        if (needsTagging(store.peek(this.imagePaths[i]!), this.imageSha[i]!, this.signature)) targets.push(i);
      }
    }
    const scorer = this.scorer();
    const { dim, tagCount: T } = scorer;
    const names = this.prepared.names;
    const topK = this.options.vocab.topK;
    run.onProgress?.({ done: 0, total: targets.length });
    for (let start = 0; start < targets.length; start += CHUNK) {
      if (signal?.aborted) {
        result.cancelled = true;
        break;
      }
      const ids = targets.slice(start, start + CHUNK);
      const chunk = new Float32Array(ids.length * dim);
      ids.forEach((id, k) => chunk.set(this.vectorOf(id), k * dim));
      const batch = scoreImages(scorer, chunk, ids.length, Int32Array.from(ids));
      ids.forEach((id, k) => {
        const path = this.imagePaths[id]!;
        const tags = store.peek(path)?.tags;
        // The user's decisions are final: confirmed tags need no suggestion, rejected ones never get one.
        const decided = tags
          ? (t: number) => {
              const m = tags[names[t]!];
              return !!m && m.state !== 'suggested';
            }
          : undefined;
        const picked = pickTags(scorer, batch, k, topK, decided);
        store.recordAutoTags(path, {
          sha256: this.imageSha[id]!,
          signature: this.signature,
          names,
          scores: batch.score.subarray(k * T, (k + 1) * T),
          suggested: new Set(picked.map((t) => names[t]!)),
        });
      });
      result.tagged += ids.length;
      run.onProgress?.({ done: result.tagged, total: targets.length });
      if (start + CHUNK < targets.length) await new Promise((r) => setImmediate(r));
    }
    return result;
  }

  /**
   * Every tag for the "Edit tags" QuickPick: vocabulary tags with their live score (few-shot
   * included) and the image's recorded state, plus the image's tags outside the vocabulary. Sorted:
   * tags on the image first (confirmed, then suggested), then by score.
   */
  suggestTags(relPath: string, embedding?: Float32Array): TagSuggestion[] {
    const p = normalizeRelativePath(relPath);
    const entry = this.options.store.get(p);
    const scorer = this.scorer();
    const T = scorer.tagCount;
    const names = this.prepared.names;
    let vector: Float32Array | undefined;
    let owner = -1;
    const row = this.imageRows.get(p);
    if (row !== undefined) owner = row;
    if (embedding) vector = normalized(embedding);
    else if (row !== undefined) vector = this.vectorOf(row);
    if (vector && vector.length !== scorer.dim) throw new Error(`embedding has ${vector.length} values; the model's dimension is ${scorer.dim}`);
    if (!vector) return suggestionsFromStore(names, entry);
    const batch = scoreImages(scorer, vector, 1, Int32Array.of(owner));
    const rejected = (t: number) => entry?.tags[names[t]!]?.state === 'rejected';
    const would = new Set(pickTags(scorer, batch, 0, this.options.vocab.topK, rejected));
    const rows: TagSuggestion[] = [];
    for (let t = 0; t < T; t++) {
      const m = entry?.tags[names[t]!];
      // No score rather than a constant 0.50 for a tag the model cannot tell from "an image".
      const score = scorer.informative?.[t] === 0 ? undefined : roundScore(batch.score[t]!);
      rows.push({ tag: names[t]!, ...(score !== undefined ? { score } : {}), state: m?.state ?? 'none', source: m?.source, wouldSuggest: would.has(t), inVocabulary: true });
    }
    return withRecordedTags(rows, entry);
  }

  /** The scorer with a few-shot cache that reflects the store's current decisions. */
  private scorer(): TagScorer {
    const base = this.prepared.scorer;
    const fs = this.options.fewShot;
    if (fs?.enabled === false) return base;
    const version = this.options.store.decisionVersion;
    if (this.fewShotFor?.storeVersion !== version || this.fewShotFor.imageSet !== this.imageSet) {
      this.cachedFewShot = this.buildFewShot(fs);
      this.fewShotFor = { storeVersion: version, imageSet: this.imageSet };
    }
    return this.cachedFewShot ? { ...base, fewShot: this.cachedFewShot } : base;
  }

  private cachedFewShot: FewShotCache | undefined;

  private buildFewShot(fs: FewShotOptions | undefined): FewShotCache | undefined {
    const { store } = this.options;
    const dim = this.prepared.scorer.dim;
    const exampleOf = new Map<number, number>(); // image row -> example row
    const owners: number[] = [];
    const rowFor = (p: string): number | undefined => {
      const img = this.imageRows.get(p);
      if (img === undefined) return undefined; // decided on an image that is not indexed: no vector
      let r = exampleOf.get(img);
      if (r === undefined) {
        r = owners.push(img) - 1;
        exampleOf.set(img, r);
      }
      return r;
    };
    const positives: Int32Array[] = [];
    const negatives: Int32Array[] = [];
    for (const name of this.prepared.names) {
      const d = store.decisions(name);
      positives.push(Int32Array.from(d.confirmed.map(rowFor).filter((r): r is number => r !== undefined)));
      negatives.push(Int32Array.from(d.rejected.map(rowFor).filter((r): r is number => r !== undefined)));
    }
    if (owners.length === 0) return undefined;
    const examples = new Float32Array(owners.length * dim);
    owners.forEach((img, r) => examples.set(this.vectorOf(img), r * dim));
    return {
      examples,
      count: owners.length,
      owners: Int32Array.from(owners),
      positives,
      negatives,
      alpha: fs?.alpha ?? FEWSHOT_ALPHA,
      beta: fs?.beta ?? FEWSHOT_BETA,
    };
  }
}

function isTableRow(img: TagImageInput): boolean {
  const t = img.vectors;
  return t !== undefined && typeof t.row === 'function' && Number.isInteger(img.row) && img.row! >= 0 && img.row! < t.rows;
}

/** One-shot helper: prepare the vocabulary, tag `images`, record results in `store` (not saved). */
export async function tagImages(options: AutoTaggerOptions & TagRunOptions & { images: readonly TagImageInput[] }): Promise<TagImagesResult> {
  const tagger = await AutoTagger.create(options);
  return tagger.tagImages(options);
}

/** One-shot helper for a single image's suggestions. */
export async function suggestTags(options: AutoTaggerOptions & { images?: readonly TagImageInput[]; path: string; embedding?: Float32Array }): Promise<TagSuggestion[]> {
  const tagger = await AutoTagger.create(options);
  if (options.images) tagger.setImages(options.images);
  return tagger.suggestTags(options.path, options.embedding);
}

/** What an auto-tagging result depends on: the model and the vocabulary as scored. */
function vocabularySignature(fingerprint: string, prepared: PreparedVocabulary): string {
  const { vocab, names } = prepared;
  const tags = vocab.tags.filter((t) => prepared.index.has(t.name)).map((t) => [t.name, t.prompts, t.background, t.threshold ?? vocab.threshold]);
  const h = createHash('sha256').update(JSON.stringify({ fingerprint, names, tags, minSimilarity: vocab.minSimilarity, topK: vocab.topK }));
  return h.digest('hex').slice(0, 16);
}

/** A vocabulary with the CLI's (or a caller's) global overrides applied. */
export function withOverrides(vocab: TagVocabulary, overrides: { threshold?: number; topK?: number; minSimilarity?: number }): TagVocabulary {
  const out: TagVocabulary = { ...vocab, tags: vocab.tags.map((t) => ({ ...t })) };
  if (overrides.threshold !== undefined) {
    out.threshold = overrides.threshold;
    for (const t of out.tags) delete t.threshold; // a command-line threshold applies to every tag
  }
  if (overrides.topK !== undefined) out.topK = overrides.topK;
  if (overrides.minSimilarity !== undefined) out.minSimilarity = overrides.minSimilarity;
  return out;
}
