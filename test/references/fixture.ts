// A small repository that references its images in every style the reference finder knows,
// plus false friends that must not count. Images are tiny real PNGs (the finder never decodes
// them, but `unused` lists them as the index would).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeSolidImage } from '../fixtures/images';

export const IMAGES = [
  'assets/logo.png',
  'assets/logo-copy.png',
  'assets/icons/star.svg',
  'assets/hero banner.jpg',
  'public/img/bg.webp',
  'src/components/avatar.png',
  'src/aliased.png',
  'data/chart.gif',
  'docs/diagram.png',
  'docs/ref-style.png',
  'app/screens/splash.png',
  // Unused: only mentioned by false friends, ignored files, our own files or external URLs.
  'brand/logo.png',
  'unused/orphan.png',
] as const;

export const UNUSED = ['brand/logo.png', 'unused/orphan.png'];

export const TEXT_FILES: Record<string, string> = {
  'README.md': [
    '# Project',
    '',
    '![Logo](assets/logo.png)',
    'A banner: ![](assets/hero%20banner.jpg "Hero")',
    '[The icon](./assets/icons/star.svg) and <img src="assets/logo.png?v=2" alt="logo">',
    'Not these: brand/logo.png.bak, brand/mylogo.png, brand/logo.png/readme, https://example.com/unused/orphan.png, data:image/png;base64,AAAA',
    'Convert your files to .png first.',
    '',
  ].join('\n'),
  'docs/guide.md': ['See ![Diagram](diagram.png) and ![][ref].', '', '[ref]: ./ref-style.png', ''].join('\n'),
  'index.html': ['<!doctype html>', '<picture><img src="assets/hero banner.jpg" srcset="assets/logo.png 1x, assets/logo-copy.png 2x" alt=""></picture>', ''].join('\n'),
  'styles/main.css': ['.star { background: url("../assets/icons/star.svg") no-repeat; }', '.hero { background-image: url(/img/bg.webp); }', ''].join('\n'),
  'src/components/Avatar.tsx': ["import avatar from './avatar.png';", "import aliased from '@/aliased.png';", 'export const Avatar = () => <img src={avatar} />;', ''].join('\n'),
  'src/data.json': '{\n  "chart": "data/chart.gif",\n  "note": "see brand/mylogo.png"\n}\n',
  'app/config.yml': 'splash: screens/splash.png\n',
  // Gitignored and excluded files must not count.
  'ignored/notes.md': '![](../unused/orphan.png)\n',
  'node_modules/pkg/readme.md': '![](../../unused/orphan.png)\n',
  // Our own files list every image and must never count.
  '.vscode/asset-tags.data.json': '{ "images": { "unused/orphan.png": ["icon"], "brand/logo.png": ["logo"] } }\n',
  '.gitignore': 'ignored/\n',
};

export async function writeFixtureRepo(root: string): Promise<void> {
  for (const rel of IMAGES) {
    const file = path.join(root, rel);
    if (rel.endsWith('.svg')) {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="gold"/></svg>');
    } else {
      await writeSolidImage(file, [200, 40, 40], { width: 8, height: 8 });
    }
  }
  for (const [rel, text] of Object.entries(TEXT_FILES)) {
    await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fs.writeFile(path.join(root, rel), text);
  }
  // A binary file that happens to contain an image name.
  await fs.writeFile(path.join(root, 'assets', 'blob.json'), Buffer.concat([Buffer.from('unused/orphan.png'), Buffer.alloc(16), Buffer.from('x')]));
}
