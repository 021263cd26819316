// Runs code-server (VS Code served to a browser; the extension host runs on Node server-side, as
// in remote development) from the tool folder that scripts/setup-code-server.sh fills, with a
// private user-data dir, and stops every process it started (process-group kill).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs, existsSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../fixtures/paths';

export const E2E_ROOT = path.join(PROJECT_ROOT, '.cache', 'e2e');
/**
 * Installed extensions live outside the repository: inside it, Node would resolve anything the
 * VSIX lacks from the repository's own node_modules, and the tests would not notice. Keyed by
 * checkout, so that two clones running the suite at once never remove each other's installs.
 */
export const EXTENSIONS_ROOT = path.join(os.tmpdir(), `mobileclip-assets-e2e-${createHash('sha256').update(PROJECT_ROOT).digest('hex').slice(0, 8)}`);
export const RESULTS_DIR = path.join(PROJECT_ROOT, 'test-results', 'e2e');

export interface CodeServerInstall {
  node: string;
  nodeDir: string;
  entry: string;
  version: string;
}

/** Paths of the installed code-server; fails with the command to run when it is not installed. */
export function codeServerInstall(): CodeServerInstall {
  const script = path.join(PROJECT_ROOT, 'scripts', 'setup-code-server.sh');
  const out = spawnSync('bash', [script, '--paths'], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`${script} --paths failed: ${out.stderr}`);
  const kv = Object.fromEntries(
    out.stdout
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  if (kv.installed !== 'yes') throw new Error(`code-server ${kv.version} is not installed: run scripts/setup-code-server.sh (or npm run test:e2e, which does)`);
  return { node: kv.node!, nodeDir: kv.node_dir!, entry: kv.code_server!, version: kv.version! };
}

/** The VSIX `npm run package` built for this machine. */
export function hostVsix(): string {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  const file = path.join(PROJECT_ROOT, 'dist-vsix', `${pkg.name}-${process.platform}-${process.arch}-${pkg.version}.vsix`);
  if (!existsSync(file)) throw new Error(`${file} is missing: run node scripts/package.mjs --target ${process.platform}-${process.arch} (npm run test:e2e does)`);
  return file;
}

function envFor(install: CodeServerInstall, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${path.join(install.nodeDir, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    // Our test runner's loaders must not leak into code-server's Node.
    NODE_OPTIONS: '',
    ...extra,
  };
}

/**
 * An extensions folder with the VSIX installed, shared by every session of a run (keyed by the
 * VSIX's content hash; installed into a temp folder and renamed, so a half install is never used).
 */
export async function extensionsDirFor(install: CodeServerInstall, vsix: string): Promise<string> {
  const hash = createHash('sha256')
    .update(await fs.readFile(vsix))
    .digest('hex')
    .slice(0, 12);
  const dir = path.join(EXTENSIONS_ROOT, `extensions-${hash}`);
  if (existsSync(path.join(dir, '.installed'))) return dir;
  await fs.mkdir(EXTENSIONS_ROOT, { recursive: true });
  const tmp = await fs.mkdtemp(path.join(EXTENSIONS_ROOT, '.tmp-extensions-'));
  const userData = await fs.mkdtemp(path.join(EXTENSIONS_ROOT, '.tmp-install-user-'));
  try {
    const config = path.join(userData, 'code-server.yaml');
    await fs.writeFile(config, 'auth: none\n');
    const r = spawnSync(install.node, [install.entry, '--config', config, '--extensions-dir', tmp, '--user-data-dir', userData, '--install-extension', vsix], {
      encoding: 'utf8',
      env: envFor(install),
      timeout: 180_000,
    });
    if (r.status !== 0 || !/was successfully installed/i.test(r.stdout + r.stderr)) {
      throw new Error(`code-server --install-extension failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    }
    await fs.writeFile(path.join(tmp, '.installed'), vsix + '\n');
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(tmp, dir);
    // Installs of older VSIX builds are no longer needed.
    for (const name of await fs.readdir(EXTENSIONS_ROOT)) {
      if (name.startsWith('extensions-') && name !== path.basename(dir)) await fs.rm(path.join(EXTENSIONS_ROOT, name), { recursive: true, force: true });
    }
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.rm(userData, { recursive: true, force: true });
  }
  return dir;
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 400);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => req.destroy());
  });
}

export interface CodeServerOptions {
  userDataDir: string;
  extensionsDir: string;
  workspace: string;
  /** Extra environment for code-server (and so for the extension host and its worker). */
  env?: NodeJS.ProcessEnv;
  /** Where code-server's stdout/stderr go. */
  logFile: string;
}

export interface RunningCodeServer {
  url: string;
  /** The workbench URL opening `workspace`. */
  workspaceUrl: string;
  pid: number;
  stop(): Promise<void>;
}

/** Processes whose process group is `pgid` (Linux/macOS `ps`). */
function groupMembers(pgid: number): number[] {
  const r = spawnSync('ps', ['-eo', 'pid=,pgid='], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter(([, g]) => g === pgid)
    .map(([p]) => p!);
}

export async function startCodeServer(install: CodeServerInstall, opts: CodeServerOptions): Promise<RunningCodeServer> {
  const port = await freePort();
  await fs.mkdir(path.dirname(opts.logFile), { recursive: true });
  const log = await fs.open(opts.logFile, 'a');
  const configFile = path.join(opts.userDataDir, 'code-server.yaml');
  await fs.mkdir(opts.userDataDir, { recursive: true });
  await fs.writeFile(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const child: ChildProcess = spawn(
    install.node,
    [
      install.entry,
      '--config',
      configFile,
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--user-data-dir',
      opts.userDataDir,
      '--extensions-dir',
      opts.extensionsDir,
      opts.workspace,
    ],
    {
      detached: true, // its own process group: stop() kills the extension host and workers with it
      stdio: ['ignore', log.fd, log.fd],
      env: envFor(install, opts.env),
    },
  );
  const pgid = child.pid!;
  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = async () => {
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pgid, sig);
      } catch {
        /* already gone */
      }
    };
    signalGroup('SIGTERM');
    for (let i = 0; i < 50 && groupMembers(pgid).length; i++) await new Promise((r) => setTimeout(r, 100));
    if (groupMembers(pgid).length) signalGroup('SIGKILL');
    for (let i = 0; i < 20 && groupMembers(pgid).length; i++) await new Promise((r) => setTimeout(r, 100));
    await log.close().catch(() => undefined);
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (!(await httpOk(`${url}/healthz`))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not start (see ${opts.logFile}):\n${await fs.readFile(opts.logFile, 'utf8').catch(() => '')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, workspaceUrl: `${url}/?folder=${encodeURIComponent(opts.workspace)}`, pid: pgid, stop };
}

export { groupMembers };
