// Images without alt text in Markdown, HTML, JSX/TSX, Vue and Svelte files: Markdown `![](img)`
// with empty alt, and `<img>` tags with no alt attribute at all. `alt=""` is left alone: in HTML
// it is how an author marks an image as decorative (so are aria-hidden="true" and
// role="presentation"/"none"), and a tag that spreads props (`{...props}`) may get its alt from
// them. A light scanner, not a parser: it skips code blocks, comments, <script> and <style>, and
// reads attributes with quotes and `{...}` expressions, which is what these files use.
import { LineMap, type Range } from '../references/mentions';

export type AltSyntax = 'markdown' | 'html' | 'jsx';

export interface MissingAltText {
  kind: 'markdown-empty-alt' | 'img-without-alt';
  /** The whole image: `![](logo.png)` or `<img ...>`. */
  range: Range;
  /** The image source as written, when it is a literal (or an imported/required literal in JS). */
  src?: { text: string; range: Range };
  /** What alt text replaces (an empty range where an attribute is inserted), and in which syntax (see altTextEdit). */
  altRange: Range;
  syntax: AltSyntax;
}

export type AltLanguage = 'markdown' | 'html' | 'jsx' | 'vue' | 'svelte';

const BY_EXTENSION: Record<string, AltLanguage> = {
  md: 'markdown',
  markdown: 'markdown',
  mdx: 'markdown',
  html: 'html',
  htm: 'html',
  xhtml: 'html',
  php: 'html',
  erb: 'html',
  hbs: 'html',
  njk: 'html',
  liquid: 'html',
  astro: 'html',
  jsx: 'jsx',
  tsx: 'jsx',
  js: 'jsx',
  ts: 'jsx',
  mjs: 'jsx',
  cjs: 'jsx',
  vue: 'vue',
  svelte: 'svelte',
};

/** The language a file's alt text is checked in, by its name; undefined for other files. */
export function altLanguageOf(file: string): AltLanguage | undefined {
  const dot = file.lastIndexOf('.');
  return dot < 0 ? undefined : BY_EXTENSION[file.slice(dot + 1).toLowerCase()];
}

/** Every image without alt text in `text`, in text order. */
export function findMissingAltText(text: string, language: AltLanguage): MissingAltText[] {
  const lines = new LineMap(text);
  const skip = skippedRegions(text, language);
  const out: MissingAltText[] = [];
  if (language === 'markdown') out.push(...markdownImages(text, lines, skip));
  const syntax: AltSyntax = language === 'jsx' ? 'jsx' : 'html';
  const imports = language === 'jsx' || language === 'vue' || language === 'svelte' ? importedPaths(text) : new Map<string, ImportedPath>();
  out.push(...imgTags(text, lines, skip, syntax, imports));
  return out.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

// --- regions never checked -------------------------------------------------------------------

type Regions = Array<[number, number]>;

function skippedRegions(text: string, language: AltLanguage): Regions {
  const regions: Regions = [];
  const add = (re: RegExp) => {
    for (const m of text.matchAll(re)) regions.push([m.index!, m.index! + m[0].length]);
  };
  add(/<!--[\s\S]*?(?:-->|$)/g);
  if (language === 'markdown') {
    add(/^( {0,3})(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:^\1?\2[`~]*[ \t]*$|(?![\s\S]))/gm); // fenced code
    add(/(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g); // inline code
  }
  if (language === 'html' || language === 'vue' || language === 'svelte' || language === 'markdown') {
    add(/<script\b[\s\S]*?(?:<\/script\s*>|$)/gi);
    add(/<style\b[\s\S]*?(?:<\/style\s*>|$)/gi);
  }
  regions.sort((a, b) => a[0] - b[0]);
  // Merge overlaps (inline code inside a fence), so a binary search finds any of them.
  const merged: Regions = [];
  for (const r of regions) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

function inRegion(regions: Regions, offset: number): boolean {
  let lo = 0;
  let hi = regions.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [s, e] = regions[mid]!;
    if (offset < s) hi = mid - 1;
    else if (offset >= e) lo = mid + 1;
    else return true;
  }
  return false;
}

// --- Markdown --------------------------------------------------------------------------------

function markdownImages(text: string, lines: LineMap, skip: Regions): MissingAltText[] {
  const out: MissingAltText[] = [];
  for (const m of text.matchAll(/!\[([ \t]*)\]\(/g)) {
    const start = m.index!;
    if (inRegion(skip, start) || text[start - 1] === '\\') continue;
    const open = start + m[0].length;
    const close = matchingParen(text, open);
    if (close < 0) continue;
    const dest = linkDestination(text, open, close);
    const found: MissingAltText = {
      kind: 'markdown-empty-alt',
      range: lines.range(start, close + 1 - start),
      altRange: lines.range(start + 2, m[1]!.length),
      syntax: 'markdown',
    };
    if (dest) found.src = { text: dest.text, range: lines.range(dest.offset, dest.text.length) };
    out.push(found);
  }
  return out;
}

function matchingParen(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '\n' && text[i + 1] === '\n') return -1;
    else if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** The destination of `(dest "title")` or `(<dest with spaces>)`. */
function linkDestination(text: string, open: number, close: number): { text: string; offset: number } | undefined {
  let i = open;
  while (i < close && /\s/.test(text[i]!)) i++;
  if (text[i] === '<') {
    const end = text.indexOf('>', i);
    if (end < 0 || end > close) return undefined;
    return { text: text.slice(i + 1, end), offset: i + 1 };
  }
  let end = i;
  while (end < close && !/\s/.test(text[end]!)) end++;
  return end > i ? { text: text.slice(i, end), offset: i } : undefined;
}

// --- <img> tags --------------------------------------------------------------------------------

interface Attribute {
  name: string;
  /** Literal value (quoted or bare), when not an expression. */
  value?: string;
  valueOffset?: number;
  /** `{expr}` (JSX/Svelte) or a Vue/Angular binding's quoted expression. */
  expression?: string;
}

const DECORATIVE_ROLES = new Set(['presentation', 'none']);
const ALT_NAMES = new Set(['alt', ':alt', 'v-bind:alt', '[alt]', '[attr.alt]', 'bind:alt']);
const SRC_NAMES = new Set(['src', ':src', 'v-bind:src', '[src]', 'bind:src']);

function imgTags(text: string, lines: LineMap, skip: Regions, syntax: AltSyntax, imports: Map<string, ImportedPath>): MissingAltText[] {
  const out: MissingAltText[] = [];
  for (const m of text.matchAll(/<img(?=[\s/>])/gi)) {
    const start = m.index!;
    if (inRegion(skip, start)) continue;
    if (syntax === 'jsx' && m[0] !== '<img') continue; // JSX is case-sensitive: <Img> is a component
    const tag = readAttributes(text, start + m[0].length);
    if (!tag) continue;
    // HTML attribute names are case-insensitive; JSX's are not (and are camelCase).
    const attrs = syntax === 'jsx' ? tag.attributes : tag.attributes.map((a) => ({ ...a, name: a.name.toLowerCase() }));
    const has = (names: Set<string>) => attrs.some((a) => names.has(a.name) || (a.name === '{alt}' && names === ALT_NAMES));
    if (has(ALT_NAMES)) continue;
    if (attrs.some((a) => a.name.startsWith('{...') || a.name === 'v-bind' || a.name.startsWith('{...$$'))) continue;
    if (attrs.some((a) => a.name.toLowerCase() === 'aria-hidden' && (a.value ?? a.expression ?? '').trim() === 'true')) continue;
    if (attrs.some((a) => a.name.toLowerCase() === 'role' && DECORATIVE_ROLES.has((a.value ?? '').trim().toLowerCase()))) continue;
    const found: MissingAltText = {
      kind: 'img-without-alt',
      range: lines.range(start, tag.end - start),
      altRange: lines.range(start + m[0].length, 0),
      syntax,
    };
    const src = attrs.find((a) => SRC_NAMES.has(a.name) || a.name === '{src}');
    if (src?.value !== undefined && src.valueOffset !== undefined) {
      found.src = { text: src.value, range: lines.range(src.valueOffset, src.value.length) };
    } else if (src?.name === '{src}') {
      const imported = imports.get('src'); // Svelte's shorthand for src={src}
      if (imported) found.src = { text: imported.text, range: lines.range(imported.offset, imported.text.length) };
    } else if (src?.expression !== undefined) {
      const literal = /^\s*(["'`])([^"'`$]*)\1\s*$/.exec(src.expression);
      const imported = imports.get(src.expression.trim());
      if (imported) found.src = { text: imported.text, range: lines.range(imported.offset, imported.text.length) };
      else if (literal && src.valueOffset !== undefined) {
        const offset = src.valueOffset + src.expression.indexOf(literal[2]!);
        found.src = { text: literal[2]!, range: lines.range(offset, literal[2]!.length) };
      }
    }
    out.push(found);
  }
  return out;
}

/** Attributes from just after `<img` to the closing `>`; undefined when the tag never closes. */
function readAttributes(text: string, from: number): { attributes: Attribute[]; end: number } | undefined {
  const attributes: Attribute[] = [];
  let i = from;
  const n = text.length;
  while (i < n) {
    while (i < n && /\s/.test(text[i]!)) i++;
    if (text[i] === '>') return { attributes, end: i + 1 };
    if (text[i] === '/' && text[i + 1] === '>') return { attributes, end: i + 2 };
    if (text[i] === '/') {
      i++;
      continue;
    }
    if (text[i] === '{') {
      const end = matchingBrace(text, i);
      if (end < 0) return undefined;
      attributes.push({ name: text.slice(i, end + 1).replace(/\s+/g, '') });
      i = end + 1;
      continue;
    }
    const nameStart = i;
    while (i < n && !/[\s=>]/.test(text[i]!) && !(text[i] === '/' && text[i + 1] === '>')) i++;
    if (i === nameStart) return undefined;
    const attr: Attribute = { name: text.slice(nameStart, i) };
    while (i < n && /[ \t]/.test(text[i]!)) i++;
    if (text[i] === '=') {
      i++;
      while (i < n && /\s/.test(text[i]!)) i++;
      const q = text[i];
      const bound = attr.name.startsWith(':') || attr.name.startsWith('v-bind:') || attr.name.startsWith('[');
      if (q === '"' || q === "'") {
        const end = text.indexOf(q, i + 1);
        if (end < 0) return undefined;
        if (bound) {
          attr.expression = text.slice(i + 1, end);
          attr.valueOffset = i + 1;
        } else {
          attr.value = text.slice(i + 1, end);
          attr.valueOffset = i + 1;
        }
        i = end + 1;
      } else if (q === '{') {
        const end = matchingBrace(text, i);
        if (end < 0) return undefined;
        attr.expression = text.slice(i + 1, end);
        attr.valueOffset = i + 1;
        i = end + 1;
      } else {
        const valueStart = i;
        while (i < n && !/[\s>]/.test(text[i]!)) i++;
        attr.value = text.slice(valueStart, i);
        attr.valueOffset = valueStart;
      }
    }
    attributes.push(attr);
  }
  return undefined;
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'" || c === '`') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) return -1;
      i = end;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

interface ImportedPath {
  text: string;
  offset: number;
}

/** `import logo from './logo.png'` and `const logo = require('./logo.png')`: identifier -> path literal. */
function importedPaths(text: string): Map<string, ImportedPath> {
  const out = new Map<string, ImportedPath>();
  const patterns = [/\bimport\s+([A-Za-z_$][\w$]*)\s+from\s+(["'])([^"'\n]+)\2/g, /\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*require\(\s*(["'])([^"'\n]+)\2\s*\)/g];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      const offset = m.index! + m[0].lastIndexOf(m[3]!);
      out.set(m[1]!, { text: m[3]!, offset });
    }
  }
  return out;
}

// --- the fix -------------------------------------------------------------------------------------

/** The edit that gives a finding `alt` (Markdown brackets and backslashes escaped; HTML/JSX as an attribute with entities). */
export function altTextEdit(finding: Pick<MissingAltText, 'altRange' | 'syntax'>, alt: string): { range: Range; newText: string } {
  const clean = alt.replace(/\s+/g, ' ').trim();
  const newText = finding.syntax === 'markdown' ? clean.replace(/([\\[\]])/g, '\\$1') : ` alt="${clean.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"`;
  return { range: finding.altRange, newText };
}
