// Host-side logic of one webview instance (gallery or results panel): answers its messages by
// calling the AssetBackend and pushes backend changes to it. No `vscode` import; the panel/view
// classes supply `post` and the URI converters, so this is unit-tested with fakes.
import { ITEMS_CHUNK, type AssetItem, type GalleryMode, type HostToWebview, type ThumbnailUpdate, type WebviewToHost } from '../../shared/messages';
import type { AssetBackend, BackendItem, ItemsDelta, ResultSet } from './backend';
import { describe, parseWebviewMessage } from './validate';
import { errorMessage } from '../../engine/util/errors';

export interface SessionHost {
  post(message: HostToWebview): unknown;
  /** Absolute file path → URI the webview may load (webview.asWebviewUri). */
  toWebviewUri(absPath: string): string;
  /** Absolute file path → file URI string (drag and drop). */
  toFileUri(absPath: string): string;
  showResults(results: ResultSet): void;
  showError(message: string): void;
  /** Log line for a refused message (see ./validate.ts); not shown to the user. */
  warn?(message: string): void;
  /** Results panel: keep this panel's results (the next search opens another panel). */
  pinResults?(): void;
}

export type SessionKind = 'gallery' | 'results';

/** Live updates are merged for this long before one ItemsDelta message goes out. */
export const DELTA_FLUSH_MS = 250;

export function toAssetItem(b: BackendItem, host: Pick<SessionHost, 'toWebviewUri' | 'toFileUri'>, score?: number): AssetItem {
  const { path, thumbnailPath, ...rest } = b;
  const item: AssetItem = {
    ...rest,
    thumbnail: thumbnailPath ? host.toWebviewUri(thumbnailPath) : null,
    uri: host.toFileUri(path),
  };
  if (score !== undefined) item.score = score;
  return item;
}

/** Merges bursts of backend deltas (an id added then removed disappears, etc.). */
export class DeltaBuffer {
  private added = new Map<string, BackendItem>();
  private changed = new Map<string, BackendItem>();
  private removed = new Set<string>();

  push(d: ItemsDelta): void {
    for (const it of d.added) {
      this.removed.delete(it.id);
      this.changed.delete(it.id);
      this.added.set(it.id, it);
    }
    for (const it of d.changed) {
      if (this.added.has(it.id)) this.added.set(it.id, it);
      else this.changed.set(it.id, it);
    }
    for (const id of d.removed) {
      const wasNew = this.added.delete(id);
      this.changed.delete(id);
      if (!wasNew) this.removed.add(id);
    }
  }

  get empty(): boolean {
    return !this.added.size && !this.changed.size && !this.removed.size;
  }

  take(): ItemsDelta {
    const d = { added: [...this.added.values()], changed: [...this.changed.values()], removed: [...this.removed] };
    this.added.clear();
    this.changed.clear();
    this.removed.clear();
    return d;
  }
}

export class WebviewSession {
  /** Ids selected in the webview (context-menu commands act on all of them). */
  selection: string[] = [];
  private ready = false;
  private generation = 0;
  private lastResults: ResultSet | null = null;
  private lastScores = new Map<string, number>();
  private lastNoGoodMatch = false;
  private lastRanked = true;
  private lastStatusKind: string;
  private searchAbort: AbortController | null = null;
  private readonly deltas = new DeltaBuffer();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly subscriptions: { dispose(): unknown }[] = [];
  private disposed = false;

  constructor(
    readonly kind: SessionKind,
    private readonly backend: AssetBackend,
    private readonly host: SessionHost,
  ) {
    this.lastStatusKind = backend.getStatus().kind;
    this.subscriptions.push(
      backend.onDidChangeItems((d) => this.queueDelta(d)),
      backend.onDidChangeProgress((progress) => kind === 'gallery' && this.post({ type: 'progress', progress })),
      ...(backend.duplicates ? [backend.duplicates.onDidChange((d) => kind === 'gallery' && this.post({ type: 'duplicates', ...d }))] : []),
      backend.onDidChangeStatus((status) => {
        const recovered = this.lastStatusKind === 'workerCrashed' && status.kind !== 'workerCrashed';
        this.lastStatusKind = status.kind;
        if (kind !== 'gallery') return;
        this.post({ type: 'modelStatus', status });
        // Thumbnails that failed while the worker was down are worth asking for again.
        if (recovered && this.ready) void this.sendAll().catch((e) => this.host.showError(errorMessage(e)));
      }),
    );
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.flushTimer);
    this.searchAbort?.abort();
    for (const s of this.subscriptions) s.dispose();
  }

  /** Results panel: whether these results are kept (pinned) rather than replaced by the next search. */
  private pinned = false;

  setPinned(pinned: boolean): void {
    this.pinned = pinned;
    if (this.ready) this.sendResults();
  }

  /** Results panel content; sent now, or when the webview says it is ready. */
  showResults(results: ResultSet): void {
    this.lastResults = results;
    this.selection = [];
    if (this.ready) this.sendResults();
  }

  /** Gallery: run a query typed elsewhere (command palette); kept until the webview is ready. */
  setQuery(query: string): void {
    if (this.ready) this.post({ type: 'setQuery', query });
    else this.pendingQuery = query;
  }
  private pendingQuery: string | null = null;

  /** Gallery: switch mode (Find Duplicate Images opens the Duplicates mode); kept until ready. */
  setMode(mode: GalleryMode): void {
    if (this.ready) this.post({ type: 'setMode', mode });
    else this.pendingMode = mode;
  }
  private pendingMode: GalleryMode | null = null;

  /**
   * The one entry for webview messages. A message of the wrong shape, or naming only items this
   * host never listed, is refused and logged; unknown ids among known ones are dropped (and logged).
   */
  async handle(raw: unknown): Promise<void> {
    const parsed = parseWebviewMessage(raw);
    if ('error' in parsed) {
      this.refuse(parsed.error);
      return;
    }
    const m = this.withKnownIds(parsed.message);
    if (!m) return;
    try {
      await this.dispatch(m);
    } catch (e) {
      this.host.showError(errorMessage(e));
    }
  }

  /** Whether `id` names an item this webview was given: a library image, or one of its results. */
  knows(id: string): boolean {
    return this.backend.isKnownItem(id) || (this.lastResults?.items.some((it) => it.id === id) ?? false);
  }

  /** The known ones of `ids` (in order); the others are logged as refused. */
  acceptIds(ids: readonly string[], action: string): string[] {
    const known = ids.filter((i) => this.knows(i));
    if (known.length < ids.length) {
      const unknown = ids.filter((i) => !this.knows(i));
      this.refuse(
        `"${action}" names ${unknown.length} unknown item${unknown.length === 1 ? '' : 's'} (${unknown.slice(0, 3).map(describe).join(', ')}${unknown.length > 3 ? ', …' : ''})`,
      );
    }
    return known;
  }

  private refuse(reason: string): void {
    this.host.warn?.(`refused a message from the ${this.kind} webview: ${reason}`);
  }

  /** The message with only known ids, or undefined when it named nothing known (already logged). */
  private withKnownIds(m: WebviewToHost): WebviewToHost | undefined {
    if ('id' in m) return this.acceptIds([m.id], m.type).length ? m : undefined;
    if (!('ids' in m)) return m;
    const ids = this.acceptIds(m.ids, m.type);
    if (m.type === 'requestThumbnails') return m; // unknown ones are answered as failed (see thumbnails)
    if (!ids.length && m.ids.length && m.type !== 'selectionChanged') return undefined; // an empty selection is a selection
    return { ...m, ids };
  }

  private post(m: HostToWebview): void {
    if (!this.disposed && this.ready) this.host.post(m);
  }

  private async dispatch(m: WebviewToHost): Promise<void> {
    const b = this.backend;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.kind === 'results') return this.sendResults();
        await this.sendAll();
        if (this.pendingQuery !== null) this.post({ type: 'setQuery', query: this.pendingQuery });
        this.pendingQuery = null;
        if (this.pendingMode !== null) this.post({ type: 'setMode', mode: this.pendingMode });
        this.pendingMode = null;
        this.sendDuplicates();
        return;
      case 'search':
        return this.search(m.seq, m.query);
      case 'requestThumbnails':
        return this.thumbnails(m.ids);
      case 'selectionChanged':
        this.selection = m.ids;
        return;
      case 'open':
        return b.open(m.ids);
      case 'reveal':
        return b.reveal(m.id);
      case 'findSimilar':
        return this.host.showResults(await b.findSimilar(m.id));
      case 'copyPath':
        return b.copyPaths(m.ids);
      case 'copyMarkdownLink':
        return b.copyMarkdownLinks(m.ids);
      case 'generateCaptions':
        return b.generateCaptions(m.ids);
      case 'editTags':
        return b.editTags(m.ids);
      case 'downloadModel':
        return b.downloadModel();
      case 'modelAction':
        return b.modelAction(m.action);
      case 'pinResults':
        return this.host.pinResults?.();
      case 'restartWorker':
        return b.restartWorker();
      case 'openSettings':
        return b.openSettings(m.query);
      case 'openFolder':
        return b.openFolder();
      case 'openAllInPanel': {
        const items = await b.getItems(m.ids);
        const scored = items.map((it) => ({ ...it, score: this.lastScores.get(it.id) ?? 0 }));
        const best = this.lastRanked ? scored.reduce<number | null>((mx, it) => (mx === null || it.score > mx ? it.score : mx), null) : null;
        this.host.showResults({ query: m.query, items: scored, noGoodMatch: this.lastNoGoodMatch, bestScore: best, ranked: this.lastRanked });
        return;
      }
      case 'findDuplicates':
        return this.duplicates().find();
      case 'keepDuplicate': {
        const others = this.acceptIds(m.others, m.type).filter((o) => o !== m.id);
        if (others.length) await this.duplicates().keep(m.id, others);
        return;
      }
      case 'notDuplicates':
        return this.duplicates().notDuplicates(m.ids);
      case 'revealReferences':
        if (!b.revealReferences) throw new Error('Reveal References is not available here.');
        return b.revealReferences(m.id);
      default: {
        const never: never = m;
        throw new Error(`Unknown webview message ${(never as { type: string }).type}`);
      }
    }
  }

  private duplicates(): NonNullable<AssetBackend['duplicates']> {
    if (!this.backend.duplicates) throw new Error('Finding duplicates is not available here.');
    return this.backend.duplicates;
  }

  /** Gallery: the Duplicates mode's last state, so a reloaded view shows it again. */
  private sendDuplicates(): void {
    const d = this.kind === 'gallery' ? this.backend.duplicates?.current() : undefined;
    if (d) this.post({ type: 'duplicates', ...d });
  }

  private async sendAll(): Promise<void> {
    const generation = ++this.generation;
    const b = this.backend;
    const all = await b.listItems();
    if (generation !== this.generation) return;
    this.post({ type: 'init', status: b.getStatus(), progress: b.getProgress(), total: all.length });
    if (all.length === 0) {
      this.post({ type: 'items', generation, items: [], done: true });
      return;
    }
    for (let i = 0; i < all.length; i += ITEMS_CHUNK) {
      const chunk = all.slice(i, i + ITEMS_CHUNK).map((it) => toAssetItem(it, this.host));
      this.post({ type: 'items', generation, items: chunk, done: i + ITEMS_CHUNK >= all.length });
    }
  }

  private sendResults(): void {
    const r = this.lastResults;
    if (!r) return;
    this.post({
      type: 'results',
      query: r.query,
      title: r.title,
      items: r.items.map((it) => toAssetItem(it, this.host, r.ranked === false ? undefined : it.score)),
      noGoodMatch: r.noGoodMatch,
      bestScore: r.bestScore,
      ...(r.ranked === false ? { ranked: false } : {}),
      ...(r.queryItem ? { queryItem: toAssetItem(r.queryItem, this.host) } : {}),
      ...(this.pinned ? { pinned: true } : {}),
    });
  }

  private async search(seq: number, query: string): Promise<void> {
    this.searchAbort?.abort();
    const abort = new AbortController();
    this.searchAbort = abort;
    try {
      const out = await this.backend.search(query, abort.signal);
      if (abort.signal.aborted) return;
      this.lastScores = new Map(out.results.map((r) => [r.id, r.score]));
      this.lastNoGoodMatch = out.noGoodMatch;
      this.lastRanked = out.ranked;
      this.post({ type: 'searchResults', seq, query, results: out.results, ranked: out.ranked, noGoodMatch: out.noGoodMatch, bestScore: out.bestScore });
    } catch (e) {
      if (abort.signal.aborted) return;
      const error = errorMessage(e);
      this.post({ type: 'searchResults', seq, query, results: [], ranked: false, noGoodMatch: false, bestScore: null, error });
    }
  }

  private async thumbnails(requested: string[]): Promise<void> {
    this.post({ type: 'thumbnails', updates: await thumbnailUpdates(this.backend, this.host, requested, (id) => this.knows(id)) });
  }

  private queueDelta(d: ItemsDelta): void {
    this.deltas.push(d);
    if (this.flushTimer === undefined) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        this.flushDeltas();
      }, DELTA_FLUSH_MS);
    }
  }

  /** Sends merged deltas now (also used by tests). */
  flushDeltas(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.deltas.empty) return;
    const d = this.deltas.take();
    const conv = (list: BackendItem[]) => list.map((it) => toAssetItem(it, this.host));
    this.post({ type: 'itemsDelta', added: conv(d.added), changed: conv(d.changed), removed: d.removed });
  }
}

/** One update per requested id: the backend's thumbnail (or why there is none), and a refusal for ids the webview was never given. */
async function thumbnailUpdates(
  backend: AssetBackend,
  host: Pick<SessionHost, 'toWebviewUri'>,
  requested: readonly string[],
  knows: (id: string) => boolean,
): Promise<ThumbnailUpdate[]> {
  const ids = requested.filter(knows);
  const unknown: ThumbnailUpdate[] = requested.filter((i) => !knows(i)).map((id) => ({ id, thumbnail: null, error: 'not an image of this workspace' }));
  try {
    const res = await backend.thumbnails(ids);
    const updates = res.map((t): ThumbnailUpdate => ({
      id: t.id,
      thumbnail: t.thumbnailPath ? host.toWebviewUri(t.thumbnailPath) : null,
      width: t.width,
      height: t.height,
      error: t.thumbnailPath ? undefined : (t.error ?? 'Thumbnail could not be made'),
    }));
    return [...updates, ...unknown];
  } catch (e) {
    const error = errorMessage(e);
    return [...ids.map((id) => ({ id, thumbnail: null, error })), ...unknown];
  }
}
