// Tagging state of one workspace folder, between the index and the tags file: the TagStore (loaded
// lazily, reloaded when the file changes on disk), the vocabulary, the AutoTagger over the index's
// embeddings, and the runs and edits. No `vscode` import: the commands in ../tags.ts are the UI.
//
// Two rules keep the committed tags file honest:
// - Entries are only dropped for files that are really gone (per the latest scan), never for files
//   that merely are not indexed yet (a fresh clone whose first index run was cancelled).
// - Tagging a selection scores it exactly as a whole-folder run would: the few-shot examples (the
//   images with a user decision) always take part, selected images are tagged first.
import type { IndexSnapshot } from '../../../engine/index/format';
import type { TextEmbedder } from '../../../engine/tags/embeddings';
import type { ExportFormat, ExportOptions } from '../../../engine/tags/export';
import { imagesFromSnapshot } from '../../../engine/tags/from-index';
import { TagStore, type TagEntry } from '../../../engine/tags/store';
import { compareTags } from '../../../engine/tags/order';
import { AutoTagger, needsTagging, suggestionsFromStore, type TagImageInput, type TagSuggestion } from '../../../engine/tags/tagger';
import type { TagEmbeddingCache } from '../../../engine/tags/embeddings';
import { loadTagVocabulary, type TagVocabulary } from '../../../engine/tags/vocabulary';
import type { ItemError, Progress } from '../../../engine/types';
import type { AssetTag } from '../../../shared/messages';
import { changedTagLists, syncSidecars, tagLists } from './sidecars';
import { errorMessage } from '../../../engine/util/errors';

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
  writeSidecars(): boolean;
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

export interface FolderRunResult {
  /** No index (or an empty one) to tag from. */
  notIndexed: boolean;
  /** Indexed images in scope (the selection or the folder) with a usable embedding. */
  considered: number;
  /** Images in scope (re)tagged by this run. */
  tagged: number;
  renamed: { from: string; to: string }[];
  dropped: string[];
  /** Per-image problems in scope (bad embeddings) and sidecar write problems. */
  errors: ItemError[];
  /** Vocabulary problems (bad items in settings or .vscode/asset-tags.json, tags the model cannot represent). */
  issues: string[];
  cancelled: boolean;
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
  private store: TagStore | undefined;
  private storeLoading: Promise<TagStore> | undefined;
  private storeError: string | undefined;
  private vocab: Promise<TagVocabulary> | undefined;
  private tagger: { instance: AutoTagger; embedder: TextEmbedder; vocab: TagVocabulary } | undefined;
  /** The image set the tagger holds (undefined after a selection run: restore before the next use). */
  private taggerImages: TagImageInput[] | undefined;
  private images: { key: readonly unknown[]; list: TagImageInput[] } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private assetTags = { version: -1, byPath: new Map<string, AssetTag[]>() };
  /** store.version when the tags file was last written or read: no change since, no write. */
  private savedVersion = -1;

  constructor(private readonly options: FolderTagsOptions) {}

  get root(): string {
    return this.options.root;
  }

  // --- the tags file ------------------------------------------------------------------------

  /** The store if it is loaded (synchronous readers: tiles, search filters). */
  get loaded(): TagStore | undefined {
    return this.store;
  }

  /** Why the tags file could not be loaded, if it could not. */
  get loadError(): string | undefined {
    return this.storeError;
  }

  /** Loads the tags file once (a missing file is an empty store). A broken file throws, every time, until fixed. */
  loadStore(): Promise<TagStore> {
    if (this.store) return Promise.resolve(this.store);
    this.storeLoading ??= TagStore.load(this.root).then(
      (store) => {
        this.store = store;
        this.savedVersion = store.version;
        this.storeError = undefined;
        return store;
      },
      (err: unknown) => {
        this.storeLoading = undefined;
        this.storeError = errorMessage(err);
        throw err;
      },
    );
    return this.storeLoading;
  }

  /**
   * The tags file changed on disk (another window, a `git pull`): merge it in, keeping edits made
   * here. Returns whether the tags changed. Throws when the file is not a valid tags file.
   */
  async reloadStore(): Promise<boolean> {
    if (!this.store) {
      await this.loadStore();
      return true;
    }
    const store = this.store;
    const before = this.options.writeSidecars() ? tagLists(store) : undefined;
    const clean = store.version === this.savedVersion;
    try {
      const changed = await store.reload();
      this.storeError = undefined;
      if (clean) this.savedVersion = store.version; // nothing of ours to write back
      if (changed && before) await syncSidecars(this.root, store, changedTagLists(before, tagLists(store)));
      return changed;
    } catch (err) {
      this.storeError = errorMessage(err);
      throw err;
    }
  }

  // --- vocabulary ---------------------------------------------------------------------------

  /** Settings + `.vscode/asset-tags.json` (bad items are skipped and listed in `issues`). */
  vocabulary(): Promise<TagVocabulary> {
    this.vocab ??= loadTagVocabulary(this.root, this.options.settingsVocabulary(), { strict: false, settingsName: 'setting mobileclipAssets.tags.vocabulary' })
      .catch((err: unknown) => {
        this.vocab = undefined;
        throw err;
      });
    return this.vocab;
  }

  /** The vocabulary file or settings changed: the next use reloads it (and re-embeds what is new). */
  invalidateVocabulary(): void {
    this.vocab = undefined;
  }

  // --- reading (synchronous, for the gallery and search filters) ------------------------------

  /** Tags on the image for tiles: confirmed first (source "user", score 1), then suggestions by score. */
  tagsOf(relPath: string): AssetTag[] {
    const store = this.store;
    if (!store) return [];
    if (this.assetTags.version !== store.version) this.assetTags = { version: store.version, byPath: new Map() };
    let tags = this.assetTags.byPath.get(relPath);
    if (!tags) {
      tags = assetTagsOf(store.peek(relPath));
      this.assetTags.byPath.set(relPath, tags);
    }
    return tags;
  }

  // --- tagging ------------------------------------------------------------------------------

  /** Tags the folder's indexed images (or a selection of them) and saves the tags file. */
  run(embedder: TextEmbedder, options: FolderRunOptions = {}): Promise<FolderRunResult> {
    return this.exclusive(async () => {
      const store = await this.loadStore();
      const snapshot = this.options.index.snapshot();
      const none: FolderRunResult = {
        notIndexed: true, considered: 0, tagged: 0, renamed: [], dropped: [], errors: [], issues: [], cancelled: false, tagCounts: [], untagged: 0,
      };
      if (!snapshot || snapshot.entries.length === 0) return none;
      const images = this.imagesOf(snapshot, embedder);
      const tagger = await this.taggerFor(embedder, store, options.signal);
      const before = this.options.writeSidecars() ? tagLists(store) : undefined;
      const { renamed, dropped } = this.reconcile(store, snapshot);
      const mode = options.mode ?? 'incremental';
      const only = options.only;
      let run;
      let inScope: (p: string) => boolean;
      let pending: number | undefined;
      if (!only) {
        this.useImages(tagger, images);
        inScope = () => true;
        options.onStart?.({ tags: tagger.prepared.names.length, images: images.length });
        run = await tagger.tagImages({ mode, signal: options.signal, onProgress: options.onProgress, reconcile: false });
      } else {
        // The selection first (so a cancelled run has tagged selected images), then the images the
        // user decided on: they are the few-shot examples, so scores match a whole-folder run.
        const decided = pathsWithDecisions(store);
        const chosen = images.filter((i) => only.has(i.path));
        const examples = images.filter((i) => !only.has(i.path) && decided.has(i.path));
        inScope = (p) => only.has(p);
        pending = mode === 'all' ? chosen.length : chosen.filter((i) => needsTagging(store.peek(i.path), i.sha256, tagger.signature)).length;
        options.onStart?.({ tags: tagger.prepared.names.length, images: chosen.length });
        this.taggerImages = undefined; // the tagger's image set is the subset from here on
        run = await tagger.tagImages({ images: [...chosen, ...examples], mode, signal: options.signal, onProgress: options.onProgress, reconcile: false });
      }
      const sidecarErrors = await this.commit(store, before);
      const errors = run.errors.filter((e) => inScope(e.input));
      const scope = images.filter((i) => inScope(i.path));
      const counts = new Map<string, number>();
      let untagged = 0;
      for (const img of scope) {
        const tags = store.tagsOf(img.path);
        if (!tags.length) untagged++;
        for (const t of tags) counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      return {
        notIndexed: false,
        considered: scope.length - errors.length,
        tagged: pending === undefined ? run.tagged : Math.min(run.tagged, pending),
        renamed,
        dropped,
        errors: [...errors, ...sidecarErrors],
        issues: [...new Set([...tagger.vocab.issues, ...run.issues])],
        cancelled: run.cancelled,
        tagCounts: [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
        untagged,
      };
    });
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
      const before = this.options.writeSidecars() ? tagLists(store) : undefined;
      const run = await tagger.tagImages({ mode: 'all', signal, reconcile: false });
      // Even a cancelled re-score is consistent image by image: keep what it did.
      const sidecarErrors = await this.commit(store, before);
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
      const before = this.options.writeSidecars() ? tagLists(store) : undefined;
      const r = this.reconcile(store, snapshot);
      if (r.renamed.length || r.dropped.length) await this.commit(store, before);
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
    const before = this.options.writeSidecars() ? tagLists(store, touched) : undefined;
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
    await this.save(store);
    if (before) {
      const r = await syncSidecars(this.root, store, changedTagLists(before, tagLists(store, touched)));
      errors.push(...r.errors);
    }
    return { errors, vocabularyTouched };
  }

  /** Writes the sidecar of every tagged image that is on disk (after the setting was switched on). */
  async writeAllSidecars(): Promise<{ written: number; errors: ItemError[] }> {
    const store = await this.loadStore();
    const paths = store.paths().filter((p) => this.options.index.onDisk(p) && store.tagsOf(p).length > 0);
    const r = await syncSidecars(this.root, store, { write: paths, remove: [] });
    return { written: r.written, errors: r.errors };
  }

  async exportTo(file: string, format: ExportFormat, options: ExportOptions = {}): Promise<number> {
    const store = await this.loadStore();
    await store.exportTo(file, format, options);
    return store.size;
  }

  // --- internals ----------------------------------------------------------------------------

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The snapshot's images as tagger input, kept while the index does not change. */
  private imagesOf(snapshot: IndexSnapshot, embedder: TextEmbedder): TagImageInput[] {
    const v = snapshot.vectors;
    const key = [snapshot.entries, v.buffer, v.byteOffset, v.length, embedder.info.fingerprint];
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

  /** Saves when anything changed since the file was last written or read (an index run usually changes nothing). */
  private async save(store: TagStore): Promise<boolean> {
    const version = store.version;
    if (version === this.savedVersion) return false;
    await store.save();
    this.savedVersion = version;
    return true;
  }

  private async commit(store: TagStore, before: Map<string, string> | undefined): Promise<ItemError[]> {
    if (!(await this.save(store)) || !before) return [];
    return (await syncSidecars(this.root, store, changedTagLists(before, tagLists(store)))).errors;
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

/** Tags for a tile, in the one tag order: rejected ones left out; confirmed = the user's (score 1), suggestions with their score. */
export function assetTagsOf(entry: Readonly<TagEntry> | undefined): AssetTag[] {
  if (!entry) return [];
  return Object.entries(entry.tags)
    .filter(([, m]) => m.state !== 'rejected')
    .map(([tag, m]) => ({ tag, state: m.state, score: m.score }))
    .sort(compareTags)
    .map((t): AssetTag => (t.state === 'confirmed' ? { tag: t.tag, score: 1, source: 'user' } : { tag: t.tag, score: t.score ?? 0, source: 'auto' }));
}
