// Tags out of the store: CSV for spreadsheets, JSON for programs, XMP sidecars for photo tools.
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../util/atomic';
import { compareTags } from './order';
import * as path from 'node:path';
import { resolveInside } from '../util/atomic';
import { checkWriteFolder } from '../util/folders';
import { errorMessage } from '../util/errors';
import type { ItemError } from '../types';
import type { TagEntry, TagMark, TagStore } from './store';
import { readRegularFileIfExists } from '../util/files';
import { FILE_LIMITS } from '../util/limits';

export type ExportFormat = 'csv' | 'json';

export interface ExportOptions {
  /** Include tags the user removed (state "rejected"). Default false. */
  includeRejected?: boolean;
  /** Include auto-suggested tags nobody reviewed yet. Default true. */
  includeSuggested?: boolean;
}

export interface ExportedTag {
  tag: string;
  state: TagMark['state'];
  source: TagMark['source'];
  score?: number;
}

export interface ExportedImage {
  path: string;
  sha256?: string;
  tags: ExportedTag[];
}

function selectTags(entry: TagEntry, options: ExportOptions): ExportedTag[] {
  return Object.entries(entry.tags)
    .filter(([, m]) => (m.state !== 'rejected' || options.includeRejected) && (m.state !== 'suggested' || options.includeSuggested !== false))
    .map(([tag, m]) => ({ tag, state: m.state, source: m.source, ...(m.score !== undefined ? { score: m.score } : {}) }))
    .sort(compareTags);
}

/** One object per image, sorted by path; images without (selected) tags are listed with `tags: []`. */
export function toJsonExport(rows: ReadonlyArray<{ path: string; entry: TagEntry }>, options: ExportOptions = {}): string {
  const out: ExportedImage[] = rows.map(({ path, entry }) => ({
    path,
    ...(entry.sha256 ? { sha256: entry.sha256 } : {}),
    tags: selectTags(entry, options),
  }));
  return JSON.stringify(out, null, 2) + '\n';
}

/** RFC 4180 CSV, one row per (image, tag): path,tag,state,source,score. */
export function toCsv(rows: ReadonlyArray<{ path: string; entry: TagEntry }>, options: ExportOptions = {}): string {
  const lines = ['path,tag,state,source,score'];
  for (const { path, entry } of rows) {
    for (const t of selectTags(entry, options)) {
      lines.push([csvText(path), csvText(t.tag), t.state, t.source, t.score === undefined ? '' : String(t.score)].join(','));
    }
  }
  return lines.join('\r\n') + '\r\n';
}

/**
 * A text cell: quoted when needed, and a leading = + - @ (which spreadsheets would run as a
 * formula: CSV injection) is defused with an apostrophe, as OWASP recommends.
 */
function csvText(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

// --- XMP sidecars --------------------------------------------------------------------------

/** Our sidecars carry this toolkit name; a sidecar without it belongs to another tool and is left alone. */
const XMP_TOOLKIT = 'MobileCLIP Assets';

export function xmpSidecarPath(imagePath: string): string {
  return `${imagePath}.xmp`;
}

export function xmpDocument(tags: readonly string[]): string {
  const items = tags.map((t) => `     <rdf:li>${xmlEscape(t)}</rdf:li>`).join('\n');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="${XMP_TOOLKIT}">`,
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    '  <rdf:Description rdf:about=""',
    '    xmlns:dc="http://purl.org/dc/elements/1.1/">',
    '   <dc:subject>',
    tags.length ? `    <rdf:Bag>\n${items}\n    </rdf:Bag>` : '    <rdf:Bag/>',
    '   </dc:subject>',
    '  </rdf:Description>',
    ' </rdf:RDF>',
    '</x:xmpmeta>',
    '',
  ].join('\n');
}

async function sidecarOwnership(file: string): Promise<'missing' | 'ours' | 'foreign'> {
  const bytes = await readRegularFileIfExists(file, { maxBytes: FILE_LIMITS.config });
  if (bytes === undefined) return 'missing';
  return bytes.toString('utf8').includes(`x:xmptk="${XMP_TOOLKIT}"`) ? 'ours' : 'foreign';
}

/**
 * Write `<image>.xmp` with the tags as dc:subject. Never overwrites a sidecar another tool wrote
 * (it may hold ratings, edits, ...): that is reported as an error instead. No tags and no sidecar:
 * nothing is created.
 */
export async function writeXmpSidecar(imageAbsPath: string, tags: readonly string[]): Promise<void> {
  const file = xmpSidecarPath(imageAbsPath);
  const owner = await sidecarOwnership(file);
  if (owner === 'foreign') throw new Error(`${file} exists and was not written by ${XMP_TOOLKIT}; not overwriting it`);
  if (owner === 'missing' && tags.length === 0) return;
  await writeFileAtomic(file, xmpDocument(tags));
}

/** Remove our sidecar of an image that left the store; foreign sidecars stay. */
export async function removeXmpSidecar(imageAbsPath: string): Promise<void> {
  const file = xmpSidecarPath(imageAbsPath);
  if ((await sidecarOwnership(file)) === 'ours') await fs.rm(file, { force: true });
}

function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** CSV (one row per image and tag) or JSON (one object per image) of a store's current tags. */
export function exportTags(store: TagStore, format: ExportFormat, options: ExportOptions = {}): string {
  const rows = store.paths().map((p) => ({ path: p, entry: store.get(p)! }));
  return format === 'csv' ? toCsv(rows, options) : toJsonExport(rows, options);
}

export async function exportTagsTo(store: TagStore, file: string, format: ExportFormat, options: ExportOptions = {}): Promise<void> {
  await writeFileAtomic(file, exportTags(store, format, options));
}

/**
 * Bring the `<image>.xmp` sidecars of `relPaths` (e.g. what `store.save()` returned) in line with
 * the store: written for images it has, ours removed for images it lost. Never into an image folder
 * that links out of `store.folder`; per-image problems are returned, never thrown.
 */
export async function writeXmpSidecars(store: TagStore, relPaths: Iterable<string>): Promise<ItemError[]> {
  const errors: ItemError[] = [];
  for (const p of relPaths) {
    try {
      const abs = resolveInside(store.folder, p);
      await checkWriteFolder(store.folder, path.dirname(abs)); // the image's folder may be a link out of the workspace
      if (store.get(p)) await writeXmpSidecar(abs, store.tagsOf(p));
      else await removeXmpSidecar(abs);
    } catch (err) {
      errors.push({ input: p, error: errorMessage(err) });
    }
  }
  return errors;
}
