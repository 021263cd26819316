// Which text files reference which images, kept per text file so that one changed file updates
// only its own contribution (the extension's file watcher calls updateFile; the CLI's streaming
// scan calls it once per file). Only the mentions are kept, never the text, so memory grows with
// the number of image mentions, not with the size of the repository.
import { DEFAULT_IMAGE_EXTENSIONS } from '../index/scan';
import { findPathMentions, LineMap, mayMention, type Range } from './mentions';
import { ImageSet, resolveMention, type ResolvedHow } from './resolve';

export interface ImageReference {
  /** The referencing text file, relative to the root, '/'-separated. */
  file: string;
  /** The image it references, relative to the root. */
  image: string;
  /** Where the path is written (without a `?query` or `#fragment`). */
  range: Range;
  /** The path exactly as written there. */
  text: string;
  how: ResolvedHow;
  /** The trailing part of the (decoded) path that names the image's trailing path. */
  tail: string;
}

interface StoredMention {
  text: string;
  line: number;
  character: number;
  spaced?: { text: string; line: number; character: number };
}

interface FileEntry {
  mentions: StoredMention[];
  resolved?: { version: number; refs: ImageReference[] };
}

export class ReferenceIndex {
  readonly images: ImageSet;
  private readonly files = new Map<string, FileEntry>();
  private byImage: { images: number; changes: number; refs: Map<string, ImageReference[]> } | undefined;
  private extensions: { version: number; set: Set<string> } | undefined;
  private changes = 0;

  constructor(images: Iterable<string> | ImageSet = []) {
    this.images = images instanceof ImageSet ? images : new ImageSet(images);
  }

  /** Text files that mention at least one image-like path. */
  get fileCount(): number {
    return this.files.size;
  }

  /**
   * Replace what `file` (relative to the root) contributes: its new text, or undefined when it was
   * deleted or is no longer a text file to consider.
   */
  updateFile(file: string, text: string | undefined): void {
    this.changes++;
    if (text === undefined) {
      this.files.delete(file);
      return;
    }
    const extensions = this.mentionExtensions();
    if (!mayMention(text, extensions)) {
      this.files.delete(file);
      return;
    }
    const mentions = findPathMentions(text, extensions);
    if (!mentions.length) {
      this.files.delete(file);
      return;
    }
    const lines = new LineMap(text);
    this.files.set(file, {
      mentions: mentions.map((m) => {
        const stored: StoredMention = { text: m.text, ...lines.position(m.offset) };
        if (m.spaced) stored.spaced = { text: m.spaced.text, ...lines.position(m.spaced.offset) };
        return stored;
      }),
    });
  }

  /** Mentions are searched for every common image extension, so adding an image of a new type needs no re-scan. */
  private mentionExtensions(): Set<string> {
    if (this.extensions?.version !== this.images.version) {
      const set = new Set<string>(COMMON_IMAGE_EXTENSIONS);
      for (const e of this.images.extensions()) set.add(e);
      this.extensions = { version: this.images.version, set };
    }
    return this.extensions.set;
  }

  /** The references `file` makes, in text order. */
  referencesFrom(file: string): ImageReference[] {
    const entry = this.files.get(file);
    if (!entry) return [];
    if (entry.resolved?.version !== this.images.version) entry.resolved = { version: this.images.version, refs: this.resolve(file, entry) };
    return entry.resolved.refs;
  }

  private resolve(file: string, entry: FileEntry): ImageReference[] {
    const refs: ImageReference[] = [];
    for (const m of entry.mentions) {
      // `"my logo.png"` names a file with a space only if that file exists by path; otherwise the
      // words before the last space are prose ("see logo.png") and the plain token is the path.
      let reading: { text: string; line: number; character: number } = m;
      let hits = resolveMention(m.text, file, this.images);
      const spaced = m.spaced ? resolveMention(m.spaced.text, file, this.images) : [];
      if (spaced.length && (spaced[0]!.how !== 'name' || !hits.length)) {
        reading = m.spaced!;
        hits = spaced;
      }
      for (const hit of hits) {
        refs.push({
          file,
          image: hit.image,
          range: { start: { line: reading.line, character: reading.character }, end: { line: reading.line, character: reading.character + reading.text.length } },
          text: reading.text,
          how: hit.how,
          tail: hit.tail,
        });
      }
    }
    return refs;
  }

  private imageMap(): Map<string, ImageReference[]> {
    if (this.byImage?.images !== this.images.version || this.byImage.changes !== this.changes) {
      const refs = new Map<string, ImageReference[]>();
      for (const file of [...this.files.keys()].sort()) {
        for (const r of this.referencesFrom(file)) {
          const list = refs.get(r.image);
          if (list) list.push(r);
          else refs.set(r.image, [r]);
        }
      }
      this.byImage = { images: this.images.version, changes: this.changes, refs };
    }
    return this.byImage.refs;
  }

  /** Every reference to `image`, by file then position. */
  referencesTo(image: string): ImageReference[] {
    return this.imageMap().get(image) ?? [];
  }

  referenceCount(image: string): number {
    return this.referencesTo(image).length;
  }

  /** Images no text file references, sorted. */
  unused(): string[] {
    const map = this.imageMap();
    return this.images
      .paths()
      .filter((p) => !map.has(p))
      .sort();
  }
}

/**
 * Extensions searched for in text even when no image of that type exists yet: the index's image
 * types, and icons and bitmaps that code refers to although the index does not decode them.
 */
export const COMMON_IMAGE_EXTENSIONS = [...DEFAULT_IMAGE_EXTENSIONS, 'ico', 'bmp'] as const;
