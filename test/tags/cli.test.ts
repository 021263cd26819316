// `mobileclip-assets tag` as a user runs it: the built dist/cli.js in a child process, the colour
// fixture model, a folder of images indexed on the way.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { TAGS_DATA_FILE, TagStore, VOCABULARY_FILE } from '../../src/engine/tags';
import { FIXTURE_COLORS, colorModelDir } from '../fixtures/models';
import { writeSolidImage } from '../fixtures/images';
import { tempFolder } from './helpers';
import { runCli } from '../helpers/cli';

let work: string;
let modelDir: string;

const run = (args: string[]) => runCli(args, work);

async function folder(name: string): Promise<string> {
  const dir = path.join(work, name);
  for (const c of ['red', 'green', 'blue', 'gray'] as const) await writeSolidImage(path.join(dir, `${c}.png`), FIXTURE_COLORS[c]);
  await fs.writeFile(path.join(dir, 'broken.png'), 'not an image');
  return dir;
}

type Out = Array<{ path: string; tags?: Array<{ tag: string; score?: number; state: string }>; error?: string }>;
const tagMap = (out: Out) => Object.fromEntries(out.map((i) => [i.path, i.error ? 'error' : i.tags!.map((t) => t.tag)]));

before(async () => {
  work = await tempFolder('cli');
  modelDir = await colorModelDir();
});

test('tag --tags --json: indexes the folder first, prints tags with scores, reports broken files per item', async () => {
  const dir = await folder('adhoc');
  const r = await run(['tag', dir, '--model', modelDir, '--tags', 'red,green,blue', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Out;
  assert.deepEqual(tagMap(out), { 'blue.png': ['blue'], 'broken.png': 'error', 'gray.png': [], 'green.png': ['green'], 'red.png': ['red'] });
  const red = out.find((i) => i.path === 'red.png')!.tags![0]!;
  assert.ok(red.score! > 0.9 && red.score! <= 1);
  assert.equal(red.state, 'suggested');
  assert.match(out.find((i) => i.path === 'broken.png')!.error!, /not an image/);
  assert.match(r.stderr, /index: 4 images \(4 embedded now, 1 failed\)/);
  await assert.rejects(fs.access(path.join(dir, TAGS_DATA_FILE)), 'nothing is written without --save');
  // The second run reuses the index.
  const again = await run(['tag', dir, '--model', modelDir, '--tags', 'red,green,blue', '--json', '--threshold', '0.5']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /0 embedded now/);
  assert.deepEqual(tagMap(JSON.parse(again.stdout)), tagMap(out));
});

test('tag with the workspace vocabulary: --save, user decisions respected, --csv, --top', async () => {
  const dir = await folder('workspace');
  await fs.mkdir(path.join(dir, '.vscode'), { recursive: true });
  await fs.writeFile(path.join(dir, VOCABULARY_FILE), '{ "defaults": false, "tags": { "red": {}, "green": {}, "warm": ["red.", "orange.", "yellow."] } }');
  const first = await run(['tag', dir, '--model', modelDir, '--json', '--save']);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(tagMap(JSON.parse(first.stdout)), { 'blue.png': [], 'broken.png': 'error', 'gray.png': [], 'green.png': ['green'], 'red.png': ['red', 'warm'] });
  // The user edits tags (as the extension would): removes "warm" from red.png, adds one to gray.png.
  const store = await TagStore.load(dir);
  store.reject('red.png', 'warm');
  store.confirm('gray.png', 'neutral');
  await store.save();
  const csv = path.join(work, 'tags.csv');
  const second = await run(['tag', dir, '--model', modelDir, '--json', '--save', '--csv', csv]);
  assert.equal(second.code, 0, second.stderr);
  const out = JSON.parse(second.stdout) as Out;
  assert.deepEqual(tagMap(out), { 'blue.png': [], 'broken.png': 'error', 'gray.png': ['neutral'], 'green.png': ['green'], 'red.png': ['red'] });
  assert.deepEqual(out.find((i) => i.path === 'gray.png')!.tags, [{ tag: 'neutral', state: 'confirmed' }]);
  assert.equal((await TagStore.load(dir)).get('red.png')!.tags.warm!.state, 'rejected');
  assert.match(await fs.readFile(csv, 'utf8'), /^path,tag,state,source,score\r\ngray\.png,neutral,confirmed,user,\r\ngreen\.png,green,suggested,auto,/);
  const top = await run(['tag', dir, '--model', modelDir, '--top', '1']);
  assert.match(top.stdout, /^red\.png: red \(1\.00\)$/m);
  assert.match(top.stdout, /^gray\.png: neutral\*$/m);
});

test('usage and vocabulary errors exit 2 with clear messages, before any model work', async () => {
  const dir = await folder('errors');
  await fs.mkdir(path.join(dir, '.vscode'), { recursive: true });
  await fs.writeFile(path.join(dir, VOCABULARY_FILE), '{\n  "tags": {\n    "ok": {},\n    "bad": { "threshold": "high" }\n  }\n}\n');
  const bad = await run(['tag', dir, '--model', modelDir]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid tag vocabulary:\n {2}.*asset-tags\.json:4:\d+: tags\.bad\.threshold: must be a number between 0 and 1, got "high"/);
  for (const [args, message] of [
    [['--threshold', '2'], /--threshold must be a number from 0 to 1/],
    [['--top', '1.5'], /--top must be a whole number/],
    [['--tags', 'a,b', '--vocab', 'x.json'], /either --tags or --vocab/],
    [['--tags', 'red', '--save'], /--save records results of the workspace vocabulary only/],
    [['--tags', 'has space'], /--tags: tag name "has space"/],
  ] as const) {
    const r = await run(['tag', dir, '--model', modelDir, ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const missing = await run(['tag', path.join(dir, 'nope')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /does not exist/);
});
