// The `index`, `search` and `similar` commands as a user runs them (built CLI, fixture model).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs, existsSync } from 'node:fs';
import * as path from 'node:path';
import { indexDirFor } from '../../src/engine/index/location';
import { TagStore } from '../../src/engine/tags/store';
import { FIXTURE_COLORS, colorModelDir } from '../fixtures/models';
import { writeSolidImage } from '../fixtures/images';
import { tempDir } from '../index/helpers';

const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
let base: string;
let root: string;
let model: string;
let cacheDir: string;

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args, '--model', model, '--cache-dir', cacheDir], { encoding: 'utf8', cwd: base });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  base = await tempDir('cli-search');
  root = path.join(base, 'photos');
  cacheDir = path.join(base, 'cache');
  model = await colorModelDir();
  await writeSolidImage(path.join(root, 'red.png'), FIXTURE_COLORS.red!);
  await writeSolidImage(path.join(root, 'more', 'green.png'), FIXTURE_COLORS.green!);
  await writeSolidImage(path.join(root, 'more', 'green-2.jpg'), [40, 160, 60]);
  await writeSolidImage(path.join(root, 'blue.webp'), FIXTURE_COLORS.blue!);
  await fs.writeFile(path.join(root, 'broken.png'), 'not an image');
});

test('index prints the summary as JSON and keeps the index in the user cache by default', () => {
  const first = cli('index', root, '--json');
  assert.equal(first.status, 0, first.stderr);
  const summary = JSON.parse(first.stdout);
  assert.equal(summary.indexed, 4);
  assert.equal(summary.unchanged, 0);
  assert.equal(summary.removed, 0);
  assert.deepEqual(
    summary.failed.map((f: { path: string }) => f.path),
    ['broken.png'],
  );
  assert.equal(typeof summary.failed[0].error, 'string');
  assert.equal(typeof summary.seconds, 'number');
  const expectedDir = indexDirFor(root, { storageRoot: path.join(cacheDir, 'index') });
  assert.equal(summary.index, expectedDir);
  assert.ok(existsSync(path.join(expectedDir, 'index.json')));

  const second = JSON.parse(cli('index', root, '--json').stdout);
  assert.deepEqual([second.indexed, second.unchanged, second.failed.length], [0, 4, 1]);
});

test('search --json prints paths relative to DIR, best first', () => {
  const res = cli('search', 'red', '--dir', root, '--json');
  assert.equal(res.status, 0, res.stderr);
  const hits: { path: string; score: number }[] = JSON.parse(res.stdout);
  assert.equal(hits[0]!.path, 'red.png');
  for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1]!.score >= hits[i]!.score);
  assert.deepEqual(Object.keys(hits[0]!).sort(), ['path', 'score']);

  const green = JSON.parse(cli('search', 'a photo of something green', '--dir', root, '--json', '--top', '2').stdout);
  assert.deepEqual(green.map((h: { path: string }) => h.path).sort(), ['more/green-2.jpg', 'more/green.png']);
});

test('search prints a table for people, and says so when nothing is a good match', () => {
  const table = cli('search', 'blue', '--dir', root, '--top', '1');
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /^score\s+size\s+path\n\s*\d\.\d{3}\s+32x32\s+blue\.webp\n$/);
  const none = cli('search', 'blue', '--dir', root, '--json', '--threshold', '0.9999', '--exclude', 'blue.webp');
  assert.equal(none.stdout.trim(), '[]');
  assert.match(none.stderr, /no good match: the nearest image, .* is below the threshold 0.9999/);
});

test('search refreshes the index first unless --no-update', async () => {
  await writeSolidImage(path.join(root, 'late-red.png'), [220, 30, 30]);
  const stale = JSON.parse(cli('search', 'red', '--dir', root, '--json', '--no-update').stdout);
  assert.ok(!stale.some((h: { path: string }) => h.path === 'late-red.png'));
  const fresh = JSON.parse(cli('search', 'red', '--dir', root, '--json').stdout);
  assert.ok(fresh.some((h: { path: string }) => h.path === 'late-red.png'));
});

test("tag: filters use the folder's tags file", async () => {
  const tags = await TagStore.load(root);
  tags.setUserTags('more/green-2.jpg', ['Leafy']);
  tags.setUserTags('blue.webp', ['leafy', 'cold']);
  await tags.save();
  const res = JSON.parse(cli('search', 'green tag:leafy -tag:cold', '--dir', root, '--json', '--threshold=-1').stdout);
  assert.deepEqual(
    res.map((h: { path: string }) => h.path),
    ['more/green-2.jpg'],
  );
});

test('similar finds look-alikes of an indexed or outside image and leaves the image out', async () => {
  const res = cli('similar', path.join('photos', 'more', 'green.png'), '--dir', root, '--json', '--top', '1');
  assert.equal(res.status, 0, res.stderr);
  assert.deepEqual(
    JSON.parse(res.stdout).map((h: { path: string }) => h.path),
    ['more/green-2.jpg'],
  );
  const outside = await writeSolidImage(path.join(base, 'query.png'), FIXTURE_COLORS.blue!);
  const out = JSON.parse(cli('similar', outside, '--dir', root, '--json', '--top', '1', '--no-update').stdout);
  assert.equal(out[0].path, 'blue.webp');
});

test('--index overrides the location; an in-repository index is found on its own', async () => {
  const custom = path.join(base, 'custom-index');
  assert.equal(JSON.parse(cli('index', root, '--json', '--index', custom).stdout).index, custom);
  assert.ok(existsSync(path.join(custom, 'index.json')));
  const inRepo = path.join(root, '.mobileclip');
  await fs.cp(custom, inRepo, { recursive: true });
  const res = JSON.parse(cli('index', root, '--json').stdout);
  assert.equal(res.index, inRepo);
  assert.equal(res.unchanged, 5, 'the copied index is used as is');
});

test('bad arguments are usage errors', () => {
  assert.equal(cli('search', 'red', '--dir', root, '--top', '0').status, 2);
  assert.equal(cli('search', 'red', '--dir', root, '--threshold', 'high').status, 2);
  assert.equal(cli('search', '--dir', root).status, 2);
  const missing = cli('search', 'red', '--dir', path.join(base, 'nope'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /does not exist/);
  const noIndex = cli('search', 'red', '--dir', base, '--no-update', '--index', path.join(base, 'empty-index'));
  assert.equal(noIndex.status, 2);
  assert.match(noIndex.stderr, /has no index/);
  assert.equal(cli('similar', path.join(base, 'missing.png'), '--dir', root, '--no-update').status, 1);
});

test('index reports files and distinct contents, and embeds copies once', async () => {
  const dir = path.join(base, 'copies');
  const red = await writeSolidImage(path.join(dir, 'red.png'), FIXTURE_COLORS.red!);
  for (const copy of ['a/red.png', 'b/red.png', 'c/red-copy.png']) {
    await fs.mkdir(path.dirname(path.join(dir, copy)), { recursive: true });
    await fs.copyFile(red, path.join(dir, copy));
  }
  await writeSolidImage(path.join(dir, 'blue.png'), FIXTURE_COLORS.blue!);
  const index = path.join(base, 'copies-index');
  const human = cli('index', dir, '--index', index);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /^2 indexed, 0 unchanged, 3 copies of new images, 0 removed, 0 failed in [\d.]+ s; 5 files, 2 distinct in the index/m);
  await fs.copyFile(red, path.join(dir, 'd.png'));
  const json = JSON.parse(cli('index', dir, '--index', index, '--json').stdout);
  assert.deepEqual([json.indexed, json.renamed, json.duplicates, json.total, json.distinct], [0, 1, 0, 6, 2]);
});
