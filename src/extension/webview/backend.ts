// What the two webviews need from the rest of the extension. The panel/view classes translate
// webview messages into calls on this interface; the extension implements it against the
// engine's index (thumbnails, search, tags, captions) and VS Code (open, reveal, clipboard; see
// ./fileActions.ts for ready-made implementations of the plain VS Code ones).
// No `vscode` import here: events are plain subscribe functions (vscode.EventEmitter.event fits).
import type { AssetItem, DuplicatesMessage, IndexingProgress, ModelAction, ModelStatus, ScoredId } from '../../shared/messages';

export type Subscribe<T> = (listener: (e: T) => unknown) => { dispose(): unknown };

/** An item as the backend knows it: absolute paths instead of webview URIs. */
export interface BackendItem extends Omit<AssetItem, 'thumbnail' | 'uri' | 'score'> {
  /** Absolute path of the original file. */
  path: string;
  /** Absolute path of a ready thumbnail file (inside one of `thumbnailRoots`), or null. */
  thumbnailPath: string | null;
}

export interface ScoredBackendItem extends BackendItem {
  score: number;
}

export interface BackendThumbnail {
  id: string;
  /** Absolute path of the thumbnail, or null with `error` when it cannot be made. */
  thumbnailPath: string | null;
  width?: number;
  height?: number;
  error?: string;
}

export interface SearchOutcome {
  /** Ranked best first (by path for a query of filters only). */
  results: ScoredId[];
  /** False for a query of filters only. */
  ranked: boolean;
  noGoodMatch: boolean;
  bestScore: number | null;
}

/** A ranked result set for the results panel. */
export interface ResultSet {
  query: string;
  /** Heading, e.g. "Similar to cat.png"; defaults to the quoted query. */
  title?: string;
  items: ScoredBackendItem[];
  noGoodMatch: boolean;
  bestScore: number | null;
  /** False for a query of filters only (scores mean nothing). */
  ranked?: boolean;
  /** Find Similar: the image the results are similar to. */
  queryItem?: BackendItem;
}

export interface ItemsDelta {
  added: BackendItem[];
  changed: BackendItem[];
  removed: string[];
}

/** The Duplicates mode's state as the host holds it (ids are absolute paths). */
export type DuplicatesState = Omit<DuplicatesMessage, 'type'>;

/** What the gallery's Duplicates mode acts through (./features/duplicates). */
export interface DuplicatesBackend {
  /** Undefined until groups were asked for. */
  current(): DuplicatesState | undefined;
  /** Finds the groups (again), with a cancellable progress notification. */
  find(): Promise<void>;
  /** "Keep this one": one previewed WorkspaceEdit over the references, then an offer to delete the others. */
  keep(id: string, others: readonly string[]): Promise<void>;
  /** "Not duplicates": remembered in the folder's .vscode/asset-duplicates.json. */
  notDuplicates(ids: readonly string[]): Promise<void>;
  readonly onDidChange: Subscribe<DuplicatesState>;
}

export interface AssetBackend {
  /** Folders thumbnails live in (become the webviews' localResourceRoots). */
  readonly thumbnailRoots: readonly string[];
  getStatus(): ModelStatus;
  getProgress(): IndexingProgress;
  /** Every image of the workspace (indexed or not). */
  listItems(): Promise<BackendItem[]>;
  /** The items with these ids, in the given order; unknown ids are skipped. */
  getItems(ids: readonly string[]): Promise<BackendItem[]>;
  /** Whether `id` is an image this backend lists (webview messages may name nothing else). */
  isKnownItem(id: string): boolean;
  /** Semantic search; throws (with a message for the user) when it cannot run. */
  search(query: string, signal: AbortSignal): Promise<SearchOutcome>;
  /** Makes (or finds) thumbnails; one answer per id, never throws for a single bad file. */
  thumbnails(ids: readonly string[]): Promise<BackendThumbnail[]>;
  findSimilar(id: string): Promise<ResultSet>;
  open(ids: readonly string[]): Promise<void>;
  reveal(id: string): Promise<void>;
  copyPaths(ids: readonly string[]): Promise<void>;
  copyMarkdownLinks(ids: readonly string[]): Promise<void>;
  generateCaptions(ids: readonly string[]): Promise<void>;
  editTags(ids: readonly string[]): Promise<void>;
  downloadModel(): Promise<void>;
  /** A model banner's button: download, retry, use a local folder, select a model, show details. */
  modelAction(action: ModelAction): Promise<void>;
  restartWorker(): Promise<void>;
  openSettings(query?: string): Promise<void>;
  openFolder(): Promise<void>;
  /** The gallery's Duplicates mode (absent: the mode says it is not available). */
  readonly duplicates?: DuplicatesBackend;
  /** Where text files name this image. */
  revealReferences?(id: string): Promise<void>;
  readonly onDidChangeItems: Subscribe<ItemsDelta>;
  readonly onDidChangeProgress: Subscribe<IndexingProgress>;
  readonly onDidChangeStatus: Subscribe<ModelStatus>;
}
