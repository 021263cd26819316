// Tag names and image paths as the tags file stores them.
//
// Tag names are case-insensitive and stored lower-case. They must work unquoted in a search
// filter (`tag:ui-mockup`), in `--tags a,b,c` and in a CSV cell, so no spaces, commas or colons.

const TAG_NAME = /^[\p{L}\p{N}][\p{L}\p{N}_.+-]*$/u;
export const MAX_TAG_NAME_LENGTH = 64;

/** Lower-cased, trimmed tag name, or an error message saying what is wrong with it. */
export function checkTagName(raw: unknown): { name: string } | { error: string } {
  if (typeof raw !== 'string') return { error: `a tag name must be a string, got ${describe(raw)}` };
  const name = raw.trim().toLowerCase();
  if (name === '') return { error: 'a tag name must not be empty' };
  if (name.length > MAX_TAG_NAME_LENGTH) return { error: `tag name "${name}" is longer than ${MAX_TAG_NAME_LENGTH} characters` };
  if (!TAG_NAME.test(name)) {
    return {
      error:
        `tag name "${name}" may only contain letters, digits, "-", "_", "." and "+" and must start with a letter or digit` +
        (/\s/.test(name) ? ` (use "${name.replace(/\s+/g, '-')}")` : ''),
    };
  }
  return { name };
}

/** Like checkTagName but throws. For API callers (e.g. a tag typed into the "Edit tags" box). */
export function normalizeTagName(raw: unknown): string {
  const r = checkTagName(raw);
  if ('error' in r) throw new Error(r.error);
  return r.name;
}

/** Words a tag name stands for in a prompt: "ui-mockup" -> "ui mockup". */
export function tagPhrase(name: string): string {
  return name.replace(/[-_]+/g, ' ');
}

/**
 * A folder-relative, '/'-separated image path as stored in the tags file, or an error. This is a
 * syntactic check; callers still resolve the result with `resolveInside` before touching disk.
 */
export function checkRelativePath(raw: unknown): { path: string } | { error: string } {
  if (typeof raw !== 'string' || raw === '') return { error: `an image path must be a non-empty string, got ${describe(raw)}` };
  if (raw.includes('\0')) return { error: `image path contains a NUL byte: ${JSON.stringify(raw)}` };
  if (raw.startsWith('/') || /^[a-zA-Z]:/.test(raw) || raw.includes('\\')) {
    return { error: `image path must be relative and '/'-separated: ${JSON.stringify(raw)}` };
  }
  const parts = raw.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) {
    return { error: `image path must not contain empty, "." or ".." segments: ${JSON.stringify(raw)}` };
  }
  return { path: raw };
}

export function normalizeRelativePath(raw: unknown): string {
  const r = checkRelativePath(raw);
  if ('error' in r) throw new Error(r.error);
  return r.path;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value as unknown)}`; // a number, boolean, bigint, symbol or undefined
}
