// Datasets are someone else's files. Regression tests for the attacks of issue 12 (12.1: a
// manifest with source.root "/" and a sample whose url.txt is "dev/zero" made verify grow to
// 4.9 GB and distill kill the worker; 12.5: a manifest naming "local:<any folder>" as a teacher
// made verify load that model), and for bad datasets getting one clear error per sample and field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import type { Engine } from '../../src/engine/engine';
import { encodeNpz } from '../../src/engine/reinforce/npy';
import { distillAdapter } from '../../src/engine/reinforce/distill/train';
import { sampleMembers, sampleUid, type DatasetManifest, type SampleContent } from '../../src/engine/reinforce/format';
import { reinforceDataset } from '../../src/engine/reinforce/reinforce';
import { packMembers, END_OF_ARCHIVE, type TarMember } from '../../src/engine/reinforce/tar';
import { splitDatasetTeachers } from '../../src/engine/reinforce/teachers';
import { verifyDataset } from '../../src/engine/reinforce/verify';
import { listImages } from '../../src/engine/reinforce/inputs';
import { writeSolidImage } from '../fixtures/images';
import { FIXTURE_COLORS } from '../fixtures/models';
import { CLI, captionSource, openEngines, teacherDirs } from './helpers';

const work = path.resolve(__dirname, '../../.cache/test-untrusted', String(process.pid));
const cacheDir = path.join(work, 'model-cache');
let dirs: string[];
let teachers: Engine[];
const good = path.join(work, 'good');

function matrix(rows: number, cols: number, seed: number) {
  const data = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(seed + i));
  // Unit-norm teacher blocks (24 + 16) so only the intended problem shows.
  for (let r = 0; r < rows; r++) {
    for (const [a, b] of [
      [0, 24],
      [24, 40],
    ] as const) {
      const n = Math.hypot(...data.subarray(r * cols + a, r * cols + b));
      for (let j = a; j < b; j++) data[r * cols + j]! /= n;
    }
  }
  return { shape: [rows, cols] as [number, number], data };
}

async function writeShard(file: string, samples: TarMember[][]): Promise<{ sha256: string; bytes: number }> {
  const body = Buffer.concat([...(await Promise.all(samples.map((m) => packMembers(m)))), END_OF_ARCHIVE]);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, body);
  return { sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length };
}

before(async () => {
  await fs.rm(work, { recursive: true, force: true });
  const input = path.join(work, 'images');
  for (const [i, c] of Object.keys(FIXTURE_COLORS).slice(0, 7).entries()) {
    await writeSolidImage(path.join(input, `${c}.png`), FIXTURE_COLORS[c]!, { width: 30 + i, height: 30 });
  }
  dirs = await teacherDirs();
  teachers = await openEngines(dirs, cacheDir);
  await reinforceDataset({ input, out: good, teachers, seed: 1, augment: { count: 3 }, captions: captionSource, captionSourceId: 'test captions v1' });
});

after(async () => {
  await Promise.all((teachers ?? []).map((t) => t.dispose()));
  await fs.rm(work, { recursive: true, force: true });
});

/** A copy of the good dataset with one more shard holding `members`, and `edit` applied to the manifest. */
async function crafted(name: string, members: TarMember[][], edit: (m: DatasetManifest) => void = () => undefined): Promise<string> {
  const dir = path.join(work, name);
  await fs.cp(good, dir, { recursive: true });
  const m = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')) as DatasetManifest;
  const file = 'shards/00000001.tar';
  const written = await writeShard(path.join(dir, file), members);
  m.shards.push({ file, ...written, samples: members.length });
  m.counts.samples += members.length;
  edit(m);
  await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify(m));
  return dir;
}

/** A well-formed sample of ours whose url.txt is `url`, without an image member. */
function imagelessSample(url: string): TarMember[] {
  const uid = sampleUid(url);
  const s: SampleContent = {
    url,
    info: { uid, sha256: '0'.repeat(64), width: 64, height: 64, caption_source: 'sidecar' },
    image: { ext: 'png', bytes: new Uint8Array(0) },
    caption: 'a red square',
    syn: ['red'],
    paramAug: [[[0, 0, 32, 32]], [[1, 1, 30, 30]], [[2, 2, 20, 20]]],
    imageEmb: matrix(3, 40, 1),
    textEmb: matrix(1, 40, 2),
    synTextEmb: matrix(1, 40, 3),
  };
  return sampleMembers(s).filter((m) => !m.name.endsWith('.png'));
}

test('12.1: source.root "/" and url.txt "dev/zero" read nothing outside the dataset (verify and distill)', async () => {
  const dir = await crafted('dev-zero', [imagelessSample('dev/zero')], (m) => {
    m.source.root = '/';
  });
  const key = sampleUid('dev/zero');
  const report = await verifyDataset({ dataset: dir, teachers, sample: 20 });
  const mine = report.problems.filter((p) => p.where.includes(key));
  assert.deepEqual(
    mine.map((p) => p.problem),
    ['image member (png or jpg): missing'],
  );
  assert.equal(report.replay?.samples, 7, 'the other samples still replay');
  const distilled = await distillAdapter({ dataset: dir, student: teachers[0]!, epochs: 1, out: path.join(work, 'a.json') });
  assert.match(distilled.skipped.map((s) => `${s.path}: ${s.error}`).join('\n'), new RegExp(`${key}: image member \\(png or jpg\\): missing`));
  assert.equal(distilled.trainSamples + distilled.holdoutSamples, 7);
});

test('12.1: a folder the user names is read only for regular files: a symlinked device or FIFO is a per-sample error', async () => {
  const dir = await crafted('dev-zero-images', [imagelessSample('dev/zero'), imagelessSample('pipe.png')]);
  const folder = path.join(work, 'chosen');
  await fs.mkdir(path.join(folder, 'dev'), { recursive: true });
  await fs.symlink('/dev/zero', path.join(folder, 'dev', 'zero'));
  await fs.symlink('/dev/zero', path.join(folder, `${sampleUid('dev/zero')}.png`));
  spawnSync('mkfifo', [path.join(folder, 'pipe.png')]);
  const report = await verifyDataset({ dataset: dir, teachers, sample: 20, images: folder });
  const text = report.problems.map((p) => `${p.where}: ${p.problem}`).join('\n');
  assert.match(text, new RegExp(`${sampleUid('dev/zero')}: image: not in the shard, and no "dev/zero" or ${sampleUid('dev/zero')}\\.\\{jpg,jpeg,png,webp\\}`));
  assert.match(text, new RegExp(`${sampleUid('pipe.png')}: image: not in the shard, and no "pipe.png"`));
  assert.equal(report.replay?.samples, 7);
});

test('12.5: a model folder named by a dataset is never loaded unless the user passes it; registry ids are', async () => {
  const evil = path.join(work, 'evil_model');
  await fs.cp(dirs[0]!, evil, { recursive: true });
  const dir = path.join(work, 'evil-teacher');
  await fs.cp(good, dir, { recursive: true });
  const m = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')) as DatasetManifest;
  m.teachers[0]!.id = `local:${evil}`;
  await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify(m));
  const env = { ...process.env, MOBILECLIP_ASSETS_CACHE: cacheDir };
  const refused = spawnSync(process.execPath, [CLI, 'verify', dir, '--sample', '1', '--json'], { encoding: 'utf8', env });
  assert.equal(refused.status, 1, refused.stderr);
  const r = JSON.parse(refused.stdout) as { replay?: unknown; replaySkipped: string; problems: Array<{ where: string; problem: string }> };
  assert.equal(r.replay, undefined, 'nothing was replayed with the named model');
  assert.match(r.replaySkipped, /names local model folders \(local:.*evil_model.*\); a dataset never makes us load a model from a path/);
  // The user's own choice is honoured.
  const chosen = spawnSync(process.execPath, [CLI, 'verify', dir, '--sample', '1', '--teacher', evil, '--teacher', dirs[1]!], { encoding: 'utf8', env });
  assert.equal(chosen.status, 0, chosen.stdout + chosen.stderr);
  assert.match(chosen.stdout, /replayed 1 samples/);
  assert.deepEqual(splitDatasetTeachers(['mobileclip-s0', 'local:/x', '../up', 'C:\\models\\m', '/abs', 'mobileclip-blt']), {
    registry: ['mobileclip-s0', 'mobileclip-blt'],
    local: ['local:/x', '../up', 'C:\\models\\m', '/abs'],
  });
});

test('bad datasets: one clear error per sample and field (missing members, shapes, unknown ops and transforms, empty syn_text)', async () => {
  const dir = path.join(work, 'bad-apple');
  const config = { normalize: { mean: [0, 0, 0], std: [1, 1, 1] }, random_resized_crop: { size: 32, interpolation: 'bicubic' }, rand_augment: { p: 1 } };
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'config.json'), `${JSON.stringify(config)}\n\n`);
  const png = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#c83232' } })
    .png()
    .toBuffer();
  const sample = (key: string, o: { drop?: string[]; paug?: unknown[]; rows?: number; syn?: string[] } = {}): TarMember[] => {
    const syn = o.syn ?? ['red'];
    const members: Array<[string, Uint8Array]> = [
      ['jpg', png],
      ['txt', Buffer.from('a red square')],
      ['json', Buffer.from('{}')],
      ['syn.json', Buffer.from(JSON.stringify({ syn_text: syn }))],
      [
        'paug.json',
        Buffer.from(
          JSON.stringify({
            param_aug: o.paug ?? [
              [
                [0, 0, 20, 20],
                [
                  [1, 0.09],
                  [5, -9],
                ],
              ],
              [
                [4, 4, 30, 30],
                [
                  [13, 0],
                  [0, 0],
                ],
              ],
            ],
          }),
        ),
      ],
      [
        'npz',
        encodeNpz([
          ['image_emb', matrix(o.rows ?? 2, 40, 1)],
          ['text_emb', matrix(1, 40, 2)],
          ['syn_text_emb', matrix(syn.length, 40, 3)],
        ]),
      ],
    ];
    return members.filter(([ext]) => !o.drop?.includes(ext)).map(([ext, data]) => ({ name: `${key}.${ext}`, data }));
  };
  await writeShard(path.join(dir, '00000000.tar'), [
    sample('ok'),
    sample('no-npz', { drop: ['npz'] }),
    sample('no-txt', { drop: ['txt'] }),
    sample('rows', { rows: 3 }),
    sample('op', {
      paug: [
        [
          [0, 0, 20, 20],
          [
            [17, 0.09],
            [5, -9],
          ],
        ],
        [
          [4, 4, 30, 30],
          [
            [13, 0],
            [0, 0],
          ],
        ],
      ],
    }),
    sample('empty-syn', { syn: [] }),
    sample('outside', {
      paug: [
        [
          [30, 30, 20, 20],
          [
            [1, 0.09],
            [5, -9],
          ],
        ],
        [
          [4, 4, 30, 30],
          [
            [13, 0],
            [0, 0],
          ],
        ],
      ],
    }),
  ]);
  const report = await verifyDataset({ dataset: dir, teachers, sample: 10 });
  const by = (key: string) =>
    report.problems
      .filter((p) => p.where === `00000000.tar ${key}` || p.where === `replay ${key}`)
      .map((p) => p.problem)
      .join('\n');
  // (the embeddings here are made up: replay deviates, which is reported, but nothing else is)
  assert.equal(report.problems.filter((p) => p.where === '00000000.tar ok').length, 0);
  assert.match(by('no-npz'), /^no embeddings \(npz or pth\.gz member\)$/);
  assert.match(by('rows'), /npz image_emb: shape \(3, 40\), expected \(2, 40\)/);
  assert.match(by('op'), /paug\.json param_aug\[0\]: rand_augment op index 17 is unknown/);
  assert.match(by('outside'), /augmentation 0: crop box \(left 30, top 30, 20x20\) is not inside the 40x40 image/);
  const notes = report.appleLoader.notes.join('\n');
  assert.equal(report.appleLoader.loadsEverySample, false);
  assert.match(notes, /1 sample: no \.txt member: filter_no_caption_or_no_image drops the sample \(no-txt\)/);
  assert.match(notes, /1 sample: syn\.json syn_text is empty: np\.random\.randint\(0, 0\) raises when it is picked \(empty-syn\)/);
  assert.deepEqual(report.teacherDims, [24, 16]);

  // A config naming a transform Apple would silently skip is refused, with the name.
  await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ ...config, random_resize_crop: { size: 32 } }));
  const typo = await verifyDataset({ dataset: dir, teachers, sample: 0 });
  assert.match(
    typo.problems.map((p) => `${p.where}: ${p.problem}`).join('\n'),
    /config\.json: unknown transform name "random_resize_crop": Apple's compose_from_config ignores it/,
  );
  await fs.rm(path.join(dir, 'config.json'));
  const none = await verifyDataset({ dataset: dir, teachers, sample: 0 });
  assert.match(none.problems.map((p) => p.problem).join('\n'), /no reinforcement config: put RayGen's config\.json/);
});

test("symlinked images: followed inside the input folder, skipped with the reason when they lead out (the indexer's policy)", async () => {
  const root = path.join(work, 'links-in');
  const outside = path.join(work, 'links-outside');
  await fs.mkdir(path.join(root, 'sub'), { recursive: true });
  await writeSolidImage(path.join(root, 'red.png'), FIXTURE_COLORS.red!, { width: 16, height: 16 });
  await writeSolidImage(path.join(outside, 'private.png'), FIXTURE_COLORS.blue!, { width: 16, height: 16 });
  await fs.symlink(path.join(root, 'red.png'), path.join(root, 'sub', 'inside-link.png'));
  await fs.symlink(path.join(outside, 'private.png'), path.join(root, 'outside-link.png'));
  const skipped: { path: string; error: string }[] = [];
  const images = await listImages(root, [], (p) => skipped.push(p));
  assert.deepEqual(images, ['red.png', 'sub/inside-link.png']);
  assert.equal(skipped.length, 1);
  assert.equal(skipped[0]!.path, 'outside-link.png');
  assert.match(skipped[0]!.error, /symbolic link to .*private\.png, outside/);
});
