// Search results panel: a ranked grid of thumbnails with score, path and size, using the same
// grid, tile and keyboard code as the gallery.
import '../common/elements';
import commonCss from '../common/styles.css';
import resultsCss from './results.css';
import type { AssetItem, HostToWebview, ResultsMessage } from '../../src/shared/messages';
import { adoptStyles, debounce, h, shareNonceWithLit } from '../common/dom';
import { formatScore, plural } from '../common/format';
import { VirtualGrid } from '../common/grid';
import { SelectionBar } from '../common/selectionBar';
import { ThumbnailRequester } from '../common/thumbs';
import { getState, onHostMessage, post, setState } from '../common/vscode';

shareNonceWithLit();
adoptStyles(commonCss, resultsCss);

interface ResultsState {
  tileSize: number;
  scrollTop: number;
  /** Which result set the scroll position belongs to. */
  query: string;
  /** Kept across reloads (the panel serializer reads it). */
  pinned?: boolean;
}

const TILE_MIN = 80;
const TILE_MAX = 320;
const saved = getState<ResultsState>();
const state: ResultsState = {
  tileSize: Math.max(TILE_MIN, Math.min(TILE_MAX, saved.tileSize ?? 160)),
  scrollTop: saved.scrollTop ?? 0,
  query: saved.query ?? '',
};
const saveSoon = debounce(() => setState(state), 150);

let results: ResultsMessage | null = null;
let items: AssetItem[] = [];

const heading = h('h1', { class: 'query' });
const count = h('vscode-badge', { class: 'count' });
const sizeSlider = h('input', { type: 'range', min: TILE_MIN, max: TILE_MAX, step: 8, value: state.tileSize, 'aria-label': 'Thumbnail size', title: 'Thumbnail size' });
/** Find Similar: the image the results are similar to (click opens it). */
const queryImage = h('button', { class: 'query-image', type: 'button', hidden: true });
const pinButton = h('vscode-button', { class: 'pin', secondary: true, title: 'Keep these results: the next search opens another panel' }, 'Pin');
pinButton.addEventListener('click', () => post({ type: 'pinResults' }));
const pinnedBadge = h('span', { class: 'pinned', hidden: true, title: 'These results stay: the next search opens another panel' }, 'Pinned');
const header = h(
  'div',
  { class: 'results-header' },
  h('div', { class: 'title-line' }, queryImage, heading, count, pinnedBadge),
  h('div', { class: 'header-controls' }, pinButton, h('label', { class: 'size-control' }, h('span', { 'aria-hidden': 'true' }, 'Size'), sizeSlider)),
);
const banner = h('div', { class: 'status', 'aria-live': 'polite' });

const selectionBar = new SelectionBar(
  [
    { label: 'Open', run: (ids) => post({ type: 'open', ids }) },
    { label: 'Reveal in Explorer', single: true, run: (ids) => post({ type: 'reveal', id: ids[0] }) },
    { label: 'Find similar', title: 'Find similar images', single: true, run: (ids) => post({ type: 'findSimilar', id: ids[0] }) },
    { label: 'Copy paths', run: (ids) => post({ type: 'copyPath', ids }) },
    { label: 'Copy Markdown links', run: (ids) => post({ type: 'copyMarkdownLink', ids }) },
  ],
  () => grid.setSelection([]),
);

const thumbs = new ThumbnailRequester();
const grid = new VirtualGrid({
  variant: 'results',
  label: 'Search results',
  tileSize: state.tileSize,
  labelHeight: 54, // name + folder + facts lines
  scoreOf: (it) => it.score,
  onOpen: (ids) => post({ type: 'open', ids }),
  onSelectionChange: (ids) => {
    selectionBar.update(ids);
    post({ type: 'selectionChanged', ids });
  },
  onRendered: (rendered) => thumbs.wantFor(rendered),
  onCopy: (ids) => post({ type: 'copyPath', ids }),
  onScroll: (top) => {
    if (!results) return; // the empty first render must not overwrite the saved position
    state.scrollTop = top;
    saveSoon();
  },
});
const emptyState = h('div', { class: 'empty' }, h('div', { class: 'title' }, 'No results yet'), 'Search from the MobileCLIP Assets gallery or the command palette.');

document.body.append(h('div', { class: 'app' }, header, banner, grid.element, emptyState, selectionBar.element));

function render(restoreScroll: boolean): void {
  const r = results;
  const title = r ? (r.title ?? `“${r.query}”`) : 'Search results';
  heading.textContent = title;
  document.title = title;
  count.textContent = r ? plural(items.length, r.ranked === false ? 'image' : 'result') : '';
  count.hidden = !r;
  renderQueryImage(r?.queryItem);
  pinButton.hidden = !r || r.pinned === true;
  pinnedBadge.hidden = !r?.pinned;
  banner.replaceChildren();
  if (r?.noGoodMatch) {
    banner.append(
      h(
        'div',
        { class: 'banner warning', 'data-search': 'no-good-match' },
        h('span', { class: 'text' }, `No good match for “${r.query}”${r.bestScore !== null ? ` (best score ${formatScore(r.bestScore)})` : ''}. These are the closest images.`),
      ),
    );
  }
  grid.setSections([{ key: '', label: '', items, collapsed: false }], false);
  const empty = !r || items.length === 0;
  grid.element.hidden = empty;
  emptyState.hidden = !empty;
  if (r && items.length === 0) emptyState.replaceChildren(h('div', { class: 'title' }, `No images match “${r.query}”`));
  if (restoreScroll) grid.scrollTop = state.scrollTop;
}

function renderQueryImage(item: AssetItem | undefined): void {
  queryImage.hidden = !item;
  if (!item) {
    queryImage.replaceChildren();
    return;
  }
  queryImage.title = `${item.relPath} (the image these are similar to): open it`;
  queryImage.setAttribute('aria-label', `Query image ${item.name}: open it`);
  queryImage.dataset.id = item.id;
  queryImage.replaceChildren(
    item.thumbnail ? h('img', { src: item.thumbnail, alt: '' }) : h('span', { class: 'codicon-placeholder', 'aria-hidden': 'true' }, item.ext.toUpperCase()),
  );
}
queryImage.addEventListener('click', () => {
  const id = queryImage.dataset.id;
  if (id) post({ type: 'open', ids: [id] });
});

function handle(m: HostToWebview): void {
  switch (m.type) {
    case 'results': {
      const sameQuery = m.query === state.query;
      results = m;
      items = m.items;
      thumbs.reset();
      grid.setSelection([]);
      state.query = m.query;
      state.pinned = m.pinned === true;
      if (!sameQuery) state.scrollTop = 0;
      render(true);
      saveSoon();
      break;
    }
    case 'thumbnails': {
      const byId = new Map(m.updates.map((u) => [u.id, u]));
      const updated: AssetItem[] = [];
      items = items.map((it) => {
        const u = byId.get(it.id);
        if (!u) return it;
        const next = {
          ...it,
          thumbnail: u.thumbnail,
          width: u.width ?? it.width,
          height: u.height ?? it.height,
          error: u.thumbnail ? it.error : (u.error ?? it.error ?? 'No thumbnail'),
        };
        updated.push(next);
        return next;
      });
      grid.updateItems(updated);
      break;
    }
    case 'itemsDelta': {
      // Results are a snapshot: keep the ranking, but drop deleted files and refresh changed ones.
      const removed = new Set(m.removed);
      const changed = new Map(m.changed.map((c) => [c.id, c]));
      if (!removed.size && !items.some((it) => changed.has(it.id))) break;
      items = items
        .filter((it) => !removed.has(it.id))
        .map((it) => {
          const c = changed.get(it.id);
          if (c) thumbs.settled(it.id);
          return c ? { ...c, score: it.score } : it;
        });
      render(false);
      break;
    }
    default:
      break;
  }
}

sizeSlider.addEventListener('input', () => {
  state.tileSize = Number(sizeSlider.value);
  grid.setTileSize(state.tileSize);
  saveSoon();
});

onHostMessage(handle);
render(false);
post({ type: 'ready' });
