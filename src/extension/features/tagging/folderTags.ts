// Tagging state of one workspace folder, between the index and the tags file: the TagStore (loaded
// lazily, reloaded when the file changes on disk), the vocabulary, the AutoTagger over the index's
// embeddings, and the runs and edits. No `vscode` import: ./tagFeature.ts and its parts are the UI.
//
// Two rules keep the committed tags file honest:
// - Entries are only dropped for files that are really gone (per the latest scan), never for files
//   that merely are not indexed yet (a fresh clone whose first index run was cancelled).
// - Tagging a selection scores it exactly as a whole-folder run would: the few-shot examples (the
//   images with a user decision) always take part, selected images are tagged first.
import type { IndexSnapshot } from '../../../engine/index/format';
import type { TextEmbedder } from '../../../engine/tags/embeddings';
import { imagesFromSnapshot } from '../../../engine/tags/fromIndex';
import type { TagStore, TagEntry } from '../../../engine/tags/store';
import { AutoTagger, needsTagging, suggestionsFromStore, type TagImageInput, type TagImagesResult, type TagSuggestion } from '../../../engine/tags/tagger';
import type { TagEmbeddingCache } from '../../../engine/tags/embeddings';
import { loadTagVocabulary, type TagVocabulary } from '../../../engine/tags/vocabulary';
import type { ItemError, Progress } from '../../../engine/types';
import type { AssetTag } from '../../../shared/messages';
import { errorMessage } from '../../../engine/util/errors';
import { syncSidecars } from './sidecars';
import { TagsFile } from './tagsFile';

/** What the folder's index offers the tagger. */
export interface FolderIndexView {
  /** The index as it is now; undefined while it is not open. */
  snapshot(): IndexSnapshot | undefined;
  /** Whether the latest scan found this (relative) file on disk. */
  onDisk(relPath: string): boolean;
}

export interface FolderTagsOptions {
  root: string;
  index: FolderIndexView;
  /** The settings layer of the vocabulary (see settingsVocabulary); read on each vocabulary load. */
  settingsVocabulary(): unknown;
  /** Whether to keep `<image>.xmp` sidecars in step (read at each change). */
  writeSidecars: () => boolean;
  /** Tag prompt embeddings, shared by every folder (and persisted by the caller). */
  embeddingCache?(): TagEmbeddingCache;
}

export interface FolderRunOptions {
  /** incremental (default): images never tagged, changed since, or tagged with another vocabulary/model. */
  mode?: 'incremental' | 'all';
  /** Tag only these indexed paths (a selection). Default: every indexed image. */
  only?: ReadonlySet<string>;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /** Called once the vocabulary is embedded and tagging starts. */
  onStart?: (info: { tags: number; images: number }) => void;
}

/** A tagging run's result (`issues` also names bad items in settings or .vscode/asset-tags.json). */
export interface FolderRunResult extends Pick<TagImagesResult, 'tagged' | 'renamed' | 'dropped' | 'issues' | 'cancelled'> {
  /** No index (or an empty one) to tag from. */
  notIndexed: boolean;
  /** Indexed images in scope (the selection or the folder) with a usable embedding. */
  considered: number;
  /** Per-image problems in scope (bad embeddings) and sidecar write problems. */
  errors: ItemError[];
  /** Tags on the images in scope with their image counts, most used first. */
  tagCounts: [string, number][];
  /** Images in scope without any tag. */
  untagged: number;
}

export interface ImageTagChange {
  path: string;
  /** The file's content hash (from the index), so the tags follow a rename. */
  sha256?: string;
  confirm: readonly string[];
  reject: readonly string[];
}

export class FolderTags {
  private readonly file: TagsFile;
  private vocab: Promise<TagVocabulary> | undefined;
  private tagger: { instance: AutoTagger; embedder: TextEmbedder; vocab: TagVocabulary } | undefined;
  /** The image set the tagger holds (undefined after a selection run: restore before the next use). */
  private taggerImages: TagImageInput[] | undefined;
  private images: { key: readonly unknown[]; list: TagImageInput[] } | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: FolderTagsOptions) {
    this.file = new TagsFile(options.root, options.writeSidecars);
  }

  get root(): string {
    return this.options.root;
  }

  // --- the tags file (./tagsFile.ts) ----------------------------------------------------------

  /** The store if it is loaded (synchronous readers: tiles, search filters). */
  get loaded(): TagStore | undefined {
    return this.file.loaded;
  }

  /** Why the tags file could not be loaded, if it could not. */
  get loadError(): string | undefined {
    return this.file.loadError;
  }

  /** Loads the tags file once (a missing file is an empty store). A broken file throws, every time, until fixed. */
  loadStore(): Promise<TagStore> {
    return this.file.load();
  }

  /** The tags file changed on disk: merge it in, keeping edits made here. Whether the tags changed; throws for an invalid file. */
  reloadStore(): Promise<boolean> {
    return this.file.reload();
  }

  /** Tags on the image for tiles: confirmed first (source "user", score 1), then suggestions by score. */
  tagsOf(relPath: string): AssetTag[] {
    return this.file.tagsOf(relPath);
  }

  // --- vocabulary ---------------------------------------------------------------------------

  /** Settings + `.vscode/asset-tags.json` (bad items are skipped and listed in `issues`). */
  vocabulary(): Promise<TagVocabulary> {
    this.vocab ??= loadTagVocabulary(this.root, this.options.settingsVocabulary(), { strict: false, settingsName: 'setting mobileclipAssets.tags.vocabulary' }).catch(
      (err: unknown) => {
        this.vocab = undefined;
        throw err;
      },
    );
    return this.vocab;
  }

  /** The vocabulary file or settings changed: the next use reloads it (and re-embeds what is new). */
  invalidateVocabulary(): void {
    this.vocab = undefined;
  }

  // --- tagging ------------------------------------------------------------------------------

  /** Tags the folder's indexed images (or a selection of them) and saves the tags file. */
  run(embedder: TextEmbedder, options: FolderRunOptions = {}): Promise<FolderRunResult> {
    return this.exclusive(async () => {
      const store = await this.loadStore();
      const snapshot = this.options.index.snapshot();
      if (!snapshot || snapshot.entries.length === 0) return NOT_INDEXED;
      const images = this.imagesOf(snapshot, embedder);
      const tagger = await this.taggerFor(embedder, store, options.signal);
      const before = this.file.sidecarState(store);
      const { renamed, dropped } = this.reconcile(store, snapshot);
      const { run, inScope, pending } = await this.tagScope(tagger, store, images, options);
      const sidecarErrors = await this.file.commit(store, before);
      const errors = run.errors.filter((e) => inScope(e.input));
      const scope = images.filter((i) => inScope(i.path));
      return {
        notIndexed: false,
        considered: scope.length - errors.length,
        tagged: pending === undefined ? run.tagged : Math.min(run.tagged, pending),
        renamed,
        dropped,
        errors: [...errors, ...sidecarErrors],
        issues: [...new Set([...tagger.vocab.issues, ...run.issues])],
        cancelled: run.cancelled,
        ...tagCountsOf(store, scope),
      };
    });
  }

  /** Runs the tagger over the folder, or over a selection; `pending`: how many selected images needed tagging. */
  private async tagScope(
    tagger: AutoTagger,
    store: TagStore,
    images: TagImageInput[],
    options: FolderRunOptions,
  ): Promise<{ run: TagImagesResult; inScope: (p: string) => boolean; pending?: number }> {
    const mode = options.mode ?? 'incremental';
    const only = options.only;
    const common = { mode, signal: options.signal, onProgress: options.onProgress, reconcile: false };
    if (!only) {
      this.useImages(tagger, images);
      options.onStart?.({ tags: tagger.prepared.names.length, images: images.length });
      return { run: await tagger.tagImages(common), inScope: () => true };
    }
    // The selection first (so a cancelled run has tagged selected images), then the images the
    // user decided on: they are the few-shot examples, so scores match a whole-folder run.
    const decided = pathsWithDecisions(store);
    const chosen = images.filter((i) => only.has(i.path));
    const examples = images.filter((i) => !only.has(i.path) && decided.has(i.path));
    const pending = mode === 'all' ? chosen.length : chosen.filter((i) => needsTagging(store.peek(i.path), i.sha256, tagger.signature)).length;
    options.onStart?.({ tags: tagger.prepared.names.length, images: chosen.length });
    this.taggerImages = undefined; // the tagger's image set is the subset from here on
    return { run: await tagger.tagImages({ ...common, images: [...chosen, ...examples] }), inScope: (p) => only.has(p), pending };
  }

  /**
   * Re-scores every indexed image with the current decisions (few-shot), so a confirmation or
   * removal improves the other images' suggestions at once. Cheap: no model call.
   */
  rescore(embedder: TextEmbedder, signal?: AbortSignal): Promise<{ tagged: number; errors: ItemError[] } | undefined> {
    return this.exclusive(async () => {
      if (signal?.aborted) return undefined;
      const store = await this.loadStore();
      const snapshot = this.options.index.snapshot();
      if (!snapshot || snapshot.entries.length === 0) return undefined;
      const images = this.imagesOf(snapshot, embedder);
      const tagger = await this.taggerFor(embedder, store, signal);
      this.useImages(tagger, images);
      const before = this.file.sidecarState(store);
      const run = await tagger.tagImages({ mode: 'all', signal, reconcile: false });
      // Even a cancelled re-score is consistent image by image: keep what it did.
      const sidecarErrors = await this.file.commit(store, before);
      return { tagged: run.tagged, errors: [...run.errors, ...sidecarErrors] };
    });
  }

  /**
   * Bring the tags file in line with the index after an index run without tagging: renamed files
   * keep their tags, entries of deleted files without user decisions go.
   */
  reconcileWithIndex(): Promise<{ renamed: { from: string; to: string }[]; dropped: string[] } | undefined> {
    return this.exclusive(async () => {
      const store = await this.loadStore();
      const snapshot = this.options.index.snapshot();
      if (!snapshot || snapshot.entries.length === 0) return undefined;
      const before = this.file.sidecarState(store);
      const r = this.reconcile(store, snapshot);
      if (r.renamed.length || r.dropped.length) await this.file.commit(store, before);
      return r;
    });
  }

  /**
   * Every tag with score and state for each image, for "Edit Tags". With an embedder the scores are
   * live (few-shot included); `embeddings` supplies vectors for images not in the index yet. Without
   * one, or for images it cannot score, the recorded state of the vocabulary's tags.
   */
  async suggest(
    embedder: TextEmbedder | undefined,
    relPaths: readonly string[],
    embeddings: ReadonlyMap<string, Float32Array> = new Map(),
  ): Promise<{ lists: TagSuggestion[][]; live: boolean; problem?: string }> {
    const store = await this.loadStore();
    const fromStore = async (problem?: string) => {
      const names = (await this.vocabulary()).tags.map((t) => t.name);
      return { lists: relPaths.map((p) => suggestionsFromStore(names, store.peek(p))), live: false, problem };
    };
    if (!embedder) return fromStore();
    try {
      return await this.exclusive(async () => {
        const tagger = await this.taggerFor(embedder, store);
        const snapshot = this.options.index.snapshot();
        this.useImages(tagger, snapshot && snapshot.entries.length ? this.imagesOf(snapshot, embedder) : []);
        const lists = relPaths.map((p) => {
          try {
            return tagger.suggestTags(p, embeddings.get(p));
          } catch {
            return suggestionsFromStore(tagger.prepared.names, store.peek(p));
          }
        });
        return { lists, live: true };
      });
    } catch (err) {
      return fromStore(errorMessage(err)); // e.g. the index was built by another model
    }
  }

  /** Records the user's decisions and saves. `vocabularyTouched`: a re-score would change suggestions. */
  async applyChanges(changes: readonly ImageTagChange[]): Promise<{ errors: ItemError[]; vocabularyTouched: boolean }> {
    const store = await this.loadStore();
    const names = new Set((await this.vocabulary()).tags.map((t) => t.name));
    const touched = changes.map((c) => c.path);
    const before = this.file.sidecarState(store, touched);
    const errors: ItemError[] = [];
    let vocabularyTouched = false;
    for (const c of changes) {
      try {
        for (const t of c.confirm) store.confirm(c.path, t, c.sha256);
        for (const t of c.reject) store.reject(c.path, t, c.sha256);
        vocabularyTouched ||= [...c.confirm, ...c.reject].some((t) => names.has(t));
      } catch (err) {
        errors.push({ input: c.path, error: errorMessage(err) });
      }
    }
    errors.push(...(await this.file.commit(store, before, touched)));
    return { errors, vocabularyTouched };
  }

  /** Writes the sidecar of every tagged image that is on disk (after the setting was switched on). */
  async writeAllSidecars(): Promise<{ written: number; errors: ItemError[] }> {
    const store = await this.loadStore();
    const paths = store.paths().filter((p) => this.options.index.onDisk(p) && store.tagsOf(p).length > 0);
    const r = await syncSidecars(this.root, store, { write: paths, remove: [] });
    return { written: r.written, errors: r.errors };
  }

  // --- internals ----------------------------------------------------------------------------

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined); // only orders work: the caller gets the failure through `run`
    return run;
  }

  /** The snapshot's images as tagger input, kept while the index does not change. */
  private imagesOf(snapshot: IndexSnapshot, embedder: TextEmbedder): TagImageInput[] {
    const v = snapshot.vectors;
    const key = [snapshot.entries, v.bytes.buffer, v.bytes.byteOffset, v.rows, embedder.info.fingerprint];
    if (!this.images || this.images.key.some((k, i) => k !== key[i])) {
      this.images = { key, list: imagesFromSnapshot(snapshot, embedder.info) };
    }
    return this.images.list;
  }

  private async taggerFor(embedder: TextEmbedder, store: TagStore, signal?: AbortSignal): Promise<AutoTagger> {
    const vocab = await this.vocabulary();
    const current = this.tagger;
    if (current && current.embedder === embedder && current.vocab === vocab) return current.instance;
    const instance = await AutoTagger.create({ embedder, vocab, store, cache: this.options.embeddingCache?.(), signal });
    this.tagger = { instance, embedder, vocab };
    this.taggerImages = undefined;
    return instance;
  }

  private useImages(tagger: AutoTagger, images: TagImageInput[]): void {
    if (this.taggerImages === images) return;
    tagger.setImages(images);
    this.taggerImages = images;
  }

  /** Renames and removals, dropping entries only for files that are gone from disk. */
  private reconcile(store: TagStore, snapshot: IndexSnapshot): { renamed: { from: string; to: string }[]; dropped: string[] } {
    return store.reconcile(reconcileInput(snapshot.entries, store, (p) => this.options.index.onDisk(p)));
  }
}

/**
 * What TagStore.reconcile should treat as present: the indexed images, plus files on disk that are
 * not indexed (yet) with the hash recorded for them, so their entries are neither dropped nor
 * taken for the source of a rename.
 */
export function reconcileInput(
  indexed: readonly { path: string; sha256: string }[],
  store: { paths(): string[]; peek(p: string): Readonly<TagEntry> | undefined },
  onDisk: (relPath: string) => boolean,
): { path: string; sha256: string }[] {
  const out = indexed.map((e) => ({ path: e.path, sha256: e.sha256 }));
  const seen = new Set(out.map((e) => e.path));
  for (const p of store.paths()) {
    if (seen.has(p) || !onDisk(p)) continue;
    const sha = store.peek(p)?.sha256;
    if (sha) out.push({ path: p, sha256: sha });
  }
  return out;
}

/** Paths with a user decision (confirmed or removed tag): the few-shot examples. */
export function pathsWithDecisions(store: { paths(): string[]; peek(p: string): Readonly<TagEntry> | undefined }): Set<string> {
  const out = new Set<string>();
  for (const p of store.paths()) {
    const e = store.peek(p);
    if (e && Object.values(e.tags).some((m) => m.state !== 'suggested')) out.add(p);
  }
  return out;
}

const NOT_INDEXED: FolderRunResult = {
  notIndexed: true,
  considered: 0,
  tagged: 0,
  renamed: [],
  dropped: [],
  errors: [],
  issues: [],
  cancelled: false,
  tagCounts: [],
  untagged: 0,
};

/** The tags on `scope` with their image counts (most used first), and how many images have none. */
function tagCountsOf(store: TagStore, scope: readonly TagImageInput[]): { tagCounts: [string, number][]; untagged: number } {
  const counts = new Map<string, number>();
  let untagged = 0;
  for (const img of scope) {
    const tags = store.tagsOf(img.path);
    if (!tags.length) untagged++;
    for (const t of tags) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return { tagCounts: [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)), untagged };
}
