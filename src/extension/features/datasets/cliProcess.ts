// Runs a `mobileclip-assets` CLI command (dist/cli.js) in a child process and reads its --json
// output. Used for CPU-heavy work that is plain JavaScript rather than worker inference (fitting
// the distillation adapter), so it never runs on the extension host's thread. No `vscode` import.
import { spawn } from 'node:child_process';

export interface CliResult {
  code: number | null;
  /** Everything the command printed on stdout. */
  stdout: string;
  /** The last lines it printed on stderr (progress and errors). */
  stderrTail: string[];
  cancelled: boolean;
}

export interface CliOptions {
  signal?: AbortSignal;
  /** Each stderr line as it arrives (progress). */
  onLine?: (line: string) => void;
  cwd?: string;
  /** Grace period between SIGINT (the CLI saves and stops) and SIGKILL on cancel. */
  killAfterMs?: number;
}

const TAIL_LINES = 20;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

export function runCli(script: string, args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // ELECTRON_RUN_AS_NODE: inside VS Code, process.execPath is Electron; this makes it plain Node.
    const child = spawn(process.execPath, [script, ...args], {
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      windowsHide: true,
    });
    let stdout = '';
    let pending = '';
    const tail: string[] = [];
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const line = (raw: string) => {
      for (const part of raw.split('\r')) {
        const text = part.replace(ANSI, '').trimEnd();
        if (!text) continue;
        tail.push(text);
        if (tail.length > TAIL_LINES) tail.shift();
        opts.onLine?.(text);
      }
    };
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      lines.forEach(line);
    });
    const onAbort = () => {
      cancelled = true;
      child.kill('SIGINT');
      killTimer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 5000);
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      reject(err);
    });
    child.on('close', (code) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (pending) line(pending);
      resolve({ code, stdout, stderrTail: tail, cancelled });
    });
  });
}

/** The JSON document a `--json` command printed (its last non-empty stdout line). */
export function parseJsonOutput<T>(stdout: string): T | undefined {
  const last = stdout.trim().split('\n').pop();
  if (!last) return undefined;
  try {
    return JSON.parse(last) as T;
  } catch {
    return undefined;
  }
}

/** The error a failed CLI run reports: its last stderr line without the "mobileclip-assets cmd:" prefix. */
export function cliError(r: CliResult): string {
  const last = r.stderrTail[r.stderrTail.length - 1] ?? `exited with code ${r.code}`;
  return last.replace(/^mobileclip-assets(?: [a-z-]+)?: /, '');
}
