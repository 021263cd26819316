// Runs the Python twins under test/reinforce/python with Debian's interpreter (/usr/bin/python3 with
// python3-numpy and python3-pil; `python3` on PATH may be another installation without them).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const PYTHON = process.env.MOBILECLIP_TEST_PYTHON ?? '/usr/bin/python3';
export const PYTHON_DIR = path.join(__dirname, 'python');

/** Runs `script` (a file in test/reinforce/python) and returns its stdout; throws with stderr on failure. */
export function runPython(script: string, args: string[], opts: { timeoutMs?: number } = {}): string {
  const r = spawnSync(PYTHON, [path.join(PYTHON_DIR, script), ...args], { encoding: 'utf8', timeout: opts.timeoutMs ?? 300_000, maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${PYTHON} ${script}: ${r.error.message} (install python3-numpy and python3-pil)`);
  if (r.status !== 0) throw new Error(`${PYTHON} ${script} exited ${r.status}:\n${r.stderr}`);
  return r.stdout;
}
