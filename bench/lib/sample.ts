// The images every throughput measurement uses: a fixed, seeded sample of the openclipart-png
// clip art (regular files only: its symlinks duplicate other files, which the indexer would
// recognise by content and not embed) plus the large WebP photos. The indexer sees them as a
// workspace folder of copies (it skips symlinks that leave the workspace), so every contender
// reads exactly the same bytes.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BENCH_CACHE, PROJECT_ROOT, seededShuffle } from './util';

export const CLIPART_ROOT = '/usr/share/openclipart/png';
/** Optional (this workplace's shared data): without it the sample has no large photos. */
export const PHOTO_ROOT = path.resolve(PROJECT_ROOT, '..', 'shared', 'data', 'images', 'backgrounds');

export interface Sample {
  /** Absolute paths of the sampled images (clip art first, then photos). */
  files: string[];
  clipart: number;
  photos: number;
  /** Folder of copies of `files`, for the indexer. */
  workspace: string;
  /** Workspace-relative path of each copy → the file it copies. */
  origin: Map<string, string>;
  seed: number;
}

async function walk(dir: string, out: string[]): Promise<void> {
  for (const d of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) await walk(p, out);
    else if (d.isFile() && /\.png$/i.test(d.name)) out.push(p);
  }
}

export async function allClipart(): Promise<string[]> {
  const out: string[] = [];
  await walk(CLIPART_ROOT, out);
  return out.sort();
}

export async function photos(): Promise<string[]> {
  if (!existsSync(PHOTO_ROOT)) return [];
  return (await fs.readdir(PHOTO_ROOT))
    .filter((n) => /\.webp$/i.test(n))
    .sort()
    .map((n) => path.join(PHOTO_ROOT, n));
}

export async function makeSample(count: number, seed: number): Promise<Sample> {
  const clipart = seededShuffle(await allClipart(), seed).slice(0, count);
  const webp = await photos();
  const files = [...clipart, ...webp];
  const origin = new Map<string, string>([
    ...clipart.map((f) => [`clipart/${path.relative(CLIPART_ROOT, f).split(path.sep).join('__')}`, f] as const),
    ...webp.map((f) => [`photos/${path.basename(f)}`, f] as const),
  ]);
  const workspace = path.join(BENCH_CACHE, 'workspaces', `sample-${seed}-${count}`);
  // Versioned: workspaces of symlinks, made before the scanner refused them, are rebuilt.
  const marker = path.join(workspace, '.complete-copies');
  if (!existsSync(marker)) {
    await fs.rm(workspace, { recursive: true, force: true });
    await fs.mkdir(path.join(workspace, 'clipart'), { recursive: true });
    await fs.mkdir(path.join(workspace, 'photos'), { recursive: true });
    for (const [rel, f] of origin) await fs.copyFile(f, path.join(workspace, rel));
    await fs.writeFile(marker, '');
  }
  return { files, clipart: clipart.length, photos: webp.length, workspace, origin, seed };
}
