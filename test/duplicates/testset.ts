// The generated near-duplicate test set: real clip art (Debian's openclipart-png) plus drawn
// icons, each written in variants that are the same asset (resized, re-encoded, lightly cropped,
// re-padded) and variants that are not (recoloured, heavily cropped), plus pairs of different
// icons drawn in one style. Labels say which pairs a correct grouping puts together.
import { promises as fs, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';

import { DEBIAN_CLIPART_DIR as DEBIAN_CLIPART } from '../fixtures/paths';

export interface TestImage {
  /** Path relative to the set's folder. */
  path: string;
  /** The asset it shows: images with the same `asset` are duplicates of each other. */
  asset: string;
  variant: string;
}

/** Variants that show the same asset as the original. */
export const SAME_ASSET = ['original', 'half-size', 'double-size', 'jpeg-q60', 'webp-q50', 'cropped-4pct', 'padded-10pct'] as const;
/** Variants that are another asset (recoloured: only for colourful originals). */
export const OTHER_ASSET = ['recoloured', 'greyscale', 'cropped-50pct'] as const;

function listPngs(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) listPngs(p, out);
    else if (name.endsWith('.png') && st.size > 2_000 && st.size < 80_000) out.push(p);
  }
  return out;
}

/**
 * `count` originals spread evenly over the sorted Debian set. shapes/stars/ is left out: its
 * 1,300 generated star patterns differ only in how many hairlines they have, which no thumbnail
 * (nor a person looking at one) tells apart, so calling them "different" would be a wrong label.
 */
export function pickOriginals(count: number): string[] {
  const family = new Set(SAME_STYLE_CLIPART.map((rel) => path.join(DEBIAN_CLIPART, rel)));
  const all = listPngs(DEBIAN_CLIPART).filter((p) => !p.includes(`${path.sep}shapes${path.sep}stars${path.sep}`) && !family.has(p));
  const step = all.length / count;
  return Array.from({ length: count }, (_, i) => all[Math.floor(i * step)]!);
}

/** Mean chroma (max - min channel) over the image flattened on white: how colourful it is. */
async function colourfulness(png: Buffer): Promise<number> {
  const { data } = await sharp(png).flatten({ background: '#ffffff' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  for (let i = 0; i < data.length; i += 3) sum += Math.max(data[i]!, data[i + 1]!, data[i + 2]!) - Math.min(data[i]!, data[i + 1]!, data[i + 2]!);
  return sum / (data.length / 3);
}

async function writeVariants(root: string, name: string, png: Buffer, out: TestImage[]): Promise<void> {
  const meta = await sharp(png).metadata();
  const w = meta.width!;
  const h = meta.height!;
  const put = async (variant: string, ext: string, bytes: Buffer, asset = name) => {
    const rel = `${name}/${variant}.${ext}`;
    await fs.mkdir(path.join(root, name), { recursive: true });
    await fs.writeFile(path.join(root, rel), bytes);
    out.push({ path: rel, asset, variant });
  };
  const flat = () => sharp(png).flatten({ background: '#ffffff' });
  await put('original', 'png', png);
  await put(
    'half-size',
    'png',
    await sharp(png)
      .resize(Math.max(8, Math.round(w / 2)))
      .png()
      .toBuffer(),
  );
  await put(
    'double-size',
    'png',
    await sharp(png)
      .resize(Math.min(2 * w, 640))
      .png()
      .toBuffer(),
  );
  await put('jpeg-q60', 'jpg', await flat().jpeg({ quality: 60 }).toBuffer());
  await put('webp-q50', 'webp', await sharp(png).webp({ quality: 50 }).toBuffer());
  const t = Math.max(1, Math.round(Math.min(w, h) * 0.04));
  await put(
    'cropped-4pct',
    'png',
    await sharp(png)
      .extract({ left: t, top: t, width: w - 2 * t, height: h - 2 * t })
      .png()
      .toBuffer(),
  );
  const pad = Math.round(Math.max(w, h) * 0.1);
  await put('padded-10pct', 'png', await flat().extend({ top: pad, bottom: pad, left: pad, right: pad, background: '#ffffff' }).png().toBuffer());
  // The centre of the drawing itself (margins trimmed first), not of the canvas around it.
  const content = await flat().trim({ threshold: 24 }).png().toBuffer({ resolveWithObject: true });
  const cw = content.info.width;
  const ch = content.info.height;
  if (cw >= 8 && ch >= 8) {
    const centre = { left: Math.round(cw / 4), top: Math.round(ch / 4), width: Math.round(cw / 2), height: Math.round(ch / 2) };
    await put('cropped-50pct', 'png', await sharp(content.data).extract(centre).png().toBuffer(), `${name}#centre`);
  }
  if ((await colourfulness(png)) > 25) {
    await put('recoloured', 'png', await sharp(png).modulate({ hue: 150 }).png().toBuffer(), `${name}#recoloured`);
    await put('greyscale', 'png', await flat().greyscale().png().toBuffer(), `${name}#greyscale`);
  }
}

/** Icons drawn in one style (same badge, size and colour), differing only in their symbol. */
const SAME_STYLE_ICONS: Record<string, string> = {
  'arrow-left': '<path d="M70 50H32M46 34 30 50l16 16" stroke="#fff" stroke-width="9" fill="none" stroke-linecap="round"/>',
  'arrow-right': '<path d="M30 50h38M54 34l16 16-16 16" stroke="#fff" stroke-width="9" fill="none" stroke-linecap="round"/>',
  plus: '<path d="M50 28v44M28 50h44" stroke="#fff" stroke-width="10" stroke-linecap="round"/>',
  minus: '<path d="M28 50h44" stroke="#fff" stroke-width="10" stroke-linecap="round"/>',
  check: '<path d="M30 52l14 14 28-30" stroke="#fff" stroke-width="10" fill="none" stroke-linecap="round"/>',
  cross: '<path d="M34 34l32 32M66 34 34 66" stroke="#fff" stroke-width="10" stroke-linecap="round"/>',
  play: '<path d="M40 30v40l32-20z" fill="#fff"/>',
  pause: '<path d="M36 30h10v40H36zM54 30h10v40H54z" fill="#fff"/>',
};

/**
 * Real clip art drawn in one style, member by member a different picture: a clock at different
 * times, smileys with different mouths, one theme's toolbar icons.
 */
export const SAME_STYLE_CLIPART = [
  'signs_and_symbols/clocks/clock01.png',
  'signs_and_symbols/clocks/clock02.png',
  'signs_and_symbols/clocks/clock04.png',
  'signs_and_symbols/clocks/clock07.png',
  'people/smilies/smiley001.png',
  'people/smilies/smiley002.png',
  'people/smilies/smiley003.png',
  'people/smilies/smiley004.png',
  'people/smilies/smiley005.png',
  'computer/icons/flat-theme/action/14_ellipse.png',
  'computer/icons/flat-theme/action/14_polygon.png',
  'computer/icons/flat-theme/action/14_rectangle.png',
  'computer/icons/flat-theme/action/14_rotate.png',
];

function iconSvg(symbol: string): Buffer {
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" viewBox="0 0 100 100"><circle cx="50" cy="50" r="46" fill="#1e6fd9"/>${symbol}</svg>`);
}

export interface TestSet {
  root: string;
  images: TestImage[];
}

const nameOf = (file: string) =>
  path
    .relative(DEBIAN_CLIPART, file)
    .replace(/\.png$/, '')
    .replace(/[\\/]/g, '__');

/** An original with a few same-asset variants (for the same-style families). */
async function writeFewVariants(root: string, name: string, png: Buffer, out: TestImage[]): Promise<void> {
  const width = (await sharp(png).metadata()).width!;
  const put = async (variant: string, ext: string, bytes: Buffer) => {
    const rel = `${name}/${variant}.${ext}`;
    await fs.mkdir(path.join(root, name), { recursive: true });
    await fs.writeFile(path.join(root, rel), bytes);
    out.push({ path: rel, asset: name, variant });
  };
  await put('original', 'png', png);
  await put(
    'half-size',
    'png',
    await sharp(png)
      .resize(Math.round(width / 2))
      .png()
      .toBuffer(),
  );
  await put('jpeg-q60', 'jpg', await sharp(png).flatten({ background: '#ffffff' }).jpeg({ quality: 60 }).toBuffer());
  await put('webp-q50', 'webp', await sharp(png).webp({ quality: 50 }).toBuffer());
}

/** Writes the set into `root` (about 10 files per original, 4 per same-style icon). */
export async function generateTestSet(root: string, originals: number): Promise<TestSet> {
  const images: TestImage[] = [];
  for (const file of pickOriginals(originals)) await writeVariants(root, nameOf(file), await fs.readFile(file), images);
  for (const rel of SAME_STYLE_CLIPART) {
    const file = path.join(DEBIAN_CLIPART, rel);
    await writeFewVariants(root, `style__${nameOf(file)}`, await fs.readFile(file), images);
  }
  for (const [symbol, body] of Object.entries(SAME_STYLE_ICONS)) {
    await writeFewVariants(root, `icons__${symbol}`, await sharp(iconSvg(body), { density: 144 }).png().toBuffer(), images);
  }
  return { root, images };
}

export interface PairScore {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  /** Wrongly joined pairs and wrongly split pairs, for the test's message. */
  wronglyJoined: string[];
  missed: string[];
}

/** Pairwise precision and recall of `groups` (lists of paths) against the labels. */
export function scorePairs(images: readonly TestImage[], groups: readonly (readonly string[])[]): PairScore {
  const groupOf = new Map<string, number>();
  groups.forEach((g, i) => g.forEach((p) => groupOf.set(p, i)));
  const s: PairScore = { truePositives: 0, falsePositives: 0, falseNegatives: 0, precision: 0, recall: 0, wronglyJoined: [], missed: [] };
  for (let i = 0; i < images.length; i++) {
    for (let j = i + 1; j < images.length; j++) {
      const a = images[i]!;
      const b = images[j]!;
      const same = a.asset === b.asset;
      const ga = groupOf.get(a.path);
      const joined = ga !== undefined && ga === groupOf.get(b.path);
      if (same && joined) s.truePositives++;
      else if (!same && joined) {
        s.falsePositives++;
        s.wronglyJoined.push(`${a.path} + ${b.path}`);
      } else if (same) {
        s.falseNegatives++;
        s.missed.push(`${a.path} + ${b.path}`);
      }
    }
  }
  s.precision = s.truePositives / Math.max(1, s.truePositives + s.falsePositives);
  s.recall = s.truePositives / Math.max(1, s.truePositives + s.falseNegatives);
  return s;
}
