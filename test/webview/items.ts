// Deterministic synthetic items for the webview tests (no browser needed).
import type { AssetItem } from '../../src/shared/messages';
import type { ClipartThumb } from './harness';

export interface ItemOptions {
  thumbBase?: string;
  thumbs?: ClipartThumb[];
}

const FOLDERS = ['assets/icons', 'assets/photos', 'docs/img', 'design/mockups', 'static'];
const EXTS = ['png', 'jpg', 'webp', 'svg'];
const TAGS = ['cat', 'dog', 'car', 'tree', 'house', 'person', 'food', 'logo'];

/** Synthetic items (deterministic): varied folders, types, sizes, dates and tags. */
export function makeItems(n: number, o: ItemOptions = {}): AssetItem[] {
  const items: AssetItem[] = [];
  for (let i = 0; i < n; i++) {
    const folder = FOLDERS[i % FOLDERS.length];
    const ext = EXTS[(i * 7) % EXTS.length];
    const name = `image-${String(i).padStart(5, '0')}.${ext}`;
    const t = o.thumbs?.[i % (o.thumbs.length || 1)];
    items.push({
      id: `id-${i}`,
      relPath: `${folder}/${name}`,
      name,
      folder,
      ext,
      size: 1000 + ((i * 7919) % 500_000),
      mtime: Date.UTC(2024, 0, 1) + ((i * 104729) % 1_000_000) * 60_000,
      width: 64 + (i % 200),
      height: 48 + (i % 150),
      thumbnail: t && o.thumbBase ? `${o.thumbBase}/thumbs/${t.thumb}` : null,
      uri: `file:///work/project/${folder}/${name}`,
      tags: [{ tag: TAGS[i % TAGS.length], score: 0.5 + (i % 50) / 100, source: 'auto' }],
      captions: [],
    });
  }
  return items;
}
