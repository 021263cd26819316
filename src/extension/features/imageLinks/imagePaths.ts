// Which workspace image a path written in a text file names (hovers, alt text, drops): the
// engine's mention scanner and resolver over the images the library lists, one ImageSet per
// workspace folder, rebuilt when the listing changes. No `vscode` import.
import * as path from 'node:path';
import { findPathMentions, type PathMention } from '../../../engine/references/mentions';
import { COMMON_IMAGE_EXTENSIONS } from '../../../engine/references/references';
import { ImageSet, resolveMention } from '../../../engine/references/resolve';
import { deepestContaining } from '../../paths';

/** A workspace folder and its images (paths relative to it, '/'-separated). */
export interface ImageFolder {
  readonly root: string;
  readonly files: ReadonlyMap<string, unknown>;
}

export class WorkspaceImages {
  private sets = new Map<string, { size: number; set: ImageSet }>();

  constructor(private readonly folders: () => readonly ImageFolder[]) {}

  /** The listing changed (files added or removed): sets are rebuilt on next use. */
  invalidate(): void {
    this.sets.clear();
  }

  /** The absolute path of the one image `mention` names from `fromFile` (absolute), if exactly one. */
  resolve(fromFile: string, mention: string): string | undefined {
    const folder = deepestContaining(
      this.folders().map((f) => f.root),
      fromFile,
    );
    const state = folder !== undefined ? this.folders().find((f) => f.root === folder) : undefined;
    if (!state) return undefined;
    const rel = path.relative(state.root, fromFile).split(path.sep).join('/');
    const hits = resolveMention(mention, rel, this.imageSet(state));
    if (hits.length !== 1) return undefined; // a bare name shared by several images names none of them
    return path.join(state.root, ...hits[0]!.image.split('/'));
  }

  /** The image named by the path mention under `character` of `line`, with the mention's span. */
  mentionAt(fromFile: string, line: string, character: number): { image: string; start: number; end: number } | undefined {
    for (const m of findPathMentions(line, COMMON_IMAGE_EXTENSIONS)) {
      for (const reading of readings(m)) {
        if (character < reading.offset || character > reading.offset + reading.text.length) continue;
        const image = this.resolve(fromFile, reading.text);
        if (image) return { image, start: reading.offset, end: reading.offset + reading.text.length };
      }
    }
    return undefined;
  }

  private imageSet(folder: ImageFolder): ImageSet {
    const cached = this.sets.get(folder.root);
    if (cached && cached.size === folder.files.size) return cached.set;
    const set = new ImageSet(folder.files.keys());
    this.sets.set(folder.root, { size: folder.files.size, set });
    return set;
  }
}

/** `"my logo.png"` is tried before `logo.png` (the resolver's order in the reference index). */
function readings(m: PathMention): Array<{ text: string; offset: number }> {
  return m.spaced ? [m.spaced, m] : [m];
}
