// Where a text file mentions an image file: every path-like token that ends in an image
// extension, whatever the syntax around it (Markdown links and images, HTML/JSX `src`/`srcset`,
// CSS `url()`, JS/TS imports and strings, JSON and YAML values, plain prose). Syntax-agnostic on
// purpose: one scanner covers every file type, and the resolver (./resolve.ts) decides which
// mentions name an existing image. False friends are rejected here: `logo.png.bak` (the
// extension must end the token), `mylogo.png` (the token is `mylogo.png`, not `logo.png`),
// `assets.png/x` (a folder), and URLs with a scheme are dropped by the resolver.

/** 0-based line and UTF-16 character offset (what editors and LSP use). */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface PathMention {
  /** The path as written (without a `?query` or `#fragment`). */
  text: string;
  /** Offset of `text` in the file, in UTF-16 code units. */
  offset: number;
  /**
   * A longer reading that includes spaces, when the token sits in quotes, parentheses or angle
   * brackets (`src="my logo.png"`, `![](<my logo.png>)`): tried first by the resolver.
   */
  spaced?: { text: string; offset: number };
}

/** Characters that end a path token (besides whitespace). */
const DELIMITERS = new Set(['"', "'", '`', '(', ')', '<', '>', '[', ']', '{', '}', '=', ',', ';', '|', '*', '!', '^']);
const CLOSERS: Record<string, string> = { '"': '"', "'": "'", '`': '`', ')': '(', '>': '<' };

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_-]/.test(c);
}

const extensionPatterns = new Map<string, RegExp>();

/** One regex per extension set: `.png`, `.jpg`, ... wherever they occur. */
function extensionPattern(extensions: Iterable<string>): RegExp {
  const list = [...new Set([...extensions].map((e) => e.toLowerCase().replace(/^\./, '')))].filter(Boolean).sort((a, b) => b.length - a.length);
  const key = list.join(',');
  let re = extensionPatterns.get(key);
  if (!re) {
    re = new RegExp(`\\.(?:${list.map((e) => e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`, 'gi');
    extensionPatterns.set(key, re);
  }
  return re;
}

/** Quick test: could this text mention any file with these extensions? */
export function mayMention(text: string, extensions: Iterable<string>): boolean {
  const re = extensionPattern(extensions);
  re.lastIndex = 0;
  return re.test(text);
}

/** Every mention of a file with one of `extensions` (e.g. ['png', 'svg']), in text order. */
export function findPathMentions(text: string, extensions: Iterable<string>): PathMention[] {
  const re = extensionPattern(extensions);
  re.lastIndex = 0;
  const out: PathMention[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const end = m.index + m[0].length;
    const next = text[end];
    // The extension must end the path: not `.png.bak`, `.pngx`, `.png-old` or `.png/child`.
    if (isWordChar(next) || next === '/' || next === '\\' || (next === '.' && isWordChar(text[end + 1]))) continue;
    let start = m.index;
    while (start > 0) {
      const c = text[start - 1]!;
      if (isSpace(c) || DELIMITERS.has(c)) break;
      start--;
    }
    // A lone extension (`.png` in "convert to .png") or a dynamic name (`${name}.png`) is no file.
    if (start === m.index) continue;
    const mention: PathMention = { text: text.slice(start, end), offset: start };
    const spaced = spacedReading(text, start, end);
    if (spaced) mention.spaced = spaced;
    out.push(mention);
  }
  return out;
}

/**
 * `my logo.png` inside quotes, parentheses or angle brackets: the span from the opener on the
 * same line, when it holds only path characters and spaces.
 */
function spacedReading(text: string, start: number, end: number): PathMention['spaced'] | undefined {
  if (start === 0 || text[start - 1] !== ' ') return undefined;
  let after = end;
  while (text[after] === '?' || text[after] === '#') {
    after++;
    while (after < text.length && !isSpace(text[after]!) && !DELIMITERS.has(text[after]!)) after++;
  }
  const closer = text[after];
  const opener = closer !== undefined ? CLOSERS[closer] : undefined;
  if (!opener) return undefined;
  for (let i = start - 1; i >= 0; i--) {
    const c = text[i]!;
    if (c === opener) {
      const from = i + 1;
      const candidate = text.slice(from, end);
      if (candidate.trim() !== candidate || candidate === '') return undefined;
      return { text: candidate, offset: from };
    }
    if (c === '\n' || c === '\r' || (c !== ' ' && (isSpace(c) || DELIMITERS.has(c)))) return undefined;
  }
  return undefined;
}

/** Offsets to line/character positions, for one text (binary search over line starts). */
export class LineMap {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  position(offset: number): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - this.starts[lo]! };
  }

  range(offset: number, length: number): Range {
    return { start: this.position(offset), end: this.position(offset + length) };
  }
}
