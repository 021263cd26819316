// Virtualized, keyboard-navigable tile grid used by the gallery and the results panel.
// Only the rows in view (plus overscan) exist in the DOM: rows are absolutely positioned in a
// tall spacer and row/tile elements are recycled, so 10,000+ items keep a bounded node count.
import type { AssetItem } from '../../src/shared/messages';
import { computeLayout, navigate, rowAt, type Cursor, type Layout, type NavKey, type Section } from './model';
import { bindTile, createTile, setDragData, tileItemId, unbindTile, type TileVariant } from './tile';

export interface GridOptions {
  variant: TileVariant;
  /** Accessible name of the grid. */
  label: string;
  tileSize: number;
  gap?: number;
  labelHeight: number;
  headerHeight?: number;
  /** Extra rows rendered above and below the viewport. */
  overscanRows?: number;
  scoreOf?: (item: AssetItem) => number | undefined;
  onOpen: (ids: string[]) => void;
  onSelectionChange?: (ids: string[]) => void;
  /** Items in rendered rows after each render (ask for their thumbnails). */
  onRendered?: (items: AssetItem[]) => void;
  onToggleSection?: (key: string, collapsed: boolean) => void;
  /** Ctrl/Cmd+C on the grid. */
  onCopy?: (ids: string[]) => void;
  onScroll?: (scrollTop: number) => void;
}

type Target = { kind: 'item'; id: string } | { kind: 'header'; key: string };

interface RowEl extends HTMLElement {
  _kind?: 'header' | 'tiles';
}

const PADDING = 8;

export class VirtualGrid {
  readonly element: HTMLElement;
  private readonly canvas: HTMLElement;
  private readonly opts: GridOptions & { gap: number; headerHeight: number; overscanRows: number };
  private sections: Section<AssetItem>[] = [];
  private showHeaders = false;
  private layout: Layout<AssetItem>;
  private layoutDirty = true;
  private active = new Map<number, RowEl>();
  private pools: Record<'header' | 'tiles', RowEl[]> = { header: [], tiles: [] };
  private tilePool: HTMLElement[] = [];
  private selected = new Set<string>();
  private anchor: string | null = null;
  private focusTarget: Target | null = null;
  private frame = 0;
  private width = 0;
  /** Set while we park focus on the grid ourselves, so onGridFocus does not scroll back. */
  private parkingFocus = false;
  /**
   * While the view flies by faster than a screen per frame, tiles are bound without loading their
   * images (they would be decoded for one frame and thrown away); they load once scrolling slows.
   */
  private fastScroll = false;
  private lastScrollTop = 0;
  private settleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(opts: GridOptions) {
    this.opts = { gap: 8, headerHeight: 26, overscanRows: 2, ...opts };
    this.layout = computeLayout([], this.layoutParams(300));
    this.element = document.createElement('div');
    this.element.className = 'grid';
    this.element.setAttribute('role', 'grid');
    this.element.setAttribute('aria-multiselectable', 'true');
    this.element.setAttribute('aria-label', opts.label);
    this.element.tabIndex = 0;
    this.canvas = document.createElement('div');
    this.canvas.className = 'grid-canvas';
    this.canvas.setAttribute('role', 'presentation');
    this.element.appendChild(this.canvas);

    this.element.addEventListener('scroll', () => this.onScrollEvent(), { passive: true });
    this.element.addEventListener('keydown', (e) => this.onKeyDown(e));
    this.element.addEventListener('click', (e) => this.onClick(e));
    this.element.addEventListener('contextmenu', (e) => this.onContextMenu(e));
    this.element.addEventListener('dragstart', (e) => this.onDragStart(e));
    this.element.addEventListener('focus', () => this.onGridFocus());
    // Focus that arrives by Tab or pointer moves the roving focus target along.
    this.element.addEventListener('focusin', (e) => {
      const el = e.target as HTMLElement;
      const id = tileItemId(el);
      if (id) this.focusTarget = { kind: 'item', id };
      else if (el.classList.contains('group-header') && el.dataset.section !== undefined) this.focusTarget = { kind: 'header', key: el.dataset.section };
    });
    new ResizeObserver(() => {
      const w = this.element.clientWidth;
      if (w !== this.width) {
        this.width = w;
        this.layoutDirty = true;
      }
      this.schedule();
    }).observe(this.element);
  }

  // ------------------------------------------------------------ public API

  setSections(sections: Section<AssetItem>[], showHeaders: boolean): void {
    this.sections = sections;
    this.showHeaders = showHeaders;
    // Drop selected ids that are no longer shown.
    const shown = new Set<string>();
    for (const s of sections) for (const it of s.items) shown.add(it.id);
    let changed = false;
    for (const id of this.selected) {
      if (!shown.has(id)) {
        this.selected.delete(id);
        changed = true;
      }
    }
    this.layoutDirty = true;
    this.renderNow();
    if (changed) this.opts.onSelectionChange?.(this.selection);
  }

  setTileSize(px: number): void {
    if (px === this.opts.tileSize) return;
    // Keep the first visible item in view across the relayout.
    const anchorIdx = this.firstVisibleIndex();
    this.opts.tileSize = px;
    this.layoutDirty = true;
    this.renderNow();
    if (anchorIdx >= 0) this.scrollToIndex(anchorIdx);
  }

  /** Swaps in new objects for items already shown (e.g. a thumbnail arrived) without a relayout. */
  updateItems(items: readonly AssetItem[]): void {
    const L = this.layout;
    let touched = false;
    for (const it of items) {
      const idx = L.indexById.get(it.id);
      if (idx === undefined) continue;
      L.order[idx] = it;
      const si = L.rows[L.itemRow[idx]].section;
      const s = this.sections[si];
      if (s && L.sectionStart[si] >= 0) s.items[idx - L.sectionStart[si]] = it;
      touched = true;
    }
    if (touched) this.schedule();
  }

  /** Ids in display order (everything not inside a collapsed group). */
  get orderedIds(): string[] {
    return this.layout.order.map((it) => it.id);
  }

  get selection(): string[] {
    return this.layout.order.filter((it) => this.selected.has(it.id)).map((it) => it.id);
  }

  setSelection(ids: Iterable<string>): void {
    this.selected = new Set(ids);
    this.afterSelectionChange();
  }

  get scrollTop(): number {
    return this.element.scrollTop;
  }

  set scrollTop(v: number) {
    this.ensureLayout();
    this.canvas.style.height = `${this.layout.height + PADDING * 2}px`;
    this.element.scrollTop = v;
    this.renderNow();
  }

  get itemCount(): number {
    return this.layout.order.length;
  }

  get columns(): number {
    return this.layout.columns;
  }

  /** Focuses the grid's current tile (or the first visible one). */
  focus(): void {
    this.onGridFocus();
  }

  // ------------------------------------------------------------ layout + render

  private layoutParams(width: number) {
    return {
      width: width - PADDING * 2,
      tileMin: this.opts.tileSize,
      gap: this.opts.gap,
      labelHeight: this.opts.labelHeight,
      headerHeight: this.opts.headerHeight,
      showHeaders: this.showHeaders,
    };
  }

  private ensureLayout(): void {
    if (!this.layoutDirty) return;
    this.layoutDirty = false;
    this.width = this.element.clientWidth || this.width || 300;
    this.layout = computeLayout(this.sections, this.layoutParams(this.width));
    this.element.setAttribute('aria-rowcount', String(this.layout.rows.length));
    this.element.setAttribute('aria-colcount', String(this.layout.columns));
    this.element.style.setProperty('--tile-width', `${this.layout.tileWidth}px`);
    this.element.style.setProperty('--grid-columns', String(this.layout.columns));
    this.element.style.setProperty('--grid-gap', `${this.opts.gap}px`);
    // Row indices changed meaning: return every active row to the pools for rebinding.
    for (const [, el] of this.active) this.release(el);
    this.active.clear();
  }

  private onScrollEvent(): void {
    const top = this.element.scrollTop;
    const jump = Math.abs(top - this.lastScrollTop);
    this.lastScrollTop = top;
    if (jump > this.element.clientHeight) this.fastScroll = true;
    clearTimeout(this.settleTimer);
    if (this.fastScroll) {
      this.settleTimer = setTimeout(() => {
        this.fastScroll = false;
        this.schedule();
      }, 120);
    }
    this.schedule();
    this.opts.onScroll?.(top);
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderNow();
    });
  }

  private renderNow(): void {
    if (this.frame) {
      cancelAnimationFrame(this.frame);
      this.frame = 0;
    }
    this.ensureLayout();
    const { rows, height } = this.layout;
    this.canvas.style.height = `${height + PADDING * 2}px`;
    const viewTop = this.element.scrollTop - PADDING;
    const viewH = this.element.clientHeight || 600;
    // No overscan while flying past: those rows would be replaced before anyone sees them.
    const overscan = this.fastScroll ? 0 : this.opts.overscanRows * this.layout.tileRowHeight;
    const first = rows.length ? Math.max(0, rowAt(rows, viewTop - overscan)) : 0;
    const wanted = new Set<number>();
    for (let r = first; r < rows.length && rows[r].top < viewTop + viewH + overscan; r++) wanted.add(r);

    for (const [r, el] of this.active) {
      if (!wanted.has(r)) {
        this.release(el);
        this.active.delete(r);
      }
    }
    const rendered: AssetItem[] = [];
    for (const r of wanted) {
      const row = rows[r];
      let el = this.active.get(r);
      if (!el) {
        el = this.acquire(row.kind);
        this.active.set(r, el);
      }
      el.style.transform = `translateY(${row.top + PADDING}px)`;
      el.setAttribute('aria-rowindex', String(r + 1));
      if (row.kind === 'header') this.bindHeader(el, r);
      else {
        this.bindTilesRow(el, r);
        for (let i = row.start; i < row.end; i++) rendered.push(this.layout.order[i]);
      }
    }
    // One Tab stop: the grid itself only while the roving-tabindex tile is not rendered.
    const t = this.currentTarget();
    this.element.tabIndex = t && this.domFor(t) ? -1 : 0;
    if (!this.fastScroll) this.opts.onRendered?.(rendered);
  }

  private acquire(kind: 'header' | 'tiles'): RowEl {
    let el = this.pools[kind].pop();
    if (!el) {
      el = document.createElement('div') as RowEl;
      el._kind = kind;
      el.setAttribute('role', 'row');
      el.className = kind === 'header' ? 'grid-row grid-header' : 'grid-row';
      if (kind === 'header') {
        const h = document.createElement('div');
        h.className = 'group-header';
        h.setAttribute('role', 'rowheader');
        h.tabIndex = -1;
        const chevron = document.createElement('span');
        chevron.className = 'chevron';
        chevron.setAttribute('aria-hidden', 'true');
        const label = document.createElement('span');
        label.className = 'group-label';
        const count = document.createElement('span');
        count.className = 'group-count';
        h.append(chevron, label, count);
        el.appendChild(h);
      }
      this.canvas.appendChild(el);
    }
    el.hidden = false;
    return el;
  }

  private release(el: RowEl): void {
    // Keep keyboard focus inside the grid when the focused tile scrolls away.
    if (el.contains(document.activeElement)) {
      this.parkingFocus = true;
      this.element.focus({ preventScroll: true });
      this.parkingFocus = false;
    }
    el.hidden = true;
    // Pooled rows keep their tile elements (no DOM churn) but forget the items they showed.
    if (el._kind === 'tiles') for (const t of el.children) unbindTile(t as HTMLElement);
    this.pools[el._kind ?? 'tiles'].push(el);
  }

  private bindHeader(el: RowEl, r: number): void {
    const row = this.layout.rows[r];
    const s = this.sections[row.section];
    const h = el.firstElementChild as HTMLElement;
    h.dataset.section = s.key;
    h.setAttribute('aria-expanded', String(!s.collapsed));
    h.setAttribute('aria-label', `${s.label}, ${s.items.length} ${s.items.length === 1 ? 'image' : 'images'}`);
    h.classList.toggle('collapsed', s.collapsed);
    (h.children[1] as HTMLElement).textContent = s.label;
    (h.children[2] as HTMLElement).textContent = String(s.items.length);
    h.title = s.label;
    h.tabIndex = this.isTabbable({ kind: 'header', key: s.key }) ? 0 : -1;
  }

  private bindTilesRow(el: RowEl, r: number): void {
    const row = this.layout.rows[r];
    const n = row.end - row.start;
    while (el.childElementCount > n) this.tilePool.push(el.removeChild(el.lastElementChild as HTMLElement));
    while (el.childElementCount < n) el.appendChild(this.tilePool.pop() ?? createTile(this.opts.variant));
    const multi = this.selected.size > 1;
    for (let i = 0; i < n; i++) {
      const item = this.layout.order[row.start + i];
      const sel = this.selected.has(item.id);
      const tile = el.children[i] as HTMLElement;
      tile.setAttribute('aria-colindex', String(i + 1));
      bindTile(tile, item, {
        selected: sel,
        multiSelect: sel && multi,
        tabbable: this.isTabbable({ kind: 'item', id: item.id }),
        score: this.opts.scoreOf?.(item),
        loadImage: !this.fastScroll,
      });
    }
  }

  private isTabbable(t: Target): boolean {
    const f = this.currentTarget();
    if (!f) return false;
    return f.kind === t.kind && (f.kind === 'item' ? f.id === (t as { id: string }).id : f.key === (t as { key: string }).key);
  }

  /** Focus target, falling back to the first item when the remembered one disappeared. */
  private currentTarget(): Target | null {
    const f = this.focusTarget;
    if (f?.kind === 'item' && this.layout.indexById.has(f.id)) return f;
    if (f?.kind === 'header' && this.sections.some((s) => s.key === f.key)) return f;
    const firstItem = this.layout.order[0];
    return firstItem ? { kind: 'item', id: firstItem.id } : null;
  }

  private firstVisibleIndex(): number {
    const rows = this.layout.rows;
    if (!rows.length) return -1;
    for (let r = rowAt(rows, this.element.scrollTop); r < rows.length; r++) {
      if (rows[r].kind === 'tiles') return rows[r].start;
    }
    return -1;
  }

  // ------------------------------------------------------------ focus + scrolling

  private cursorOf(t: Target): Cursor | null {
    if (t.kind === 'item') {
      const idx = this.layout.indexById.get(t.id);
      if (idx === undefined) return null;
      const row = this.layout.itemRow[idx];
      return { row, col: idx - this.layout.rows[row].start };
    }
    const si = this.sections.findIndex((s) => s.key === t.key);
    const row = this.layout.rows.findIndex((r) => r.kind === 'header' && r.section === si);
    return row < 0 ? null : { row, col: 0 };
  }

  private targetAt(c: Cursor): Target {
    const row = this.layout.rows[c.row];
    if (row.kind === 'header') return { kind: 'header', key: this.sections[row.section].key };
    return { kind: 'item', id: this.layout.order[row.start + c.col].id };
  }

  private scrollRowIntoView(r: number): void {
    const row = this.layout.rows[r];
    const top = row.top + PADDING;
    const bottom = top + row.height;
    const el = this.element;
    if (top < el.scrollTop) el.scrollTop = Math.max(0, top - PADDING);
    else if (bottom > el.scrollTop + el.clientHeight) el.scrollTop = bottom - el.clientHeight + PADDING;
  }

  /** Scrolls so the row of item `idx` is at the top. */
  private scrollToIndex(idx: number): void {
    const r = this.layout.itemRow[idx];
    if (r === undefined) return;
    this.element.scrollTop = this.layout.rows[r].top;
    this.renderNow();
  }

  private focusTargetElement(t: Target): void {
    this.focusTarget = t;
    const c = this.cursorOf(t);
    if (!c) return;
    this.scrollRowIntoView(c.row);
    this.renderNow();
    this.domFor(t)?.focus({ preventScroll: true });
  }

  private domFor(t: Target): HTMLElement | null {
    const sel = t.kind === 'item' ? `.tile[data-id="${CSS.escape(t.id)}"]` : `.group-header[data-section="${CSS.escape(t.key)}"]`;
    for (const el of this.canvas.querySelectorAll<HTMLElement>(sel)) if (!el.closest('[hidden]')) return el;
    return null;
  }

  private onGridFocus(): void {
    if (this.parkingFocus) return;
    // Tab landed on the grid itself (focused tile not rendered): move to a visible tile.
    if (document.activeElement !== this.element && document.activeElement !== document.body && this.element.contains(document.activeElement)) return;
    let t = this.currentTarget();
    const c = t && this.cursorOf(t);
    if (!t || !c) return;
    const rows = this.layout.rows;
    const viewFirst = rowAt(rows, this.element.scrollTop);
    const viewLast = rowAt(rows, this.element.scrollTop + this.element.clientHeight - 1);
    if (c.row < viewFirst || c.row > viewLast) t = this.targetAt({ row: viewFirst, col: 0 });
    this.focusTargetElement(t);
  }

  // ------------------------------------------------------------ selection

  private afterSelectionChange(): void {
    this.renderNow();
    this.opts.onSelectionChange?.(this.selection);
  }

  private selectRange(fromId: string, toId: string, additive: boolean): void {
    const a = this.layout.indexById.get(fromId);
    const b = this.layout.indexById.get(toId);
    if (a === undefined || b === undefined) return;
    if (!additive) this.selected.clear();
    for (let i = Math.min(a, b); i <= Math.max(a, b); i++) this.selected.add(this.layout.order[i].id);
  }

  private toggleSection(key: string, collapse?: boolean): void {
    const s = this.sections.find((x) => x.key === key);
    if (!s) return;
    const next = collapse ?? !s.collapsed;
    if (next !== s.collapsed) this.opts.onToggleSection?.(key, next);
  }

  // ------------------------------------------------------------ events

  private onClick(e: MouseEvent): void {
    const header = (e.target as HTMLElement).closest<HTMLElement>('.group-header');
    if (header?.dataset.section !== undefined) {
      this.focusTarget = { kind: 'header', key: header.dataset.section };
      this.toggleSection(header.dataset.section);
      return;
    }
    const id = tileItemId(e.target as Element);
    if (!id) return;
    const toggle = e.ctrlKey || e.metaKey;
    if (e.shiftKey && this.anchor) {
      this.selectRange(this.anchor, id, toggle);
    } else if (toggle) {
      if (this.selected.has(id)) this.selected.delete(id);
      else this.selected.add(id);
      this.anchor = id;
    } else {
      this.selected = new Set([id]);
      this.anchor = id;
    }
    this.focusTarget = { kind: 'item', id };
    this.afterSelectionChange();
    this.domFor(this.focusTarget)?.focus({ preventScroll: true });
    if (!toggle && !e.shiftKey) this.opts.onOpen([id]);
  }

  private onContextMenu(e: MouseEvent): void {
    // Right-click outside the selection selects that tile alone (like the Explorer).
    const id = tileItemId(e.target as Element);
    if (!id || this.selected.has(id)) return;
    this.selected = new Set([id]);
    this.anchor = id;
    this.focusTarget = { kind: 'item', id };
    this.afterSelectionChange();
  }

  private onDragStart(e: DragEvent): void {
    const id = tileItemId(e.target as Element);
    if (!id || !e.dataTransfer) return;
    const ids = this.selected.has(id) ? this.selection : [id];
    const items = ids.map((x) => this.layout.order[this.layout.indexById.get(x)!]).filter(Boolean);
    setDragData(e.dataTransfer, items);
  }

  private onKeyDown(e: KeyboardEvent): void {
    const t = this.currentTarget();
    if (!t) return;
    const mod = e.ctrlKey || e.metaKey;
    const navKeys: Record<string, NavKey> = {
      ArrowLeft: 'left',
      ArrowRight: 'right',
      ArrowUp: 'up',
      ArrowDown: 'down',
      Home: mod ? 'first' : 'rowStart',
      End: mod ? 'last' : 'rowEnd',
      PageUp: 'pageUp',
      PageDown: 'pageDown',
    };
    const nav = navKeys[e.key];
    if (nav) {
      e.preventDefault();
      if (t.kind === 'header' && (nav === 'left' || nav === 'right')) {
        this.toggleSection(t.key, nav === 'left');
        return;
      }
      const from = this.cursorOf(t);
      if (!from) return;
      const pageRows = Math.max(1, Math.floor(this.element.clientHeight / this.layout.tileRowHeight));
      const to = this.targetAt(navigate(this.layout, from, nav, pageRows));
      if (to.kind === 'item') {
        if (e.shiftKey) this.selectRange(this.anchor ?? (t.kind === 'item' ? t.id : to.id), to.id, false);
        else if (!mod) {
          this.selected = new Set([to.id]);
          this.anchor = to.id;
        }
        this.focusTarget = to;
        this.afterSelectionChange();
      }
      this.focusTargetElement(to);
      return;
    }
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      if (t.kind === 'header') return this.toggleSection(t.key);
      if (e.key === ' ') {
        if (this.selected.has(t.id)) this.selected.delete(t.id);
        else this.selected.add(t.id);
        this.anchor = t.id;
        this.afterSelectionChange();
        return;
      }
      this.opts.onOpen(this.selected.has(t.id) ? this.selection : [t.id]);
      return;
    }
    if (mod && e.key.toLowerCase() === 'a') {
      e.preventDefault();
      this.setSelection(this.layout.order.map((it) => it.id));
      return;
    }
    if (mod && e.key.toLowerCase() === 'c' && this.opts.onCopy) {
      e.preventDefault();
      const ids = this.selection.length ? this.selection : t.kind === 'item' ? [t.id] : [];
      if (ids.length) this.opts.onCopy(ids);
      return;
    }
    if (e.key === 'Escape' && this.selected.size) {
      e.preventDefault();
      this.setSelection([]);
    }
  }
}
