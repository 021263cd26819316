// Pure view-model logic shared by both webviews: filtering, sorting, grouping, grid layout
// and 2-D keyboard navigation. No DOM here, so it is unit-tested in plain Node as well.
import type { AssetFilters, AssetItem, DuplicateGroupView, GroupKey, SortKey } from '../../src/shared/messages';
import { formatBytes } from './format';

export interface Section<T> {
  /** Stable key (the folder for folder groups, '' for the flat list). */
  key: string;
  label: string;
  items: T[];
  collapsed: boolean;
}

export interface ViewOptions {
  /** `unused:` typed in the search box (./splitUsageQuery), on top of the chips. */
  usage?: Usage | null;
  /** Scores of the active query; null when no query is active (then every item is shown). */
  scores: ReadonlyMap<string, number> | null;
  filters: AssetFilters;
  sort: SortKey;
  group: GroupKey;
  collapsed: ReadonlySet<string>;
}

export const emptyFilters = (): AssetFilters => ({ tags: [], exts: [], folders: [], usage: [] });

export function activeFilterCount(f: AssetFilters): number {
  return f.tags.length + f.exts.length + f.folders.length + (f.usage?.length ?? 0);
}

export type Usage = 'unused' | 'used';

/** Whether an item is referenced by a text file; undefined while references are not counted yet. */
export function usageOf(item: AssetItem): Usage | undefined {
  return item.references === undefined ? undefined : item.references > 0 ? 'used' : 'unused';
}

/**
 * The gallery's own search syntax: `unused:` (or `unused:yes`) keeps images no text file
 * references, `-unused:` (or `unused:no`, `used:`) the referenced ones. The rest of the query
 * goes to the host's search as typed.
 */
export function splitUsageQuery(query: string): { text: string; usage: Usage | null } {
  let usage: Usage | null = null;
  const text = query.replace(/(^|\s)(-?)(unused|used):(\S*)(?=\s|$)/gi, (_all, lead: string, minus: string, key: string, value: string) => {
    const no = /^(no|false|0)$/i.test(value);
    const unused = ((key.toLowerCase() === 'unused') !== (minus === '-')) !== no;
    usage = unused ? 'unused' : 'used';
    return lead;
  });
  return { text: usage === null ? query.trim() : text.replace(/\s+/g, ' ').trim(), usage };
}

export function matchesFilters(item: AssetItem, f: AssetFilters): boolean {
  if (f.usage?.length) {
    const u = usageOf(item);
    if (!u || !f.usage.includes(u)) return false;
  }
  if (f.exts.length && !f.exts.includes(item.ext)) return false;
  if (f.folders.length && !f.folders.some((d) => item.folder === d || item.folder.startsWith(d + '/'))) return false;
  if (f.tags.length && !item.tags.some((t) => f.tags.includes(t.tag))) return false;
  return true;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export function compareItems(sort: SortKey, scores: ReadonlyMap<string, number> | null): (a: AssetItem, b: AssetItem) => number {
  const byPath = (a: AssetItem, b: AssetItem) => collator.compare(a.relPath, b.relPath);
  switch (sort) {
    case 'name':
      return (a, b) => collator.compare(a.name, b.name) || byPath(a, b);
    case 'mtime':
      return (a, b) => b.mtime - a.mtime || byPath(a, b);
    case 'size':
      return (a, b) => b.size - a.size || byPath(a, b);
    case 'relevance':
      if (!scores) return (a, b) => collator.compare(a.name, b.name) || byPath(a, b);
      return (a, b) => (scores.get(b.id) ?? -Infinity) - (scores.get(a.id) ?? -Infinity) || byPath(a, b);
  }
}

export const ROOT_FOLDER_LABEL = '(root)';

/** Filters, sorts and groups items into sections (one unlabelled section when not grouping). */
export function buildSections(items: Iterable<AssetItem>, o: ViewOptions): Section<AssetItem>[] {
  const kept: AssetItem[] = [];
  for (const it of items) {
    if (o.scores && !o.scores.has(it.id)) continue;
    if (o.usage && usageOf(it) !== o.usage) continue;
    if (matchesFilters(it, o.filters)) kept.push(it);
  }
  const sort = o.sort === 'relevance' && !o.scores ? 'name' : o.sort;
  kept.sort(compareItems(sort, o.scores));
  if (o.group === 'none') return [{ key: '', label: '', items: kept, collapsed: false }];

  const byFolder = new Map<string, AssetItem[]>();
  for (const it of kept) {
    let list = byFolder.get(it.folder);
    if (!list) byFolder.set(it.folder, (list = []));
    list.push(it);
  }
  const sections = [...byFolder].map(([key, list]) => ({
    key,
    label: key || ROOT_FOLDER_LABEL,
    items: list,
    collapsed: o.collapsed.has(key),
  }));
  if (sort === 'relevance' && o.scores) {
    // Groups ordered by their best match; items inside are already ranked.
    const best = (s: Section<AssetItem>) => o.scores!.get(s.items[0].id) ?? -Infinity;
    sections.sort((a, b) => best(b) - best(a) || collator.compare(a.key, b.key));
  } else {
    sections.sort((a, b) => collator.compare(a.key, b.key));
  }
  return sections;
}

/**
 * The Duplicates mode's sections: one per group in the host's order (most bytes wasted first),
 * the suggested file to keep first; members the gallery does not list (deleted since) are left
 * out, and a group left with fewer than two is dropped.
 */
export function duplicateSections(groups: readonly DuplicateGroupView[], items: ReadonlyMap<string, AssetItem>, collapsed: ReadonlySet<string>): Section<AssetItem>[] {
  const out: Section<AssetItem>[] = [];
  for (const g of groups) {
    const members = g.ids.map((id) => items.get(id)).filter((it): it is AssetItem => it !== undefined);
    if (members.length < 2) continue;
    const key = `dup:${g.ids[0]}`;
    const how = g.exact ? 'identical files' : `similarity ${g.similarity.toFixed(2)}`;
    out.push({ key, label: `${members[0]!.name} · ${formatBytes(g.bytesWasted)} to free · ${how}`, items: members, collapsed: collapsed.has(key) });
  }
  return out;
}

/** The group (its ids) an item belongs to in the Duplicates mode. */
export function duplicateGroupOf(groups: readonly DuplicateGroupView[], id: string): DuplicateGroupView | undefined {
  return groups.find((g) => g.ids.includes(id));
}

export type Facet = [value: string, count: number];
export interface Facets {
  tags: Facet[];
  exts: Facet[];
  folders: Facet[];
  /** Unused / used counts, once references are counted. */
  usage: Facet[];
}

/** Values for the filter chips with their counts, most common first. */
export function computeFacets(items: Iterable<AssetItem>): Facets {
  const tags = new Map<string, number>();
  const exts = new Map<string, number>();
  const folders = new Map<string, number>();
  const usage = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const it of items) {
    bump(exts, it.ext);
    bump(folders, it.folder);
    const u = usageOf(it);
    if (u) bump(usage, u);
    for (const t of it.tags) bump(tags, t.tag);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1] || collator.compare(a[0], b[0]));
  // Fixed order (Unused first): the chips do not swap places as counts change.
  const usageFacets = (['unused', 'used'] as const).filter((u) => usage.has(u)).map((u): Facet => [u, usage.get(u)!]);
  return { tags: sorted(tags), exts: sorted(exts), folders: sorted(folders), usage: usageFacets };
}

// ---------------------------------------------------------------- layout

export interface LayoutParams {
  /** Inner width available for tiles, px. */
  width: number;
  /** Minimum tile (image) width; tiles stretch to fill the row. */
  tileMin: number;
  gap: number;
  /** Height under the image for labels. */
  labelHeight: number;
  headerHeight: number;
  showHeaders: boolean;
}

export interface Row {
  kind: 'header' | 'tiles';
  section: number;
  /** Range in Layout.order ([start, end) for tiles; start = end = first item of the section for headers). */
  start: number;
  end: number;
  top: number;
  height: number;
}

export interface Layout<T> {
  columns: number;
  tileWidth: number;
  tileRowHeight: number;
  rows: Row[];
  /** Visible (not collapsed) items in display order. */
  order: T[];
  /** Row of each item in `order`. */
  itemRow: Int32Array;
  indexById: Map<string, number>;
  /** Index in `order` of each section's first item (-1 for collapsed sections). */
  sectionStart: Int32Array;
  height: number;
}

export function computeLayout<T extends { id: string }>(sections: Section<T>[], p: LayoutParams): Layout<T> {
  const width = Math.max(1, p.width);
  const columns = Math.max(1, Math.floor((width + p.gap) / (p.tileMin + p.gap)));
  const tileWidth = Math.max(1, (width - p.gap * (columns - 1)) / columns);
  const tileRowHeight = Math.round(tileWidth + p.labelHeight + p.gap);
  const rows: Row[] = [];
  const order: T[] = [];
  const sectionStart = new Int32Array(sections.length).fill(-1);
  let top = 0;
  sections.forEach((s, si) => {
    if (p.showHeaders) {
      rows.push({ kind: 'header', section: si, start: order.length, end: order.length, top, height: p.headerHeight });
      top += p.headerHeight;
    }
    if (s.collapsed && p.showHeaders) return;
    sectionStart[si] = order.length;
    for (let i = 0; i < s.items.length; i += columns) {
      const start = order.length;
      const chunk = s.items.slice(i, i + columns);
      order.push(...chunk);
      rows.push({ kind: 'tiles', section: si, start, end: order.length, top, height: tileRowHeight });
      top += tileRowHeight;
    }
  });
  const itemRow = new Int32Array(order.length);
  const indexById = new Map<string, number>();
  rows.forEach((r, ri) => {
    for (let i = r.start; i < r.end; i++) itemRow[i] = ri;
  });
  order.forEach((it, i) => indexById.set(it.id, i));
  return { columns, tileWidth, tileRowHeight, rows, order, itemRow, indexById, sectionStart, height: top };
}

/** Index of the row containing y (clamped), by binary search over row tops. */
export function rowAt(rows: readonly Row[], y: number): number {
  let lo = 0;
  let hi = rows.length - 1;
  if (hi < 0) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (rows[mid].top <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

// ---------------------------------------------------------------- keyboard navigation

export interface Cursor {
  row: number;
  col: number;
}

export type NavKey = 'left' | 'right' | 'up' | 'down' | 'rowStart' | 'rowEnd' | 'first' | 'last' | 'pageUp' | 'pageDown';

export function rowLength(r: Row): number {
  return r.kind === 'header' ? 1 : r.end - r.start;
}

/** Where focus goes from `from` for a navigation key. Headers are one-cell rows. */
export function navigate<T>(layout: Layout<T>, from: Cursor, key: NavKey, pageRows: number): Cursor {
  const rows = layout.rows;
  if (!rows.length) return from;
  const clampCol = (row: number, col: number): Cursor => ({ row, col: Math.max(0, Math.min(col, rowLength(rows[row]) - 1)) });
  const cur = rows[from.row];
  switch (key) {
    case 'left':
    case 'right': {
      if (cur.kind === 'header') return from;
      const idx = cur.start + from.col + (key === 'right' ? 1 : -1);
      if (idx < 0 || idx >= layout.order.length) return from;
      const row = layout.itemRow[idx];
      return { row, col: idx - rows[row].start };
    }
    case 'up':
    case 'down': {
      const row = from.row + (key === 'down' ? 1 : -1);
      if (row < 0 || row >= rows.length) return from;
      return clampCol(row, from.col);
    }
    case 'pageUp':
    case 'pageDown': {
      const step = Math.max(1, pageRows) * (key === 'pageDown' ? 1 : -1);
      return clampCol(Math.max(0, Math.min(rows.length - 1, from.row + step)), from.col);
    }
    case 'rowStart':
      return { row: from.row, col: 0 };
    case 'rowEnd':
      return clampCol(from.row, Infinity);
    case 'first':
      return { row: 0, col: 0 };
    case 'last':
      return clampCol(rows.length - 1, Infinity);
  }
}
