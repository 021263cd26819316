// What the asset-hygiene commands (`duplicates`, `unused`) share: the text-file scan flags and
// the one place their human output is printed.
import { DEFAULT_MAX_TEXT_BYTES, TEXT_EXTENSIONS } from '../../engine/references/scan';
import { formatBytes } from '../../engine/util/format';
import { UsageError } from '../command';
import { parseByteSize } from './indexing';

export const TEXT_SCAN_OPTIONS = {
  text: { type: 'string', multiple: true },
  'max-text-size': { type: 'string' },
} as const;

export const TEXT_SCAN_USAGE = `Reference scan options:
  --text GLOB           text files to search for references (repeatable; default: ${TEXT_EXTENSIONS.length} markup,
                        style, code and config types: md, html, css, js, ts, tsx, vue, svelte, json, yaml, ...)
  --max-text-size N     skip text files larger than N bytes (default ${formatBytes(DEFAULT_MAX_TEXT_BYTES)}; k, m, g allowed)
  .gitignore, --exclude and --no-gitignore apply to text files as they do to images.`;

export interface TextScanValues {
  text?: string[];
  'max-text-size'?: string;
}

export function textScanFrom(values: TextScanValues): { include?: string[]; maxFileBytes?: number } {
  const raw = values['max-text-size'];
  let maxFileBytes: number | undefined;
  if (raw !== undefined) {
    try {
      maxFileBytes = parseByteSize(raw);
    } catch {
      maxFileBytes = Number.NaN;
    }
    if (!(maxFileBytes > 0)) throw new UsageError(`--max-text-size must be a size like 500000, 2m or 1g, got "${raw}"`);
  }
  return { include: values.text, maxFileBytes };
}

/**
 * Human output: every line that shows a file name goes through here, so control characters in
 * names can be escaped in one place.
 */
export { printLines } from '../output';

/** "1 file" / "3 files". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? word : many}`;
}
