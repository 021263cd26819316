// The extension's in-memory view of every captions file in the workspace
// (`<folder>/.mobileclip/captions.json`): loaded lazily, reloaded when a file changes, and asked
// for one image's captions (gallery tiles) or for the images whose captions match a query
// (search). No `vscode` import: the watcher that feeds it lives in captions.ts.
import * as path from 'node:path';
import { CAPTIONS_DIR, CAPTIONS_FILE, captionsFor, loadCaptionStore, relativeCaptionPath, searchCaptions, type CaptionStore } from '../../../engine/captions';
import { compileFilters } from '../../../engine/search/filters';
import { parseQuery } from '../../../engine/search/query';
import { isInsideOrEqual } from '../../paths';
import { errorMessage } from '../../../engine/util/errors';

export interface CaptionHit {
  /** Absolute image path. */
  path: string;
  /** 2 = a caption contains every query phrase; 1 = every query word appears in a caption. */
  score: number;
  /** The image's captions that matched, best first. */
  captions: string[];
}

export interface CaptionMatchOptions {
  /**
   * The folder a search's `in:` / `path:` filters are relative to (the workspace folder of the
   * image). Default: the folder of the captions file.
   */
  searchRootOf?: (absPath: string) => string | undefined;
  /** Tags of an image, for `tag:` filters. */
  tagsOf?: (absPath: string) => readonly string[];
}

export interface CaptionIndexOptions {
  load?: (root: string, file: string) => Promise<CaptionStore>;
  /** Problems found while loading (broken file, entries ignored), for the log. */
  onProblem?: (message: string) => void;
  /** A loaded file had entries that were ignored (and kept in the file): once per load, for the user. */
  onIgnoredEntries?: (file: string, problems: readonly string[]) => void;
}

interface Tracked {
  file: string;
  store?: CaptionStore;
  /** Bumped on every (re)load request, so an older read never replaces a newer one. */
  version: number;
  pending?: Promise<void>;
}

/** `<root>/.mobileclip/captions.json` -> root; undefined for any other file. */
export function captionsRootOf(file: string): string | undefined {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  if (path.basename(abs) !== CAPTIONS_FILE || path.basename(dir) !== CAPTIONS_DIR) return undefined;
  return path.dirname(dir);
}

export class CaptionIndex {
  private readonly tracked = new Map<string, Tracked>();
  private readonly listeners = new Set<() => void>();
  private readonly load: NonNullable<CaptionIndexOptions['load']>;
  private readonly onProblem: (message: string) => void;
  private readonly onIgnoredEntries: (file: string, problems: readonly string[]) => void;

  constructor(opts: CaptionIndexOptions = {}) {
    this.load = opts.load ?? ((root, file) => loadCaptionStore(root, file));
    this.onProblem = opts.onProblem ?? (() => undefined);
    this.onIgnoredEntries = opts.onIgnoredEntries ?? (() => undefined);
  }

  /** Called after any store was loaded, reloaded or forgotten. */
  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Folders that have a captions file, as absolute paths. */
  get roots(): string[] {
    return [...this.tracked.keys()];
  }

  /** Starts tracking a captions file (found at start-up, created, or changed) and (re)loads it. */
  fileChanged(file: string): Promise<void> {
    const root = captionsRootOf(file);
    if (!root) return Promise.resolve();
    let t = this.tracked.get(root);
    if (!t) this.tracked.set(root, (t = { file: path.resolve(file), version: 0 }));
    const version = ++t.version;
    const entry = t;
    const pending = (async () => {
      try {
        const store = await this.load(root, entry.file);
        if (entry.version !== version || this.tracked.get(root) !== entry) return;
        entry.store = store;
        for (const p of store.problems) this.onProblem(`${entry.file}: ${p}`);
        if (store.problems.length) this.onIgnoredEntries(entry.file, store.problems);
      } catch (err) {
        // Keep the last good captions: a broken file is reported, not shown as "no captions".
        if (entry.version === version) this.onProblem(errorMessage(err));
        return;
      }
      this.emit();
    })();
    t.pending = pending;
    return pending;
  }

  /** The captions file was deleted. */
  fileDeleted(file: string): void {
    const root = captionsRootOf(file);
    if (root && this.tracked.delete(root)) this.emit();
  }

  /** Resolves when every load started so far has finished. */
  async settled(): Promise<void> {
    await Promise.all([...this.tracked.values()].map((t) => t.pending ?? Promise.resolve()));
  }

  /** Captions of one image (user captions first): from the deepest captions file that has any. */
  captionsOf(absPath: string): string[] {
    for (const { root, store } of this.storesFor(absPath)) {
      const rel = relativeOrUndefined(root, absPath);
      if (rel === undefined) continue;
      const list = captionsFor(store, rel);
      if (list.length) return list;
    }
    return [];
  }

  /** The loaded store a caption edit of `absPath` belongs in (the deepest one that lists it), if any. */
  rootWithCaptions(absPath: string): string | undefined {
    for (const { root, store } of this.storesFor(absPath)) {
      const rel = relativeOrUndefined(root, absPath);
      if (rel !== undefined && store.images.has(rel)) return root;
    }
    return undefined;
  }

  /**
   * Images whose captions match a search query, best first. The query uses the search syntax:
   * every positive phrase must match (as a phrase, or all of its words), a caption matching a
   * negative phrase excludes the image, and `tag:` / `type:` / `in:` / `path:` filters apply.
   */
  matches(query: string, opts: CaptionMatchOptions = {}): CaptionHit[] {
    const parsed = parseQuery(query);
    const positives = parsed.terms.filter((t) => t.weight > 0 && !t.imageCandidate).map((t) => t.text);
    const negatives = parsed.terms.filter((t) => t.weight < 0).map((t) => t.text);
    if (!positives.length) return [];
    const best = new Map<string, CaptionHit>();
    const accepts = filterCache(parsed.filters, opts);
    for (const [root, t] of this.tracked) {
      const store = t.store;
      if (!store) continue;
      let hits: Map<string, { score: number; captions: string[] }> | undefined;
      for (const phrase of positives) {
        const found = new Map<string, { score: number; captions: string[] }>();
        for (const m of searchCaptions(store, phrase)) {
          if (m.score < 1) continue; // only some of the words: too weak to add to a search
          const prev = hits?.get(m.path);
          if (hits && !prev) continue;
          found.set(m.path, {
            score: Math.min(m.score, prev?.score ?? Infinity),
            captions: prev ? [...new Set([...prev.captions, ...m.captions])] : m.captions,
          });
        }
        hits = found;
      }
      for (const phrase of negatives) {
        for (const m of searchCaptions(store, phrase)) if (m.score >= 1) hits?.delete(m.path);
      }
      for (const [rel, h] of hits ?? []) {
        const abs = path.join(root, ...rel.split('/'));
        if (!accepts(abs, root)) continue;
        const prev = best.get(abs);
        if (!prev || h.score > prev.score) best.set(abs, { path: abs, score: h.score, captions: h.captions });
      }
    }
    return [...best.values()].sort((a, b) => b.score - a.score || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Loaded stores whose folder contains `absPath`, deepest first. */
  private storesFor(absPath: string): Array<{ root: string; store: CaptionStore }> {
    const out: Array<{ root: string; store: CaptionStore }> = [];
    for (const [root, t] of this.tracked) if (t.store && isInsideOrEqual(root, absPath)) out.push({ root, store: t.store });
    return out.sort((a, b) => b.root.length - a.root.length);
  }

  private emit(): void {
    for (const l of [...this.listeners]) l();
  }
}

function relativeOrUndefined(root: string, absPath: string): string | undefined {
  try {
    return relativeCaptionPath(root, absPath);
  } catch {
    return undefined;
  }
}

/** `(absPath, storeRoot) => passes the query's filters`, compiling them once per search root. */
function filterCache(filters: ReturnType<typeof parseQuery>['filters'], opts: CaptionMatchOptions): (abs: string, storeRoot: string) => boolean {
  const compiled = new Map<string, ((rel: string) => boolean) | undefined>();
  return (abs, storeRoot) => {
    const searchRoot = opts.searchRootOf?.(abs) ?? storeRoot;
    const rel = relativeOrUndefined(searchRoot, abs);
    if (rel === undefined) return false;
    if (!compiled.has(searchRoot)) {
      const tagsOf = opts.tagsOf ? (r: string) => opts.tagsOf!(path.join(searchRoot, ...r.split('/'))) : undefined;
      compiled.set(searchRoot, compileFilters(filters, tagsOf));
    }
    const accept = compiled.get(searchRoot);
    return accept ? accept(rel) : true;
  };
}
