// Alt text from what the index knows about an image: its best caption turned into a short
// description (no "an image of", no trailing period, no stutter, at most ~125 characters, the
// length screen-reader guidance suggests), the other captions as alternatives, and the image's
// tags (then its file name) when there are no captions.
import { normalizeCaption } from '../captions/text';

export const DEFAULT_ALT_MAX_LENGTH = 125;

/** "an image of", "a photo showing", "this is a picture of", ...: words that say nothing to someone who cannot see the image. */
const FILLER = [
  /^(?:there (?:is|are)|here (?:is|are)|this is|that is|it is|it's)\s+/i,
  /^(?:(?:an?|the|this|that)\s+)?(?:(?:close[- ]?up|small|large|black and white|colou?r|stock|digital)\s+)?(?:image|picture|photo(?:graph)?|pic|graphic|clip[- ]?art)s?\s+(?:of|showing|that shows|depicting|with)\s+/i,
  /^(?:(?:an?|the|this|that)\s+)?(?:image|picture|photo(?:graph)?|pic|graphic)s?\s*[:,-]\s*/i,
];
/** Words a shortened description must not end on. */
const DANGLING = new Set([
  'a',
  'an',
  'the',
  'of',
  'with',
  'and',
  'or',
  'on',
  'in',
  'at',
  'to',
  'for',
  'by',
  'from',
  'into',
  'onto',
  'over',
  'under',
  'near',
  'next',
  'while',
  'is',
  'are',
  'its',
  'their',
  'his',
  'her',
]);

export interface AltTextOptions {
  /** Longest description in characters (default 125). */
  maxLength?: number;
}

/** A caption as alt text: "an image of a red circle on a white background." -> "Red circle on a white background". */
export function cleanAltText(caption: string, options: AltTextOptions = {}): string {
  const max = Math.max(10, options.maxLength ?? DEFAULT_ALT_MAX_LENGTH);
  let t = caption
    .normalize('NFKC')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^["'“‘]+|["'”’]+$/g, '')
    .trim();
  t = removeRepeats(t);
  for (let changed = true; changed;) {
    changed = false;
    for (const re of FILLER) {
      const next = t.replace(re, '');
      if (next !== t) {
        t = next;
        changed = true;
      }
    }
  }
  t = t.replace(/^(?:an?)\s+(?=\S)/i, '');
  t = t.replace(/[\s.,;:…-]+$/u, '');
  if (t.length > max) t = shorten(t, max);
  return t ? t[0]!.toUpperCase() + t.slice(1) : '';
}

/** Drops immediately repeated words and phrases ("a a cat", "sitting on a bench sitting on a bench"). */
function removeRepeats(text: string): string {
  let words = text.split(' ');
  for (let n = Math.min(6, Math.floor(words.length / 2)); n >= 1; n--) {
    const out: string[] = [];
    for (let i = 0; i < words.length;) {
      const phrase = words.slice(i, i + n);
      const prev = out.slice(out.length - n);
      if (phrase.length === n && prev.length === n && phrase.every((w, k) => bare(w) === bare(prev[k]!))) {
        i += n;
        continue;
      }
      out.push(words[i]!);
      i++;
    }
    words = out;
  }
  return words.join(' ');
}

const bare = (w: string) => w.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

function shorten(text: string, max: number): string {
  const words = text.slice(0, max + 1).split(' ');
  if (text.length > max) words.pop(); // the last word is cut (or ends exactly at max + 1)
  while (words.length > 1 && DANGLING.has(bare(words[words.length - 1]!))) words.pop();
  return words.join(' ').replace(/[\s,;:-]+$/u, '');
}

export interface AltTextSources {
  /** Captions written by people (they come first, in their order). */
  userCaptions?: readonly string[];
  /** Generated captions, best first (or ranked by `scores`). */
  captions?: readonly string[];
  /** How well each generated caption matches the image (e.g. its cosine with the image embedding); higher first. */
  scores?: readonly number[];
  /** The image's tags, most confident first. */
  tags?: readonly string[];
  /** The image's path, the last resort ("logo-final-2.png" -> "Logo final 2"). */
  path?: string;
}

/** Alt text candidates, best first, distinct after normalization (the quick fix offers them all). */
export function altTextCandidates(sources: AltTextSources, options: AltTextOptions & { max?: number } = {}): string[] {
  const limit = options.max ?? 5;
  const ranked = (sources.captions ?? []).map((text, i) => ({ text, score: sources.scores?.[i] ?? -i }));
  ranked.sort((a, b) => b.score - a.score);
  const raw = [...(sources.userCaptions ?? []), ...ranked.map((r) => r.text)];
  const tags = (sources.tags ?? []).map((t) => t.trim()).filter(Boolean);
  if (!raw.length && tags.length) {
    raw.push(tags.slice(0, 3).join(', '));
    raw.push(...tags.slice(0, 3));
  }
  if (!raw.length && sources.path) raw.push(fileNameDescription(sources.path));
  const out: string[] = [];
  const seen = new Set<string>();
  for (const text of raw) {
    const alt = cleanAltText(text, options);
    const key = normalizeCaption(alt);
    if (!key || seen.has(key)) continue;
    seen.add(key);
    out.push(alt);
    if (out.length >= limit) break;
  }
  return out;
}

/** "assets/logo-final_2.png" -> "logo final 2". */
export function fileNameDescription(file: string): string {
  const name = file.split(/[\\/]/).pop() ?? file;
  return name
    .replace(/\.[^.]+$/, '')
    .replace(/@\dx$/i, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_\-.+]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}
