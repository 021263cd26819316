// The whole test suite, as CI runs it (`npm test`):
//   0. lint (`npm run lint`: ESLint with zero warnings, then Prettier's check), on full runs only;
//   1. builds the bundles (the worker process runs from dist/);
//   2. runs every test/**/*.test.ts with Node's own test runner (engine, CLI, webviews in
//      headless Chromium, extension helpers);
//   3. runs the end-to-end suite: the packaged VSIX in a real VS Code (code-server), driven by
//      Chromium (test/e2e/run.mjs; installs code-server into .tools/ on first use).
// `npm test -- index tags` runs only the unit test files whose path contains one of the words;
// `npm test -- --unit` skips the end-to-end suite. A filtered run skips lint (it is for a quick
// loop on a few files), `--lint` runs it anyway and `--no-lint` skips it on a full run.
// A lint failure does not stop the tests: they run, and the exit code fails at the end.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

// Suites with their own runners: test/e2e (step 3) and test/electron (`npm run test:electron`,
// which downloads desktop VS Code and so cannot run offline).
const SEPARATE_SUITES = new Set([join('test', 'e2e'), join('test', 'electron')]);

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (SEPARATE_SUITES.has(p)) continue;
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

let lintOk = true;
if (args.includes('--lint') || (filters.length === 0 && !args.includes('--no-lint'))) {
  console.log('=== lint (npm run lint) ===');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  lintOk = spawnSync(npm, ['run', '--silent', 'lint'], { stdio: 'inherit', shell: process.platform === 'win32' }).status === 0;
  if (!lintOk) console.error('lint failed: `npm run lint:fix` and `npm run format` fix most of it (DEVELOPERS.md, "Lint, format and type strictness")');
}

const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const files = findTests('test')
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const unit = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
if (unitOnly || filters.length > 0) process.exit(lintOk ? (unit.status ?? 1) : 1);

console.log('\n=== end-to-end suite (code-server) ===');
const e2e = spawnSync(process.execPath, [join('test', 'e2e', 'run.mjs')], { stdio: 'inherit' });
process.exit(lintOk && unit.status === 0 && e2e.status === 0 ? 0 : 1);
