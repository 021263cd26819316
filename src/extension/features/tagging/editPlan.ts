// "Edit Tags" without the UI: QuickPick rows from the tagger's suggestions for one or more images,
// the state of the picker while the user types and checks, and the confirm/reject changes an
// accepted selection means for each image. No `vscode` import (tested directly).
import { checkTagName } from '../../../engine/tags/names';
import type { TagSuggestion } from '../../../engine/tags/tagger';
import type { TagState } from '../../../engine/tags/store';

export type PickerRowKind = 'tag' | 'new' | 'invalid' | 'separator';

export interface PickerRow {
  kind: PickerRowKind;
  /** The tag the row stands for ('' for separators and invalid input). */
  tag: string;
  label: string;
  description?: string;
  picked: boolean;
  alwaysShow?: boolean;
}

/** One tag across the images being edited. */
export interface TagSummary {
  tag: string;
  images: number;
  confirmed: number;
  suggested: number;
  rejected: number;
  /** Images the tagger would suggest it for now (few-shot included) though it is not on them. */
  likely: number;
  /** Mean live score over the images that have one. */
  score?: number;
  /** Images in the folder carrying it, for tags outside the suggestions (used elsewhere). */
  usedElsewhere?: number;
}

type Section = 'on' | 'some' | 'other' | 'removed';

/** Per-tag counts over the images' suggestion lists (one list per image, as suggestTags returns). */
export function summarizeSuggestions(perImage: readonly (readonly TagSuggestion[])[]): TagSummary[] {
  const byTag = new Map<string, TagSummary & { scoreSum: number; scored: number }>();
  for (const list of perImage) {
    for (const s of list) {
      let t = byTag.get(s.tag);
      if (!t) {
        t = { tag: s.tag, images: perImage.length, confirmed: 0, suggested: 0, rejected: 0, likely: 0, scoreSum: 0, scored: 0 };
        byTag.set(s.tag, t);
      }
      if (s.state === 'confirmed') t.confirmed++;
      else if (s.state === 'suggested') t.suggested++;
      else if (s.state === 'rejected') t.rejected++;
      else if (s.wouldSuggest) t.likely++;
      if (s.score !== undefined) {
        t.scoreSum += s.score;
        t.scored++;
      }
    }
  }
  return [...byTag.values()].map(({ scoreSum, scored, ...t }) => (scored > 0 ? { ...t, score: scoreSum / scored } : t));
}

function sectionOf(t: TagSummary): Section {
  const on = t.confirmed + t.suggested;
  if (on === t.images) return 'on';
  if (on > 0) return 'some';
  if (t.rejected === t.images) return 'removed';
  return 'other';
}

const SECTION_ORDER: Section[] = ['on', 'some', 'other', 'removed'];

function sectionLabel(section: Section, images: number): string {
  switch (section) {
    case 'on':
      return images === 1 ? 'On this image' : `On all ${images} images`;
    case 'some':
      return 'On some of the images';
    case 'other':
      return 'More tags';
    case 'removed':
      return 'Removed (never suggested again)';
  }
}

const fmt = (score: number) => score.toFixed(2);

/** What a row says about a tag: state (confirmed by you / suggested by the tagger) and score. */
export function describeTag(t: TagSummary): string {
  const score = t.score !== undefined ? fmt(t.score) : undefined;
  if (t.images === 1) {
    if (t.confirmed) return `$(check) confirmed${score ? ` · ${score}` : ''}`;
    if (t.suggested) return `$(sparkle) suggested${score ? ` ${score}` : ''}`;
    if (t.rejected) return `$(circle-slash) removed${score ? ` · ${score}` : ''}`;
    if (t.likely) return `${score ? `${score} · ` : ''}would be suggested`;
    if (score) return score;
    return t.usedElsewhere ? `used on ${t.usedElsewhere} ${t.usedElsewhere === 1 ? 'image' : 'images'}` : '';
  }
  const parts: string[] = [];
  const on = t.confirmed + t.suggested;
  if (on === t.images) parts.push(`on all ${t.images}`);
  else if (on > 0) parts.push(`on ${on} of ${t.images}`);
  if (t.confirmed && t.suggested) parts.push(`$(check) ${t.confirmed} confirmed, $(sparkle) ${t.suggested} suggested`);
  else if (t.confirmed) parts.push('$(check) confirmed');
  else if (t.suggested) parts.push('$(sparkle) suggested');
  if (t.rejected) parts.push(`$(circle-slash) removed from ${t.rejected}`);
  if (t.likely) parts.push(`would be suggested for ${t.likely}`);
  if (score) parts.push(`avg ${score}`);
  if (!parts.length && t.usedElsewhere) parts.push(`used on ${t.usedElsewhere} ${t.usedElsewhere === 1 ? 'image' : 'images'}`);
  return parts.join(' · ');
}

/**
 * Picker rows for the images' suggestions, in sections: tags on every image (pre-checked), tags on
 * some of them, the rest of the vocabulary (and tags used elsewhere in the folder), and tags the
 * user removed from every image. `usedElsewhere`: tag -> image count in the folder(s).
 */
export function buildTagRows(perImage: readonly (readonly TagSuggestion[])[], usedElsewhere: ReadonlyMap<string, number> = new Map()): PickerRow[] {
  const images = perImage.length;
  const summaries = summarizeSuggestions(perImage);
  const listed = new Set(summaries.map((s) => s.tag));
  for (const [tag, count] of usedElsewhere) {
    if (!listed.has(tag)) summaries.push({ tag, images, confirmed: 0, suggested: 0, rejected: 0, likely: 0, usedElsewhere: count });
  }
  const sections = new Map<Section, TagSummary[]>(SECTION_ORDER.map((s) => [s, []]));
  for (const s of summaries) sections.get(sectionOf(s))!.push(s);
  const byScore = (a: TagSummary, b: TagSummary) =>
    (b.score ?? -1) - (a.score ?? -1) || (b.usedElsewhere ?? 0) - (a.usedElsewhere ?? 0) || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0);
  const order: Record<Section, (a: TagSummary, b: TagSummary) => number> = {
    on: (a, b) => b.confirmed - a.confirmed || byScore(a, b),
    some: (a, b) => b.confirmed + b.suggested - (a.confirmed + a.suggested) || byScore(a, b),
    other: (a, b) => b.likely - a.likely || byScore(a, b),
    removed: byScore,
  };
  const rows: PickerRow[] = [];
  for (const section of SECTION_ORDER) {
    const list = sections.get(section)!.sort(order[section]);
    if (!list.length) continue;
    rows.push({ kind: 'separator', tag: '', label: sectionLabel(section, images), picked: false });
    for (const t of list) rows.push({ kind: 'tag', tag: t.tag, label: t.tag, description: describeTag(t), picked: section === 'on' });
  }
  return rows;
}

/** Tag names typed into the picker: separated by commas, semicolons or spaces; lower-cased. */
export function parseTypedTags(value: string): { names: string[]; invalid: { input: string; error: string }[] } {
  const names: string[] = [];
  const invalid: { input: string; error: string }[] = [];
  for (const input of value.split(/[\s,;]+/)) {
    if (!input) continue;
    const r = checkTagName(input);
    if ('error' in r) invalid.push({ input, error: r.error });
    else if (!names.includes(r.name)) names.push(r.name);
  }
  return { names, invalid };
}

/**
 * The picker's state: which tags are checked, new tags the user created by typing, and the rows to
 * show for the current text. The tag rows may be replaced while the picker is open (live scores
 * arriving after the store's state) without losing what the user checked.
 */
export class TagPickerModel {
  /** Tags checked when the picker opened: on every image being edited. */
  readonly initial: ReadonlySet<string>;
  private selected: Set<string>;
  private created: string[] = [];
  private value = '';

  constructor(private base: readonly PickerRow[]) {
    this.initial = new Set(base.filter((r) => r.kind === 'tag' && r.picked).map((r) => r.tag));
    this.selected = new Set(this.initial);
  }

  /** New rows for the same images (e.g. with live scores); the user's checks so far are kept. */
  replaceRows(rows: readonly PickerRow[]): void {
    this.base = rows;
  }

  setValue(value: string): void {
    this.value = value;
  }

  /** The checked tags as the QuickPick reports them; checking a "new tag" row keeps that tag. */
  setSelection(tags: Iterable<string>): void {
    const next = new Set<string>();
    for (const t of tags) if (t) next.add(t);
    for (const t of next) if (!this.known().has(t)) this.created.push(t);
    this.selected = next;
  }

  /** Rows to show: what the current text would add, then created tags, then the tag rows. */
  rows(): PickerRow[] {
    const known = this.known();
    const typed = parseTypedTags(this.value);
    const pending: PickerRow[] = typed.names
      .filter((n) => !known.has(n))
      .map((n) => ({ kind: 'new', tag: n, label: `$(add) ${n}`, description: 'new tag', picked: this.selected.has(n), alwaysShow: true }));
    const invalid: PickerRow[] = typed.invalid.map((i) => ({ kind: 'invalid', tag: '', label: `$(warning) ${i.input}`, description: i.error, picked: false, alwaysShow: true }));
    const created: PickerRow[] = this.created.map((n) => ({ kind: 'new', tag: n, label: n, description: '$(add) new tag', picked: this.selected.has(n) }));
    const base = this.base.map((r) => (r.kind === 'tag' ? { ...r, picked: this.selected.has(r.tag) } : r));
    return [...pending, ...invalid, ...created, ...base];
  }

  /**
   * The tags checked on accept. Text still in the box counts when it names a new tag that matches
   * no listed tag (it was meant as a tag, not as a filter).
   */
  result(value: string = this.value): Set<string> {
    const out = new Set(this.selected);
    const known = [...this.known()];
    for (const n of parseTypedTags(value).names) {
      if (!known.some((k) => k.includes(n))) out.add(n);
    }
    return out;
  }

  private known(): Set<string> {
    return new Set([...this.base.filter((r) => r.kind === 'tag').map((r) => r.tag), ...this.created]);
  }
}

export interface TagChange {
  confirm: string[];
  reject: string[];
}

const isOn = (s: TagState | 'none' | undefined) => s === 'confirmed' || s === 'suggested';

/**
 * What accepting the picker means for each image (`states`: each image's recorded state per tag):
 * every checked tag is confirmed (kept suggestions become the user's); a tag that was checked at
 * the start and is unchecked now is removed (rejected: never suggested again) wherever it was on.
 * Tags on only some of the images that the user did not touch stay as they are on each image.
 */
export function planTagChanges(states: readonly ReadonlyMap<string, TagState | 'none'>[], initial: ReadonlySet<string>, final: ReadonlySet<string>): TagChange[] {
  return states.map((state) => ({
    confirm: [...final].filter((t) => state.get(t) !== 'confirmed').sort(),
    reject: [...initial].filter((t) => !final.has(t) && isOn(state.get(t))).sort(),
  }));
}

/** Each image's recorded state per tag, from its suggestion list. */
export function statesOf(perImage: readonly (readonly TagSuggestion[])[]): Map<string, TagState | 'none'>[] {
  return perImage.map((list) => new Map(list.map((s) => [s.tag, s.state])));
}
