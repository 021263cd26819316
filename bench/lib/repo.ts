// A generated 10,000-file repository for the unused-asset scan: 2,000 images and 7,800 text
// files (TSX, TS, Markdown, CSS, JSON, HTML, Vue) in nested folders, plus 200 git-ignored build
// outputs, with references in every style, false friends, and filler text around them. Seeded,
// so every run scans the same bytes; which images are unused is known by construction.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { mulberry32 } from './util';

export const REPO_FILES = 10_000;
const IMAGES = 2_000;
const IGNORED = 200;
const TEXT = REPO_FILES - IMAGES - IGNORED;
const GENERATOR_VERSION = 1;
/** A 1x1 PNG: the scan only lists images, it never decodes them. */
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f1bf6c0000000049454e44ae426082', 'hex');

export interface GeneratedRepo {
  root: string;
  files: number;
  images: number;
  textFiles: number;
  textBytes: number;
  /** Images nothing references (by construction). */
  unused: string[];
}

const WORDS =
  'the a of to and in is for on with as by this that from at it be are an or component render state props value return export default import const function style color margin padding layout grid flex button header footer image icon logo banner'.split(
    ' ',
  );

export async function generateRepo(root: string): Promise<GeneratedRepo> {
  // Beside the folder, not in it: a JSON file listing image paths would count as references.
  const marker = `${root}.json`;
  if (existsSync(marker)) {
    const meta = JSON.parse(await fs.readFile(marker, 'utf8')) as GeneratedRepo & { version: number };
    if (meta.version === GENERATOR_VERSION) return meta;
  }
  await fs.rm(root, { recursive: true, force: true });
  const rand = mulberry32(42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const filler = (words: number) => Array.from({ length: words }, () => pick(WORDS)).join(' ');
  const folders = Array.from({ length: 120 }, (_, i) => `packages/p${i % 12}/src/f${i}`);
  const images = Array.from(
    { length: IMAGES },
    (_, i) => `${i % 4 === 0 ? 'public/img' : `${pick(folders)}/assets`}/${['icon', 'logo', 'photo', 'banner'][i % 4]}-${i}.${['png', 'svg', 'jpg', 'webp'][i % 4]}`,
  );
  const used = new Set<string>();
  const write = async (rel: string, data: string | Buffer) => {
    await fs.mkdir(path.join(root, path.dirname(rel)), { recursive: true });
    await fs.writeFile(path.join(root, rel), data);
  };
  for (const img of images) await write(img, PNG);
  await write('.gitignore', 'dist/\n');
  const relFrom = (file: string, img: string) => {
    const rel = path.posix.relative(path.posix.dirname(file), img);
    return rel.startsWith('.') ? rel : `./${rel}`;
  };
  // A quarter of the images are never referenced; the rest by one to three files.
  const referenced = images.filter((_, i) => i % 4 !== 3);
  const reference = (file: string, kind: string): string => {
    const img = pick(referenced);
    used.add(img);
    const web = img.startsWith('public/') ? img.slice('public'.length) : undefined;
    switch (kind) {
      case 'tsx':
        return `import img${Math.floor(rand() * 1e6)} from '${relFrom(file, img)}';`;
      case 'md':
        return `![${filler(2)}](${relFrom(file, img).replace(/^\.\//, '')})`;
      case 'css':
        return `.c${Math.floor(rand() * 1e6)} { background: url(${web ?? relFrom(file, img)}); }`;
      case 'json':
        return `"asset": "${img}",`;
      default:
        return `<img src="${web ?? relFrom(file, img)}" alt="${filler(2)}">`;
    }
  };
  const kinds = ['tsx', 'ts', 'md', 'css', 'json', 'html', 'vue'];
  const ext: Record<string, string> = { tsx: 'tsx', ts: 'ts', md: 'md', css: 'css', json: 'json', html: 'html', vue: 'vue' };
  let textBytes = 0;
  for (let i = 0; i < TEXT; i++) {
    const kind = kinds[i % kinds.length]!;
    const file = `${pick(folders)}/${kind}-${i}.${ext[kind]}`;
    const lines: string[] = [];
    const paragraphs = 10 + Math.floor(rand() * 50);
    for (let p = 0; p < paragraphs; p++) {
      lines.push(filler(6 + Math.floor(rand() * 12)));
      const r = rand();
      if (r < 0.06) lines.push(reference(file, kind === 'ts' ? 'tsx' : kind));
      else if (r < 0.08) lines.push(`see my${pick(images).split('/').pop()}, or ${pick(images).split('/').pop()}.bak, https://cdn.example.com/${pick(images)}`);
    }
    const text = lines.join('\n') + '\n';
    textBytes += Buffer.byteLength(text);
    await write(file, text);
  }
  for (let i = 0; i < IGNORED; i++)
    await write(
      `dist/chunk-${i}.js`,
      `/* build output */ ${images
        .map((x) => `"${x}"`)
        .slice(i * 10, i * 10 + 10)
        .join(',')}\n`,
    );
  const meta: GeneratedRepo = {
    root,
    files: IMAGES + TEXT + IGNORED,
    images: IMAGES,
    textFiles: TEXT,
    textBytes,
    unused: images.filter((x) => !used.has(x)).sort(),
  };
  await fs.writeFile(marker, JSON.stringify({ ...meta, version: GENERATOR_VERSION }));
  return meta;
}
