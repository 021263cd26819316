// Markdown image links for "Copy Markdown Link": relative to the document being edited when
// there is one, else to the workspace folder. Pure (no `vscode`), so it is unit-tested.
import * as path from 'node:path';

/** Percent-encodes what would break a Markdown link destination (spaces, parentheses, …), keeping '/'. */
function encodeLinkPath(p: string): string {
  return p
    .split('/')
    .map((seg) =>
      encodeURIComponent(seg)
        .replace(/%40/g, '@')
        .replace(/%2B/g, '+')
        .replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join('/');
}

function escapeAlt(s: string): string {
  return s.replace(/[[\]\\]/g, '\\$&');
}

/**
 * @param imagePath absolute path of the image
 * @param fromDir directory the link is relative to (the Markdown file's folder or the workspace root)
 * @param alt alt text (usually the file name without extension)
 */
export function markdownImageLink(imagePath: string, fromDir: string, alt: string): string {
  const rel = path.relative(fromDir, imagePath).split(path.sep).join('/');
  return `![${escapeAlt(alt)}](${encodeLinkPath(rel)})`;
}

export function altTextFor(fileName: string): string {
  const ext = path.extname(fileName);
  return (ext ? fileName.slice(0, -ext.length) : fileName).replace(/[-_]+/g, ' ').trim() || fileName;
}
