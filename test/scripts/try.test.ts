// `npm run try` up to the point where VS Code starts (--prepare-only): the sample workspace is
// built atomically from the data in the repository (an interrupted build is rebuilt by the next
// run, never reused), the fixture model, captioner and teachers are configured, and mistakes get
// one line, not a stack trace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { SAMPLE_COLOURS, SAMPLE_MARKER, ensureSampleWorkspace } from '../e2e/harness/sample-workspace';
import { CLIPART_DIR, PROJECT_ROOT } from '../fixtures/paths';

const TRY = path.join(PROJECT_ROOT, 'scripts', 'try.mjs');
let base: string;

before(async () => {
  base = path.join(PROJECT_ROOT, '.cache', 'test-try', String(process.pid));
  await fs.rm(base, { recursive: true, force: true });
  await fs.mkdir(base, { recursive: true });
});
after(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

async function filesUnder(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await filesUnder(dir, r)));
    else out.push(r);
  }
  return out.sort();
}

/** `node scripts/try.mjs ...args` with no downloaded model in its cache. */
function tryScript(args: string[]) {
  return spawnSync(process.execPath, [TRY, ...args], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: { ...process.env, MOBILECLIP_ASSETS_CACHE: path.join(base, 'empty-model-cache'), NODE_OPTIONS: '' },
    timeout: 300_000,
  });
}

/** Every clip-art file of the repository is in the workspace, byte for byte, plus the colours. */
async function assertCompleteSample(workspace: string): Promise<void> {
  const clipart = await filesUnder(CLIPART_DIR);
  assert.ok(clipart.filter((f) => f.endsWith('.png')).length >= 70, 'the repository holds the sample clip art');
  assert.ok(clipart.includes('COPYRIGHT-openclipart'));
  const expected = [...clipart.map((f) => `clipart/${f}`), ...SAMPLE_COLOURS.map((c) => `colours/${c}.png`), 'README.md', SAMPLE_MARKER].sort();
  assert.deepEqual(await filesUnder(workspace), expected);
  for (const f of clipart) {
    assert.ok((await fs.readFile(path.join(workspace, 'clipart', f))).equals(await fs.readFile(path.join(CLIPART_DIR, f))), f);
  }
  const siblings = await fs.readdir(path.dirname(workspace));
  assert.deepEqual(
    siblings.filter((n) => n.startsWith('.tmp-')),
    [],
    'no temp folder of an interrupted build is left',
  );
}

test('an interrupted sample workspace is never marked complete, and the next npm run try rebuilds it', { timeout: 300_000 }, async () => {
  const dir = path.join(base, 'interrupted');
  const workspace = path.join(dir, 'workspace');
  // A real hard stop in the middle of the build: the process kills itself after 10 images.
  const script = path.join(base, 'interrupt.ts');
  await fs.writeFile(
    script,
    [
      `import { ensureSampleWorkspace } from ${JSON.stringify(path.join(PROJECT_ROOT, 'test', 'e2e', 'harness', 'sample-workspace'))};`,
      `void ensureSampleWorkspace(${JSON.stringify(workspace)}, { onImage: (n) => { if (n === 10) process.kill(process.pid, 'SIGKILL'); } });`,
    ].join('\n'),
  );
  const killed = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: PROJECT_ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  assert.ok(!existsSync(path.join(workspace, SAMPLE_MARKER)), 'the partial workspace is not marked complete');
  assert.ok(
    (await fs.readdir(dir)).some((n) => n.startsWith('.tmp-workspace-')),
    'the interrupted build left its temp folder',
  );

  const r = tryScript(['--prepare-only', '--dir', dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`workspace: ${workspace.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+ sample images\\)`));
  await assertCompleteSample(workspace);

  // Configured as the end-to-end tests do: fixture model, captioner and teachers, no download.
  for (const scope of ['User', 'Machine']) {
    const settings = JSON.parse(await fs.readFile(path.join(dir, 'user-data', scope, 'settings.json'), 'utf8')) as Record<string, unknown>;
    const model = settings['mobileclipAssets.model'] as string;
    const captioner = settings['mobileclipAssets.captions.model'] as string;
    const teachers = settings['mobileclipAssets.reinforce.teachers'] as string[];
    assert.ok(existsSync(path.join(model, 'onnx')), `${scope}: model folder ${model}`);
    assert.ok(existsSync(path.join(captioner, 'onnx', 'decoder_model_merged.onnx')), `${scope}: captioner folder ${captioner}`);
    assert.equal(teachers.length, 2);
    for (const t of teachers) assert.ok(existsSync(path.join(t, 'config.json')), `${scope}: teacher folder ${t}`);
    assert.equal(settings['mobileclipAssets.textPrecision'], 'fp32');
  }
});

test('a complete sample workspace is reused; one from another version of the sample is rebuilt', async () => {
  const workspace = path.join(base, 'reuse', 'workspace');
  assert.equal((await ensureSampleWorkspace(workspace)).rebuilt, true);
  await fs.writeFile(path.join(workspace, 'notes.txt'), 'mine');
  assert.equal((await ensureSampleWorkspace(workspace)).rebuilt, false);
  assert.equal(await fs.readFile(path.join(workspace, 'notes.txt'), 'utf8'), 'mine');

  // What an older try left behind after a crash: colours only, with an empty marker.
  await fs.rm(path.join(workspace, 'clipart'), { recursive: true });
  await fs.rm(path.join(workspace, 'notes.txt'));
  await fs.writeFile(path.join(workspace, SAMPLE_MARKER), '');
  assert.equal((await ensureSampleWorkspace(workspace)).rebuilt, true);
  await assertCompleteSample(workspace);
});

test('a wrong argument or a missing folder is one line on stderr, not a stack trace', () => {
  for (const [args, message] of [
    [['--frobnicate'], /^try: unknown argument --frobnicate/],
    [['--prepare-only', '--workspace', path.join(base, 'no-such-folder')], /^try: missing the workspace folder .*no-such-folder$/],
    [['--port'], /^try: --port needs a value/],
  ] as const) {
    const r = tryScript([...args]);
    assert.equal(r.status, 1, args.join(' '));
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, message);
  }
});
