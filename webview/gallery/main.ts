// Sidebar asset gallery: every image of the workspace in a virtualized grid with semantic
// search, filter chips, sorting, grouping, batch actions, indexing progress and model status;
// and its Duplicates mode: the host's duplicate groups in a second grid of the same kind.
import '../common/elements';
import commonCss from '../common/styles.css';
import galleryCss from './gallery.css';
import type {
  AssetFilters,
  AssetItem,
  DuplicatesMessage,
  GalleryMode,
  GroupKey,
  HostToWebview,
  IndexingProgress,
  ModelAction,
  ModelStatus,
  SearchResultsMessage,
  SortKey,
} from '../../src/shared/messages';
import { adoptStyles, debounce, h, shareNonceWithLit } from '../common/dom';
import { formatBytes, formatCount, formatEta, formatScore, plural } from '../common/format';
import { VirtualGrid } from '../common/grid';
import {
  activeFilterCount,
  buildSections,
  computeFacets,
  duplicateGroupOf,
  duplicateSections,
  emptyFilters,
  ROOT_FOLDER_LABEL,
  splitUsageQuery,
  type Facet,
  type Usage,
} from '../common/model';
import { SelectionBar } from '../common/selectionBar';
import { ThumbnailRequester } from '../common/thumbs';
import { getState, onHostMessage, post, setState } from '../common/vscode';

shareNonceWithLit();
adoptStyles(commonCss, galleryCss);

interface GalleryState {
  query: string;
  filters: AssetFilters;
  sort: SortKey;
  /** Sort in use before a query switched to relevance, restored when the query is cleared. */
  sortBeforeQuery: SortKey | null;
  /** Grouping while browsing (default by folder). */
  group: GroupKey;
  /** Grouping of ranked search results: a flat ranked list unless the user asks for folders. */
  groupWhileSearching: GroupKey;
  /** Filter chip groups the user expanded with "More…" (kinds of AssetFilters). */
  expandedChips: string[];
  tileSize: number;
  collapsed: string[];
  scrollTop: number;
  filtersOpen: boolean;
  /** Browsing (and searching) every image, or the Duplicates mode. */
  mode: GalleryMode;
}

const TILE_MIN = 64;
const TILE_MAX = 256;
const SEARCH_DEBOUNCE_MS = 200;
const RESEARCH_THROTTLE_MS = 2000;
const MAX_TAG_CHIPS = 16;
const MAX_FOLDER_CHIPS = 12;

const saved = getState<GalleryState>();
const state: GalleryState = {
  query: typeof saved.query === 'string' ? saved.query : '',
  filters: { ...emptyFilters(), ...saved.filters },
  sort: saved.sort ?? 'name',
  sortBeforeQuery: saved.sortBeforeQuery ?? null,
  group: saved.group ?? 'folder',
  groupWhileSearching: saved.groupWhileSearching ?? 'none',
  expandedChips: Array.isArray(saved.expandedChips) ? saved.expandedChips : [],
  tileSize: clamp(saved.tileSize ?? 112, TILE_MIN, TILE_MAX),
  collapsed: Array.isArray(saved.collapsed) ? saved.collapsed : [],
  scrollTop: saved.scrollTop ?? 0,
  filtersOpen: saved.filtersOpen ?? false,
  mode: saved.mode === 'duplicates' ? 'duplicates' : 'browse',
};
const save = () => setState(state);
const saveSoon = debounce(save, 150);

// ------------------------------------------------------------------ runtime data

const items = new Map<string, AssetItem>();
let generation = -1;
let itemsComplete = false;
let status: ModelStatus | null = null;
let progress: IndexingProgress = { running: false, done: 0, total: 0, etaSeconds: null, failed: [] };
/** Ids the active query matched, with scores (meaningful only when `ranked`); null: no query. */
let scores: Map<string, number> | null = null;
/** False while the active query is filters only: its matches are a listing, not a ranking. */
let ranked = true;
let lastSearch: SearchResultsMessage | null = null;
/** `unused:` / `-unused:` typed in the search box (applied here; the rest of the query goes to the host). */
let queryUsage: Usage | null = null;
/** The Duplicates mode's content from the host (null: not asked for yet). */
let duplicates: DuplicatesMessage | null = null;
const collapsedDuplicates = new Set<string>();
let searchSeq = 0;
let searching = false;
/** Scroll position to restore once the list (and a restored query's results) are in. */
let pendingScrollRestore: number | null = state.scrollTop > 0 ? state.scrollTop : null;

// ------------------------------------------------------------------ UI

const searchField = h('vscode-textfield', {
  type: 'search',
  placeholder: 'Search images, e.g. “a red bicycle”',
  'aria-label': 'Search images by description',
}) as HTMLElement & { value: string };
searchField.value = state.query;
const searchRing = h('vscode-progress-ring', { class: 'search-ring', 'aria-label': 'Searching', hidden: true });

const sortSelect = h(
  'vscode-single-select',
  { 'aria-label': 'Sort by', title: 'Sort by' },
  h('vscode-option', { value: 'relevance' }, 'Relevance'),
  h('vscode-option', { value: 'name' }, 'Name'),
  h('vscode-option', { value: 'mtime' }, 'Date modified'),
  h('vscode-option', { value: 'size' }, 'File size'),
) as HTMLElement & { value: string };
const groupSelect = h(
  'vscode-single-select',
  { 'aria-label': 'Group by', title: 'Group by' },
  h('vscode-option', { value: 'folder' }, 'By folder'),
  h('vscode-option', { value: 'none' }, 'Flat list'),
) as HTMLElement & { value: string };
const sizeSlider = h('input', {
  type: 'range',
  min: TILE_MIN,
  max: TILE_MAX,
  step: 8,
  value: state.tileSize,
  'aria-label': 'Thumbnail size',
  title: 'Thumbnail size',
});
const sizeControl = h('label', { class: 'size-control' }, h('span', { 'aria-hidden': 'true' }, 'Size'), sizeSlider);

const filtersSummary = h('summary', {}, 'Filters');
const chipGroups = h('div', { class: 'chip-groups' });
const filtersDetails = h('details', { class: 'filters' }, filtersSummary, chipGroups);
filtersDetails.open = state.filtersOpen;
const activeChips = h('div', { class: 'active-filters', 'aria-label': 'Active filters' });

const duplicatesButton = h('vscode-button', { secondary: true, class: 'mode-button', title: 'Find duplicate and near-duplicate images' }, 'Duplicates');
duplicatesButton.addEventListener('click', () => setMode('duplicates', true));

const toolbar = h(
  'div',
  { class: 'toolbar', role: 'search' },
  h('div', { class: 'search-row' }, searchField, searchRing),
  h('div', { class: 'row-controls' }, sortSelect, groupSelect, sizeControl, duplicatesButton),
  filtersDetails,
  activeChips,
);

const duplicatesSummary = h('div', { class: 'dup-summary', 'aria-live': 'polite' });
const findAgainButton = h('vscode-button', { secondary: true, title: 'Compare the images again' }, 'Find Again');
findAgainButton.addEventListener('click', () => post({ type: 'findDuplicates' }));
const backButton = h('vscode-button', { secondary: true, title: 'Back to all images' }, 'All Images');
backButton.addEventListener('click', () => setMode('browse', false));
const duplicatesBar = h(
  'div',
  { class: 'toolbar dup-toolbar', role: 'region', 'aria-label': 'Duplicates', hidden: true },
  h('div', { class: 'dup-title-row' }, h('span', { class: 'dup-title' }, 'Duplicates'), findAgainButton, backButton),
  duplicatesSummary,
);

const statusArea = h('div', { class: 'status', 'aria-live': 'polite' });
const searchInfo = h('div', { class: 'search-info', 'aria-live': 'polite' });

const selectionBar = new SelectionBar(
  [
    { label: 'Open', run: (ids) => post({ type: 'open', ids }) },
    { label: 'Similar', title: 'Find similar images', single: true, run: (ids) => post({ type: 'findSimilar', id: ids[0] }) },
    { label: 'Copy', title: 'Copy paths', run: (ids) => post({ type: 'copyPath', ids }) },
    { label: 'Captions', title: 'Generate captions', run: (ids) => post({ type: 'generateCaptions', ids }) },
    { label: 'Tags', title: 'Edit tags', run: (ids) => post({ type: 'editTags', ids }) },
  ],
  () => grid.setSelection([]),
);

/** The selected tile's group in the Duplicates mode (actions name it). */
function selectedGroup(ids: string[]) {
  return ids.length ? duplicateGroupOf(duplicates?.groups ?? [], ids[0]!) : undefined;
}
const duplicatesSelectionBar = new SelectionBar(
  [
    {
      label: 'Keep This One',
      title: 'Keep this one: point every reference to the others at it, then offer to delete them',
      single: true,
      run: (ids) => {
        const g = selectedGroup(ids);
        if (g) post({ type: 'keepDuplicate', id: ids[0]!, others: g.ids.filter((x) => x !== ids[0]) });
      },
    },
    {
      label: 'Not Duplicates',
      title: 'These look alike but are different assets (remembered in .vscode/asset-duplicates.json)',
      run: (ids) => {
        const g = selectedGroup(ids);
        if (g) post({ type: 'notDuplicates', ids: g.ids });
      },
    },
    { label: 'References', title: 'Reveal references', single: true, run: (ids) => post({ type: 'revealReferences', id: ids[0]! }) },
  ],
  () => duplicatesGrid.setSelection([]),
);

const thumbs = new ThumbnailRequester();
const grid = new VirtualGrid({
  variant: 'gallery',
  label: 'Workspace images',
  tileSize: state.tileSize,
  labelHeight: 22,
  scoreOf: (it) => (ranked ? scores?.get(it.id) : undefined),
  onOpen: (ids) => post({ type: 'open', ids }),
  onSelectionChange: (ids) => {
    selectionBar.update(ids);
    post({ type: 'selectionChanged', ids });
  },
  onRendered: (rendered) => thumbs.wantFor(rendered),
  onToggleSection: (key, collapsed) => {
    const set = new Set(state.collapsed);
    if (collapsed) set.add(key);
    else set.delete(key);
    state.collapsed = [...set];
    save();
    rebuild();
  },
  onCopy: (ids) => post({ type: 'copyPath', ids }),
  onScroll: (top) => {
    if (pendingScrollRestore !== null) return;
    state.scrollTop = top;
    saveSoon();
  },
});

// The Duplicates mode: the same grid with the results panel's tiles (folder, size, dimensions
// and reference count under each thumbnail), one section per group.
const duplicatesGrid = new VirtualGrid({
  variant: 'results',
  label: 'Duplicate images',
  tileSize: state.tileSize,
  labelHeight: 58,
  headerHeight: 28,
  onOpen: (ids) => post({ type: 'open', ids }),
  onSelectionChange: (ids) => {
    duplicatesSelectionBar.update(ids);
    post({ type: 'selectionChanged', ids });
  },
  onRendered: (rendered) => thumbs.wantFor(rendered),
  onToggleSection: (key, collapsed) => {
    if (collapsed) collapsedDuplicates.add(key);
    else collapsedDuplicates.delete(key);
    rebuildDuplicates();
  },
  onCopy: (ids) => post({ type: 'copyPath', ids }),
});
duplicatesGrid.element.classList.add('duplicates-grid');

const emptyState = h('div', { class: 'empty', hidden: true });
const duplicatesEmpty = h('div', { class: 'empty', hidden: true });

// The selection bar sits below the grid, so the grid does not jump when a selection starts.
const browseView = h('div', { class: 'mode mode-browse' }, toolbar, statusArea, searchInfo, grid.element, emptyState, selectionBar.element);
const duplicatesView = h('div', { class: 'mode mode-duplicates', hidden: true }, duplicatesBar, duplicatesGrid.element, duplicatesEmpty, duplicatesSelectionBar.element);
document.body.append(h('div', { class: 'app' }, browseView, duplicatesView));

// ------------------------------------------------------------------ view building

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Number.isFinite(v) ? v : lo));
}

/** A ranked search is showing: sort by relevance and group as asked for search results. */
const rankedSearch = (): boolean => scores !== null && ranked;
/** What the host searches for: the query without the gallery's own `unused:` filter. */
const hostQuery = (): string => splitUsageQuery(state.query).text;
const effectiveSort = (): SortKey => (state.sort === 'relevance' && !rankedSearch() ? (state.sortBeforeQuery ?? 'name') : state.sort);
const effectiveGroup = (): GroupKey => (rankedSearch() ? state.groupWhileSearching : state.group);

function rebuild(): void {
  if (state.mode === 'duplicates') rebuildDuplicates();
  const group = effectiveGroup();
  const sections = buildSections(items.values(), {
    usage: queryUsage,
    scores,
    filters: state.filters,
    sort: effectiveSort(),
    group,
    collapsed: new Set(state.collapsed),
  });
  grid.setSections(sections, group === 'folder');
  renderEmptyState(sections.reduce((n, s) => n + s.items.length, 0));
  renderSearchInfo();
  maybeRestoreScroll();
}
const rebuildSoon = debounce(rebuild, 16);

// ------------------------------------------------------------------ Duplicates mode

function setMode(mode: GalleryMode, find: boolean): void {
  const changed = state.mode !== mode;
  state.mode = mode;
  save();
  browseView.hidden = mode !== 'browse';
  duplicatesView.hidden = mode !== 'duplicates';
  duplicatesBar.hidden = mode !== 'duplicates';
  if (mode === 'duplicates') {
    if (find && (!duplicates || duplicates.state !== 'running')) post({ type: 'findDuplicates' });
    rebuildDuplicates();
  } else if (changed) rebuild();
}

function rebuildDuplicates(): void {
  const groups = duplicates?.groups ?? [];
  const sections = duplicateSections(groups, items, collapsedDuplicates);
  duplicatesGrid.setSections(sections, true);
  const wasted = groups.reduce((n, g) => n + g.bytesWasted, 0);
  let summary = '';
  let empty: (HTMLElement | string)[] | null = null;
  if (!duplicates) {
    summary = 'Duplicates have not been looked for yet.';
    empty = [
      h('div', { class: 'title' }, 'Find duplicate images'),
      'Compares every indexed image by embedding, then confirms with the pixels.',
      button('Find Duplicates', () => post({ type: 'findDuplicates' })),
    ];
  } else if (duplicates.state === 'running') {
    summary = duplicates.message ?? 'Comparing images…';
    if (!sections.length) empty = [h('vscode-progress-ring', { 'aria-label': 'Finding duplicates' }), summary];
  } else if (duplicates.state === 'failed') {
    summary = duplicates.message ?? 'Finding duplicates failed.';
    if (!sections.length) empty = [h('div', { class: 'title' }, 'No duplicates shown'), summary, button('Try Again', () => post({ type: 'findDuplicates' }), true)];
  } else if (sections.length) {
    summary = `${plural(sections.length, 'group')}; keeping one file of each frees ${formatBytes(wasted)}. Select a tile, then Keep This One or Not Duplicates.`;
  } else {
    summary = duplicates.state === 'cancelled' ? 'Cancelled.' : `No duplicates among ${plural(duplicates.images ?? 0, 'indexed image')}.`;
    empty = [
      h('div', { class: 'title' }, duplicates.state === 'cancelled' ? 'Finding duplicates was cancelled' : 'No duplicates'),
      summary,
      button('Find Again', () => post({ type: 'findDuplicates' }), true),
    ];
  }
  duplicatesSummary.textContent = summary;
  duplicatesView.dataset.state = duplicates?.state ?? 'idle';
  duplicatesEmpty.replaceChildren(...(empty ?? []));
  duplicatesEmpty.hidden = empty === null;
  duplicatesGrid.element.hidden = !sections.length;
}

function maybeRestoreScroll(): void {
  if (pendingScrollRestore === null || !itemsComplete) return;
  if (hostQuery() && !lastSearch) return;
  const top = pendingScrollRestore;
  pendingScrollRestore = null;
  grid.scrollTop = top;
}

/**
 * Sets a vscode-single-select's value through its options' `selected` flags too: the select
 * re-reads its options whenever one changes (e.g. gets disabled) and would otherwise reset.
 */
function selectValue(select: HTMLElement & { value: string }, value: string, disabled: string[] = []): void {
  for (const opt of select.querySelectorAll<HTMLElement & { value: string; selected: boolean; disabled: boolean }>('vscode-option')) {
    opt.selected = opt.value === value;
    opt.disabled = disabled.includes(opt.value);
  }
  select.value = value;
}

function syncControls(): void {
  selectValue(sortSelect, effectiveSort(), rankedSearch() ? [] : ['relevance']);
  selectValue(groupSelect, effectiveGroup());
  sizeSlider.value = String(state.tileSize);
}

function chip(label: string, count: number | null, pressed: boolean, onToggle: () => void, title?: string): HTMLElement {
  const b = h(
    'button',
    { class: 'chip', type: 'button', 'aria-pressed': String(pressed), title: title ?? label },
    label,
    count !== null ? h('span', { class: 'count' }, String(count)) : null,
  );
  b.addEventListener('click', onToggle);
  return b;
}

function toggleFilter(kind: keyof AssetFilters, value: string): void {
  const list: string[] = state.filters[kind] ?? [];
  state.filters = { ...state.filters, [kind]: list.includes(value) ? list.filter((v) => v !== value) : [...list, value] };
  save();
  rebuild();
  renderChips();
}

function renderChips(): void {
  const facets = computeFacets(items.values());
  const group = (label: string, kind: keyof AssetFilters, values: Facet[], max: number, show: (v: string) => string) => {
    // Always list active values, even when they are not among the most common; a long list gets
    // "More…" (never a silent cap).
    const active: string[] = state.filters[kind] ?? [];
    const expanded = state.expandedChips.includes(kind);
    const shown = expanded ? [...values] : values.slice(0, max);
    for (const v of active) if (!shown.some(([x]) => x === v)) shown.push([v, values.find(([x]) => x === v)?.[1] ?? 0]);
    if (!shown.length) return null;
    const hidden = values.length - shown.filter(([v]) => values.some(([x]) => x === v)).length;
    const toggle =
      (hidden > 0 || expanded) && values.length > max
        ? chip(expanded ? 'Fewer' : `More… (${hidden})`, null, false, () => toggleChipGroup(kind), expanded ? `Show the ${max} most common` : `Show all ${values.length}`)
        : null;
    if (toggle) toggle.classList.add('more');
    return h(
      'div',
      { class: 'chip-group', role: 'group', 'aria-label': label, 'data-kind': kind },
      h('span', { class: 'chip-group-label' }, label),
      ...shown.map(([v, n]) => chip(show(v), n, active.includes(v), () => toggleFilter(kind, v))),
      toggle,
    );
  };
  chipGroups.replaceChildren(
    ...[
      group('Type', 'exts', facets.exts, Infinity, (v) => v.toUpperCase()),
      group('Tags', 'tags', facets.tags, MAX_TAG_CHIPS, (v) => v),
      group('Folder', 'folders', facets.folders, MAX_FOLDER_CHIPS, (v) => v || ROOT_FOLDER_LABEL),
      group('References', 'usage', facets.usage, Infinity, usageLabel),
    ].filter((x): x is HTMLDivElement => x !== null),
  );
  if (!chipGroups.childElementCount) chipGroups.append(h('div', { class: 'muted' }, 'No filters available yet.'));

  const n = activeFilterCount(state.filters);
  filtersSummary.textContent = n ? `Filters (${n} active)` : 'Filters';
  const actives: HTMLElement[] = [];
  if (n && !filtersDetails.open) {
    for (const kind of ['exts', 'tags', 'folders', 'usage'] as const) {
      for (const v of state.filters[kind] ?? []) {
        const label = kind === 'exts' ? v.toUpperCase() : kind === 'folders' ? v || ROOT_FOLDER_LABEL : kind === 'usage' ? usageLabel(v) : v;
        actives.push(chip(`${label} ×`, null, true, () => toggleFilter(kind, v), `Remove filter ${label}`));
      }
    }
  }
  if (n) {
    const clear = h('button', { class: 'chip', type: 'button' }, 'Clear filters');
    clear.addEventListener('click', clearFilters);
    actives.push(clear);
  }
  activeChips.replaceChildren(...actives);
  activeChips.hidden = actives.length === 0;
}

function usageLabel(v: string): string {
  return v === 'unused' ? 'Unused' : 'Used';
}

function toggleChipGroup(kind: string): void {
  const set = new Set(state.expandedChips);
  if (set.has(kind)) set.delete(kind);
  else set.add(kind);
  state.expandedChips = [...set];
  save();
  renderChips();
}

function clearFilters(): void {
  state.filters = emptyFilters();
  save();
  rebuild();
  renderChips();
}

function button(label: string, onClick: () => void, secondary = false): HTMLElement {
  const b = h('vscode-button', { secondary }, label);
  b.addEventListener('click', onClick);
  return b;
}

function banner(kind: string, cls: string, text: string, ...actions: (HTMLElement | null)[]): HTMLElement {
  // One sentence; the full text is the tooltip if it had to be clipped (banners have a bounded height).
  return h(
    'div',
    { class: `banner ${cls}`.trim(), 'data-status': kind, ...(cls.includes('error') ? { role: 'alert' } : {}) },
    h('span', { class: 'text', title: text }, text),
    ...actions,
  );
}

const modelAction = (action: ModelAction) => () => post({ type: 'modelAction', action });

// Long: one status bar with a branch per model/indexing state; each branch is a few DOM lines.
function renderStatus(): void {
  const parts: HTMLElement[] = [];
  const s = status;
  if (s) {
    switch (s.kind) {
      case 'modelMissing':
        parts.push(
          banner(
            s.kind,
            '',
            `Search and tags need the ${s.modelName} model. It runs locally; images never leave this machine.`,
            button(s.downloadSize ? `Download (${s.downloadSize})` : 'Download model', () => post({ type: 'downloadModel' })),
            button('Use Local Folder…', modelAction('useLocalFolder'), true),
            button('Select Model', modelAction('selectModel'), true),
          ),
        );
        break;
      case 'downloading': {
        const bar = h('vscode-progress-bar', { 'aria-label': `Downloading ${s.modelName}` }) as HTMLElement & { value: number; max: number; indeterminate: boolean };
        if (s.total > 0) {
          bar.max = s.total;
          bar.value = s.received;
        } else bar.indeterminate = true;
        const b = banner(s.kind, '', `Downloading ${s.modelName}… ${formatBytes(s.received)}${s.total ? ` of ${formatBytes(s.total)}` : ''}`);
        b.append(bar);
        parts.push(b);
        break;
      }
      case 'modelFailed':
        parts.push(
          banner(
            s.kind,
            'error',
            s.message,
            button('Retry', modelAction('retry')),
            button('Use Local Folder…', modelAction('useLocalFolder'), true),
            button('Show Details', modelAction('showDetails'), true),
          ),
        );
        break;
      case 'loading':
      case 'restarting': {
        const b = banner(s.kind, '', `${s.kind === 'loading' ? 'Loading' : 'Restarting'} ${s.modelName}…`);
        b.prepend(h('vscode-progress-ring', { 'aria-label': 'Loading model' }));
        parts.push(b);
        break;
      }
      case 'workerCrashed':
        parts.push(
          banner(
            s.kind,
            'error',
            `The inference worker stopped: ${s.message}`,
            button('Restart worker', () => post({ type: 'restartWorker' })),
          ),
        );
        break;
      default:
        break;
    }
  }
  if (progress.running && progress.total > 0) {
    const bar = h('vscode-progress-bar', { 'aria-label': 'Indexing progress' }) as HTMLElement & { value: number; max: number };
    bar.max = progress.total;
    bar.value = progress.done;
    parts.push(
      h(
        'div',
        { class: 'indexing', 'data-status': 'indexing' },
        h(
          'div',
          { class: 'progress-line' },
          h('span', {}, `Indexing ${formatCount(progress.done)} of ${formatCount(progress.total)}`),
          progress.etaSeconds !== null ? h('span', {}, formatEta(progress.etaSeconds)) : null,
        ),
        bar,
      ),
    );
  }
  if (progress.failed.length) {
    const list = h(
      'ul',
      {},
      ...progress.failed.map((f) => {
        const link = h('button', { class: 'path', type: 'button', title: `Reveal ${f.relPath}` }, f.relPath);
        link.addEventListener('click', () => post({ type: 'reveal', id: f.id }));
        return h('li', {}, link, h('div', { class: 'err' }, f.error));
      }),
    );
    parts.push(h('details', { class: 'failed', 'data-status': 'failed' }, h('summary', {}, `${plural(progress.failed.length, 'file')} could not be read`), list));
  }
  statusArea.replaceChildren(...parts);
}

function renderSearchInfo(): void {
  searchRing.hidden = !searching;
  const parts: HTMLElement[] = [];
  const q = hostQuery();
  const r = lastSearch;
  if (q && r && r.query === q) {
    const shown = grid.itemCount;
    if (r.error) {
      parts.push(h('div', { class: 'banner error', role: 'alert', 'data-search': 'error' }, h('span', { class: 'text', title: r.error }, r.error)));
    } else if (r.noGoodMatch) {
      parts.push(
        h(
          'div',
          { class: 'banner warning', 'data-search': 'no-good-match' },
          h('span', { class: 'text' }, `No good match for “${q}”${r.bestScore !== null ? ` (best score ${formatScore(r.bestScore)})` : ''}. Showing the closest images.`),
        ),
      );
    }
    if (!r.error) {
      const open = h('button', { class: 'link', type: 'button' }, 'Open in panel');
      open.addEventListener('click', () => post({ type: 'openAllInPanel', query: q, ids: grid.orderedIds }));
      const what = r.ranked ? `${plural(shown, 'result')} for “${q}”` : `${plural(shown, 'image')} ${shown === 1 ? 'matches' : 'match'} “${q}”`;
      parts.push(h('div', { class: 'result-count', 'data-search': 'count' }, h('span', {}, what), shown ? open : null));
    }
  }
  searchInfo.replaceChildren(...parts);
  searchInfo.hidden = parts.length === 0;
}

function renderEmptyState(shownCount: number): void {
  let content: (HTMLElement | string)[] | null = null;
  let kind = '';
  if (status?.kind === 'noWorkspace') {
    kind = 'noWorkspace';
    content = [h('div', { class: 'title' }, 'No folder is open'), 'Open a folder to browse and search its images.', button('Open Folder', () => post({ type: 'openFolder' }))];
  } else if (status?.kind === 'noImages' || (itemsComplete && items.size === 0)) {
    kind = 'noImages';
    content = [
      h('div', { class: 'title' }, 'No images found'),
      'This workspace has no PNG, JPEG, WebP, GIF, AVIF, TIFF or SVG files in the included folders.',
      button('Open Settings', () => post({ type: 'openSettings' }), true),
    ];
  } else if (!itemsComplete && items.size === 0) {
    kind = 'loading';
    content = [h('vscode-progress-ring', { 'aria-label': 'Loading images' }), 'Loading images…'];
  } else if (shownCount === 0 && activeFilterCount(state.filters) > 0) {
    kind = 'noFilterMatch';
    content = [h('div', { class: 'title' }, 'No images match the filters'), button('Clear filters', clearFilters, true)];
  } else if (shownCount === 0 && scores) {
    kind = 'noSearchMatch';
    content = [h('div', { class: 'title' }, `Nothing matches “${state.query.trim()}”`), 'Try other words, or clear the search.'];
  } else if (shownCount === 0 && queryUsage) {
    kind = 'noUsageMatch';
    content = [
      h('div', { class: 'title' }, queryUsage === 'unused' ? 'No unused images' : 'No referenced images'),
      items.size && [...items.values()].every((it) => it.references === undefined)
        ? 'References are still being counted…'
        : queryUsage === 'unused'
          ? 'Every image is named by a text file of the workspace.'
          : 'No text file of the workspace names an image.',
    ];
  }
  emptyState.replaceChildren(...(content ?? []));
  emptyState.hidden = content === null;
  emptyState.dataset.kind = kind;
  grid.element.hidden = content !== null && shownCount === 0;
}

// ------------------------------------------------------------------ search

function runSearch(): void {
  const split = splitUsageQuery(state.query);
  const usageChanged = split.usage !== queryUsage;
  queryUsage = split.usage;
  const q = split.text;
  if (!q) {
    searchSeq++;
    searching = false;
    const hadScores = scores !== null;
    scores = null;
    ranked = true;
    lastSearch = null;
    if (state.sort === 'relevance') state.sort = state.sortBeforeQuery ?? 'name';
    state.sortBeforeQuery = null;
    save();
    syncControls();
    if (hadScores || usageChanged) rebuild();
    else renderSearchInfo();
    return;
  }
  if (usageChanged) rebuild();
  searching = true;
  post({ type: 'search', seq: ++searchSeq, query: q });
  renderSearchInfo();
}
const searchSoon = debounce(runSearch, SEARCH_DEBOUNCE_MS);

function onSearchResults(m: SearchResultsMessage): void {
  if (m.seq !== searchSeq || m.query !== hostQuery()) return; // a newer query is on its way
  searching = false;
  const first = !lastSearch || lastSearch.query !== m.query;
  lastSearch = m;
  if (m.error) {
    scores = null;
    ranked = true;
  } else {
    scores = new Map(m.results.map((r) => [r.id, r.score]));
    ranked = m.ranked;
    if (ranked && state.sort !== 'relevance' && state.sortBeforeQuery === null) {
      state.sortBeforeQuery = state.sort;
      state.sort = 'relevance';
      save();
    }
  }
  const restoring = pendingScrollRestore !== null;
  syncControls();
  rebuild();
  if (first && !restoring) grid.scrollTop = 0;
}

let lastResearch = 0;
const researchLater = debounce(() => {
  lastResearch = Date.now();
  if (hostQuery()) runSearch();
}, RESEARCH_THROTTLE_MS);
/** New or changed items may match the active query: search again, at most every 2 s. */
function researchAfterDelta(): void {
  if (!hostQuery()) return;
  if (Date.now() - lastResearch > RESEARCH_THROTTLE_MS) {
    lastResearch = Date.now();
    runSearch();
  } else researchLater();
}

searchField.addEventListener('input', () => {
  state.query = searchField.value;
  save();
  if (state.query.trim()) return searchSoon();
  searchSoon.cancel(); // clearing the box restores the full list at once
  runSearch();
});
searchField.addEventListener('keydown', (e: KeyboardEvent) => {
  if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'a') {
    // Select the text here and now, and keep the key from the workbench: VS Code's webview host
    // forwards keydowns and answers Ctrl+A with a "select all" command that arrives a moment
    // later, after the first character typed over the selection, which it then selects and the
    // second character replaces (the lost first character).
    e.preventDefault();
    e.stopPropagation();
    selectSearchText();
    return;
  }
  if (e.key === 'Enter') {
    searchSoon.cancel();
    runSearch();
  } else if (e.key === 'ArrowDown') {
    e.preventDefault();
    grid.focus();
  } else if (e.key === 'Escape' && searchField.value) {
    e.preventDefault();
    searchField.value = '';
    state.query = '';
    searchSoon.cancel();
    runSearch();
  }
});

/** Selects all text of the search box (its input lives in the element's shadow root). */
function selectSearchText(): void {
  const input = searchField.shadowRoot?.querySelector('input') ?? null;
  if (input) input.select();
  else (searchField as HTMLElement & { select?: () => void }).select?.();
}

sortSelect.addEventListener('change', () => {
  const v = sortSelect.value as SortKey;
  if (v === 'relevance' && !rankedSearch()) return syncControls();
  state.sort = v;
  if (rankedSearch()) state.sortBeforeQuery = state.sortBeforeQuery ?? 'name';
  save();
  rebuild();
});
groupSelect.addEventListener('change', () => {
  const value: GroupKey = groupSelect.value === 'none' ? 'none' : 'folder';
  // Ranked results and browsing each keep their own grouping.
  if (rankedSearch()) state.groupWhileSearching = value;
  else state.group = value;
  save();
  rebuild();
});
sizeSlider.addEventListener('input', () => {
  state.tileSize = clamp(Number(sizeSlider.value), TILE_MIN, TILE_MAX);
  grid.setTileSize(state.tileSize);
  duplicatesGrid.setTileSize(state.tileSize);
  saveSoon();
});
filtersDetails.addEventListener('toggle', () => {
  state.filtersOpen = filtersDetails.open;
  save();
  renderChips();
});

// ------------------------------------------------------------------ host messages

function applyDelta(added: AssetItem[], changed: AssetItem[], removed: string[]): void {
  for (const id of removed) {
    items.delete(id);
    thumbs.settled(id);
  }
  for (const it of [...added, ...changed]) {
    items.set(it.id, it);
    thumbs.settled(it.id);
  }
  rebuildSoon();
  renderChipsSoon();
  if (added.length || changed.length) researchAfterDelta();
}
const renderChipsSoon = debounce(renderChips, 100);

// Long: the one switch over the host's message types (the protocol in src/shared/messages.ts).
function handle(m: HostToWebview): void {
  switch (m.type) {
    case 'init':
      status = m.status;
      progress = m.progress;
      renderStatus();
      renderEmptyState(grid.itemCount);
      break;
    case 'items':
      if (m.generation !== generation) {
        generation = m.generation;
        items.clear();
        thumbs.reset();
        itemsComplete = false;
      }
      for (const it of m.items) items.set(it.id, it);
      if (m.done) itemsComplete = true;
      // First chunk paints at once; later chunks coalesce.
      if (grid.itemCount === 0 || m.done) rebuild();
      else rebuildSoon();
      if (m.done) renderChips();
      break;
    case 'itemsDelta':
      applyDelta(m.added, m.changed, m.removed);
      break;
    case 'thumbnails': {
      const updated: AssetItem[] = [];
      for (const u of m.updates) {
        const it = items.get(u.id);
        if (!it) continue;
        const next: AssetItem = {
          ...it,
          thumbnail: u.thumbnail,
          width: u.width ?? it.width,
          height: u.height ?? it.height,
          error: u.thumbnail ? it.error : (u.error ?? it.error ?? 'No thumbnail'),
        };
        items.set(u.id, next);
        updated.push(next);
      }
      grid.updateItems(updated);
      if (state.mode === 'duplicates') duplicatesGrid.updateItems(updated);
      break;
    }
    case 'searchResults':
      onSearchResults(m);
      break;
    case 'progress':
      progress = m.progress;
      renderStatus();
      break;
    case 'modelStatus': {
      const changed = status?.kind !== m.status.kind;
      status = m.status;
      renderStatus();
      renderEmptyState(grid.itemCount);
      // A search that failed because of the model runs again when the model's state changes: it
      // works once the model is ready, and until then its message follows the state.
      if (changed && lastSearch?.error && hostQuery()) runSearch();
      break;
    }
    case 'setQuery':
      searchField.value = m.query;
      state.query = m.query;
      save();
      searchSoon.cancel();
      runSearch();
      searchField.focus();
      break;
    case 'duplicates':
      duplicates = m;
      if (state.mode === 'duplicates') {
        duplicatesGrid.setSelection([]);
        rebuildDuplicates();
      }
      break;
    case 'setMode':
      setMode(m.mode, false);
      break;
    case 'results':
      break; // results panel only
  }
}

onHostMessage(handle);
setMode(state.mode, false);
syncControls();
renderChips();
renderStatus();
renderEmptyState(0);
post({ type: 'ready' });
if (state.query.trim()) runSearch();
