// Interop with Apple's training code, proven by its twin: test/reinforce/python/apple_dr.py follows
// webdataset, open_clip's data.py and apple/ml-mobileclip's patch + dr/transforms.py line by line,
// with Debian's numpy and PIL. A dataset reinforced from transparent PNGs, an EXIF-rotated JPEG,
// palette, 16-bit and grey+alpha PNGs (flips and RandAugment on) is loaded unchanged with the
// rdata_config.json we wrote: no sample is filtered out, preprocess_dr runs on each, and every
// augmentation Apple's Compose.reapply replays (PIL) is pixel-identical to the view our worker
// embedded, and embeds (fixture teachers) to the stored row at cosine >= 0.999.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import type { Engine } from '../../src/engine/engine';
import { reinforceDataset } from '../../src/engine/reinforce/reinforce';
import { parseAugmentationConfig, replayView, decompressParams } from '../../src/engine/reinforce/transforms';
import { decodeLikePil } from '../../src/engine/reinforce/images';
import { isItemError } from '../../src/engine/types';
import { writeBrokenFiles, writeSolidImage } from '../fixtures/images';
import { captionSource, openEngines, teacherDirs } from './helpers';
import { CLIPART_DIR } from '../fixtures/paths';
import { runPython } from './python';
import { readNpz, readTar } from './reader';

const work = path.resolve(__dirname, '../../.cache/test-apple', String(process.pid));
const cacheDir = path.join(work, 'model-cache');
const input = path.join(work, 'images');
const out = path.join(work, 'out');
const views = path.join(work, 'views');
const SIZES = [64, 48];
let teachers: Engine[];

interface Report {
  grouped: number;
  filtered_out: string[];
  samples: Array<{
    key: string;
    members: string[];
    image_mode: string;
    image_size: [number, number];
    text: string;
    syn: Record<string, string[]>;
    arrays: Record<string, { dtype: string; shape: number[] }>;
    picked: { text: string; syn_text: string; view_shape: number[]; view_dtype: string };
    param_aug: unknown[];
  }>;
}

before(async () => {
  await fs.rm(work, { recursive: true, force: true });
  await fs.mkdir(input, { recursive: true });
  // Transparent clip art (alpha edges over black RGB), and the awkward decodes.
  for (const cat of ['animals', 'food']) {
    const name = (await fs.readdir(path.join(CLIPART_DIR, cat))).filter((n) => n.endsWith('.png')).sort()[1]!;
    await fs.copyFile(path.join(CLIPART_DIR, cat, name), path.join(input, `${cat}-${name}`));
  }
  const awkward = await writeBrokenFiles(path.join(work, 'awkward'));
  await fs.copyFile(awkward.valid.exifRotatedJpeg.path, path.join(input, 'exif-rotated.jpg'));
  await fs.copyFile(awkward.valid.palettePng.path, path.join(input, 'palette.png'));
  await fs.copyFile(awkward.valid.png16.path, path.join(input, 'sixteen-bit.png'));
  await fs.copyFile(awkward.valid.grayAlphaPng.path, path.join(input, 'grey-alpha.png'));
  await writeSolidImage(path.join(input, 'plain.jpg'), [200, 60, 40], { width: 80, height: 50 });
  await writeSolidImage(path.join(input, 'half-transparent.png'), [30, 60, 220], { width: 40, height: 60, alpha: 0.4 });
  teachers = await openEngines(await teacherDirs(), cacheDir);
  const summary = await reinforceDataset({
    input,
    out,
    teachers,
    seed: 3,
    samplesPerShard: 4,
    captions: captionSource,
    captionSourceId: 'test captions v1',
    augment: { count: 4, flipProbability: 0.5, randAugment: true },
  });
  assert.equal(summary.skipped.length, 0, JSON.stringify(summary.skipped));
});

after(async () => {
  await Promise.all((teachers ?? []).map((t) => t.dispose()));
  await fs.rm(work, { recursive: true, force: true });
});

async function shards(): Promise<string[]> {
  const m = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8')) as { shards: Array<{ file: string }> };
  return m.shards.map((s) => path.join(out, s.file));
}

function normalize(v: ArrayLike<number>): Float64Array {
  const n = Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
  return Float64Array.from(v, (x) => x / n);
}

test("Apple's loader (the Python twin) loads every sample unchanged and its replayed views are our views and embed to the stored rows", async () => {
  const files = await shards();
  runPython('apple_reader.py', [path.join(out, 'rdata_config.json'), views, SIZES.join(','), ...files]);
  const report = JSON.parse(await fs.readFile(path.join(views, 'report.json'), 'utf8')) as Report;
  const manifest = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8')) as { counts: { samples: number }; appleLoader: { loadsEverySample: boolean } };
  assert.equal(manifest.appleLoader.loadsEverySample, true);
  assert.deepEqual(report.filtered_out, [], 'filter_no_caption_or_no_image kept every sample');
  assert.equal(report.grouped, manifest.counts.samples);
  assert.equal(report.samples.length, 8);

  // Our own members, read with the independent tar/npz reader.
  const members = new Map<string, Map<string, Buffer>>();
  for (const f of files) {
    for (const e of readTar(f)) {
      const dot = e.name.indexOf('.');
      const key = e.name.slice(0, dot);
      if (!members.has(key)) members.set(key, new Map());
      members.get(key)!.set(e.name.slice(dot + 1), e.data);
    }
  }
  const { config } = parseAugmentationConfig(
    (JSON.parse(await fs.readFile(path.join(out, 'rdata_config.json'), 'utf8')) as { reinforce: { image_augmentation: unknown } }).reinforce.image_augmentation,
  );
  assert.ok(config);
  let flips = 0;
  let ops = 0;
  let minCosine = 1;
  let pixelsCompared = 0;
  for (const s of report.samples) {
    const m = members.get(s.key)!;
    assert.equal(s.image_mode, 'RGBA', 'webdataset pilrgba');
    assert.equal(s.text, m.get('txt')!.toString('utf8'));
    assert.ok(s.syn.syn_text!.length > 0);
    assert.deepEqual(s.arrays.image_emb, { dtype: 'float32', shape: [4, 40] });
    assert.deepEqual(s.arrays.text_emb, { dtype: 'float32', shape: [1, 40] });
    assert.deepEqual(s.arrays.syn_text_emb, { dtype: 'float32', shape: [s.syn.syn_text!.length, 40] });
    assert.deepEqual([s.picked.view_shape, s.picked.view_dtype], [[3, 64, 64], 'float32'], "preprocess_dr's view: a CHW float tensor at the config's crop size");
    const stored = readNpz(m.get('npz')!).get('image_emb')!.data;
    const imageBytes = m.get('png') ?? m.get('jpg')!;
    const decoded = await decodeLikePil(imageBytes, 1e8);
    assert.deepEqual(s.image_size, [decoded.width, decoded.height]);
    for (let k = 0; k < 4; k++) {
      const params = decompressParams(config, s.param_aug[k])!.params!;
      if (params.random_horizontal_flip) flips++;
      ops += params.rand_augment?.length ?? 0;
      for (let t = 0; t < 2; t++) {
        const size = SIZES[t]!;
        const file = path.join(views, `${s.key}.${k}.${size}.png`);
        // Pixels: Apple's reapply (PIL) == our replay of the same stored image.
        const theirs = await sharp(file).raw().toBuffer();
        const ours = replayView(decoded, config, params, [size, size]);
        let max = 0;
        for (let i = 0; i < theirs.length; i++) max = Math.max(max, Math.abs(theirs[i]! - ours.data[i]!));
        assert.ok(max <= 1, `${s.key} aug ${k} size ${size}: views differ by ${max} grey levels`);
        pixelsCompared += theirs.length;
        // Embeddings: the twin's view through the teacher's standard path == the stored row.
        const [r] = await teachers[t]!.embedImages([file]);
        assert.ok(r && !isItemError(r), JSON.stringify(r));
        const fresh = normalize(r.embedding);
        const [a, b] = t === 0 ? [0, 24] : [24, 40];
        let cos = 0;
        for (let j = 0; j < b - a; j++) cos += fresh[j]! * stored[k * 40 + a + j]!;
        minCosine = Math.min(minCosine, cos);
      }
    }
  }
  assert.ok(minCosine >= 0.999, `smallest cosine ${minCosine}`);
  assert.ok(flips > 0 && flips < 32, `flips ${flips}`);
  assert.ok(ops > 0, 'RandAugment ops were stored');
  assert.ok(pixelsCompared > 100_000);
});

test('the stored image is what the teachers saw: EXIF applied, alpha flattened onto the background, lossless for lossless sources', async () => {
  const files = await shards();
  const byUrl = new Map<string, Map<string, Buffer>>();
  for (const f of files) {
    const groups = new Map<string, Map<string, Buffer>>();
    for (const e of readTar(f)) {
      const dot = e.name.indexOf('.');
      const key = e.name.slice(0, dot);
      if (!groups.has(key)) groups.set(key, new Map());
      groups.get(key)!.set(e.name.slice(dot + 1), e.data);
    }
    for (const g of groups.values()) byUrl.set(g.get('url.txt')!.toString('utf8'), g);
  }
  // PIL's plain decode of the stored PNG == the source flattened onto white (our decode).
  for (const url of ['half-transparent.png', 'grey-alpha.png', 'palette.png', 'sixteen-bit.png', [...byUrl.keys()].find((u) => u.startsWith('animals-'))!]) {
    const g = byUrl.get(url)!;
    assert.ok(g.has('png'), `${url} stored as PNG`);
    const pilView = await decodeLikePil(g.get('png')!, 1e8);
    const { data, info } = await sharp(path.join(input, url)).flatten({ background: '#ffffff' }).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([pilView.width, pilView.height], [info.width, info.height]);
    assert.ok(Buffer.from(pilView.data).equals(data), `${url}: stored pixels differ from the flattened source`);
  }
  const half = await decodeLikePil(byUrl.get('half-transparent.png')!.get('png')!, 1e8);
  assert.deepEqual([...half.data.subarray(0, 3)], [165, 177, 241], '40% blue over white');
  // The plain JPEG is stored byte for byte; the EXIF-rotated one re-encoded upright (24x48).
  assert.ok(
    byUrl
      .get('plain.jpg')!
      .get('jpg')!
      .equals(await fs.readFile(path.join(input, 'plain.jpg'))),
  );
  const rotated = byUrl.get('exif-rotated.jpg')!;
  assert.ok(rotated.has('jpg') && !rotated.has('png'));
  const meta = await sharp(rotated.get('jpg')!).metadata();
  assert.deepEqual([meta.width, meta.height, meta.orientation ?? 1], [24, 48, 1]);
  const json = JSON.parse(rotated.get('json')!.toString('utf8')) as { width: number; height: number };
  assert.deepEqual([json.width, json.height], [24, 48]);
});
