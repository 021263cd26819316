// Bundles the extension host, CLI, inference worker and webviews with esbuild.
// Native packages stay external: they ship in node_modules and load at run time.
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, chmodSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
// `--outdir DIR` (default dist): scripts/package.mjs builds into its staging folder.
const outArg = process.argv.indexOf('--outdir');
const outdir = outArg >= 0 ? process.argv[outArg + 1] : 'dist';
// undici is required lazily by the downloader; keeping it out of the bundles keeps activation cheap.
const nodeExternals = ['vscode', 'onnxruntime-node', 'sharp', '@huggingface/transformers', 'onnxruntime-web', 'undici'];

const nodeEntries = [
  { in: 'src/extension/extension.ts', out: 'extension' },
  { in: 'src/cli/main.ts', out: 'cli', banner: '#!/usr/bin/env node' },
  { in: 'src/engine/worker/main.ts', out: 'worker' },
  { in: 'src/engine/inference/visionThreadMain.ts', out: 'vision-thread' },
].filter((e) => existsSync(e.in));

const webEntries = [
  { in: 'webview/results/main.ts', out: 'webview/results' },
  { in: 'webview/gallery/main.ts', out: 'webview/gallery' },
].filter((e) => existsSync(e.in));

mkdirSync(outdir, { recursive: true });
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', legalComments: 'none' };
const contexts = [];
for (const e of nodeEntries) {
  contexts.push(
    await esbuild.context({
      ...common,
      entryPoints: { [e.out]: e.in },
      outdir,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: nodeExternals,
      banner: e.banner ? { js: e.banner } : undefined,
    }),
  );
}
if (webEntries.length) {
  contexts.push(
    await esbuild.context({
      ...common,
      entryPoints: Object.fromEntries(webEntries.map((e) => [e.out, e.in])),
      outdir,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      loader: { '.css': 'text' },
    }),
  );
}
await Promise.all(contexts.map((c) => c.rebuild()));
if (existsSync(`${outdir}/cli.js`)) chmodSync(`${outdir}/cli.js`, 0o755);
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching');
} else {
  await Promise.all(contexts.map((c) => c.dispose()));
}
