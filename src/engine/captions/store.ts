// The captions file: `<folder>/.mobileclip/captions.json`, next to the images it describes.
//
// Why there: `.mobileclip/` is the folder's own metadata folder (the in-repository index lives
// there too, and folder scans exclude it), so the file travels with the dataset, can be
// committed, and never collides with a dataset's own `captions.json`.
//
// Format (JSON, keys sorted, two-space indent; written atomically):
//   {
//     "format": "mobileclip-assets/captions", "version": 1,
//     "runs": { "<run key>": { "model", "modelFingerprint", "dtype", "settings": {count, seed,
//               topK, temperature, maxNewTokens}, "samplerVersion" } },
//     "images": { "<path relative to the folder, '/'-separated>": {
//         "sha256": "<image bytes>", "run": "<run key>",
//         "generated": ["a red circle", ...],   // owned by the tool: replaced when re-captioned
//         "user": ["my own caption", ...] } }   // owned by the user: never overwritten
//   }
// An image is re-captioned only when its bytes (sha256) or the run (model + settings) change.
// Editing a generated caption moves the edited text to "user". Paths read from the file are
// never trusted: entries that would resolve outside the folder are ignored and reported (and
// written back as they were, so nothing in the user's file is lost).
import * as path from 'node:path';
import { resolveInside, writeJsonAtomic } from '../util/atomic';
import { boundaryFor, checkWriteFolder } from '../util/folders';
import type { CaptionRun } from './settings';
import { addDistinct, captionTokens, cleanCaption, normalizeCaption } from './text';
import { readRegularFileIfExists } from '../util/files';
import { FILE_LIMITS } from '../util/limits';

export const CAPTIONS_DIR = '.mobileclip';
export const CAPTIONS_FILE = 'captions.json';
export const CAPTIONS_FORMAT = 'mobileclip-assets/captions';
export const CAPTIONS_VERSION = 1;

export interface CaptionEntry {
  /** sha256 of the image bytes the generated captions describe. */
  sha256?: string;
  /** Run key of the generated captions (a key of CaptionStore.runs). */
  run?: string;
  generated: string[];
  /** Captions written or edited by the user. */
  user: string[];
}

export interface CaptionStore {
  /** Absolute folder the image paths are relative to. */
  root: string;
  /** Absolute path of the captions file. */
  file: string;
  runs: Map<string, CaptionRun>;
  /** Keyed by '/'-separated path relative to root. */
  images: Map<string, CaptionEntry>;
  /** Entries ignored or repaired while loading: callers show them to the user. */
  problems: string[];
  /**
   * Image entries ignored on load (a path outside the folder, not an object), kept verbatim and
   * written back on save: a bad entry is reported, never silently deleted from the user's file.
   */
  ignored: Map<string, unknown>;
}

export function captionsFileFor(root: string): string {
  return path.join(path.resolve(root), CAPTIONS_DIR, CAPTIONS_FILE);
}

export function emptyCaptionStore(root: string, file = captionsFileFor(root)): CaptionStore {
  return { root: path.resolve(root), file, runs: new Map(), images: new Map(), problems: [], ignored: new Map() };
}

/** '/'-separated path of `absPath` relative to `root`; throws when it is not inside root. */
export function relativeCaptionPath(root: string, absPath: string): string {
  const rel = path.relative(path.resolve(root), path.resolve(absPath));
  resolveInside(root, rel); // refuses '', '..' and absolute results
  return rel.split(path.sep).join('/');
}

/** Absolute path of a stored image key, refusing anything that escapes the folder. */
export function absoluteCaptionPath(store: Pick<CaptionStore, 'root'>, relPath: string): string {
  return resolveInside(store.root, relPath);
}

function isSafeKey(root: string, key: string): boolean {
  if (key.includes('\\') || key.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')) return false;
  try {
    resolveInside(root, key);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads the captions file of `root` (or `file`). A missing file is an empty store; a file that is
 * not a captions file throws, so a broken or foreign file is never silently overwritten.
 */
export async function loadCaptionStore(root: string, file = captionsFileFor(root)): Promise<CaptionStore> {
  const store = emptyCaptionStore(root, file);
  let text: string;
  try {
    const bytes = await readRegularFileIfExists(file, { maxBytes: FILE_LIMITS.metadata });
    if (bytes === undefined) return store;
    text = bytes.toString('utf8');
  } catch (err) {
    throw new Error(`cannot read captions file ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`captions file ${file} is not valid JSON (${(err as Error).message}); fix or remove it`);
  }
  const obj = asObject(raw);
  if (!obj || obj.format !== CAPTIONS_FORMAT) throw new Error(`${file} is not a captions file (no "format": "${CAPTIONS_FORMAT}")`);
  if (typeof obj.version !== 'number' || obj.version > CAPTIONS_VERSION) {
    throw new Error(`captions file ${file} has version ${String(obj.version)}; this version reads ${CAPTIONS_VERSION}`);
  }
  for (const [key, value] of Object.entries(asObject(obj.runs) ?? {})) {
    const run = asObject(value);
    if (run && typeof run.model === 'string') store.runs.set(key, run as unknown as CaptionRun);
    else store.problems.push(`run ${JSON.stringify(key)}: not a run description, ignored`);
  }
  for (const [key, value] of Object.entries(asObject(obj.images) ?? {})) {
    if (!isSafeKey(store.root, key)) {
      store.problems.push(`image ${JSON.stringify(key)}: path outside the folder, ignored (kept in the file)`);
      store.ignored.set(key, value);
      continue;
    }
    const e = asObject(value);
    if (!e) {
      store.problems.push(`image ${JSON.stringify(key)}: not an object, ignored (kept in the file)`);
      store.ignored.set(key, value);
      continue;
    }
    const entry: CaptionEntry = { generated: strings(e.generated, key, 'generated', store), user: strings(e.user, key, 'user', store) };
    if (typeof e.sha256 === 'string' && /^[0-9a-f]{64}$/.test(e.sha256)) entry.sha256 = e.sha256;
    if (typeof e.run === 'string' && store.runs.has(e.run)) entry.run = e.run;
    store.images.set(key, entry);
  }
  return store;
}

function asObject(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function strings(v: unknown, key: string, field: string, store: CaptionStore): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    store.problems.push(`image ${JSON.stringify(key)}: "${field}" is not a list, ignored`);
    return [];
  }
  const out = v
    .filter((s): s is string => typeof s === 'string')
    .map(cleanCaption)
    .filter(Boolean);
  if (out.length !== v.length) store.problems.push(`image ${JSON.stringify(key)}: dropped non-text or empty "${field}" items`);
  return out;
}

/** The JSON written for a store (runs no image refers to are dropped). */
export function captionStoreJson(store: CaptionStore): unknown {
  const used = new Set<string>();
  const images: Record<string, unknown> = {};
  for (const [key, value] of store.ignored) if (!store.images.has(key)) images[key] = value;
  for (const [key, e] of store.images) {
    if (e.generated.length === 0 && e.user.length === 0) continue;
    if (e.run) used.add(e.run);
    images[key] = {
      sha256: e.sha256,
      run: e.run,
      generated: e.generated,
      user: e.user.length ? e.user : undefined,
    };
  }
  const runs: Record<string, unknown> = {};
  for (const key of used) {
    const run = store.runs.get(key);
    if (run) runs[key] = run;
  }
  return { format: CAPTIONS_FORMAT, version: CAPTIONS_VERSION, runs, images };
}

export async function saveCaptionStore(store: CaptionStore): Promise<void> {
  const dir = path.dirname(store.file);
  await checkWriteFolder(boundaryFor(store.root, dir), dir); // `.mobileclip` may be a link out of the folder
  await writeJsonAtomic(store.file, captionStoreJson(store));
}

/**
 * Re-reads the file, applies `change`, writes it back atomically. Used for incremental saves
 * during a long run, so edits made to the file meanwhile are kept.
 */
export async function updateCaptionStore(root: string, change: (store: CaptionStore) => void, file = captionsFileFor(root)): Promise<CaptionStore> {
  const store = await loadCaptionStore(root, file);
  change(store);
  await saveCaptionStore(store);
  return store;
}

/** True unless the image already has generated captions of this run for these exact bytes. */
export function needsCaptions(store: CaptionStore, relPath: string, sha256: string, run: string): boolean {
  const e = store.images.get(relPath);
  return !(e && e.sha256 === sha256 && e.run === run && e.generated.length > 0);
}

/** Records freshly generated captions; the user's captions of the image are kept. */
export function setGeneratedCaptions(store: CaptionStore, relPath: string, sha256: string, run: CaptionRun, key: string, captions: readonly string[]): void {
  store.runs.set(key, run);
  const e = store.images.get(relPath) ?? { generated: [], user: [] };
  e.sha256 = sha256;
  e.run = key;
  e.generated = [];
  addDistinct(e.generated, captions);
  store.images.set(relPath, e);
}

function entryFor(store: CaptionStore, relPath: string): CaptionEntry {
  if (!isSafeKey(store.root, relPath)) throw new Error(`refusing path outside the folder: ${JSON.stringify(relPath)}`);
  let e = store.images.get(relPath);
  if (!e) {
    e = { generated: [], user: [] };
    store.images.set(relPath, e);
  }
  return e;
}

/** Adds a user caption (no-op when the image already has it). */
export function addUserCaption(store: CaptionStore, relPath: string, text: string): void {
  const clean = cleanCaption(text);
  if (!clean) throw new Error('a caption cannot be empty');
  addDistinct(entryFor(store, relPath).user, [clean]);
}

/**
 * Replaces caption `oldText` of an image with `newText`. The new text is a user caption (so no
 * later run overwrites it); an edited generated caption leaves the generated list.
 */
export function editCaption(store: CaptionStore, relPath: string, oldText: string, newText: string): void {
  const e = entryFor(store, relPath);
  const clean = cleanCaption(newText);
  if (!clean) throw new Error('a caption cannot be empty; remove it instead');
  const old = cleanCaption(oldText);
  const u = e.user.indexOf(old);
  if (u >= 0) {
    e.user.splice(u, 1);
  } else {
    const g = e.generated.indexOf(old);
    if (g < 0) throw new Error(`${relPath} has no caption ${JSON.stringify(oldText)}`);
    e.generated.splice(g, 1);
  }
  addDistinct(e.user, [clean]);
}

/** Removes a caption (user or generated) of an image. */
export function removeCaption(store: CaptionStore, relPath: string, text: string): void {
  const e = entryFor(store, relPath);
  const old = cleanCaption(text);
  const before = e.user.length + e.generated.length;
  e.user = e.user.filter((c) => c !== old);
  e.generated = e.generated.filter((c) => c !== old);
  if (e.user.length + e.generated.length === before) throw new Error(`${relPath} has no caption ${JSON.stringify(text)}`);
}

/** The captions of one image: the user's first, then generated ones, without duplicates. */
export function captionsFor(store: CaptionStore, relPath: string): string[] {
  const e = store.images.get(relPath);
  if (!e) return [];
  const out: string[] = [];
  addDistinct(out, e.user);
  addDistinct(out, e.generated);
  return out;
}

/** Every captioned image's captions (for the gallery), keyed by relative path. */
export function captionsByPath(store: CaptionStore): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const key of [...store.images.keys()].sort()) {
    const list = captionsFor(store, key);
    if (list.length) out.set(key, list);
  }
  return out;
}

export interface CaptionMatch {
  /** Relative path of the image. */
  path: string;
  /** 2 when a caption contains the whole query as a phrase, else the best fraction of query words found. */
  score: number;
  /** The image's captions that matched, best first. */
  captions: string[];
}

/**
 * Finds images whose captions match `text`: a caption containing the whole (normalized) query
 * scores 2; otherwise the share of query words that appear as words in the caption. Results are
 * sorted by score, then path.
 */
export function searchCaptions(store: CaptionStore, text: string): CaptionMatch[] {
  const query = normalizeCaption(text);
  const words = captionTokens(text);
  if (!query) return [];
  const out: CaptionMatch[] = [];
  for (const [relPath] of store.images) {
    const scored: Array<{ caption: string; score: number }> = [];
    for (const caption of captionsFor(store, relPath)) {
      const norm = normalizeCaption(caption);
      let score: number;
      if (` ${norm} `.includes(` ${query} `) || norm.includes(query)) {
        score = 2;
      } else {
        const have = new Set(norm.split(' '));
        score = words.filter((w) => have.has(w)).length / words.length;
      }
      if (score > 0) scored.push({ caption, score });
    }
    if (scored.length) {
      scored.sort((a, b) => b.score - a.score);
      out.push({ path: relPath, score: scored[0]!.score, captions: scored.map((s) => s.caption) });
    }
  }
  return out.sort((a, b) => b.score - a.score || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
