// Hovering an image path in any text file: the image's thumbnail (from the index, else made now in
// a worker), dimensions, size, tags and first caption, with links to Find Similar and Show in
// Gallery. Which image a path names is the engine's reference resolver (./imagePaths.ts).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatBytes } from '../../../engine/util/format';
import type { BackendItem, BackendThumbnail } from '../../webview/backend';
import type { WorkspaceImages } from './imagePaths';

/** Longer lines are minified bundles or data: not worth scanning on every mouse move. */
const MAX_LINE_LENGTH = 20_000;
const THUMBNAIL_BOX = 160;
/** The only commands the hover's links may run. */
export const HOVER_COMMANDS = ['mobileclipAssets.findSimilar', 'mobileclipAssets.showInGallery'];

export interface ImageHoverDeps {
  images: WorkspaceImages;
  /** The gallery's item for an image (size, dimensions, thumbnail, tags, captions). */
  item(image: string): BackendItem | undefined;
  /** A thumbnail for an image the index does not hold yet. */
  thumbnail(image: string): Promise<BackendThumbnail | undefined>;
}

export class ImageHoverProvider implements vscode.HoverProvider {
  constructor(private readonly deps: ImageHoverDeps) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    if (document.uri.scheme !== 'file') return undefined;
    const line = document.lineAt(position.line).text;
    if (line.length > MAX_LINE_LENGTH) return undefined;
    const hit = this.deps.images.mentionAt(document.uri.fsPath, line, position.character);
    if (!hit) return undefined;
    const item = this.deps.item(hit.image);
    let thumbnailPath = item?.thumbnailPath ?? null;
    let width = item?.width ?? null;
    let height = item?.height ?? null;
    if (!thumbnailPath) {
      const made = await this.deps.thumbnail(hit.image);
      if (token.isCancellationRequested) return undefined;
      thumbnailPath = made?.thumbnailPath ?? null;
      width ??= made?.width ?? null;
      height ??= made?.height ?? null;
    }
    const contents = hoverMarkdown({ image: hit.image, thumbnailPath, width, height, size: item?.size, tags: item?.tags.map((t) => t.tag) ?? [], captions: item?.captions ?? [] });
    return new vscode.Hover(contents, new vscode.Range(position.line, hit.start, position.line, hit.end));
  }
}

export interface HoverFacts {
  image: string;
  thumbnailPath: string | null;
  width: number | null;
  height: number | null;
  size?: number;
  tags: readonly string[];
  captions: readonly string[];
}

/** The hover's text: trusted only for our two commands; no HTML. */
export function hoverMarkdown(f: HoverFacts): vscode.MarkdownString {
  const md = new vscode.MarkdownString('', true);
  md.isTrusted = { enabledCommands: HOVER_COMMANDS };
  const name = path.basename(f.image);
  if (f.thumbnailPath) {
    const box = fitBox(f.width, f.height);
    md.appendMarkdown(`![${escapeMarkdown(name)}](${vscode.Uri.file(f.thumbnailPath).toString()}|width=${box.width},height=${box.height})\n\n`);
  }
  md.appendMarkdown(`**${escapeMarkdown(name)}**`);
  const facts = [f.width && f.height ? `${f.width} × ${f.height}` : undefined, f.size !== undefined ? formatBytes(f.size) : undefined].filter(Boolean);
  if (facts.length) md.appendMarkdown(` · ${facts.join(' · ')}`);
  md.appendMarkdown('\n\n');
  if (f.tags.length) md.appendMarkdown(`$(tag) ${escapeMarkdown(f.tags.slice(0, 8).join(', '))}\n\n`);
  if (f.captions[0]) md.appendMarkdown(`“${escapeMarkdown(f.captions[0])}”\n\n`);
  const args = encodeURIComponent(JSON.stringify([f.image]));
  md.appendMarkdown(`[$(search) Find Similar](command:mobileclipAssets.findSimilar?${args} "Find images similar to ${escapeMarkdown(name)}") · `);
  md.appendMarkdown(`[$(layout-sidebar-left) Show in Gallery](command:mobileclipAssets.showInGallery?${args} "Show ${escapeMarkdown(name)} in the asset gallery")`);
  return md;
}

/** The thumbnail's shown size: the image's aspect ratio inside a THUMBNAIL_BOX square. */
export function fitBox(width: number | null, height: number | null): { width: number; height: number } {
  if (!width || !height) return { width: THUMBNAIL_BOX, height: THUMBNAIL_BOX };
  const scale = Math.min(1, THUMBNAIL_BOX / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Text as Markdown that shows it literally (file names and captions may hold `*`, `_`, `[`, `|`...). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>"$]/g, '\\$&');
}
