// Every measurement runs in a fresh Node process (bench/tasks/<name>.ts), so memory, threads and
// JIT state of one never leak into the next, and the indexing host is a process of its own like
// an extension host. A task gets its arguments as JSON in argv and answers with one line
// `@@result <json>` on stdout; everything else it prints is progress and goes to our stderr.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { PROJECT_ROOT } from './util';

const MARK = '@@result ';

export function runTask<T>(name: string, args: unknown, opts: { env?: Record<string, string>; nodeFlags?: string[] } = {}): Promise<T> {
  const script = path.join(PROJECT_ROOT, 'bench', 'tasks', `${name}.ts`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), '--import', 'tsx', script, JSON.stringify(args)], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...opts.env },
    });
    let out = '';
    let result: T | undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line.startsWith(MARK)) result = JSON.parse(line.slice(MARK.length)) as T;
        else if (line.trim()) process.stderr.write(`    ${line}\n`);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (out.startsWith(MARK)) result = JSON.parse(out.slice(MARK.length)) as T;
      if (result !== undefined && code === 0) resolve(result);
      else reject(new Error(`bench task ${name} failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

/** Task side: parse the arguments, run, print the result line, exit. */
export function taskMain<A, R>(run: (args: A) => Promise<R>): void {
  const args = JSON.parse(process.argv[2] ?? '{}') as A;
  run(args).then(
    (result) => {
      process.stdout.write(`${MARK}${JSON.stringify(result)}\n`, () => process.exit(0));
    },
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exit(1);
    },
  );
}

/** Progress line from a task (shown indented under the section being run). */
export function progress(line: string): void {
  process.stdout.write(`${line}\n`);
}
