// "Keep this one": the text edits that make every reference to a group's other files point at
// the kept file instead, each path written the way the referencing file wrote the old one
// (relative to that file, from the root, or through the same alias prefix), with its query,
// fragment and percent-escaping style kept. Pure data: the editor turns it into one previewed
// WorkspaceEdit, the CLI could apply it directly.
import * as path from 'node:path';
import type { Range } from './mentions';
import { decodeMention } from './resolve';
import type { ImageReference, ReferenceIndex } from './references';

const posix = path.posix;

export interface TextEdit {
  /** Relative to the root, '/'-separated. */
  file: string;
  range: Range;
  newText: string;
}

export interface KeepPlan {
  /** By file, then position; never two edits on one range. */
  edits: TextEdit[];
  /** References that cannot be rewritten safely (left for a person), with why. */
  unresolved: Array<{ reference: ImageReference; reason: string }>;
  /** Files referencing the others (what the preview lists). */
  files: string[];
}

/** Plan the rewrite of every reference to `others` so it names `keep`. */
export function planKeep(index: ReferenceIndex, keep: string, others: readonly string[]): KeepPlan {
  const edits: TextEdit[] = [];
  const unresolved: KeepPlan['unresolved'] = [];
  const seen = new Set<string>();
  for (const other of others) {
    if (other === keep) continue;
    for (const ref of index.referencesTo(other)) {
      const key = `${ref.file}\0${ref.range.start.line}:${ref.range.start.character}`;
      if (seen.has(key)) continue; // a bare name that matched several of the others
      seen.add(key);
      const rewritten = rewriteReference(ref, keep);
      if (typeof rewritten === 'string') edits.push({ file: ref.file, range: ref.range, newText: rewritten });
      else unresolved.push({ reference: ref, reason: rewritten.reason });
    }
  }
  edits.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character));
  const files = [...new Set([...edits.map((e) => e.file), ...unresolved.map((u) => u.reference.file)])].sort();
  return { edits, unresolved, files };
}

/** The new text for one reference, or why it cannot be rewritten. */
export function rewriteReference(ref: ImageReference, keep: string): string | { reason: string } {
  const written = decodeMention(ref.text);
  let target: string;
  if (ref.how === 'relative') {
    const rel = posix.relative(posix.dirname(ref.file), keep);
    target = written.startsWith('./') && !rel.startsWith('../') ? `./${rel}` : rel;
  } else if (ref.how === 'root') {
    target = written.startsWith('/') ? `${written.match(/^\/+/)![0]}${keep}` : keep;
  } else {
    // Through an alias or a web root: `<prefix><tail>` where the tail names the end of the old
    // path. The same prefix reaches the kept file only if that file lies under the same folder.
    const base = ref.image.slice(0, ref.image.length - ref.tail.length);
    if (!ref.image.endsWith(ref.tail) || !keep.startsWith(base)) {
      return { reason: `${ref.text} reaches ${ref.image} by name, and ${keep} is not under the same folder (${base || './'}); change it by hand` };
    }
    target = written.slice(0, written.length - ref.tail.length) + keep.slice(base.length);
  }
  if (ref.text.includes('\\') && !ref.text.includes('/')) target = target.replace(/\//g, '\\');
  if (/%[0-9A-Fa-f]{2}/.test(ref.text)) target = encodeURI(target);
  else if (/\s/.test(target) && !/\s/.test(ref.text)) target = encodeURI(target); // a new space would end the path
  return target;
}
