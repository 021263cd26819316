// One tile implementation for both webviews: thumbnail, labels, tooltip, accessible name,
// selection state, drag data and the VS Code context-menu context.
import type { AssetItem, TileContext } from '../../src/shared/messages';
import { formatBytes, formatDate, formatDims, formatScore } from './format';

export type TileVariant = 'gallery' | 'results';

export interface TileState {
  selected: boolean;
  /** Part of a selection of more than one tile. */
  multiSelect: boolean;
  /** Roving tabindex: the one tile reachable with Tab. */
  tabbable: boolean;
  score: number | undefined;
  /** False while scrolling fast: keep the placeholder instead of decoding an image for one frame. */
  loadImage: boolean;
}

interface TileParts {
  thumb: HTMLElement;
  img: HTMLImageElement;
  placeholder: HTMLElement;
  name: HTMLElement;
  score: HTMLElement;
  meta: HTMLElement | null;
  facts: HTMLElement | null;
  bound: { item: AssetItem; state: TileState } | null;
}

const parts = new WeakMap<HTMLElement, TileParts>();

function div(cls: string, parent: HTMLElement, tag = 'div'): HTMLElement {
  const e = document.createElement(tag);
  e.className = cls;
  parent.appendChild(e);
  return e;
}

export function createTile(variant: TileVariant): HTMLElement {
  const el = document.createElement('div');
  el.className = `tile tile-${variant}`;
  el.setAttribute('role', 'gridcell');
  el.tabIndex = -1;
  el.draggable = true;
  const thumb = div('thumb', el);
  const placeholder = div('placeholder', thumb, 'span');
  placeholder.setAttribute('aria-hidden', 'true');
  const img = document.createElement('img');
  img.alt = '';
  img.decoding = 'async';
  img.draggable = false;
  thumb.appendChild(img);
  img.addEventListener('load', () => thumb.setAttribute('data-state', 'loaded'));
  img.addEventListener('error', () => thumb.setAttribute('data-state', 'error'));
  const label = div('label', el);
  const name = div('name', label, 'span');
  const score = div('score', label, 'span');
  const meta = variant === 'results' ? div('meta', el) : null;
  const facts = variant === 'results' ? div('facts', el) : null;
  parts.set(el, { thumb, img, placeholder, name, score, meta, facts, bound: null });
  return el;
}

export function tileItemId(el: Element | null): string | null {
  const tile = el?.closest?.('.tile');
  return tile instanceof HTMLElement ? (tile.dataset.id ?? null) : null;
}

/** Accessible name: file name, tags and (for results) the score. */
export function tileLabel(item: AssetItem, score: number | undefined): string {
  const bits = [item.name];
  if (item.error) bits.push('could not be read');
  if (item.tags.length) bits.push(`tags: ${item.tags.map((t) => t.tag).join(', ')}`);
  if (score !== undefined) bits.push(`score ${formatScore(score)}`);
  return bits.join(', ');
}

/** "3 refs" (text files' references), or nothing while they are not counted. */
export function referencesText(item: Pick<AssetItem, 'references'>): string {
  if (item.references === undefined) return '';
  return item.references === 0 ? 'unused' : `${item.references} ${item.references === 1 ? 'ref' : 'refs'}`;
}

/** Hover details. */
export function tileTooltip(item: AssetItem, score: number | undefined): string {
  const lines = [item.relPath];
  const facts = [formatDims(item), formatBytes(item.size), item.ext.toUpperCase()].filter(Boolean);
  lines.push(facts.join(' · '));
  if (item.mtime) lines.push(`Modified ${formatDate(item.mtime)}`);
  if (item.references !== undefined) {
    lines.push(item.references ? `Referenced ${item.references === 1 ? 'once' : `${item.references} times`} in the workspace's text files` : 'Not referenced by any text file');
  }
  if (score !== undefined) lines.push(`Score ${formatScore(score)}`);
  if (item.tags.length) {
    lines.push(`Tags: ${item.tags.map((t) => (t.source === 'user' ? t.tag : `${t.tag} (${Math.round(t.score * 100)}%)`)).join(', ')}`);
  }
  for (const c of item.captions.slice(0, 3)) lines.push(`“${c}”`);
  if (item.error) lines.push(`Error: ${item.error}`);
  return lines.join('\n');
}

function sameState(a: TileState, b: TileState): boolean {
  return a.selected === b.selected && a.multiSelect === b.multiSelect && a.tabbable === b.tabbable && a.score === b.score && a.loadImage === b.loadImage;
}

export function bindTile(el: HTMLElement, item: AssetItem, state: TileState): void {
  const p = parts.get(el);
  if (!p) throw new Error('bindTile: not a tile element');
  const prev = p.bound;
  if (prev && prev.item === item && sameState(prev.state, state)) return;
  p.bound = { item, state: { ...state } };

  el.tabIndex = state.tabbable ? 0 : -1;
  el.setAttribute('aria-selected', String(state.selected));
  el.classList.toggle('selected', state.selected);
  el.classList.toggle('multi', state.multiSelect);
  if (prev && prev.item === item && prev.state.score === state.score) {
    if (prev.state.multiSelect !== state.multiSelect) setContext(el, item, state);
    if (prev.state.loadImage !== state.loadImage) bindImage(p, item, state.loadImage);
    return;
  }

  el.dataset.id = item.id;
  setContext(el, item, state);
  el.setAttribute('aria-label', tileLabel(item, state.score));
  el.title = tileTooltip(item, state.score);
  el.classList.toggle('has-error', Boolean(item.error));

  p.name.textContent = item.name;
  const scoreText = formatScore(state.score);
  p.score.textContent = scoreText;
  p.score.hidden = !scoreText;
  if (p.meta) p.meta.textContent = [item.folder || '.', referencesText(item)].filter(Boolean).join(' · ');
  if (p.facts) {
    p.facts.textContent = [
      formatDims(item),
      formatBytes(item.size),
      item.tags
        .slice(0, 3)
        .map((t) => t.tag)
        .join(', '),
    ]
      .filter(Boolean)
      .join(' · ');
  }

  bindImage(p, item, state.loadImage);
}

function bindImage(p: TileParts, item: AssetItem, load: boolean): void {
  const src = item.thumbnail;
  if (src && p.img.getAttribute('src') === src) return; // already showing (or loading) it
  if (!src || !load) {
    if (p.img.hasAttribute('src')) p.img.removeAttribute('src');
    p.img.hidden = true;
    p.thumb.setAttribute('data-state', item.error ? 'error' : src ? 'deferred' : 'pending');
    p.placeholder.textContent = item.error ? '!' : item.ext.toUpperCase();
  } else {
    p.img.hidden = false;
    p.thumb.setAttribute('data-state', 'loading');
    p.placeholder.textContent = item.ext.toUpperCase();
    p.img.src = src;
  }
}

/** A pooled tile: no item identity left in the DOM (the image stays cached for a quick rebind). */
export function unbindTile(el: HTMLElement): void {
  const p = parts.get(el);
  if (!p || !p.bound) return;
  p.bound = null;
  delete el.dataset.id;
  el.removeAttribute('data-vscode-context');
  el.tabIndex = -1;
}

function setContext(el: HTMLElement, item: AssetItem, state: TileState): void {
  const ctx: TileContext = {
    webviewSection: 'tile',
    itemId: item.id,
    mobileclipMultiSelect: state.multiSelect,
    preventDefaultContextMenuItems: true,
  };
  el.setAttribute('data-vscode-context', JSON.stringify(ctx));
}

/** Fills a dragstart event so VS Code editors accept the drop (a file URI list). */
export function setDragData(dt: DataTransfer, items: readonly AssetItem[]): void {
  const uris = items.map((i) => i.uri);
  dt.effectAllowed = 'copyLink';
  dt.setData('text/uri-list', uris.join('\r\n'));
  dt.setData('text/plain', uris.join('\n'));
}
