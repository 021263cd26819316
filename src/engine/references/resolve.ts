// Which image a path mention names, as a bundler, a browser or a Markdown renderer would find
// it: relative to the mentioning file, from the folder's root, or by the end of its path (an
// alias like `@/assets/logo.png`, a web root like `/img/logo.png` served from `public/`, a bare
// file name in a config). Mentions with a URL scheme (`https:`, `data:`) are never local files.
import * as path from 'node:path';

const posix = path.posix;

/**
 * How a mention reached its image: `relative` to the mentioning file's folder, from the `root`
 * folder, or by `name`: the longest run of trailing path segments it shares with an image (the
 * file name at least). `name` matches are kept for unused-asset checks (a used file must never
 * be reported unused); rewriting them keeps whatever prefix the alias has.
 */
export type ResolvedHow = 'relative' | 'root' | 'name';

export interface Resolution {
  image: string;
  how: ResolvedHow;
  /** The decoded mention's trailing part that names the image's trailing path (for `name`). */
  tail: string;
}

/** The images mentions can resolve to (paths relative to the root, '/'-separated). */
export class ImageSet {
  private readonly exact = new Set<string>();
  private readonly lower = new Map<string, string[]>();
  private readonly byName = new Map<string, string[]>();
  /** Bumped on every change, so cached resolutions know when they are stale. */
  version = 0;

  constructor(paths: Iterable<string> = []) {
    for (const p of paths) this.add(p);
  }

  get size(): number {
    return this.exact.size;
  }

  has(p: string): boolean {
    return this.exact.has(p);
  }

  paths(): string[] {
    return [...this.exact];
  }

  /** Lower-case file extensions present (what mentions are searched for). */
  extensions(): Set<string> {
    const out = new Set<string>();
    for (const key of this.byName.keys()) {
      const dot = key.lastIndexOf('.');
      if (dot > 0) out.add(key.slice(dot + 1));
    }
    return out;
  }

  add(p: string): void {
    if (this.exact.has(p)) return;
    this.exact.add(p);
    push(this.lower, p.toLowerCase(), p);
    push(this.byName, posix.basename(p).toLowerCase(), p);
    this.version++;
  }

  delete(p: string): void {
    if (!this.exact.delete(p)) return;
    pull(this.lower, p.toLowerCase(), p);
    pull(this.byName, posix.basename(p).toLowerCase(), p);
    this.version++;
  }

  /** The image at exactly this path (case-insensitively when no exact match: macOS and Windows users write either). */
  lookup(p: string): string | undefined {
    if (this.exact.has(p)) return p;
    const folded = this.lower.get(p.toLowerCase());
    return folded?.length === 1 ? folded[0] : undefined;
  }

  named(basename: string): readonly string[] {
    return this.byName.get(basename.toLowerCase()) ?? [];
  }
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function pull(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (!list) return;
  const i = list.indexOf(value);
  if (i >= 0) list.splice(i, 1);
  if (!list.length) map.delete(key);
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** The mention as a '/'-separated path: percent-escapes decoded, backslashes turned around. */
export function decodeMention(text: string): string {
  let t = text.replace(/\\/g, '/');
  if (/%[0-9A-Fa-f]{2}/.test(t)) {
    try {
      t = decodeURI(t);
    } catch {
      /* a literal % sign */
    }
  }
  return t;
}

/** Images a mention in `fromFile` (root-relative) names; empty when none. */
export function resolveMention(text: string, fromFile: string, images: ImageSet): Resolution[] {
  const token = decodeMention(text);
  if (SCHEME.test(token) || token.startsWith('//')) return [];
  if (token.startsWith('/')) {
    const hit = images.lookup(posix.normalize(token.replace(/^\/+/, '')));
    if (hit) return [{ image: hit, how: 'root', tail: token }];
  } else {
    const rel = posix.normalize(posix.join(posix.dirname(fromFile), token));
    const inside = rel !== '..' && !rel.startsWith('../');
    const hit = inside ? images.lookup(rel) : undefined;
    if (hit) return [{ image: hit, how: 'relative', tail: token }];
    if (!token.startsWith('./') && !token.startsWith('../')) {
      const fromRoot = images.lookup(posix.normalize(token));
      if (fromRoot) return [{ image: fromRoot, how: 'root', tail: token }];
    }
  }
  return byTrailingSegments(token, images);
}

/** Images sharing the most trailing path segments with the mention (at least the file name). */
function byTrailingSegments(token: string, images: ImageSet): Resolution[] {
  const segments = token.split('/').filter((s) => s !== '' && s !== '.');
  const name = segments[segments.length - 1];
  if (!name) return [];
  const candidates = images.named(name);
  if (!candidates.length) return [];
  let best = 0;
  let exactCase = false;
  let found: Array<{ image: string; shared: number; exactCase: boolean }> = [];
  for (const image of candidates) {
    const parts = image.split('/');
    let shared = 0;
    let sameCase = true;
    while (shared < parts.length && shared < segments.length) {
      const a = parts[parts.length - 1 - shared]!;
      const b = segments[segments.length - 1 - shared]!;
      if (a === b) shared++;
      else if (a.toLowerCase() === b.toLowerCase()) {
        shared++;
        sameCase = false;
      } else break;
    }
    if (shared === 0) continue;
    found.push({ image, shared, exactCase: sameCase });
    if (shared > best || (shared === best && sameCase && !exactCase)) {
      best = shared;
      exactCase = sameCase;
    }
  }
  found = found.filter((f) => f.shared === best && f.exactCase === exactCase);
  return found.map(({ image, shared }) => ({ image, how: 'name' as const, tail: segments.slice(segments.length - shared).join('/') }));
}
