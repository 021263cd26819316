// `npm run try`: build the VSIX and open it in VS Code on a sample workspace of real images.
//   Linux: VS Code in the browser (code-server, installed into .tools/ from the npm registry on
//          first use); prints the URL to open; Ctrl+C stops everything it started.
//   macOS, Windows: code-server has no build from the npm registry there, so the desktop VS Code
//          opens with a private profile (VS Code must be installed).
//
//   npm run try
//   npm run try -- --port 8080 --host 0.0.0.0     (no auth: only on a network you trust)
//   npm run try -- --workspace ~/my-images --model mobileclip-s0 --no-package
//   npm run try -- --desktop                      desktop VS Code instead of code-server
//   npm run try -- --prepare-only                 only build the sample workspace and settings
//   npm run try -- --dir DIR                      workspace, profile and log folder (default .cache/try)
//
// Model: the downloaded mobileclip-s0 when it is in the cache; otherwise the small semantic
// fixture model (it knows colour words only: try "red", "blue", "green") with the fixture
// captioner and teachers, so everything works offline. `--model` overrides.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Outside the repository (so the extension cannot resolve packages from the repo's node_modules), one per checkout. */
const TMP_ROOT = path.join(os.tmpdir(), `mobileclip-assets-try-${createHash('sha256').update(ROOT).digest('hex').slice(0, 8)}`);
const IS_WINDOWS = process.platform === 'win32';

/** A failure the user can act on: printed as one line, without a stack trace. */
class TryError extends Error {}

function parseArgs(argv) {
  const o = {
    port: 0,
    host: '127.0.0.1',
    workspace: '',
    model: '',
    package: true,
    desktop: process.platform !== 'linux',
    prepareOnly: false,
    dir: path.join(ROOT, '.cache', 'try'),
  };
  const value = (i) => {
    if (i >= argv.length) throw new TryError(`${argv[i - 1]} needs a value (see the header of scripts/try.mjs)`);
    return argv[i];
  };
  const userPath = (p) => path.resolve(p.replace(/^~(?=$|[\\/])/, os.homedir()));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') o.port = Number(value(++i));
    else if (a === '--host') o.host = value(++i);
    else if (a === '--workspace') o.workspace = userPath(value(++i));
    else if (a === '--model') o.model = value(++i);
    else if (a === '--dir') o.dir = userPath(value(++i));
    else if (a === '--no-package') o.package = false;
    else if (a === '--desktop') o.desktop = true;
    else if (a === '--prepare-only') o.prepareOnly = true;
    else throw new TryError(`unknown argument ${a} (see the header of scripts/try.mjs)`);
  }
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new TryError(`--port must be a port number, not ${o.port}`);
  return o;
}

function has(cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore', shell: IS_WINDOWS }).status === 0;
}

/** The desktop VS Code command line: `code` on PATH, else the default install location. */
function findVsCodeCli() {
  if (has('code')) return 'code';
  const candidates =
    {
      darwin: ['/Applications/Visual Studio Code.app/Contents/Resources/app/bin/code'],
      win32: [
        path.join(process.env.LOCALAPPDATA ?? '', 'Programs', 'Microsoft VS Code', 'bin', 'code.cmd'),
        path.join(process.env.ProgramFiles ?? 'C:\\Program Files', 'Microsoft VS Code', 'bin', 'code.cmd'),
      ],
    }[process.platform] ?? [];
  return candidates.find((c) => existsSync(c));
}

function codeServerPaths() {
  const out = spawnSync('bash', [path.join(ROOT, 'scripts', 'setup-code-server.sh'), '--paths'], { encoding: 'utf8' }).stdout ?? '';
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** Everything missing before anything is built or installed, one line each. */
function missingPrerequisites(opts) {
  const missing = [];
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 9)) missing.push(`Node.js 20.9 or newer (this is ${process.versions.node})`);
  const deps = ['sharp', 'onnxruntime-node', 'tsx', 'esbuild', '@vscode/vsce'];
  if (deps.some((d) => !existsSync(path.join(ROOT, 'node_modules', d, 'package.json')))) missing.push('the dependencies: run npm ci');
  if (opts.workspace && !(existsSync(opts.workspace) && statSync(opts.workspace).isDirectory())) missing.push(`the workspace folder ${opts.workspace}`);
  if (opts.prepareOnly) return missing;
  if (opts.desktop) {
    if (!findVsCodeCli()) missing.push('VS Code (https://code.visualstudio.com), or its `code` command on PATH');
    return missing;
  }
  if (!['x64', 'arm64'].includes(process.arch)) missing.push(`code-server for ${process.platform}-${process.arch}: use --desktop with VS Code installed`);
  if (!has('bash')) missing.push('bash (scripts/setup-code-server.sh installs code-server)');
  else if (codeServerPaths().installed !== 'yes') {
    // code-server compiles native modules; the setup script apt-installs these where it can.
    const canApt = has('apt-get') && (process.getuid?.() === 0 || has('sudo'));
    if (!canApt) {
      if (!has('make')) missing.push('make (Debian: build-essential), to build code-server');
      if (!has('c++') && !has('g++')) missing.push('a C++ compiler (Debian: g++), to build code-server');
      if (!has('python3')) missing.push('python3, to build code-server');
      if (!has('krb5-config')) missing.push('the Kerberos headers (Debian: libkrb5-dev; Fedora: krb5-devel), to build code-server');
    }
  }
  return missing;
}

function run(cmd, args, what, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts });
  if (r.status !== 0) throw new TryError(`${what} failed (exit ${r.status ?? r.signal}; see above)`);
  return r;
}

/** Sample workspace (unless the user gave one) and settings, from test/e2e/harness/try-setup.ts. */
function prepare(opts) {
  const args = ['--import', 'tsx', path.join('test', 'e2e', 'harness', 'try-setup.ts')];
  if (!opts.workspace) args.push('--sample-workspace', path.join(opts.dir, 'workspace'));
  if (opts.model) args.push('--model', opts.model);
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.status !== 0) throw new TryError(`preparing the sample workspace and models failed:\n${r.stderr.trim()}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function readJsonFile(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {}; // missing, or not ours to keep
  }
}

/**
 * User settings, and the same in the Machine settings: in code-server (a remote setup) the
 * machine-scoped ones (model, captioner, teachers) apply from there. Null removes a setting.
 */
function writeSettings(userData, settings) {
  const base = {
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'telemetry.telemetryLevel': 'off',
    // The sample workspace lives inside this repository's .cache/.
    'git.openRepositoryInParentFolders': 'never',
    'files.exclude': { '**/.git': true, '**/.svn': true, '**/.hg': true, '**/.DS_Store': true, '**/Thumbs.db': true, '**/.sample-complete': true },
  };
  for (const [scope, values] of [
    ['User', { ...base, ...settings }],
    ['Machine', settings],
  ]) {
    const file = path.join(userData, scope, 'settings.json');
    const merged = { ...readJsonFile(file), ...values };
    for (const [k, v] of Object.entries(merged)) if (v === null) delete merged[k];
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(merged, null, 2) + '\n');
  }
  return path.join(userData, 'User', 'settings.json');
}

function buildVsix(opts) {
  const target = `${process.platform}-${process.arch}`;
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const vsix = path.join(ROOT, 'dist-vsix', `${pkg.name}-${target}-${pkg.version}.vsix`);
  if (opts.package || !existsSync(vsix)) run(process.execPath, [path.join('scripts', 'package.mjs'), '--target', target], 'packaging the extension');
  if (!existsSync(vsix)) throw new TryError(`${vsix} is missing after packaging`);
  return vsix;
}

function freePort(host) {
  return new Promise((resolve, reject) => {
    const s = http.createServer();
    s.on('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, child, logFile) {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const req = http.get(`${url}/healthz`, (res) => {
        res.resume();
        resolve((res.statusCode ?? 500) < 400);
      });
      req.on('error', () => resolve(false));
      req.setTimeout(2000, () => req.destroy());
    });
    if (ok) return;
    if (child.exitCode !== null || Date.now() > deadline) throw new TryError(`code-server did not start (see ${logFile})`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

function printSummary(lines, setup) {
  for (const [k, v] of lines) console.log(`  ${`${k}:`.padEnd(11)}${v}`);
  console.log(`  ${'model:'.padEnd(11)}${setup.model}`);
  if (setup.fixture) {
    console.log('             test fixture models (no download): the image model knows colour words only ("red",');
    console.log('             "blue", "green"); captions and reinforcement teachers are fixtures too. For the real');
    console.log('             model run again with --model mobileclip-s0: the extension offers the download.');
  }
}

async function runCodeServer(opts, vsix, userData, workspace, setup) {
  const cs = codeServerPaths();
  if (cs.installed !== 'yes') throw new TryError('code-server is not installed (scripts/setup-code-server.sh failed?)');
  const env = { ...process.env, PATH: `${path.dirname(cs.node)}${path.delimiter}${process.env.PATH}`, NODE_OPTIONS: '' };
  const extensions = path.join(TMP_ROOT, 'extensions');
  rmSync(extensions, { recursive: true, force: true }); // always the VSIX just built
  // Its own config file: code-server would otherwise write ~/.config/code-server/config.yaml.
  const config = path.join(opts.dir, 'code-server.yaml');
  writeFileSync(config, 'auth: none\n');
  const profile = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensions];
  console.log('installing the extension into code-server');
  run(cs.node, [cs.code_server, ...profile, '--install-extension', vsix], 'installing the extension into code-server', { env });

  const port = opts.port || (await freePort(opts.host));
  const logFile = path.join(opts.dir, 'code-server.log');
  const log = openSync(logFile, 'w');
  const child = spawn(
    cs.node,
    [cs.code_server, '--bind-addr', `${opts.host}:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', ...profile, workspace],
    { env, detached: true, stdio: ['ignore', log, log] },
  );

  let stopping = false;
  const stop = (code) => {
    if (stopping) return;
    stopping = true;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      process.exit(code);
    }, 1500).unref();
    child.once('exit', () => setTimeout(() => process.exit(code), 200));
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  child.on('exit', (c) => {
    if (!stopping) {
      console.error(`try: code-server exited (${c}); see ${logFile}`);
      stop(1);
    }
  });

  const base = `http://${opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host}:${port}`;
  await waitHealthy(base, child, logFile);
  console.log(`\nMobileCLIP Assets is running in VS Code (code-server ${cs.version})`);
  printSummary(
    [
      ['open', `${base}/?folder=${encodeURIComponent(workspace)}`],
      ['workspace', workspaceLine(workspace, setup)],
    ],
    setup,
  );
  if (opts.host !== '127.0.0.1' && opts.host !== 'localhost') console.log('  warning:   no authentication; anyone who can reach this port can use this VS Code');
  console.log(`  ${'log:'.padEnd(11)}${logFile}\nPress Ctrl+C to stop.`);
}

function runDesktop(vsix, userData, workspace, setup) {
  const cli = findVsCodeCli();
  const extensions = path.join(TMP_ROOT, 'extensions');
  rmSync(extensions, { recursive: true, force: true });
  // code.cmd needs a shell on Windows; quote every argument for it.
  const code = (args, what) => run(IS_WINDOWS ? `"${cli}"` : cli, IS_WINDOWS ? args.map((a) => `"${a}"`) : args, what, { shell: IS_WINDOWS });
  const profile = ['--user-data-dir', userData, '--extensions-dir', extensions];
  code([...profile, '--install-extension', vsix, '--force'], 'installing the extension into VS Code');
  code([...profile, '--new-window', workspace], 'opening VS Code');
  console.log('\nMobileCLIP Assets is open in VS Code (a private profile: your own settings and extensions are untouched)');
  printSummary(
    [
      ['workspace', workspaceLine(workspace, setup)],
      ['profile', userData],
    ],
    setup,
  );
}

function workspaceLine(workspace, setup) {
  return setup.workspace ? `${workspace} (${setup.workspace.images} sample images)` : workspace;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const missing = missingPrerequisites(opts);
  if (missing.length) {
    for (const m of missing) console.error(`try: missing ${m}`);
    process.exit(1);
  }
  mkdirSync(opts.dir, { recursive: true });
  const setup = prepare(opts);
  const workspace = opts.workspace || setup.workspace.dir;
  const userData = path.join(opts.dir, 'user-data');
  const settingsFile = writeSettings(userData, setup.settings);
  if (opts.prepareOnly) {
    console.log('prepared (VS Code not started)');
    printSummary(
      [
        ['workspace', workspaceLine(workspace, setup)],
        ['settings', settingsFile],
      ],
      setup,
    );
    return;
  }
  if (!opts.desktop) run('bash', [path.join('scripts', 'setup-code-server.sh'), '--no-browser'], 'installing code-server (scripts/setup-code-server.sh)');
  const vsix = buildVsix(opts);
  if (opts.desktop) runDesktop(vsix, userData, workspace, setup);
  else await runCodeServer(opts, vsix, userData, workspace, setup);
}

main().catch((err) => {
  console.error(`try: ${err instanceof TryError ? err.message : err instanceof Error ? err.stack : err}`);
  process.exit(1);
});
