// The tags file of one workspace folder as the extension holds it: loaded once (a missing file is
// an empty store), merged in when it changes on disk (another window, a `git pull`), written only
// when something changed, with `<image>.xmp` sidecars kept in step when the setting asks for them;
// and the tags tiles show, read synchronously from it. No `vscode` import.
import { compareTags } from '../../../engine/tags/order';
import { TagStore, type TagEntry } from '../../../engine/tags/store';
import type { ItemError } from '../../../engine/types';
import { errorMessage } from '../../../engine/util/errors';
import type { AssetTag } from '../../../shared/messages';
import { changedTagLists, syncSidecars, tagLists } from './sidecars';

/** The tag lists of images before a change, for the sidecars (undefined when sidecars are off). */
export type SidecarState = Map<string, string> | undefined;

export class TagsFile {
  private store: TagStore | undefined;
  private loading: Promise<TagStore> | undefined;
  private error: string | undefined;
  /** store.version when the file was last written or read: no change since, no write. */
  private savedVersion = -1;
  private tiles = { version: -1, byPath: new Map<string, AssetTag[]>() };

  constructor(
    private readonly root: string,
    private readonly writeSidecars: () => boolean,
  ) {}

  /** The store if it is loaded (synchronous readers: tiles, search filters). */
  get loaded(): TagStore | undefined {
    return this.store;
  }

  /** Why the file could not be loaded, if it could not. */
  get loadError(): string | undefined {
    return this.error;
  }

  /** Loads the file once. A broken file throws, every time, until fixed. */
  load(): Promise<TagStore> {
    if (this.store) return Promise.resolve(this.store);
    this.loading ??= TagStore.load(this.root).then(
      (store) => {
        this.store = store;
        this.savedVersion = store.version;
        this.error = undefined;
        return store;
      },
      (err: unknown) => {
        this.loading = undefined;
        this.error = errorMessage(err);
        throw err;
      },
    );
    return this.loading;
  }

  /** The file changed on disk: merge it in, keeping edits made here. Whether the tags changed; throws for an invalid file. */
  async reload(): Promise<boolean> {
    if (!this.store) {
      await this.load();
      return true;
    }
    const store = this.store;
    const before = this.sidecarState(store);
    const clean = store.version === this.savedVersion;
    try {
      const changed = await store.reload();
      this.error = undefined;
      if (clean) this.savedVersion = store.version; // nothing of ours to write back
      if (changed && before) await syncSidecars(this.root, store, changedTagLists(before, tagLists(store)));
      return changed;
    } catch (err) {
      this.error = errorMessage(err);
      throw err;
    }
  }

  /** What the sidecars need to know before a change to `only` (every image by default). */
  sidecarState(store: TagStore, only?: Iterable<string>): SidecarState {
    return this.writeSidecars() ? tagLists(store, only) : undefined;
  }

  /** Saves when anything changed since the file was last written or read (an index run usually changes nothing). */
  async save(store: TagStore): Promise<boolean> {
    const version = store.version;
    if (version === this.savedVersion) return false;
    await store.save();
    this.savedVersion = version;
    return true;
  }

  /** Saves and brings the sidecars of the images that changed since `before` in step. */
  async commit(store: TagStore, before: SidecarState, only?: Iterable<string>): Promise<ItemError[]> {
    if (!(await this.save(store)) || !before) return [];
    return (await syncSidecars(this.root, store, changedTagLists(before, tagLists(store, only)))).errors;
  }

  /** Tags on the image for tiles (cached per store version). */
  tagsOf(relPath: string): AssetTag[] {
    const store = this.store;
    if (!store) return [];
    if (this.tiles.version !== store.version) this.tiles = { version: store.version, byPath: new Map() };
    let tags = this.tiles.byPath.get(relPath);
    if (!tags) {
      tags = assetTagsOf(store.peek(relPath));
      this.tiles.byPath.set(relPath, tags);
    }
    return tags;
  }
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
