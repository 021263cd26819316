// The gallery's item list: one BackendItem per workspace image (indexed or not), with its tags and
// captions, and the delta against what the webviews were last sent.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AssetTag } from '../../shared/messages';
import type { BackendItem, ItemsDelta } from '../webview/backend';
import { folderOf, type FolderState } from './folderState';

/** Tags and captions shown with each image (provided by the tagging and captions features). */
export interface AssetAnnotations {
  tagsOf(absPath: string): AssetTag[];
  captionsOf(absPath: string): string[];
  /** References to the image from text files; undefined while they are not counted. */
  referencesOf?(absPath: string): number | undefined;
  /** Images whose captions match a text query (search syntax), best first. */
  captionMatches?(query: string): string[];
}

export const NO_ANNOTATIONS: AssetAnnotations = { tagsOf: () => [], captionsOf: () => [] };

export class ItemList implements vscode.Disposable {
  private last = new Map<string, BackendItem>();
  private readonly emitter = new vscode.EventEmitter<ItemsDelta>();
  readonly onDidChange = this.emitter.event;

  constructor(
    private readonly folders: () => readonly FolderState[],
    private readonly annotations: () => AssetAnnotations,
  ) {}

  /** Every image of the workspace, as it is now. */
  list(): BackendItem[] {
    return [...this.collect().values()];
  }

  /** The items with these ids, in the given order; unknown ids are skipped. */
  get(ids: readonly string[]): BackendItem[] {
    const all = this.last.size ? this.last : this.collect();
    return ids.map((id) => all.get(id) ?? this.itemFor(id)).filter((x): x is BackendItem => x !== undefined);
  }

  knows(id: string): boolean {
    return this.last.has(id) || this.itemFor(id) !== undefined;
  }

  itemFor(id: string): BackendItem | undefined {
    const folder = folderOf(this.folders(), id);
    const rel = folder?.relative(id);
    return folder && rel !== undefined ? this.makeItem(folder, rel) : undefined;
  }

  /** Recomputes the item list and fires a delta against what the webviews have. */
  publish(): void {
    const next = this.collect();
    const delta: ItemsDelta = { added: [], changed: [], removed: [] };
    for (const [id, item] of next) {
      const prev = this.last.get(id);
      if (!prev) delta.added.push(item);
      else if (!sameItem(prev, item)) delta.changed.push(item);
    }
    for (const id of this.last.keys()) if (!next.has(id)) delta.removed.push(id);
    this.last = next;
    if (delta.added.length || delta.changed.length || delta.removed.length) this.emitter.fire(delta);
  }

  /** Tags or captions changed: every item is sent again with the current ones. */
  refreshAnnotations(): void {
    this.last = new Map([...this.last].map(([id, it]) => [id, { ...it, tags: [], captions: [] }]));
    this.publish();
  }

  private collect(): Map<string, BackendItem> {
    const items = new Map<string, BackendItem>();
    for (const folder of this.folders()) {
      for (const rel of folder.files.keys()) {
        const item = this.makeItem(folder, rel);
        if (item) items.set(item.id, item);
      }
    }
    return items;
  }

  private makeItem(folder: FolderState, rel: string): BackendItem | undefined {
    const file = folder.files.get(rel);
    const entry = folder.entry(rel);
    if (!file && !entry) return undefined;
    const abs = path.join(folder.root, rel);
    const slash = rel.lastIndexOf('/');
    const name = slash >= 0 ? rel.slice(slash + 1) : rel;
    const dot = name.lastIndexOf('.');
    const multiRoot = this.folders().length > 1;
    const error = folder.failed.get(rel);
    const annotations = this.annotations();
    const references = annotations.referencesOf?.(abs);
    return {
      id: abs,
      path: abs,
      relPath: multiRoot ? `${folder.name}/${rel}` : rel,
      name,
      folder: multiRoot ? `${folder.name}${slash >= 0 ? '/' + rel.slice(0, slash) : ''}` : slash >= 0 ? rel.slice(0, slash) : '',
      ext: dot >= 0 ? name.slice(dot + 1).toLowerCase() : '',
      size: entry?.size ?? file?.size ?? 0,
      mtime: entry?.mtimeMs ?? file?.mtimeMs ?? 0,
      width: entry?.width ?? null,
      height: entry?.height ?? null,
      thumbnailPath: entry ? folder.thumbnailFor(entry) : null,
      tags: annotations.tagsOf(abs),
      captions: annotations.captionsOf(abs),
      ...(references !== undefined ? { references } : {}),
      ...(error ? { error } : {}),
    };
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

function sameItem(a: BackendItem, b: BackendItem): boolean {
  return (
    a.size === b.size &&
    a.mtime === b.mtime &&
    a.references === b.references &&
    a.thumbnailPath === b.thumbnailPath &&
    a.width === b.width &&
    a.error === b.error &&
    JSON.stringify(a.tags) === JSON.stringify(b.tags) &&
    JSON.stringify(a.captions) === JSON.stringify(b.captions)
  );
}
