// Caption text helpers shared by generation (de-duplication), the captions file and search.

/**
 * The form two captions are compared in: lowercase, punctuation dropped, whitespace collapsed.
 * "A red circle." and "a  red circle" are the same caption.
 */
export function normalizeCaption(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Tidy a caption for storage: trimmed, inner whitespace collapsed, case and punctuation kept. */
export function cleanCaption(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Adds `candidates` to `kept` (in order) unless empty or equal, after normalization, to one
 * already kept. Returns how many were added.
 */
export function addDistinct(kept: string[], candidates: readonly string[], limit = Infinity): number {
  const seen = new Set(kept.map(normalizeCaption));
  let added = 0;
  for (const raw of candidates) {
    if (kept.length >= limit) break;
    const text = cleanCaption(raw);
    const key = normalizeCaption(text);
    if (!key || seen.has(key)) continue;
    seen.add(key);
    kept.push(text);
    added++;
  }
  return added;
}

/** Query tokens for caption search (normalized words). */
export function captionTokens(text: string): string[] {
  const n = normalizeCaption(text);
  return n ? n.split(' ') : [];
}
