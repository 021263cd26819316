// `npm run test:e2e`: installs code-server when needed (scripts/setup-code-server.sh, cached in
// .tools/), packages the VSIX for this machine, then runs test/e2e/*.test.ts one file at a time
// (each starts its own code-server and Chromium). Screenshots land in test-results/e2e/.
//
//   npm run test:e2e                      everything
//   npm run test:e2e -- gallery           only test files whose name contains "gallery"
//   npm run test:e2e -- --no-package      reuse dist-vsix/ as it is
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const noPackage = args.includes('--no-package');
const filters = args.filter((a) => !a.startsWith('--'));
const timings = {};

function step(name, cmd, cmdArgs) {
  const t0 = Date.now();
  console.log(`\n[e2e] ${name}: ${cmd} ${cmdArgs.join(' ')}`);
  const r = spawnSync(cmd, cmdArgs, { cwd: ROOT, stdio: 'inherit' });
  timings[name] = Math.round((Date.now() - t0) / 100) / 10;
  console.log(`[e2e] ${name}: ${timings[name]} s`);
  return r.status ?? 1;
}

function finish(code) {
  mkdirSync(path.join(ROOT, 'test-results', 'e2e'), { recursive: true });
  writeFileSync(path.join(ROOT, 'test-results', 'e2e', 'timings.json'), JSON.stringify(timings, null, 2) + '\n');
  console.log(`[e2e] timings (s): ${JSON.stringify(timings)}`);
  process.exit(code);
}

// Session folders (workspace, user data, logs) of the previous run; this run's stay for inspection.
rmSync(path.join(ROOT, '.cache', 'e2e', 'sessions'), { recursive: true, force: true });
rmSync(path.join(ROOT, 'test-results', 'e2e'), { recursive: true, force: true });

if (step('setup', 'bash', [path.join('scripts', 'setup-code-server.sh')]) !== 0) finish(1);
if (!noPackage && step('package', process.execPath, [path.join('scripts', 'package.mjs'), '--target', `${process.platform}-${process.arch}`]) !== 0) finish(1);

const files = readdirSync(path.join(ROOT, 'test', 'e2e'))
  .filter((f) => f.endsWith('.test.ts') && (filters.length === 0 || filters.some((x) => f.includes(x))))
  .sort()
  .map((f) => path.join('test', 'e2e', f));
if (files.length === 0) {
  console.error('[e2e] no test files matched');
  finish(1);
}
finish(step('scenarios', process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=600000', ...files]));
