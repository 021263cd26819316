// The `duplicates` and `unused` commands as a user runs them (built CLI, fixture model).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { colorModelDir } from '../fixtures/models';
import { runCli } from '../helpers/cli';
import { tempDir } from '../index/helpers';
import { UNUSED, writeFixtureRepo } from '../references/fixture';
import { DEFAULT_DUPLICATE_THRESHOLDS } from '../../src/engine/duplicates/group';
import pkg from '../../package.json';

let base: string;
let repo: string;
let shots: string;
let model: string;

const badge = (symbol: string, fill = '#d93025') =>
  Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120"><rect x="10" y="10" width="100" height="100" rx="18" fill="${fill}"/>${symbol}</svg>`);
const BELL = '<path d="M60 28c-14 0-22 10-22 24v18l-8 10h60l-8-10V52c0-14-8-24-22-24zM52 86a8 8 0 0 0 16 0z" fill="#fff"/>';
const STAR = '<path d="M60 26l9 22 24 2-18 15 6 24-21-13-21 13 6-24-18-15 24-2z" fill="#fff"/>';

before(async () => {
  base = await tempDir('cli-hygiene');
  repo = path.join(base, 'repo');
  await writeFixtureRepo(repo);
  shots = path.join(base, 'shots');
  await fs.mkdir(path.join(shots, 'icons', 'old'), { recursive: true });
  const bell = await sharp(badge(BELL)).png().toBuffer();
  await fs.writeFile(path.join(shots, 'icons', 'bell.png'), bell);
  await fs.writeFile(path.join(shots, 'icons', 'old', 'bell-copy.png'), bell);
  await sharp(bell)
    .resize(48)
    .png()
    .toFile(path.join(shots, 'icons', 'bell-48.png'));
  await sharp(bell)
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 70 })
    .toFile(path.join(shots, 'icons', 'bell.jpg'));
  await sharp(badge(BELL, '#1a73e8'))
    .png()
    .toFile(path.join(shots, 'icons', 'bell-blue.png'));
  await sharp(badge(STAR))
    .png()
    .toFile(path.join(shots, 'icons', 'star.png'));
  await fs.writeFile(path.join(shots, 'README.md'), '![](icons/bell.png) ![](icons/old/bell-copy.png) ![](icons/old/bell-copy.png)\n');
  model = await colorModelDir();
});

test('unused --json lists exactly the unreferenced images; --fail-on-unused turns them into exit code 1', async () => {
  const res = await runCli(['unused', repo, '--json'], base);
  assert.equal(res.code, 0, res.stderr);
  const rows: Array<{ path: string; bytes: number }> = JSON.parse(res.stdout);
  assert.deepEqual(
    rows.map((r) => r.path),
    UNUSED,
  );
  assert.ok(rows.every((r) => r.bytes > 0));

  const failing = await runCli(['unused', repo, '--fail-on-unused'], base);
  assert.equal(failing.code, 1);
  assert.match(failing.stdout, /^2 of 13 images in repo are not referenced by any of \d+ text files \(.*\):\n\s+\d+ B {2}brand\/logo\.png\n\s+\d+ B {2}unused\/orphan\.png\n$/);

  const clean = await runCli(['unused', repo, '--fail-on-unused', '--exclude', 'brand/**', '--exclude', 'unused/**', '--exclude', '**/node_modules/**'], base);
  assert.equal(clean.code, 0, clean.stdout);
  assert.match(clean.stdout, /^All 11 images are referenced/);
});

test('unused: only the text files asked for are searched; bad flags are usage errors', async () => {
  const mdOnly = JSON.parse((await runCli(['unused', repo, '--json', '--text', '**/*.md'], base)).stdout) as Array<{ path: string }>;
  // CSS, JSON, YAML, TSX and HTML references are not read now.
  assert.ok(mdOnly.some((r) => r.path === 'public/img/bg.webp'));
  assert.ok(mdOnly.some((r) => r.path === 'data/chart.gif'));
  assert.ok(!mdOnly.some((r) => r.path === 'docs/diagram.png'));
  const none = await runCli(['unused'], base);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /which folder\? give DIR/);
  const bad = await runCli(['unused', repo, '--max-text-size', 'lots'], base);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--max-text-size must be a size/);
});

test('duplicates --json: copies, resized and re-encoded versions in one group, largest first; recoloured and other icons apart', async () => {
  const res = await runCli(['duplicates', shots, '--json', '--references', '--model', model], base);
  assert.equal(res.code, 0, res.stderr);
  const groups: Array<{
    files: string[];
    bytes: number;
    similarity: number;
    exact: boolean;
    members: Array<{ path: string; bytes: number; width: number; height: number; references: number }>;
  }> = JSON.parse(res.stdout);
  assert.equal(groups.length, 1, res.stdout);
  const [g] = groups;
  // The most pixels first; of the two identical 120x120 PNGs the more referenced one.
  assert.deepEqual(g!.files, ['icons/old/bell-copy.png', 'icons/bell-48.png', 'icons/bell.jpg', 'icons/bell.png']);
  assert.equal(g!.exact, false);
  assert.equal(
    g!.bytes,
    g!.members.slice(1).reduce((s, m) => s + m.bytes, 0),
  );
  assert.ok(g!.similarity > DEFAULT_DUPLICATE_THRESHOLDS.embedding && g!.similarity <= 1);
  assert.deepEqual(
    g!.members.map((m) => [m.width, m.height, m.references]),
    [
      [120, 120, 2],
      [48, 48, 0],
      [120, 120, 0],
      [120, 120, 1],
    ],
  );
});

test('duplicates prints a table for people, respects "not duplicates" decisions and needs an index for --no-update', async () => {
  const table = await runCli(['duplicates', shots, '--model', model, '--no-update'], base);
  assert.equal(table.code, 0, table.stderr);
  // Without reference counts, of two identical files the shorter path is kept.
  assert.match(
    table.stdout,
    /^1 group of duplicates among 6 images; keeping the first file of each frees .*\n\n.* to free, similarity \d\.\d{3}:\n {2}keep .*120x120 +icons\/bell\.png\n/,
  );

  await fs.mkdir(path.join(shots, '.vscode'), { recursive: true });
  await fs.writeFile(
    path.join(shots, '.vscode', 'asset-duplicates.json'),
    JSON.stringify({ notDuplicates: [['icons/bell.jpg', 'icons/bell.png', 'icons/bell-48.png', 'icons/old/bell-copy.png']] }),
  );
  const decided = JSON.parse((await runCli(['duplicates', shots, '--json', '--model', model, '--no-update'], base)).stdout);
  assert.deepEqual(decided, []);

  const fresh = await tempDir('cli-hygiene-empty');
  const missing = await runCli(['duplicates', fresh, '--no-update', '--model', model], base);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /has no index .* run `mobileclip-assets index` first/);
});

test("the duplicates settings in package.json default to the engine's thresholds", () => {
  const props = pkg.contributes.configuration.properties as Record<string, { default: unknown }>;
  assert.equal(props['mobileclipAssets.duplicates.embeddingThreshold']!.default, DEFAULT_DUPLICATE_THRESHOLDS.embedding);
  assert.equal(props['mobileclipAssets.duplicates.pixelThreshold']!.default, DEFAULT_DUPLICATE_THRESHOLDS.structure);
  assert.equal(props['mobileclipAssets.duplicates.detailThreshold']!.default, DEFAULT_DUPLICATE_THRESHOLDS.detail);
  assert.equal(props['mobileclipAssets.duplicates.colorThreshold']!.default, DEFAULT_DUPLICATE_THRESHOLDS.colour);
});
