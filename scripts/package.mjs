// Builds platform-specific VSIX files with @vscode/vsce into dist-vsix/.
//
//   node scripts/package.mjs                       every supported target
//   node scripts/package.mjs --target linux-x64    one (or a comma-separated list)
//   node scripts/package.mjs --budget-mb 60        fail when a VSIX is larger (default 60)
//
// Each target is packaged from its own staging copy (.cache/package/<target>/): a production
// build of dist/, media/, models/ and only the node_modules the extension loads at run time
// (the packages esbuild leaves external, and their runtime dependencies), pruned to that
// platform's onnxruntime-node binaries and sharp's @img/* packages for that platform. sharp
// packages for other platforms come from the npm registry (`npm pack`, cached in .cache/package/packs).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isBuiltin } from 'node:module';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STAGE_ROOT = path.join(ROOT, '.cache', 'package');
const PACKS = path.join(STAGE_ROOT, 'packs');

/**
 * VS Code target -> what ships for it. `ort` is onnxruntime-node's bin/napi-v6/<os>/<arch> folder;
 * `sharp` the @img packages sharp loads there (libvips is inside sharp-win32-x64 on Windows).
 */
const TARGETS = {
  'linux-x64': { ort: 'linux/x64', sharp: ['@img/sharp-linux-x64', '@img/sharp-libvips-linux-x64'] },
  'linux-arm64': { ort: 'linux/arm64', sharp: ['@img/sharp-linux-arm64', '@img/sharp-libvips-linux-arm64'] },
  'darwin-arm64': {
    ort: 'darwin/arm64',
    sharp: ['@img/sharp-darwin-arm64', '@img/sharp-libvips-darwin-arm64'],
    // The binding links @rpath/libonnxruntime.1.dylib; the versioned file is a second full copy.
    dropOrtFiles: ['libonnxruntime.1.30.0.dylib'],
  },
  'win32-x64': { ort: 'win32/x64', sharp: ['@img/sharp-win32-x64'] },
};
const UNSUPPORTED = {
  'darwin-x64': 'onnxruntime-node 1.30.0 ships no macOS x64 (Intel) binary, so inference could not run',
};

/**
 * Packages the bundles require at run time: whatever scripts/build.mjs left external, read from
 * the built files themselves so this list cannot drift from the build.
 */
function requiredPackages(buildDir) {
  const names = new Set();
  for (const file of readdirSync(buildDir).filter((f) => f.endsWith('.js'))) {
    for (const m of readFileSync(path.join(buildDir, file), 'utf8').matchAll(/\b(?:require|import)\(\s*["']([^"'./][^"']*)["']\s*\)/g)) {
      const spec = m[1];
      if (spec === 'vscode' || isBuiltin(spec)) continue;
      names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  }
  return [...names].sort();
}
/**
 * Declared dependencies that are never loaded at run time, with the reason. Checked below: the
 * staged copy must still load every root (see smokeTest) on the host platform.
 */
const NOT_SHIPPED = {
  'onnxruntime-web': '@huggingface/transformers bundles the parts it uses into dist/transformers.node.cjs',
  '@huggingface/jinja': 'bundled into @huggingface/transformers dist',
  '@huggingface/tokenizers': 'bundled into @huggingface/transformers dist and into our own dist by esbuild',
  'adm-zip': 'used only by onnxruntime-node install script (GPU library download)',
  'global-agent': 'used only by onnxruntime-node install script',
};

function parseArgs(argv) {
  const opts = { targets: Object.keys(TARGETS), budgetMb: 60, outDir: path.join(ROOT, 'dist-vsix'), build: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--target')
      opts.targets = argv[++i]
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
    else if (a === '--budget-mb') opts.budgetMb = Number(argv[++i]);
    else if (a === '--out-dir') opts.outDir = path.resolve(argv[++i]);
    else if (a === '--no-build') opts.build = false;
    else throw new Error(`unknown argument ${a}`);
  }
  for (const t of opts.targets) {
    if (UNSUPPORTED[t]) throw new Error(`target ${t} is not supported: ${UNSUPPORTED[t]}`);
    if (!TARGETS[t]) throw new Error(`unknown target ${t}; supported: ${Object.keys(TARGETS).join(', ')}`);
  }
  if (!(opts.budgetMb > 0)) throw new Error('--budget-mb must be a positive number');
  return opts;
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
  return r;
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const writeJson = (file, value) => writeFileSync(file, JSON.stringify(value, null, 2) + '\n');

/** Where Node would find package `name` when required from `fromDir` (nested node_modules first). */
function locatePackage(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === ROOT || path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The runtime closure: every package folder (relative to ROOT) reachable from `roots`
 * through `dependencies` (sharp's platform packages are handled per target, NOT_SHIPPED skipped).
 */
function runtimeClosure(roots) {
  const found = new Map(); // relative dir -> package name
  const visit = (name, fromDir) => {
    if (NOT_SHIPPED[name] || name.startsWith('@img/sharp-')) return;
    const dir = locatePackage(name, fromDir);
    if (!dir) throw new Error(`runtime dependency ${name} is not installed (run npm ci)`);
    const rel = path.relative(ROOT, dir);
    if (found.has(rel)) return;
    found.set(rel, name);
    for (const dep of Object.keys(readJson(path.join(dir, 'package.json')).dependencies ?? {})) visit(dep, dir);
  };
  for (const name of roots) visit(name, ROOT);
  return found;
}

/** Extracts `name@version` from the registry into `dest` (npm pack, cached by file name). */
function fetchPackage(name, version, dest) {
  mkdirSync(PACKS, { recursive: true });
  const tgz = path.join(PACKS, `${name.replace('@', '').replace('/', '-')}-${version}.tgz`);
  if (!existsSync(tgz)) {
    console.log(`  npm pack ${name}@${version}`);
    run('npm', ['pack', `${name}@${version}`, '--pack-destination', PACKS, '--silent'], { cwd: PACKS, stdio: ['ignore', 'ignore', 'inherit'] });
    if (!existsSync(tgz)) throw new Error(`npm pack did not produce ${tgz}`);
  }
  mkdirSync(dest, { recursive: true });
  run('tar', ['-xzf', tgz, '-C', dest, '--strip-components=1']);
}

/** Keeps only the dependency entries that ship, so `npm list --production` (run by vsce) is clean. */
function pruneManifest(pkgJsonFile, shipped) {
  const pkg = readJson(pkgJsonFile);
  for (const field of ['dependencies', 'optionalDependencies']) {
    if (!pkg[field]) continue;
    pkg[field] = Object.fromEntries(Object.entries(pkg[field]).filter(([name]) => shipped.has(name)));
  }
  delete pkg.devDependencies;
  delete pkg.peerDependencies;
  delete pkg.scripts; // install scripts must not matter: nothing is installed from a VSIX
  writeJson(pkgJsonFile, pkg);
}

function stage(target, buildDir, roots, closure) {
  const spec = TARGETS[target];
  const dir = path.join(STAGE_ROOT, target);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  for (const item of ['README.md', 'LICENSE', 'LICENSE.md', 'CHANGELOG.md', 'media', 'models', '.vscodeignore']) {
    if (existsSync(path.join(ROOT, item))) cpSync(path.join(ROOT, item), path.join(dir, item), { recursive: true });
  }
  cpSync(buildDir, path.join(dir, 'dist'), { recursive: true });

  for (const rel of closure.keys()) cpSync(path.join(ROOT, rel), path.join(dir, rel), { recursive: true, dereference: true });

  // onnxruntime-node: this platform's binaries only.
  const ortBin = path.join(dir, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
  for (const os of readdirSync(ortBin)) {
    for (const arch of readdirSync(path.join(ortBin, os))) {
      if (`${os}/${arch}` !== spec.ort) rmSync(path.join(ortBin, os, arch), { recursive: true, force: true });
    }
    if (readdirSync(path.join(ortBin, os)).length === 0) rmSync(path.join(ortBin, os), { recursive: true });
  }
  const ortDir = path.join(ortBin, spec.ort);
  if (!existsSync(path.join(ortDir, 'onnxruntime_binding.node'))) throw new Error(`onnxruntime-node has no binding for ${target}`);
  for (const f of spec.dropOrtFiles ?? []) rmSync(path.join(ortDir, f), { force: true });

  // sharp: this platform's @img packages, at the exact versions sharp pins.
  const sharpPkg = readJson(path.join(ROOT, 'node_modules', 'sharp', 'package.json'));
  for (const name of spec.sharp) {
    const version = sharpPkg.optionalDependencies?.[name];
    if (!version) throw new Error(`sharp ${sharpPkg.version} has no optional dependency ${name}`);
    const dest = path.join(dir, 'node_modules', name);
    const local = path.join(ROOT, 'node_modules', name);
    if (existsSync(local) && readJson(path.join(local, 'package.json')).version === version) cpSync(local, dest, { recursive: true });
    else fetchPackage(name, version, dest);
  }

  // Manifests: the extension's own dependencies become exactly the shipped roots.
  const shipped = new Set([...closure.values(), ...spec.sharp]);
  const pkg = readJson(path.join(ROOT, 'package.json'));
  const installedVersion = (name) => readJson(path.join(dir, 'node_modules', name, 'package.json')).version;
  pkg.dependencies = Object.fromEntries(roots.map((name) => [name, installedVersion(name)]));
  delete pkg.devDependencies;
  delete pkg.scripts;
  writeJson(path.join(dir, 'package.json'), pkg);
  for (const rel of closure.keys()) pruneManifest(path.join(dir, rel, 'package.json'), shipped);
  return dir;
}

/**
 * On the platform being packaged for, what the VSIX holds must load every runtime package by
 * itself, with require() and with import() (the worker import()s Transformers.js, which then
 * loads the ES module builds of its dependencies). The VSIX is extracted outside the repository:
 * inside it, Node would quietly fall back to the repository's node_modules for anything missing.
 */
function smokeTest(target, vsix, roots) {
  if (`${process.platform}-${process.arch}` !== target) return false;
  const outside = mkdtempSync(path.join(os.tmpdir(), 'mobileclip-assets-smoke-'));
  try {
    for (const [name, bytes] of Object.entries(unzipSync(readFileSync(vsix)))) {
      if (!name.startsWith('extension/') || name.endsWith('/')) continue;
      const dest = path.join(outside, name);
      mkdirSync(path.dirname(dest), { recursive: true });
      writeFileSync(dest, bytes);
    }
    const code = `
      const names = ${JSON.stringify(roots)};
      for (const n of names) require(n);
      Promise.all(names.map((n) => import(n)))
        .then(() => require('sharp')({ create: { width: 2, height: 2, channels: 3, background: '#f00' } }).png().toBuffer())
        .then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });`;
    run(process.execPath, ['-e', code], { cwd: path.join(outside, 'extension'), env: { ...process.env, NODE_PATH: '' } });
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
  return true;
}

/** Lists a VSIX (zip) without inflating it. */
function vsixEntries(file) {
  const entries = [];
  unzipSync(readFileSync(file), { filter: (f) => (entries.push({ name: f.name, size: f.originalSize }), false) });
  return entries;
}

function checkContents(target, entries) {
  const names = entries.map((e) => e.name);
  const spec = TARGETS[target];
  const problems = [];
  const must = [
    'extension/package.json',
    'extension/dist/extension.js',
    'extension/dist/worker.js',
    'extension/models/mobileclip-s0.json',
    `extension/node_modules/onnxruntime-node/bin/napi-v6/${spec.ort}/onnxruntime_binding.node`,
    ...spec.sharp.map((p) => `extension/node_modules/${p}/package.json`),
  ];
  for (const m of must) if (!names.includes(m)) problems.push(`missing ${m}`);
  const bindings = names.filter((n) => /onnxruntime_binding\.node$/.test(n));
  if (bindings.length !== 1) problems.push(`expected one onnxruntime binding, found: ${bindings.join(', ')}`);
  const otherSharp = names.filter((n) => /node_modules\/@img\/sharp-/.test(n) && !spec.sharp.some((p) => n.includes(`/${p}/`)));
  if (otherSharp.length) problems.push(`other platforms' sharp files: ${otherSharp.slice(0, 3).join(', ')}`);
  const forbidden = names.filter((n) => /^extension\/(src|test|scripts|bench|webview|\.cache|\.tools)\//.test(n) || /\.map$/.test(n) || /node_modules\/onnxruntime-web\//.test(n));
  if (forbidden.length) problems.push(`files that must not ship: ${forbidden.slice(0, 5).join(', ')}`);
  return problems;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const pkg = readJson(path.join(ROOT, 'package.json'));
  const buildDir = path.join(STAGE_ROOT, 'dist');
  if (opts.build || !existsSync(path.join(buildDir, 'extension.js'))) {
    rmSync(buildDir, { recursive: true, force: true });
    console.log('production build ->', path.relative(ROOT, buildDir));
    run(process.execPath, ['scripts/build.mjs', '--production', '--outdir', buildDir], { cwd: ROOT });
  }
  if (!existsSync(path.join(buildDir, 'extension.js'))) throw new Error('the build produced no extension.js (src/extension/extension.ts missing?)');

  const roots = requiredPackages(buildDir);
  for (const name of roots) if (NOT_SHIPPED[name]) throw new Error(`the bundles require ${name}, which is listed as not shipped (${NOT_SHIPPED[name]})`);
  console.log(`runtime packages required by the bundles: ${roots.join(', ')}`);
  const closure = runtimeClosure(roots);
  mkdirSync(opts.outDir, { recursive: true });
  const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const report = [];
  for (const target of opts.targets) {
    console.log(`\n== ${target}`);
    const dir = stage(target, buildDir, roots, closure);
    const out = path.join(opts.outDir, `${pkg.name}-${target}-${pkg.version}.vsix`);
    rmSync(out, { force: true });
    run(process.execPath, [vsce, 'package', '--target', target, '--out', out, '--no-yarn', '--no-rewrite-relative-links'], { cwd: dir });
    const smoked = smokeTest(target, out, roots);
    const entries = vsixEntries(out);
    const problems = checkContents(target, entries);
    const size = statSync(out).size;
    const unpacked = entries.reduce((s, e) => s + e.size, 0);
    report.push({ target, file: path.relative(ROOT, out), bytes: size, unpackedBytes: unpacked, files: entries.length, smokeTested: smoked, problems });
  }

  const mb = (b) => (b / 1024 / 1024).toFixed(1);
  console.log('\nVSIX                                               size MB  unpacked MB  files  load-tested');
  for (const r of report)
    console.log(
      `${r.file.padEnd(50)} ${mb(r.bytes).padStart(7)}  ${mb(r.unpackedBytes).padStart(11)}  ${String(r.files).padStart(5)}  ${r.smokeTested ? 'yes' : 'no (other platform)'}`,
    );
  writeJson(path.join(opts.outDir, 'sizes.json'), report);

  const failures = [];
  for (const r of report) {
    if (r.bytes > opts.budgetMb * 1024 * 1024) failures.push(`${r.target}: ${mb(r.bytes)} MB is over the ${opts.budgetMb} MB budget`);
    for (const p of r.problems) failures.push(`${r.target}: ${p}`);
  }
  if (failures.length) {
    console.error('\npackaging failed:\n  ' + failures.join('\n  '));
    process.exit(1);
  }
  console.log(`\nall within the ${opts.budgetMb} MB budget`);
}

try {
  main();
} catch (err) {
  console.error(`package: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
