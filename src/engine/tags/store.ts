// The tags file of one workspace folder: `.vscode/asset-tags.data.json`.
//
// Why there: it holds the user's decisions (confirmed and removed tags), which are worth
// committing and sharing like the vocabulary beside it (`.vscode/asset-tags.json`); the embedding
// index, by contrast, is a rebuildable cache that usually lives in per-user storage. One folder to
// commit, and the name says what the file is (a ".lock" name would suggest a generated pin file).
//
// Format (stable key order, written atomically):
//   { "format": "mobileclip-assets-tags", "version": 1,
//     "images": { "<relative/path.png>": {
//         "sha256": "<hex of the file bytes when last tagged>",   // rename detection
//         "auto": "<signature of the vocabulary+model that last auto-tagged it>",
//         "tags": { "<tag>": { "source": "auto"|"user", "state": "suggested"|"confirmed"|"rejected", "score": 0.93 } } } } }
// `source` is who put the tag on the image first (the tagger or the user); `state` is the current
// decision: suggested (auto, not yet reviewed), confirmed (the user kept or added it), rejected
// (the user removed it: never suggested again for that image).
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { pruneTempFiles, resolveInside, stableStringify, writeFileAtomic } from '../util/atomic';
import { boundaryFor, checkWriteFolder } from '../util/folders';
import { checkRelativePath, checkTagName, describe, normalizeRelativePath, normalizeTagName } from './names';
import { compareTags } from './order';
import { readRegularFileIfExists } from '../util/files';
import { FILE_LIMITS } from '../util/limits';

export const TAGS_DATA_FILE = '.vscode/asset-tags.data.json';
const FORMAT = 'mobileclip-assets-tags';
const VERSION = 1;
const SHA256 = /^[0-9a-f]{64}$/;

export type TagState = 'suggested' | 'confirmed' | 'rejected';
export type TagSource = 'auto' | 'user';

export interface TagMark {
  source: TagSource;
  state: TagState;
  /** Calibrated score (0..1) from the last auto-tagging, when the tag is in the vocabulary. */
  score?: number;
}

export interface TagEntry {
  sha256?: string;
  /** Signature of the vocabulary + model of the last auto-tagging; absent = never auto-tagged. */
  auto?: string;
  tags: Record<string, TagMark>;
}

export interface TagStoreOptions {
  /** Tags file to use instead of `<folder>/.vscode/asset-tags.data.json`. */
  file?: string;
}

export interface AutoTagUpdate {
  sha256: string;
  signature: string;
  /** Every vocabulary tag, and its score for this image at the same index. */
  names: readonly string[];
  scores: ArrayLike<number>;
  /** Tags the tagger suggests (a subset of `names`). */
  suggested: ReadonlySet<string>;
}

export class TagStore {
  /** Problems in the file that were skipped on load (bad paths, unknown states, ...). */
  readonly warnings: string[] = [];
  /** Increments on every change. */
  version = 0;
  /** Increments when user decisions may have changed (edits, renames, removals, merges): few-shot caches key on it. */
  decisionVersion = 0;
  private images = new Map<string, TagEntry>();
  /** Paths changed since the last save, with a counter that tells edits made during a save apart. */
  private dirty = new Map<string, number>();
  private edits = 0;
  /** Per changed path: the tags whose user decision changed here, or true for a rename/removal. */
  private userEdits = new Map<string, Set<string> | true>();
  /** sha256 of the file text last read or written, to notice changes made by someone else. */
  private syncedHash: string | undefined;
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    readonly folder: string,
    readonly file: string,
  ) {}

  /**
   * Load the folder's tags file (missing = empty store). A file that is not valid JSON throws (the
   * user's decisions must not be overwritten by an empty store); bad entries are skipped and listed
   * in `warnings`.
   */
  static async load(folder: string, options: TagStoreOptions = {}): Promise<TagStore> {
    const root = path.resolve(folder);
    const store = new TagStore(root, options.file ? path.resolve(options.file) : path.join(root, TAGS_DATA_FILE));
    // A writer killed mid-write leaves `.asset-tags.data.json.<pid>.<hex>.tmp` beside the file.
    await checkWriteFolder(boundaryFor(root, path.dirname(store.file)), path.dirname(store.file)).then(
      () => pruneTempFiles(path.dirname(store.file), (target) => target === path.basename(store.file)),
      () => undefined, // refused folders are reported when saving; loading only reads
    );
    const text = await readText(store.file);
    if (text !== undefined) {
      store.images = store.parse(text, store.warnings);
      store.syncedHash = hashText(text);
    }
    return store;
  }

  // --- reading ------------------------------------------------------------------------------

  /** Image paths with an entry, sorted. */
  paths(): string[] {
    return [...this.images.keys()].sort();
  }

  get size(): number {
    return this.images.size;
  }

  /** A copy of the entry for `relPath`. */
  get(relPath: string): TagEntry | undefined {
    const e = this.images.get(relPath);
    return e ? cloneEntry(e) : undefined;
  }

  /** The live entry, read-only and without copying (for hot loops; do not keep it across edits). */
  peek(relPath: string): Readonly<TagEntry> | undefined {
    return this.images.get(relPath);
  }

  /** Tags currently on the image (confirmed and suggested, not rejected): confirmed first, then by score. */
  tagsOf(relPath: string): string[] {
    const e = this.images.get(relPath);
    if (!e) return [];
    return Object.entries(e.tags)
      .filter(([, m]) => m.state !== 'rejected')
      .map(([tag, m]) => ({ tag, state: m.state, score: m.score }))
      .sort(compareTags)
      .map((t) => t.tag);
  }

  hasTag(relPath: string, tag: string): boolean {
    const m = this.images.get(relPath)?.tags[tag.toLowerCase()];
    return !!m && m.state !== 'rejected';
  }

  /** Paths that carry `tag` (for `tag:icon` filters), sorted. */
  pathsWithTag(tag: string): string[] {
    const t = tag.toLowerCase();
    return this.paths().filter((p) => this.hasTag(p, t));
  }

  /** Every tag in use with the number of images carrying it (for completion of `tag:`). */
  tagCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const e of this.images.values()) {
      for (const [t, m] of Object.entries(e.tags)) if (m.state !== 'rejected') counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    return new Map([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
  }

  /** Paths with a user decision (confirmed or rejected) on `tag`, for few-shot feedback. */
  decisions(tag: string): { confirmed: string[]; rejected: string[] } {
    const confirmed: string[] = [];
    const rejected: string[] = [];
    for (const [p, e] of this.images) {
      const m = e.tags[tag];
      if (m?.state === 'confirmed') confirmed.push(p);
      else if (m?.state === 'rejected') rejected.push(p);
    }
    return { confirmed: confirmed.sort(), rejected: rejected.sort() };
  }

  // --- user edits ---------------------------------------------------------------------------

  /**
   * The user's answer to "Edit tags": exactly `tags` are on the image afterwards. Listed tags become
   * confirmed; tags that were on the image and are not listed become rejected (so the tagger never
   * suggests them again for this image).
   */
  setUserTags(relPath: string, tags: readonly string[], sha256?: string): void {
    const wanted = new Set(tags.map(normalizeTagName));
    const e = this.entryFor(relPath, sha256);
    const changed = new Set(wanted);
    for (const [t, m] of Object.entries(e.tags)) {
      if (!wanted.has(t) && m.state !== 'rejected') {
        e.tags[t] = { ...m, state: 'rejected', source: m.source };
        changed.add(t);
      }
    }
    for (const t of wanted) e.tags[t] = confirmedMark(e.tags[t]);
    this.touch(relPath, changed);
  }

  confirm(relPath: string, tag: string, sha256?: string): void {
    const t = normalizeTagName(tag);
    const e = this.entryFor(relPath, sha256);
    e.tags[t] = confirmedMark(e.tags[t]);
    this.touch(relPath, [t]);
  }

  /** The user removed `tag` from the image: it stays recorded as rejected and is never re-suggested. */
  reject(relPath: string, tag: string, sha256?: string): void {
    const t = normalizeTagName(tag);
    const e = this.entryFor(relPath, sha256);
    const m = e.tags[t];
    e.tags[t] = { source: m?.source ?? 'user', state: 'rejected', ...(m?.score !== undefined ? { score: m.score } : {}) };
    this.touch(relPath, [t]);
  }

  /** Forget the user's decision on `tag` for the image (the tagger may suggest it again). */
  clearDecision(relPath: string, tag: string): void {
    const t = normalizeTagName(tag);
    const e = this.images.get(checkedPath(this.folder, relPath));
    if (!e?.tags[t] || e.tags[t].state === 'suggested') return;
    delete e.tags[t];
    e.auto = undefined; // re-tag it on the next incremental run
    this.touch(relPath, [t]);
  }

  /** The file moved: its tags move with it (replacing any entry at `to`). Returns false if `from` had none. */
  rename(from: string, to: string): boolean {
    const src = checkedPath(this.folder, from);
    const dst = checkedPath(this.folder, to);
    const e = this.images.get(src);
    if (!e || src === dst) return false;
    this.images.delete(src);
    this.images.set(dst, e);
    this.touch(src, 'entry');
    this.touch(dst, 'entry');
    return true;
  }

  remove(relPath: string): boolean {
    const p = checkedPath(this.folder, relPath);
    if (!this.images.delete(p)) return false;
    this.touch(p, 'entry');
    return true;
  }

  // --- tagger side --------------------------------------------------------------------------

  /**
   * Record an auto-tagging result. User decisions are kept (only their scores are refreshed);
   * suggestions not in `update.suggested` are dropped; tags outside the vocabulary are untouched
   * unless they were auto-suggested by an earlier vocabulary.
   */
  recordAutoTags(relPath: string, update: AutoTagUpdate): void {
    const e = this.entryFor(relPath);
    e.sha256 = update.sha256;
    e.auto = update.signature;
    for (const t in e.tags) {
      if (e.tags[t]!.state === 'suggested' && !update.suggested.has(t)) delete e.tags[t];
    }
    for (let k = 0; k < update.names.length; k++) {
      const t = update.names[k]!;
      const score = roundScore(update.scores[k]!);
      const m = e.tags[t];
      if (m && m.state !== 'suggested') e.tags[t] = { ...m, score };
      else if (update.suggested.has(t)) e.tags[t] = { source: 'auto', state: 'suggested', score };
    }
    this.touch(relPath, 'auto');
  }

  /**
   * Bring the store in line with the folder's current images: an entry whose file is gone moves to
   * a new path with the same sha256 (a rename); remaining orphans are dropped unless they carry user
   * decisions (kept, so restoring the file restores its tags). Changed files keep their user tags.
   */
  reconcile(current: ReadonlyArray<{ path: string; sha256: string }>): { renamed: { from: string; to: string }[]; dropped: string[] } {
    const present = new Set(current.map((c) => c.path));
    const orphansBySha = new Map<string, string[]>();
    for (const [p, e] of this.images) {
      if (present.has(p) || !e.sha256) continue;
      const list = orphansBySha.get(e.sha256) ?? [];
      list.push(p);
      orphansBySha.set(e.sha256, list);
    }
    const renamed: { from: string; to: string }[] = [];
    for (const c of current) {
      if (this.images.has(c.path)) continue;
      const candidates = orphansBySha.get(c.sha256);
      const from = candidates?.shift();
      if (from === undefined) continue;
      if (this.rename(from, c.path)) renamed.push({ from, to: c.path });
    }
    const dropped: string[] = [];
    for (const [p, e] of [...this.images]) {
      if (present.has(p)) continue;
      if (Object.values(e.tags).some((m) => m.source === 'user' || m.state !== 'suggested')) continue;
      this.images.delete(p);
      this.touch(p, 'auto');
      dropped.push(p);
    }
    return { renamed, dropped };
  }

  // --- output -------------------------------------------------------------------------------

  /**
   * Write the tags file atomically. If someone else changed the file since it was read (another
   * window, a `git pull`), their entries are kept except for the images changed here.
   */
  save(): Promise<string[]> {
    const run = this.saving.then(() => this.saveNow());
    this.saving = run.then(
      () => undefined,
      () => undefined,
    ); // the next save runs after this one either way; the caller sees this one's failure
    return run;
  }

  private async saveNow(): Promise<string[]> {
    const text = await readText(this.file);
    // Snapshot after the read: from here to stringify nothing awaits, so no edit can slip between.
    const changed = new Map(this.dirty);
    if (text !== undefined && hashText(text) !== this.syncedHash) {
      try {
        this.mergeTheirs(text);
      } catch (err) {
        throw new Error(`${this.file} was changed by someone else and cannot be merged: ${(err as Error).message}. Fix or delete it, then save again.`);
      }
    }
    const out = stableStringify(this.toJson());
    const dir = path.dirname(this.file);
    await checkWriteFolder(boundaryFor(this.folder, dir), dir); // .vscode/ may be a link out of the workspace
    await writeFileAtomic(this.file, out);
    this.syncedHash = hashText(out);
    for (const [p, n] of changed) {
      if (this.dirty.get(p) !== n) continue;
      this.dirty.delete(p);
      this.userEdits.delete(p);
    }
    return [...changed.keys()];
  }

  /**
   * Pick up changes someone else made to the file (for a file watcher). Images edited here and not
   * saved yet keep their local state. Returns whether anything was read. Throws if the file is not
   * a valid tags file (the store is left as it was).
   */
  reload(): Promise<boolean> {
    const run = this.saving.then(async () => {
      const text = await readText(this.file);
      if (text === undefined || hashText(text) === this.syncedHash) return false;
      this.mergeTheirs(text);
      return true;
    });
    this.saving = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Take the file's state, keeping local changes: an entry moved or removed here stays so; otherwise
   * the local entry wins except for their user decisions on tags the user did not decide on here
   * (so re-tagging in one window never undoes a confirmation made in another).
   */
  private mergeTheirs(text: string): void {
    const theirs = this.parse(text, []);
    for (const p of this.dirty.keys()) {
      const mine = this.images.get(p);
      const edits = this.userEdits.get(p);
      if (!mine) {
        if (edits === true) theirs.delete(p);
        continue; // dropped by the tagger here: whatever they have stays
      }
      const their = theirs.get(p);
      if (their && edits !== true) {
        for (const [t, m] of Object.entries(their.tags)) {
          if (m.state === 'suggested' || edits?.has(t)) continue;
          const score = mine.tags[t]?.score ?? m.score;
          mine.tags[t] = score === undefined ? { source: m.source, state: m.state } : { source: m.source, state: m.state, score };
        }
      }
      theirs.set(p, mine);
    }
    this.images = theirs;
    this.syncedHash = hashText(text);
    this.version++;
    this.decisionVersion++;
  }

  private toJson(): unknown {
    const images: Record<string, TagEntry> = {};
    for (const p of this.paths()) images[p] = this.images.get(p)!;
    return { format: FORMAT, version: VERSION, images };
  }

  private parse(text: string, warnings: string[]): Map<string, TagEntry> {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new Error(`${this.file}: not valid JSON (${(err as Error).message})`);
    }
    const where = (key?: string) => `${this.file}: ${key === undefined ? '' : `images[${JSON.stringify(key)}]: `}`;
    if (!isObject(raw) || raw.format !== FORMAT) throw new Error(`${where()}not a MobileCLIP Assets tags file (expected "format": "${FORMAT}")`);
    if (typeof raw.version !== 'number' || raw.version > VERSION) {
      throw new Error(`${where()}format version ${describe(raw.version)} is newer than this version understands (${VERSION}); update the extension`);
    }
    const out = new Map<string, TagEntry>();
    if (!isObject(raw.images)) {
      warnings.push(`${where()}"images" must be an object; ignored`);
      return out;
    }
    for (const [key, value] of Object.entries(raw.images)) {
      const p = checkRelativePath(key);
      if ('error' in p) {
        warnings.push(`${where(key)}${p.error}; skipped`);
        continue;
      }
      try {
        resolveInside(this.folder, p.path);
      } catch (err) {
        warnings.push(`${where(key)}${(err as Error).message}; skipped`);
        continue;
      }
      if (!isObject(value)) {
        warnings.push(`${where(key)}must be an object, got ${describe(value)}; skipped`);
        continue;
      }
      const entry: TagEntry = { tags: tagRecord() };
      if (typeof value.sha256 === 'string' && SHA256.test(value.sha256)) entry.sha256 = value.sha256;
      else if (value.sha256 !== undefined) warnings.push(`${where(key)}sha256 ${describe(value.sha256)} is not a sha256 hex digest; ignored`);
      if (typeof value.auto === 'string') entry.auto = value.auto;
      const tags = isObject(value.tags) ? value.tags : {};
      if (value.tags !== undefined && !isObject(value.tags)) warnings.push(`${where(key)}tags must be an object; ignored`);
      for (const [rawTag, rawMark] of Object.entries(tags)) {
        const t = checkTagName(rawTag);
        const mark = parseMark(rawMark);
        if ('error' in t) warnings.push(`${where(key)}tags[${JSON.stringify(rawTag)}]: ${t.error}; skipped`);
        else if (typeof mark === 'string') warnings.push(`${where(key)}tags[${JSON.stringify(rawTag)}]: ${mark}; skipped`);
        else entry.tags[t.name] = mark;
      }
      out.set(p.path, entry);
    }
    return out;
  }

  private entryFor(relPath: string, sha256?: string): TagEntry {
    // Keys already in the map were validated when they were added.
    const p = this.images.has(relPath) ? relPath : checkedPath(this.folder, relPath);
    let e = this.images.get(p);
    if (!e) {
      e = { tags: tagRecord() };
      this.images.set(p, e);
    }
    if (sha256 !== undefined) {
      if (!SHA256.test(sha256)) throw new Error(`sha256 ${describe(sha256)} is not a sha256 hex digest`);
      e.sha256 = sha256;
    }
    return e;
  }

  /**
   * Record a change: 'auto' (tagger results), 'entry' (the user moved or removed the whole entry)
   * or the tags whose user decision changed. Saving merges per tag on that basis.
   */
  private touch(relPath: string, what: 'auto' | 'entry' | Iterable<string>): void {
    this.dirty.set(relPath, ++this.edits);
    this.version++;
    if (what === 'auto') return;
    this.decisionVersion++;
    const edits = this.userEdits.get(relPath);
    if (what === 'entry') this.userEdits.set(relPath, true);
    else if (edits !== true) this.userEdits.set(relPath, new Set([...(edits ?? []), ...what]));
  }
}

function checkedPath(folder: string, relPath: string): string {
  const p = normalizeRelativePath(relPath);
  resolveInside(folder, p);
  return p;
}

function confirmedMark(m: TagMark | undefined): TagMark {
  return { source: m?.source ?? 'user', state: 'confirmed', ...(m?.score !== undefined ? { score: m.score } : {}) };
}

export function roundScore(score: number): number {
  return Math.round(score * 1e4) / 1e4;
}

function parseMark(raw: unknown): TagMark | string {
  if (!isObject(raw)) return `must be an object { source, state, score }, got ${describe(raw)}`;
  const { source, state, score } = raw;
  if (state !== 'suggested' && state !== 'confirmed' && state !== 'rejected') return `state must be "suggested", "confirmed" or "rejected", got ${describe(state)}`;
  if (source !== 'auto' && source !== 'user') return `source must be "auto" or "user", got ${describe(source)}`;
  if (state === 'suggested' && source !== 'auto') return 'a suggested tag must have source "auto"';
  if (score !== undefined && !(typeof score === 'number' && score >= 0 && score <= 1)) return `score must be a number between 0 and 1, got ${describe(score)}`;
  return score === undefined ? { source, state } : { source, state, score };
}

/**
 * Tag name -> mark, without a prototype: a tag may be called "constructor" or "tostring", and
 * `tags[name]` must never find Object.prototype's members.
 */
function tagRecord(): Record<string, TagMark> {
  return Object.create(null) as Record<string, TagMark>;
}

function cloneEntry(e: TagEntry): TagEntry {
  const tags = tagRecord();
  for (const [t, m] of Object.entries(e.tags)) tags[t] = { ...m };
  return { ...e, tags };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return (await readRegularFileIfExists(file, { maxBytes: FILE_LIMITS.metadata }))?.toString('utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read: ${(err as Error).message}`);
  }
}
