// Prepares `npm run test:electron`: builds the extension (dist/), bundles test/electron/*.test.ts
// for mocha inside VS Code into .cache/electron-tests/, and writes a small workspace of images.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import sharp from 'sharp';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = path.join(ROOT, '.cache', 'electron-tests');

const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

rmSync(OUT, { recursive: true, force: true });
const here = path.join(ROOT, 'test', 'electron');
const entries = readdirSync(here)
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => path.join(here, f));
await esbuild.build({
  entryPoints: entries,
  outdir: OUT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  sourcemap: true,
  logLevel: 'warning',
});

const workspace = path.join(OUT, 'workspace');
mkdirSync(workspace, { recursive: true });
for (const [name, background] of Object.entries({ red: '#e61919', blue: '#1e3cdc' })) {
  await sharp({ create: { width: 32, height: 32, channels: 3, background } })
    .png()
    .toFile(path.join(workspace, `${name}.png`));
}
writeFileSync(path.join(workspace, 'README.md'), '# electron test workspace\n');
console.log(`electron tests bundled into ${path.relative(ROOT, OUT)}`);
