// The input side of a reinforcement run: which images, in which order, and their ground-truth
// captions (a `.txt` sidecar per image, or a CSV/TSV/JSONL manifest with path + caption columns).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_IMAGE_EXTENSIONS, symlinkedFileProblem } from '../index/scan';
import { resolveInside } from '../util/atomic';
import { readRegularTextFile, UnreadableFileError } from '../util/files';

/** Caption files are text; anything bigger is not a caption (and a FIFO or device is never read). */
const MAX_SIDECAR_BYTES = 1024 * 1024;
const MAX_CAPTION_MANIFEST_BYTES = 512 * 1024 * 1024;

/** Raster formats the decoder reads. Vector images (SVG) are left out: their pixel size
 * depends on the rasterization density, so crop boxes would not mean the same pixels for
 * teachers with different input sizes. */
export const REINFORCE_IMAGE_EXTENSIONS: readonly string[] = DEFAULT_IMAGE_EXTENSIONS.filter((e) => e !== 'svg').map((e) => `.${e}`);

export type CaptionOrigin = 'sidecar' | 'manifest' | 'filename' | 'none';

export interface InputImage {
  /** Relative POSIX path under the input folder (also the sample's url.txt). */
  relPath: string;
  absPath: string;
  /** Ground-truth caption ('' when there is none). */
  caption: string;
  captionOrigin: CaptionOrigin;
}

export interface InputProblem {
  path: string;
  error: string;
}

/** Byte-order comparison (locale-independent, so every machine sorts the same way). */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Images under `root` (recursive; hidden folders, node_modules and `exclude` folders skipped),
 * sorted. Symlinked files follow the indexer's one policy (symlinkedFileProblem): followed when
 * they resolve inside `root`, otherwise skipped and reported through `onSkipped`.
 */
export async function listImages(root: string, exclude: readonly string[] = [], onSkipped?: (problem: InputProblem) => void): Promise<string[]> {
  const excluded = new Set(exclude.map((e) => path.resolve(e)));
  const base = path.resolve(root);
  const realRoot = await fs.realpath(base).catch(() => base);
  const isImageName = (name: string) => REINFORCE_IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
  const out: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const abs = path.join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name === 'node_modules' || excluded.has(abs)) continue;
        await walk(abs, r);
      } else if (e.isFile() && isImageName(e.name)) {
        out.push(r);
      } else if (e.isSymbolicLink() && isImageName(e.name)) {
        // Folder links are never followed (loops); file links by the shared policy.
        const problem = await symlinkedFileProblem(base, abs, realRoot);
        if (problem) onSkipped?.({ path: r, error: `skipped: ${problem}` });
        else if ((await fs.stat(abs).catch(() => undefined))?.isFile()) out.push(r);
      }
    }
  };
  await walk(base, '');
  return out.sort(compareCodeUnits);
}

/** "photos/red_apple-2.png" -> "red apple 2": the stand-in caption for images without one. */
export function captionFromFileName(relPath: string): string {
  const stem = path.posix.basename(relPath, path.posix.extname(relPath));
  return stem
    .replace(/[_\-.+]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function normalizeCaption(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

const PATH_COLUMNS = ['path', 'file', 'filename', 'file_name', 'filepath', 'image', 'image_path', 'url'];
const CAPTION_COLUMNS = ['caption', 'text', 'title', 'description', 'alt'];

/** RFC 4180 CSV (or TSV with `delimiter` '\t'): quoted fields, doubled quotes, CRLF or LF. */
export function parseDelimited(text: string, delimiter = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === delimiter) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += ch;
  }
  if (quoted) throw new Error('unterminated quoted field');
  row.push(field);
  if (row.length > 1 || row[0] !== '') rows.push(row);
  return rows;
}

export interface CaptionManifest {
  /** Relative POSIX path -> caption. */
  captions: Map<string, string>;
  problems: InputProblem[];
}

/**
 * Reads a caption manifest (.csv, .tsv, .jsonl/.ndjson) whose paths are relative to `root`.
 * Rows with paths escaping `root`, missing fields or duplicates are reported, not fatal.
 */
export async function readCaptionManifest(file: string, root: string): Promise<CaptionManifest> {
  const text = await readRegularTextFile(file, { maxBytes: MAX_CAPTION_MANIFEST_BYTES });
  const ext = path.extname(file).toLowerCase();
  const records: Array<{ line: number; path: unknown; caption: unknown }> = [];
  if (ext === '.jsonl' || ext === '.ndjson') {
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() === '') return;
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(line) as Record<string, unknown>;
      } catch {
        records.push({ line: i + 1, path: undefined, caption: undefined });
        return;
      }
      const pk = PATH_COLUMNS.find((k) => typeof obj?.[k] === 'string');
      const ck = CAPTION_COLUMNS.find((k) => typeof obj?.[k] === 'string');
      records.push({ line: i + 1, path: pk ? obj[pk] : undefined, caption: ck ? obj[ck] : undefined });
    });
  } else if (ext === '.csv' || ext === '.tsv') {
    const rows = parseDelimited(text, ext === '.tsv' ? '\t' : ',');
    const header = (rows[0] ?? []).map((h) => h.trim().toLowerCase());
    const pi = header.findIndex((h) => PATH_COLUMNS.includes(h));
    const ci = header.findIndex((h) => CAPTION_COLUMNS.includes(h));
    if (pi < 0 || ci < 0) {
      throw new Error(`${file}: header must name a path column (${PATH_COLUMNS.join('/')}) and a caption column (${CAPTION_COLUMNS.join('/')})`);
    }
    rows.slice(1).forEach((r, i) => records.push({ line: i + 2, path: r[pi], caption: r[ci] }));
  } else {
    throw new Error(`${file}: caption manifests must be .csv, .tsv or .jsonl`);
  }

  const captions = new Map<string, string>();
  const problems: InputProblem[] = [];
  const base = path.basename(file);
  for (const r of records) {
    if (typeof r.path !== 'string' || typeof r.caption !== 'string') {
      problems.push({ path: `${base}:${r.line}`, error: 'row has no path and caption' });
      continue;
    }
    let rel: string;
    try {
      rel = path.relative(path.resolve(root), resolveInside(root, r.path)).split(path.sep).join('/');
    } catch (err) {
      problems.push({ path: `${base}:${r.line}`, error: (err as Error).message });
      continue;
    }
    if (captions.has(rel)) {
      problems.push({ path: `${base}:${r.line}`, error: `second caption for ${rel} ignored (the first one is kept)` });
      continue;
    }
    captions.set(rel, normalizeCaption(r.caption));
  }
  return { captions, problems };
}

export interface CollectOptions {
  root: string;
  /** Caption manifest; without it `.txt` sidecars are read. */
  captionManifest?: string;
  /** Folders never scanned (the output folder when it lies inside the input). */
  exclude?: string[];
  /** What stands in for a missing caption: the file name, or nothing (a zero text row). */
  missingCaption: 'filename' | 'zero';
}

/** The run's inputs in their fixed order, each with its ground-truth caption. */
export async function collectInputs(opts: CollectOptions): Promise<{ images: InputImage[]; problems: InputProblem[] }> {
  const root = path.resolve(opts.root);
  const problems: InputProblem[] = [];
  const rels = await listImages(root, opts.exclude, (p) => problems.push(p));
  let manifest: Map<string, string> | undefined;
  if (opts.captionManifest) {
    const m = await readCaptionManifest(opts.captionManifest, root);
    manifest = m.captions;
    problems.push(...m.problems);
    const listed = new Set(rels);
    for (const rel of m.captions.keys()) {
      if (!listed.has(rel)) problems.push({ path: rel, error: 'listed in the caption manifest but not an image in the folder' });
    }
  }
  const images: InputImage[] = [];
  for (const rel of rels) {
    const absPath = path.join(root, ...rel.split('/'));
    let caption = '';
    let origin: CaptionOrigin = 'none';
    if (manifest) {
      const c = manifest.get(rel);
      if (c) {
        caption = c;
        origin = 'manifest';
      }
    } else {
      const sidecar = absPath.slice(0, absPath.length - path.extname(absPath).length) + '.txt';
      const text = await readRegularTextFile(sidecar, { maxBytes: MAX_SIDECAR_BYTES }).catch((err: unknown) => {
        if (err instanceof UnreadableFileError && err.reason !== 'missing')
          problems.push({ path: path.relative(root, sidecar).split(path.sep).join('/'), error: `caption sidecar ignored: ${err.message}` });
        return undefined;
      });
      if (text !== undefined && normalizeCaption(text) !== '') {
        caption = normalizeCaption(text);
        origin = 'sidecar';
      }
    }
    if (origin === 'none' && opts.missingCaption === 'filename') {
      caption = captionFromFileName(rel);
      if (caption) origin = 'filename';
    }
    images.push({ relPath: rel, absPath, caption, captionOrigin: origin });
  }
  return { images, problems };
}
