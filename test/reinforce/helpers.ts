// Shared setup for the reinforcement tests: fixture teachers, a small real-image folder with a
// few broken files and sidecar captions, and a deterministic synthetic-caption function.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { resolveModel } from '../../src/engine/models/resolve';
import type { CaptionSource } from '../../src/engine/reinforce/reinforce';
import { colorModelDir } from '../fixtures/models';
import { writeBrokenFiles } from '../fixtures/images';
import { CLIPART_DIR } from '../fixtures/paths';

export const PROJECT = path.resolve(__dirname, '../..');
export const CLI = path.join(PROJECT, 'dist', 'cli.js');

/** Two teachers of different dims and input sizes (the ensemble order is this order). */
export async function teacherDirs(): Promise<string[]> {
  return [await colorModelDir({ dim: 24, seed: 1 }), await colorModelDir({ dim: 16, imageSize: 48, seed: 2 })];
}

export async function openEngines(dirs: string[], cacheDir: string): Promise<Engine[]> {
  return Promise.all(dirs.map(async (d) => Engine.create(await resolveModel(d, { cacheDir }))));
}

export interface ImageSet {
  dir: string;
  /** Relative paths of decodable images, sorted. */
  valid: string[];
  /** Relative paths that must be skipped. */
  broken: string[];
  exifRotated: string;
}

/**
 * `count` real clip-art PNGs (first files of a few categories), an EXIF-rotated JPEG, two broken
 * files, and `.txt` sidecars for the first two PNGs.
 */
export async function makeImageSet(dir: string, count = 8): Promise<ImageSet> {
  await fs.rm(dir, { recursive: true, force: true });
  const valid: string[] = [];
  const categories = ['animals', 'food', 'plants'];
  for (let i = 0; valid.length < count; i++) {
    const cat = categories[i % categories.length]!;
    const names = (await fs.readdir(path.join(CLIPART_DIR, cat))).filter((n) => n.endsWith('.png')).sort();
    const name = names[Math.floor(i / categories.length)]!;
    await fs.mkdir(path.join(dir, cat), { recursive: true });
    await fs.copyFile(path.join(CLIPART_DIR, cat, name), path.join(dir, cat, name));
    valid.push(`${cat}/${name}`);
  }
  const awkward = await writeBrokenFiles(path.join(dir, '..', `${path.basename(dir)}-awkward`));
  await fs.copyFile(awkward.valid.exifRotatedJpeg.path, path.join(dir, 'rotated.jpg'));
  await fs.copyFile(awkward.invalid.textAsPng, path.join(dir, 'broken.png'));
  await fs.copyFile(awkward.invalid.truncatedJpeg, path.join(dir, 'food', 'truncated.jpg'));
  valid.push('rotated.jpg');
  valid.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const rel of valid.filter((r) => r.endsWith('.png')).slice(0, 2)) {
    await fs.writeFile(path.join(dir, rel.replace(/\.png$/, '.txt')), `A clip-art drawing from ${path.dirname(rel)}\n`);
  }
  return { dir, valid, broken: ['broken.png', 'food/truncated.jpg'], exifRotated: 'rotated.jpg' };
}

/** Deterministic "captioner": 0-2 captions from the file name (rotated.jpg gets none). */
export function syntheticCaptions(p: string): string[] {
  const stem = path.basename(p, path.extname(p));
  if (stem === 'rotated') return [];
  const n = 1 + (createHash('sha256').update(stem).digest()[0]! % 2);
  return [`a drawing of ${stem.replace(/_/g, ' ').trim()}`, `${stem.split('_')[0]} clip art`].slice(0, n);
}

export const captionSource: CaptionSource = async (paths) => new Map(paths.map((p) => [p, syntheticCaptions(p)]));

export async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');
}

/** Every file under `dir` (relative path -> bytes), for byte-for-byte comparisons. */
export async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (d: string, rel: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(d, e.name), r);
      else out.set(r, await fs.readFile(path.join(d, e.name)));
    }
  };
  await walk(dir, '');
  return out;
}
