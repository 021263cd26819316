// `npm run try`: build the VSIX, start code-server with it on a sample workspace of real images,
// and print the URL to open. Ctrl+C stops everything it started.
//
//   npm run try
//   npm run try -- --port 8080 --host 0.0.0.0     (no auth: only on a network you trust)
//   npm run try -- --workspace ~/my-images --model mobileclip-s0 --no-package
//
// Model: the downloaded mobileclip-s0 when it is in the cache; otherwise the small semantic
// fixture model (it knows colour words only: try "red", "blue", "green"). `--model` overrides.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TRY_DIR = path.join(ROOT, '.cache', 'try');
const SHARED_IMAGES = path.resolve(ROOT, '..', 'shared', 'data', 'images');

function parseArgs(argv) {
  const o = { port: 0, host: '127.0.0.1', workspace: '', model: '', package: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') o.port = Number(argv[++i]);
    else if (a === '--host') o.host = argv[++i];
    else if (a === '--workspace') o.workspace = path.resolve(argv[++i].replace(/^~(?=$|\/)/, os.homedir()));
    else if (a === '--model') o.model = argv[++i];
    else if (a === '--no-package') o.package = false;
    else throw new Error(`unknown argument ${a} (see the header of scripts/try.mjs)`);
  }
  return o;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
  return r;
}

function codeServerPaths() {
  const out = spawnSync('bash', [path.join(ROOT, 'scripts', 'setup-code-server.sh'), '--paths'], { encoding: 'utf8' }).stdout;
  return Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** Sample workspace: real clip art and photos, plus solid colours the fixture model understands. */
async function sampleWorkspace(dir) {
  if (existsSync(path.join(dir, '.sample-complete'))) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const sub of ['openclipart', 'backgrounds']) {
    const from = path.join(SHARED_IMAGES, sub);
    if (existsSync(from)) cpSync(from, path.join(dir, sub), { recursive: true }); // with the COPYRIGHT files
  }
  const colours = { red: [230, 25, 25], green: [30, 170, 50], blue: [30, 60, 220], yellow: [250, 225, 30], orange: [250, 140, 20], purple: [130, 40, 170] };
  mkdirSync(path.join(dir, 'colours'), { recursive: true });
  for (const [name, [r, g, b]] of Object.entries(colours)) {
    await sharp({ create: { width: 96, height: 64, channels: 3, background: { r, g, b } } }).png().toFile(path.join(dir, 'colours', `${name}.png`));
  }
  writeFileSync(path.join(dir, 'README.md'), '# MobileCLIP Assets sample workspace\n\nOpen the **Assets** view in the Activity Bar, or run *MobileCLIP Assets: Find Images by Description* from the Command Palette.\n');
  writeFileSync(path.join(dir, '.sample-complete'), '');
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

async function waitHealthy(url, child) {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const req = http.get(`${url}/healthz`, (res) => { res.resume(); resolve((res.statusCode ?? 500) < 400); });
      req.on('error', () => resolve(false));
      req.setTimeout(2000, () => req.destroy());
    });
    if (ok) return;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('code-server did not start (see .cache/try/code-server.log)');
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const target = `${process.platform}-${process.arch}`;
  run('bash', [path.join('scripts', 'setup-code-server.sh')]);
  if (opts.package || !existsSync(path.join(ROOT, 'dist-vsix'))) run(process.execPath, [path.join('scripts', 'package.mjs'), '--target', target]);
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const vsix = path.join(ROOT, 'dist-vsix', `${pkg.name}-${target}-${pkg.version}.vsix`);
  if (!existsSync(vsix)) throw new Error(`${vsix} is missing`);

  const cs = codeServerPaths();
  if (cs.installed !== 'yes') throw new Error('code-server is not installed (scripts/setup-code-server.sh failed?)');
  const env = { ...process.env, PATH: `${path.dirname(cs.node)}${path.delimiter}${process.env.PATH}`, NODE_OPTIONS: '' };

  const workspace = opts.workspace || path.join(TRY_DIR, 'workspace');
  if (!opts.workspace) await sampleWorkspace(workspace);
  const userData = path.join(TRY_DIR, 'user-data');
  // Outside the repository, so the extension cannot resolve packages from the repo's node_modules.
  const extensions = path.join(os.tmpdir(), 'mobileclip-assets-try', 'extensions');
  rmSync(extensions, { recursive: true, force: true }); // always the VSIX just built
  mkdirSync(path.join(userData, 'User'), { recursive: true });

  let model = opts.model;
  let fixture = false;
  if (!model) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join('test', 'e2e', 'harness', 'try-model.ts')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    if (r.status !== 0) throw new Error(`choosing a model failed: ${r.stderr}`);
    ({ model, fixture } = JSON.parse(r.stdout.trim().split('\n').pop()));
  }
  const settingsFile = path.join(userData, 'User', 'settings.json');
  const settings = existsSync(settingsFile) ? JSON.parse(readFileSync(settingsFile, 'utf8')) : {};
  Object.assign(settings, {
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'telemetry.telemetryLevel': 'off',
    'mobileclipAssets.model': model,
  });
  // The fixture folder has fp32 towers only (the default text precision is int8).
  if (fixture) settings['mobileclipAssets.textPrecision'] = 'fp32';
  else delete settings['mobileclipAssets.textPrecision'];
  writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
  // Machine-scoped settings (the model) apply from the Remote settings in code-server.
  mkdirSync(path.join(userData, 'Machine'), { recursive: true });
  const machineFile = path.join(userData, 'Machine', 'settings.json');
  const machine = existsSync(machineFile) ? JSON.parse(readFileSync(machineFile, 'utf8')) : {};
  writeFileSync(machineFile, JSON.stringify({ ...machine, 'mobileclipAssets.model': model }, null, 2));

  console.log('installing the extension into code-server');
  run(cs.node, [cs.code_server, '--extensions-dir', extensions, '--user-data-dir', userData, '--install-extension', vsix], { env });

  const port = opts.port || (await freePort(opts.host));
  const logFile = path.join(TRY_DIR, 'code-server.log');
  const log = openSync(logFile, 'w');
  const child = spawn(cs.node, [cs.code_server, '--bind-addr', `${opts.host}:${port}`, '--auth', 'none', '--disable-telemetry',
    '--disable-update-check', '--disable-workspace-trust', '--user-data-dir', userData, '--extensions-dir', extensions, workspace],
  { env, detached: true, stdio: ['ignore', log, log] });

  let stopping = false;
  const stop = (code) => {
    if (stopping) return;
    stopping = true;
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
    setTimeout(() => {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      process.exit(code);
    }, 1500).unref();
    child.once('exit', () => setTimeout(() => process.exit(code), 200));
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  child.on('exit', (c) => {
    if (!stopping) {
      console.error(`code-server exited (${c}); see ${logFile}`);
      stop(1);
    }
  });

  const base = `http://${opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host}:${port}`;
  await waitHealthy(base, child);
  const images = opts.workspace ? '' : ` (${countImages(workspace)} images)`;
  console.log(`\nMobileCLIP Assets is running in VS Code ${cs.version ? `(code-server ${cs.version})` : ''}`);
  console.log(`  open:      ${base}/?folder=${encodeURIComponent(workspace)}`);
  console.log(`  workspace: ${workspace}${images}`);
  console.log(`  model:     ${model}`);
  if (fixture) {
    console.log('             test fixture model: it knows colour words only ("red", "blue", "green"). For the real');
    console.log('             model run again with --model mobileclip-s0: the extension offers the download.');
  }
  if (opts.host !== '127.0.0.1' && opts.host !== 'localhost') console.log('  warning:   no authentication; anyone who can reach this port can use this VS Code');
  console.log(`  log:       ${logFile}\nPress Ctrl+C to stop.`);
}

function countImages(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += countImages(path.join(dir, e.name));
    else if (/\.(png|jpe?g|gif|webp|avif|tiff?|svg)$/i.test(e.name)) n++;
  }
  return n;
}

main().catch((err) => {
  console.error(`try: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
