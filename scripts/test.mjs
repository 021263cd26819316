// Builds the bundles (the worker process runs from dist/), then runs every test/**/*.test.ts
// with Node's own test runner. Extra arguments are passed as file filters: `npm test -- index`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

// Suites with their own runners and requirements: `npm run test:e2e` (code-server + Chromium)
// and `npm run test:electron` (downloads desktop VS Code).
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

const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const filters = process.argv.slice(2);
const files = findTests('test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(run.status ?? 1);
