// The one message protocol between the extension host and its two webviews (the sidebar
// gallery and the search results panel). Messages are plain JSON (they cross postMessage);
// both sides import these types, so a renamed field fails to compile on both sides.
// Nothing here may import `vscode` or DOM-only APIs.

export type TagSource = 'auto' | 'user';

export interface AssetTag {
  tag: string;
  /** Zero-shot probability for 'auto' tags; 1 for tags a user added. */
  score: number;
  source: TagSource;
}

/** One image as the webviews see it. `id` is stable across updates (the host picks it). */
export interface AssetItem {
  id: string;
  /** Path relative to its workspace folder, with forward slashes. */
  relPath: string;
  /** File name with extension. */
  name: string;
  /** Folder part of relPath ('' for the workspace root). */
  folder: string;
  /** Lower-case extension without the dot ('png'). */
  ext: string;
  /** Bytes. */
  size: number;
  /** Modification time, ms since the epoch. */
  mtime: number;
  /** Pixel size after EXIF rotation; null until the file has been decoded. */
  width: number | null;
  height: number | null;
  /** Thumbnail already converted with `webview.asWebviewUri`, or null while it is being generated. */
  thumbnail: string | null;
  /** `file:` (or remote) URI of the original, used for drag and drop into editors. */
  uri: string;
  /** Similarity to the active query (results panel); the gallery gets scores via SearchResults. */
  score?: number;
  tags: AssetTag[];
  captions: string[];
  /** Text files' references to it (Markdown, HTML, CSS, code, JSON...); absent until they are counted. */
  references?: number;
  /** Set when the file could not be decoded or indexed. */
  error?: string;
}

/** What the model / workspace situation is; drives the empty and error states. */
export type ModelStatus =
  | { kind: 'noWorkspace' }
  | { kind: 'noImages' }
  /** `downloadSize`: what the download weighs, e.g. "45 MB + 40 MB" (image and text towers). */
  | { kind: 'modelMissing'; modelName: string; downloadSize?: string }
  | { kind: 'downloading'; modelName: string; received: number; total: number }
  /** `message`: one sentence with the cause; `retry` says what Retry repeats. */
  | { kind: 'modelFailed'; modelName: string; message: string; retry: 'download' | 'load' }
  | { kind: 'loading'; modelName: string }
  | { kind: 'workerCrashed'; message: string }
  | { kind: 'restarting'; modelName: string }
  | { kind: 'ready'; modelName: string };

/** What the model banners' buttons ask for. */
export const MODEL_ACTIONS = ['download', 'retry', 'useLocalFolder', 'selectModel', 'showDetails'] as const;
export type ModelAction = (typeof MODEL_ACTIONS)[number];

export interface FailedFile {
  id: string;
  relPath: string;
  error: string;
}

export interface IndexingProgress {
  /** False once indexing has finished (or never started). */
  running: boolean;
  done: number;
  total: number;
  /** Estimated seconds left, null when unknown. */
  etaSeconds: number | null;
  failed: FailedFile[];
}

export interface ScoredId {
  id: string;
  score: number;
}

/** Filter chips. Empty arrays mean "no restriction"; within one kind chips are OR-ed, kinds are AND-ed. */
export interface AssetFilters {
  tags: string[];
  exts: string[];
  folders: string[];
  /** 'unused': no text file references the image; 'used': some do. */
  usage?: Array<'unused' | 'used'>;
}

export type SortKey = 'relevance' | 'name' | 'mtime' | 'size';
export type GroupKey = 'folder' | 'none';

/** Thumbnail answer for one item: uri null with error when it cannot be made. */
export interface ThumbnailUpdate {
  id: string;
  thumbnail: string | null;
  width?: number;
  height?: number;
  error?: string;
}

// ---------------------------------------------------------------- host → webview

/** First message after the webview says `ready`. */
export interface InitMessage {
  type: 'init';
  status: ModelStatus;
  progress: IndexingProgress;
  /** Items that will follow in `items` chunks. */
  total: number;
}

/**
 * The full item list, sent in chunks (10k+ items). A new `generation` replaces the previous list;
 * the list is complete once a chunk with `done: true` arrives.
 */
export interface ItemsMessage {
  type: 'items';
  generation: number;
  items: AssetItem[];
  done: boolean;
}

/** Live updates: added and changed items are full items; removed are ids. */
export interface ItemsDeltaMessage {
  type: 'itemsDelta';
  added: AssetItem[];
  changed: AssetItem[];
  removed: string[];
}

export interface ThumbnailsMessage {
  type: 'thumbnails';
  updates: ThumbnailUpdate[];
}

export interface SearchResultsMessage {
  type: 'searchResults';
  /** Echo of SearchRequest.seq, so stale answers are dropped. */
  seq: number;
  query: string;
  /** Ranked best first; items not listed did not match. */
  results: ScoredId[];
  /** False for a query of filters only: `results` is what passes them, and scores mean nothing. */
  ranked: boolean;
  /** True when even the best score is below the engine's "good match" threshold. */
  noGoodMatch: boolean;
  bestScore: number | null;
  /** Set when the search could not run (e.g. model not ready). */
  error?: string;
}

export interface ProgressMessage {
  type: 'progress';
  progress: IndexingProgress;
}

export interface ModelStatusMessage {
  type: 'modelStatus';
  status: ModelStatus;
}

/** Results panel content: a ranked result set with scores on the items. */
export interface ResultsMessage {
  type: 'results';
  query: string;
  items: AssetItem[];
  noGoodMatch: boolean;
  bestScore: number | null;
  /** Where the results came from, e.g. "Similar to cat.png"; defaults to the query. */
  title?: string;
  /** False for a query of filters only (no scores shown). */
  ranked?: boolean;
  /** Find Similar: the image the results are similar to. */
  queryItem?: AssetItem;
  /** The panel keeps these results: the next search opens another panel. */
  pinned?: boolean;
}

/** Host asks the gallery to run a query (e.g. from a command) and focus the search box. */
export interface SetQueryMessage {
  type: 'setQuery';
  query: string;
}

/** One group of the gallery's Duplicates mode: `ids[0]` is the suggested file to keep. */
export interface DuplicateGroupView {
  ids: string[];
  /** Bytes freed by keeping only one member. */
  bytesWasted: number;
  /** Lowest embedding cosine between two members (1: identical files). */
  similarity: number;
  exact: boolean;
}

/** The Duplicates mode's content: groups, most bytes wasted first, or where finding them stands. */
export interface DuplicatesMessage {
  type: 'duplicates';
  state: 'running' | 'done' | 'cancelled' | 'failed';
  groups: DuplicateGroupView[];
  /** Images compared (state 'done'). */
  images?: number;
  /** One sentence for 'failed' (and what a running search is doing). */
  message?: string;
}

/** Host asks the gallery to switch mode (the Find Duplicate Images command). */
export interface SetModeMessage {
  type: 'setMode';
  mode: GalleryMode;
}

export type GalleryMode = 'browse' | 'duplicates';

export type HostToWebview =
  | InitMessage
  | ItemsMessage
  | ItemsDeltaMessage
  | ThumbnailsMessage
  | SearchResultsMessage
  | ProgressMessage
  | ModelStatusMessage
  | ResultsMessage
  | SetQueryMessage
  | DuplicatesMessage
  | SetModeMessage;

// ---------------------------------------------------------------- webview → host

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'open'; ids: string[] }
  | { type: 'reveal'; id: string }
  | { type: 'findSimilar'; id: string }
  | { type: 'copyPath'; ids: string[] }
  | { type: 'copyMarkdownLink'; ids: string[] }
  | { type: 'generateCaptions'; ids: string[] }
  | { type: 'editTags'; ids: string[] }
  | { type: 'search'; seq: number; query: string }
  | { type: 'requestThumbnails'; ids: string[] }
  /** Current multi-selection, so context-menu commands act on all selected tiles. */
  | { type: 'selectionChanged'; ids: string[] }
  | { type: 'downloadModel' }
  | { type: 'modelAction'; action: ModelAction }
  | { type: 'restartWorker' }
  /** Results panel: keep these results (the next search opens another panel). */
  | { type: 'pinResults' }
  | { type: 'openSettings'; query?: string }
  | { type: 'openFolder' }
  /** Show these ids (in this order) in the results panel. */
  | { type: 'openAllInPanel'; query: string; ids: string[] }
  /** Duplicates mode: find the groups (again). */
  | { type: 'findDuplicates' }
  /** Duplicates mode: keep `id`, point every reference to `others` at it, offer to delete them. */
  | { type: 'keepDuplicate'; id: string; others: string[] }
  /** Duplicates mode: these look alike but are distinct assets (remembered in a committed file). */
  | { type: 'notDuplicates'; ids: string[] }
  /** Where text files name this image (a quick pick of file:line locations). */
  | { type: 'revealReferences'; id: string };

/** Value of `data-vscode-context` on a tile; VS Code passes it to webview/context commands. */
export interface TileContext {
  webviewSection: 'tile';
  itemId: string;
  /** True when the tile is part of a multi-selection (e.g. hide "Find Similar" then). */
  mobileclipMultiSelect: boolean;
  preventDefaultContextMenuItems: true;
}

/** Chunk size the host uses for ItemsMessage. */
export const ITEMS_CHUNK = 2000;

/** Type guard for messages arriving on window 'message' events (they may come from anywhere). */
export function isHostMessage(data: unknown): data is HostToWebview {
  return typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string';
}
