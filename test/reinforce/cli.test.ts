// `mobileclip-assets reinforce` + `verify` as a user runs them (built dist/cli.js in a child
// process), with the fixture captioner producing the synthetic captions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { captionerModelDir } from '../fixtures/captioner';
import { writeSolidImage } from '../fixtures/images';
import { FIXTURE_COLORS } from '../fixtures/models';
import { runCli } from '../helpers/cli';
import { teacherDirs } from './helpers';
import { readShardSamples } from './reader';

const work = path.resolve(__dirname, '../../.cache/test-reinforce-cli', String(process.pid));

const cli = (args: string[]) => runCli(args, work);

before(async () => {
  await fs.rm(work, { recursive: true, force: true });
  await fs.mkdir(work, { recursive: true });
});
after(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

test('reinforce with the captioner, then verify: synthetic captions stored and embedded, replay passes', async () => {
  const data = path.join(work, 'data');
  for (const c of ['red', 'green', 'blue']) await writeSolidImage(path.join(data, `${c}.png`), FIXTURE_COLORS[c]!, { width: 50, height: 40 });
  await fs.writeFile(path.join(data, 'broken.png'), 'not a png');
  await fs.writeFile(path.join(work, 'captions.csv'), 'path,caption\nred.png,"a red square, flat"\n../outside.png,nope\n');
  const [t1, t2] = await teacherDirs();
  const out = path.join(work, 'out');
  const r = await cli([
    'reinforce',
    'data',
    '--out',
    'out',
    '--teacher',
    t1!,
    '--teacher',
    t2!,
    '--captioner',
    await captionerModelDir(),
    '--syn',
    '3',
    '--augmentations',
    '4',
    '--captions',
    'captions.csv',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { samples: number; skipped: Array<{ path: string; error: string }>; inputProblems: Array<{ path: string; error: string }> };
  assert.equal(summary.samples, 3);
  assert.deepEqual(
    summary.skipped.map((s) => s.path),
    ['broken.png'],
  );
  assert.match(summary.inputProblems.map((p) => `${p.path}: ${p.error}`).join('\n'), /captions\.csv:3: refusing path outside the folder/);
  assert.match(r.stderr, /skipped broken\.png/);

  const samples = readShardSamples(path.join(out, 'shards', '00000000.tar'));
  assert.deepEqual(
    samples.map((s) => s.url),
    ['blue.png', 'green.png', 'red.png'],
  );
  for (const s of samples) {
    const colour = s.url.replace('.png', '');
    assert.equal(s.syn.syn_text.length, 3, JSON.stringify(s.syn));
    assert.ok(
      s.syn.syn_text.some((c) => c.includes(colour)),
      `${colour}: ${s.syn.syn_text.join(' | ')}`,
    );
    assert.deepEqual(s.npz.get('text_emb')!.shape, [1, 40]);
    assert.deepEqual(s.npz.get('syn_text_emb')!.shape, [3, 40]);
    assert.deepEqual(s.npz.get('image_emb')!.shape, [4, 40]);
  }
  assert.deepEqual([samples[2]!.caption, samples[2]!.json.caption_source], ['a red square, flat', 'manifest']);
  assert.match(r.stdout, /"loadsEverySample":true/);
  assert.equal(samples[0]!.json.caption_source, 'filename');
  assert.ok(!existsSync(path.join(data, '.mobileclip')), 'nothing written into the input folder');
  assert.ok(!existsSync(path.join(out, '.reinforce')), 'run state removed when complete');

  const v = await cli(['verify', 'out', '--sample', '3', '--teacher', t1!, '--teacher', t2!]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /replayed 3 samples \(12 augmentations, 12 texts\)/);
  assert.match(v.stdout, /Apple's training loader loads every sample/);
  assert.match(v.stdout, /^OK$/m);
});

test('usage errors exit 2 with a pointer to --help', async () => {
  const r = await cli(['reinforce', 'data']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--out OUT is required/);
  const d = await cli(['distill', 'x', '--lambda', '2']);
  assert.equal(d.code, 2);
  assert.match(d.stderr, /--lambda must be a number from 0 to 1/);
});
