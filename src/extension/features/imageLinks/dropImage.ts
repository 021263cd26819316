// Dropping a gallery tile (or any workspace image) into Markdown or HTML: the link or <img> tag
// already carries alt text, the image's best caption cleaned by the engine, else a description
// from its file name. The gallery's tiles drag as `text/uri-list` (webview/common/tile.ts).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { altTextCandidates, fileNameDescription } from '../../../engine/alttext/clean';
import { log } from '../../log';
import { isImageFile } from '../../paths';
import { markdownImageLink } from '../../webview/markdownLink';

export const DROP_LANGUAGES = ['markdown', 'html'];

export interface DropDeps {
  /** Captions of an image, user captions first. */
  captionsOf(image: string): readonly string[];
}

export class ImageDropProvider implements vscode.DocumentDropEditProvider {
  constructor(private readonly deps: DropDeps) {}

  async provideDocumentDropEdits(
    document: vscode.TextDocument,
    _position: vscode.Position,
    dataTransfer: vscode.DataTransfer,
    token: vscode.CancellationToken,
  ): Promise<vscode.DocumentDropEdit | undefined> {
    if (document.uri.scheme !== 'file') return undefined;
    const list = await dataTransfer.get('text/uri-list')?.asString();
    if (!list || token.isCancellationRequested) return undefined;
    const images = imageFilesIn(list);
    if (!images.length) return undefined;
    const text = dropText(images, document.uri.fsPath, document.languageId === 'html' ? 'html' : 'markdown', (p) => this.altFor(p));
    log().info(`drop: ${images.length} image${images.length === 1 ? '' : 's'} into ${document.uri.fsPath}, with alt text`);
    const edit = new vscode.DocumentDropEdit(text);
    // The drop widget's name for this choice (hosts newer than the 1.95 typings show it).
    (edit as { title?: string }).title = 'Insert image with generated alt text';
    return edit;
  }

  altFor(image: string): string {
    return altTextCandidates({ captions: this.deps.captionsOf(image) }, { max: 1 })[0] ?? capitalize(fileNameDescription(image));
  }
}

/** Image files of a `text/uri-list` (comments and other schemes left out). */
export function imageFilesIn(uriList: string): string[] {
  const out: string[] = [];
  for (const line of uriList.split(/\r?\n/)) {
    const s = line.trim();
    if (!s || s.startsWith('#')) continue;
    let uri: vscode.Uri;
    try {
      uri = vscode.Uri.parse(s, true);
    } catch {
      continue;
    }
    // In a remote window (code-server, SSH) a drag from a webview arrives as `vscode-local:` with
    // the same path: the workbench takes it for a file of the client. Our tiles name the host's files.
    if ((uri.scheme === 'file' || uri.scheme === 'vscode-local') && isImageFile(uri.path)) out.push(vscode.Uri.file(uri.path).fsPath);
  }
  return out;
}

/** `![alt](rel/path.png)` or `<img src="rel/path.png" alt="…">` per image, relative to `documentFile`. */
export function dropText(images: readonly string[], documentFile: string, syntax: 'markdown' | 'html', altFor: (image: string) => string): string {
  const dir = path.dirname(documentFile);
  return images
    .map((image) => {
      const alt = altFor(image);
      if (syntax === 'markdown') return markdownImageLink(image, dir, alt);
      const rel = path.relative(dir, image).split(path.sep).map(encodeURIComponent).join('/');
      return `<img src="${escapeAttribute(rel)}" alt="${escapeAttribute(alt)}">`;
    })
    .join(syntax === 'markdown' ? '\n\n' : '\n');
}

function escapeAttribute(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

function capitalize(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}
