// The images every throughput measurement uses: a fixed, seeded sample of the openclipart-png
// clip art (regular files only: its symlinks duplicate other files, which the indexer would
// recognise by content and not embed) plus the large WebP photos. The indexer sees them as a
// workspace folder of symlinks, so every contender reads exactly the same files.
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
  /** Folder of symlinks to `files`, for the indexer. */
  workspace: string;
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
  const workspace = path.join(BENCH_CACHE, 'workspaces', `sample-${seed}-${count}`);
  const marker = path.join(workspace, '.complete');
  if (!existsSync(marker)) {
    await fs.rm(workspace, { recursive: true, force: true });
    await fs.mkdir(path.join(workspace, 'clipart'), { recursive: true });
    await fs.mkdir(path.join(workspace, 'photos'), { recursive: true });
    for (const f of clipart) {
      const rel = path.relative(CLIPART_ROOT, f).split(path.sep).join('__');
      await fs.symlink(f, path.join(workspace, 'clipart', rel));
    }
    for (const f of webp) await fs.symlink(f, path.join(workspace, 'photos', path.basename(f)));
    await fs.writeFile(marker, '');
  }
  return { files, clipart: clipart.length, photos: webp.length, workspace, seed };
}
