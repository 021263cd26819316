// `mobileclip-assets search --ranking` as a user runs it (built CLI, colour fixture model): red
// images with neutral names rank by their pixels; a blue red-herring.png never jumps ahead, and
// the hybrid lifts logo.png for "logo".
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { FIXTURE_COLORS, colorModelDir } from '../fixtures/models';
import { writeSolidImage } from '../fixtures/images';
import { tempDir } from '../index/helpers';

const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
const REDS = ['photos/IMG_0001.png', 'photos/IMG_0002.png', 'scans/scan-7.png'];
let base: string;
let root: string;
let model: string;

interface Hit {
  path: string;
  score: number;
  nameBoost?: number;
}

function search(...args: string[]): Hit[] {
  const r = spawnSync(process.execPath, [CLI, 'search', ...args, '--dir', root, '--json', '--model', model, '--cache-dir', path.join(base, 'cache')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

before(async () => {
  base = await tempDir('cli-ranking');
  root = path.join(base, 'workspace');
  model = await colorModelDir();
  await writeSolidImage(path.join(root, REDS[0]!), FIXTURE_COLORS.red!);
  await writeSolidImage(path.join(root, REDS[1]!), [205, 45, 40]);
  await writeSolidImage(path.join(root, REDS[2]!), [175, 35, 45]);
  await writeSolidImage(path.join(root, 'art', 'red-herring.png'), FIXTURE_COLORS.blue!);
  await writeSolidImage(path.join(root, 'art', 'sky.png'), [60, 90, 230]);
  await writeSolidImage(path.join(root, 'brand', 'logo.png'), FIXTURE_COLORS.green!);
  await writeSolidImage(path.join(root, 'brand', 'banner.png'), FIXTURE_COLORS.yellow!);
  await writeSolidImage(path.join(root, 'misc', 'grass.png'), [40, 160, 60]);
});

test('"red" ranks the red pixels first by score; the file names do not count by default', () => {
  const hits = search('red');
  assert.deepEqual(
    hits.slice(0, 3).map((h) => h.path),
    REDS,
  );
  for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1]!.score >= hits[i]!.score);
  assert.ok(!hits.some((h) => h.path === 'art/red-herring.png'), 'a blue image is no match for "red", whatever its name');
  assert.deepEqual(search('red', '--ranking', 'semantic'), hits, '--ranking semantic is the default');
});

test('--ranking hybrid lists red-herring.png, but below every red image; "logo" lifts logo.png', () => {
  const hits = search('red', '--ranking', 'hybrid');
  assert.deepEqual(
    hits.slice(0, 3).map((h) => h.path),
    REDS,
    'the red images keep the top, in order',
  );
  const herring = hits.find((h) => h.path === 'art/red-herring.png');
  assert.ok(herring && herring.nameBoost! > 0, JSON.stringify(hits));
  assert.ok(herring.score < hits[2]!.score);

  const rank = (list: Hit[]) => list.findIndex((h) => h.path === 'brand/logo.png');
  const semantic = search('logo');
  const hybrid = search('logo', '--ranking', 'hybrid');
  assert.ok(rank(hybrid) >= 0 && rank(hybrid) < rank(semantic), `logo.png moves up: ${rank(semantic)} -> ${rank(hybrid)}`);
  assert.ok(
    hybrid.every((h) => (h.path === 'brand/logo.png') === (h.nameBoost !== undefined)),
    'only the named file is lifted',
  );
});

test('--ranking takes semantic or hybrid only', () => {
  const r = spawnSync(process.execPath, [CLI, 'search', 'red', '--dir', root, '--ranking', 'names'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--ranking must be semantic or hybrid, got "names"/);
});
