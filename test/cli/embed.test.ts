// `mobileclip-assets embed` as a user runs it: the built dist/cli.js in a child process.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { FIXTURE_COLORS, colorModelDir } from '../fixtures/models';
import { writeBrokenFiles, writeSolidImage } from '../fixtures/images';
import { runCli } from '../helpers/cli';

const root = path.resolve(__dirname, '../..');
const work = path.join(root, '.cache', 'test-cli-embed', String(process.pid));
let modelDir: string;

const run = (args: string[]) => runCli(args, work);

const lines = (s: string) => s.split('\n').filter((l) => l.trim());

before(async () => {
  await fs.rm(work, { recursive: true, force: true });
  await fs.mkdir(work, { recursive: true });
  modelDir = await colorModelDir();
});

test('embed --json: texts and images, broken files reported per item, exit 0', async () => {
  const red = await writeSolidImage(path.join(work, 'red.png'), FIXTURE_COLORS.red);
  const blue = await writeSolidImage(path.join(work, 'blue.jpg'), FIXTURE_COLORS.blue);
  const broken = await writeBrokenFiles(path.join(work, 'broken'));
  const images = [red, broken.invalid.textAsPng, broken.invalid.zeroBytePng, broken.invalid.truncatedJpeg, blue];
  const r = await run(['embed', '--model', modelDir, '--text', 'red', '--text', 'blue', ...images, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { model: string; dim: number; items: Array<{ input: string; embedding?: number[]; error?: string }> };
  assert.equal(out.dim, 24);
  assert.equal(out.model, `local:${modelDir}`);
  assert.deepEqual(
    out.items.map((i) => i.input),
    ['red', 'blue', ...images],
  );
  const [tRed, tBlue, iRed, text, zero, trunc, iBlue] = out.items;
  assert.match(text.error!, /not an image \(text file named \.png\)/);
  assert.match(zero.error!, /empty file/);
  assert.match(trunc.error!, /truncated or corrupt JPEG/);
  for (const it of [tRed, tBlue, iRed, iBlue]) assert.equal(it.embedding!.length, 24);
  const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
  assert.ok(dot(tRed.embedding!, iRed.embedding!) > dot(tRed.embedding!, iBlue.embedding!));
  assert.ok(dot(tBlue.embedding!, iBlue.embedding!) > dot(tBlue.embedding!, iRed.embedding!));
});

test('embed without --json prints a readable summary', async () => {
  const red = await writeSolidImage(path.join(work, 'red2.png'), FIXTURE_COLORS.red);
  const r = await run(['embed', '--model', modelDir, '--text', 'red', red, 'missing.png']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /missing\.png: file not found/);
  assert.match(r.stdout, /2 embedded, 1 failed/);
});

test('bad usage exits non-zero with one line', async () => {
  for (const args of [['embed', '--bogus'], ['embed', '--model', modelDir], ['embed', '--threads', 'many', '--text', 'x'], ['frobnicate']]) {
    const r = await run(args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.equal(lines(r.stderr).length, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
  }
});

test('a missing or unusable model exits non-zero with one line', async () => {
  const missingDir = await run(['embed', '--model', path.join(work, 'no-such-model'), '--text', 'red']);
  assert.equal(missingDir.code, 1);
  assert.equal(lines(missingDir.stderr).length, 1, missingDir.stderr);
  assert.match(missingDir.stderr, /does not exist/);
  const notDownloaded = await run(['embed', '--text', 'red']);
  assert.equal(notDownloaded.code, 1);
  assert.equal(lines(notDownloaded.stderr).length, 1, notDownloaded.stderr);
  assert.match(notDownloaded.stderr, /not downloaded/);
  const corrupt = path.join(work, 'corrupt-model');
  await fs.cp(modelDir, corrupt, { recursive: true });
  await fs.writeFile(path.join(corrupt, 'onnx', 'vision_model.onnx'), 'not a model');
  const r = await run(['embed', '--model', corrupt, '--text', 'red']);
  assert.equal(r.code, 1);
  assert.equal(lines(r.stderr).length, 1, r.stderr);
  assert.match(r.stderr, /vision_model\.onnx/);
});

test('--version and --help', async () => {
  const pkg = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };
  assert.equal((await run(['--version'])).stdout.trim(), pkg.version);
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /embed/);
  const embedHelp = await run(['embed', '--help']);
  assert.equal(embedHelp.code, 0);
  assert.match(embedHelp.stdout, /--text T/);
});
