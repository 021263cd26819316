// The colour transparent pixels are flattened onto. Kept apart from the decoder (which loads
// sharp) so that the extension host and the CLI can parse and normalise it without native code.

export const DEFAULT_BACKGROUND = '#ffffff';

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

/** Parse "#rgb" / "#rrggbb" (the only forms the settings and CLI accept). */
export function parseBackground(value: string | undefined): Rgb {
  const v = (value ?? DEFAULT_BACKGROUND).trim();
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(v);
  if (!m) throw new Error(`background colour must be a hex colour like #ffffff, got ${JSON.stringify(value)}`);
  const hex = m[1]!.length === 3 ? [...m[1]!].map((c) => c + c).join('') : m[1]!;
  return { r: parseInt(hex.slice(0, 2), 16), g: parseInt(hex.slice(2, 4), 16), b: parseInt(hex.slice(4, 6), 16) };
}

/** The canonical spelling of a background colour: lower-case "#rrggbb". */
export function canonicalBackground(value: string | undefined): string {
  const { r, g, b } = parseBackground(value);
  return `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}
