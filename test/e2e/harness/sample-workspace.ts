// The sample workspace of `npm run try`: the clip art checked into test/fixtures/data (with its
// COPYRIGHT notice) and solid-colour images the colour fixture model understands. Built in a
// sibling temp folder and renamed into place with its marker written last, so an interrupted
// build is never taken for a complete one; the marker holds a signature of the contents, so a
// workspace from another version of the sample is rebuilt too.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { generateFolderOnce } from '../../fixtures/generate';
import { writeSolidImage } from '../../fixtures/images';
import { FIXTURE_COLORS } from '../../fixtures/models';
import { CLIPART_DIR } from '../../fixtures/paths';

export const SAMPLE_MARKER = '.sample-complete';
export const SAMPLE_COLOURS = ['red', 'green', 'blue', 'yellow', 'orange', 'purple'] as const;
/** Bump when the generated part of the workspace changes. */
const SAMPLE_VERSION = 1;

const README = `# MobileCLIP Assets sample workspace

Open the **Assets** view in the Activity Bar, or run *MobileCLIP Assets: Find Images by Description*
from the Command Palette. Right-click a folder for *Tag Images*, *Generate Synthetic Captions* and
*Reinforce Dataset*.

\`clipart/\`: public-domain drawings from the Open Clip Art Library (see clipart/COPYRIGHT-openclipart);
\`colours/\`: solid colours, which the small test model used without a download recognises.
`;

/** Files under `dir`, relative with '/' separators, sorted. */
async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, r)));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
}

export interface SampleWorkspace {
  dir: string;
  /** Images in the workspace. */
  images: number;
  /** False when a complete workspace of this version was already there. */
  rebuilt: boolean;
}

export interface SampleOptions {
  /** Called after each image is written, with the count so far (tests interrupt the build here). */
  onImage?: (written: number) => void | Promise<void>;
}

export async function ensureSampleWorkspace(dir: string, opts: SampleOptions = {}): Promise<SampleWorkspace> {
  const clipart = await listFiles(CLIPART_DIR);
  const hash = createHash('sha256').update(`sample v${SAMPLE_VERSION}\n${SAMPLE_COLOURS.join(',')}\n`);
  for (const rel of clipart) hash.update(`${rel}\t${(await fs.stat(path.join(CLIPART_DIR, rel))).size}\n`);
  const signature = hash.digest('hex');
  const images = clipart.filter((f) => f.endsWith('.png')).length + SAMPLE_COLOURS.length;
  const marker = path.join(dir, SAMPLE_MARKER);
  if ((await fs.readFile(marker, 'utf8').catch(() => '')) === signature) return { dir, images, rebuilt: false };

  await fs.rm(dir, { recursive: true, force: true });
  // Temp folders of interrupted builds.
  const tmpPrefix = `.tmp-${path.basename(dir)}-`;
  for (const name of await fs.readdir(path.dirname(dir)).catch(() => [] as string[])) {
    if (name.startsWith(tmpPrefix)) await fs.rm(path.join(path.dirname(dir), name), { recursive: true, force: true });
  }
  let written = 0;
  await generateFolderOnce(
    dir,
    async (tmp) => {
      for (const rel of clipart) {
        const dest = path.join(tmp, 'clipart', ...rel.split('/'));
        await fs.mkdir(path.dirname(dest), { recursive: true });
        await fs.copyFile(path.join(CLIPART_DIR, ...rel.split('/')), dest);
        if (rel.endsWith('.png')) await opts.onImage?.(++written);
      }
      for (const colour of SAMPLE_COLOURS) {
        await writeSolidImage(path.join(tmp, 'colours', `${colour}.png`), FIXTURE_COLORS[colour]!, { width: 96, height: 64 });
        await opts.onImage?.(++written);
      }
      await fs.writeFile(path.join(tmp, 'README.md'), README);
      await fs.writeFile(path.join(tmp, SAMPLE_MARKER), signature);
    },
    SAMPLE_MARKER,
  );
  return { dir, images, rebuilt: true };
}
