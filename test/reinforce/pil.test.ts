// src/engine/reinforce/pil.ts against Pillow itself: every operation Apple's loader applies when
// it replays an augmentation (crop, resize with each filter, flip, the NEAREST affine/rotate of
// RandAugment's geometric ops, the ImageEnhance/ImageOps colour ops), on noise, gradients, flat
// areas, real clip art and tiny images, compared pixel by pixel with Python's PIL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import * as pil from '../../src/engine/reinforce/pil';
import { mulberry32 } from '../fixtures/generate';
import { CLIPART_DIR } from '../fixtures/paths';
import { runPython } from './python';

const work = path.resolve(__dirname, '../../.cache/test-pil', String(process.pid));

interface Job {
  name: string;
  img: pil.RgbPixels;
  op: string;
  args: unknown[];
  ours: () => pil.RgbPixels;
}

function noise(w: number, h: number, seed: number): pil.RgbPixels {
  const r = mulberry32(seed);
  return pil.rgbPixels(
    w,
    h,
    Uint8Array.from({ length: w * h * 3 }, () => Math.floor(r() * 256)),
  );
}
function gradient(w: number, h: number): pil.RgbPixels {
  const d = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      d[i] = Math.round((255 * x) / Math.max(1, w - 1));
      d[i + 1] = Math.round((255 * y) / Math.max(1, h - 1));
      d[i + 2] = (x * 7 + y * 13) % 256;
    }
  return pil.rgbPixels(w, h, d);
}
/** A narrow-range image (autocontrast/equalize/contrast have something to do). */
function dim(w: number, h: number, seed: number): pil.RgbPixels {
  const r = mulberry32(seed);
  return pil.rgbPixels(
    w,
    h,
    Uint8Array.from({ length: w * h * 3 }, () => 90 + Math.floor(r() * 40)),
  );
}

let images: Record<string, pil.RgbPixels>;

before(async () => {
  await fs.rm(work, { recursive: true, force: true });
  await fs.mkdir(work, { recursive: true });
  const clip = async (rel: string) => {
    const { data, info } = await sharp(path.join(CLIPART_DIR, rel)).flatten({ background: '#ffffff' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return pil.rgbPixels(info.width, info.height, new Uint8Array(data));
  };
  const clipart = (await fs.readdir(path.join(CLIPART_DIR, 'animals'))).filter((n) => n.endsWith('.png')).sort();
  images = {
    noise: noise(97, 61, 1),
    noiseSquare: noise(64, 64, 2),
    gradient: gradient(150, 110),
    dim: dim(40, 33, 3),
    clipart: await clip(`animals/${clipart[0]}`),
    tiny: noise(2, 3, 4),
    one: noise(1, 1, 5),
  };
});

after(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function compare(jobs: Job[]): Promise<void> {
  const list = await Promise.all(
    jobs.map(async (j, i) => {
      const input = path.join(work, `in-${i}.raw`);
      await fs.writeFile(input, j.img.data);
      return { input, width: j.img.width, height: j.img.height, op: j.op, args: j.args, output: path.join(work, `out-${i}.raw`) };
    }),
  );
  const jobFile = path.join(work, `jobs-${Date.now()}.json`);
  await fs.writeFile(jobFile, JSON.stringify(list));
  runPython('pil_ops.py', [jobFile]);
  const failures: string[] = [];
  for (let i = 0; i < jobs.length; i++) {
    const raw = await fs.readFile(list[i]!.output);
    const nl = raw.indexOf(10);
    const [w, h] = JSON.parse(raw.subarray(0, nl).toString()) as [number, number];
    const theirs = raw.subarray(nl + 1);
    const ours = jobs[i]!.ours();
    if (ours.width !== w || ours.height !== h) {
      failures.push(`${jobs[i]!.name}: size ${ours.width}x${ours.height}, PIL ${w}x${h}`);
      continue;
    }
    let max = 0;
    let differing = 0;
    for (let k = 0; k < theirs.length; k++) {
      const d = Math.abs(theirs[k]! - ours.data[k]!);
      if (d) differing++;
      max = Math.max(max, d);
    }
    if (max > 0) failures.push(`${jobs[i]!.name}: ${differing} of ${theirs.length} values differ, by up to ${max}`);
  }
  assert.deepEqual(failures, [], failures.join('\n'));
}

test('resize with every PIL filter, down and up, equals Image.resize', async () => {
  const jobs: Job[] = [];
  for (const [name, img] of Object.entries(images)) {
    for (const filter of pil.PIL_FILTERS) {
      for (const [w, h] of [
        [64, 64],
        [48, 48],
        [13, 29],
        [img.width * 2 + 1, img.height + 3],
        [1, 1],
      ] as const) {
        jobs.push({ name: `${name} ${filter} -> ${w}x${h}`, img, op: 'resize', args: [w, h, filter], ours: () => pil.resize(img, w, h, filter) });
      }
    }
  }
  await compare(jobs);
});

test('crop + bicubic resize + flip (RandomResizedCrop and RandomHorizontalFlip) equal PIL', async () => {
  const img = images.clipart!;
  const r = mulberry32(9);
  const jobs: Job[] = [];
  for (let k = 0; k < 12; k++) {
    const w = 1 + Math.floor(r() * img.width);
    const h = 1 + Math.floor(r() * img.height);
    const left = Math.floor(r() * (img.width - w + 1));
    const top = Math.floor(r() * (img.height - h + 1));
    const cropped = pil.crop(img, left, top, w, h);
    jobs.push({ name: `crop ${k}`, img, op: 'crop', args: [left, top, w, h], ours: () => cropped });
    jobs.push({ name: `crop ${k} resized`, img: cropped, op: 'resize', args: [64, 64, 'bicubic'], ours: () => pil.resize(cropped, 64, 64, 'bicubic') });
  }
  jobs.push({ name: 'flip', img, op: 'flip', args: [], ours: () => pil.flipLeftRight(img) });
  await compare(jobs);
});

test('NEAREST affine transforms (shear, translate, scale) and rotations equal Image.transform/rotate', async () => {
  const jobs: Job[] = [];
  const shear = (deg: number) => Math.tan(deg * (Math.PI / 180));
  for (const name of ['noise', 'gradient', 'clipart', 'noiseSquare', 'tiny']) {
    const img = images[name]!;
    const mats: number[][] = [
      [1, shear(5.14), 0, -0, 1, 0],
      [1, -shear(5.14), 0, -0, 1, 0],
      [1, 0, 0, -shear(8), 1, 0],
      [1, 0, -29, 0, 1, 0],
      [1, 0, 0, 0, 1, 17],
      [0.5, 0, 3.25, 0, 1.5, -2],
      [1, 0.3, 70000, 0, 1, 0], // outside the fixed-point range: the float path
    ];
    mats.forEach((m, i) => jobs.push({ name: `${name} affine ${i}`, img, op: 'affine', args: m, ours: () => pil.affine(img, m) }));
    for (const angle of [9, -9, 30, -30, 0.5, 90, 180, 270, -90, 400]) {
      jobs.push({ name: `${name} rotate ${angle}`, img, op: 'rotate', args: [angle], ours: () => pil.rotate(img, angle) });
    }
  }
  await compare(jobs);
});

test('colour ops (Brightness, Color, Contrast, Sharpness, SMOOTH, Posterize, Solarize, AutoContrast, Equalize) equal PIL', async () => {
  const jobs: Job[] = [];
  for (const [name, img] of Object.entries(images)) {
    for (const f of [0.73, 1.27, 0.1, 1.9, 0, 1, 0.5, 2.5]) {
      jobs.push({ name: `${name} brightness ${f}`, img, op: 'brightness', args: [f], ours: () => pil.brightness(img, f) });
      jobs.push({ name: `${name} color ${f}`, img, op: 'color', args: [f], ours: () => pil.color(img, f) });
      jobs.push({ name: `${name} contrast ${f}`, img, op: 'contrast', args: [f], ours: () => pil.contrast(img, f) });
      jobs.push({ name: `${name} sharpness ${f}`, img, op: 'sharpness', args: [f], ours: () => pil.sharpness(img, f) });
    }
    jobs.push({ name: `${name} smooth`, img, op: 'smooth', args: [], ours: () => pil.smooth(img) });
    for (const bits of [1, 4, 7, 8]) jobs.push({ name: `${name} posterize ${bits}`, img, op: 'posterize', args: [bits], ours: () => pil.posterize(img, bits) });
    for (const t of [178.5, 128, 0, 255, 256]) jobs.push({ name: `${name} solarize ${t}`, img, op: 'solarize', args: [t], ours: () => pil.solarize(img, t) });
    jobs.push({ name: `${name} autocontrast`, img, op: 'autocontrast', args: [], ours: () => pil.autocontrast(img) });
    jobs.push({ name: `${name} equalize`, img, op: 'equalize', args: [], ours: () => pil.equalize(img) });
  }
  await compare(jobs);
});
