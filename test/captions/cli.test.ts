// `mobileclip-assets caption` as a user runs it: the built dist/cli.js in a child process.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { captionerModelDir } from '../fixtures/captioner';
import { writeSolidImage } from '../fixtures/images';
import { FIXTURE_COLORS } from '../fixtures/models';
import { runCli } from '../helpers/cli';

const root = path.resolve(__dirname, '../..');
const work = path.join(root, '.cache', 'test-captions', `cli-${process.pid}`);
let fixture: string;

const run = (args: string[]) => runCli(args, work);

before(async () => {
  await fs.rm(work, { recursive: true, force: true });
  await fs.mkdir(work, { recursive: true });
  fixture = await captionerModelDir();
});
after(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

test('caption a folder: --json prints [{path, captions}] and writes <folder>/.mobileclip/captions.json', async () => {
  const data = path.join(work, 'data');
  const red = await writeSolidImage(path.join(data, 'red.png'), FIXTURE_COLORS.red!);
  const blue = await writeSolidImage(path.join(data, 'nested', 'blue.jpg'), FIXTURE_COLORS.blue!);
  await fs.writeFile(path.join(data, 'broken.png'), 'not a png');
  const args = ['caption', 'data', '--captioner', fixture, '--count', '3', '--seed', '4', '--top-k', '10', '--temperature', '0.9', '--json'];
  const r = await run(args);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Array<{ path: string; captions?: string[]; error?: string }>;
  assert.deepEqual(out.map((o) => o.path).sort(), [path.join(data, 'broken.png'), blue, red].sort());
  const byPath = new Map(out.map((o) => [o.path, o]));
  assert.match(byPath.get(path.join(data, 'broken.png'))!.error!, /not an image/);
  assert.equal(byPath.get(red)!.captions!.length, 3);
  assert.ok(byPath.get(red)!.captions!.some((c) => c.includes('red')));
  assert.ok(byPath.get(blue)!.captions!.some((c) => c.includes('blue')));

  const file = JSON.parse(await fs.readFile(path.join(data, '.mobileclip', 'captions.json'), 'utf8'));
  assert.deepEqual(Object.keys(file.images), ['nested/blue.jpg', 'red.png']);
  const runInfo = file.runs[file.images['red.png'].run];
  assert.deepEqual(runInfo.settings, { count: 3, seed: 4, topK: 10, temperature: 0.9, maxNewTokens: 32 });

  // A single file inside the folder finds the folder's captions file; nothing is regenerated.
  const again = await run(['caption', red, '--captioner', fixture, '--count', '3', '--seed', '4', '--top-k', '10', '--temperature', '0.9']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /0 captioned, 1 up to date, 0 failed/);
  for (const c of byPath.get(red)!.captions!) assert.ok(again.stdout.includes(`  - ${c}`));
});

test('bad flags are usage errors (exit 2); an unknown captioner names the registry', async () => {
  const bad = await run(['caption', 'x.png', '--top-k', 'many']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--top-k must be a whole number/);
  const zero = await run(['caption', 'x.png', '--temperature', '0']);
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /temperature/);
  const none = await run(['caption']);
  assert.equal(none.code, 2);
  const unknown = await run(['caption', 'x.png', '--captioner', 'captioner-nope']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown model "captioner-nope".*captioner-vit-gpt2/);
  const missing = await run(['caption', 'x.png']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /not downloaded/);
  assert.match(missing.stderr, /encoder_model\.onnx/);
});
