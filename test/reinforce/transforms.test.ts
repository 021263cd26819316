// Apple's reproducible augmentations (reinforce/transforms.ts + augment.ts): the seeded generator,
// torchvision's RandomResizedCrop and RandAugment draws, the compressed parameter list of
// Compose.compress/decompress, the config as compose_from_config reads it, and each RandAugment op
// as torchvision's _apply_op runs it on a PIL image (the Python twin, pixel by pixel).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_AUGMENT_SETTINGS, reinforcementConfig, sampleAugmentations } from '../../src/engine/reinforce/augment';
import * as pil from '../../src/engine/reinforce/pil';
import { imageRng, xoshiro128ss, type Rng } from '../../src/engine/reinforce/rng';
import {
  RAND_AUGMENT_OPS,
  applyRandAugmentOp,
  centerView,
  compressParams,
  decompressParams,
  linspaceF32,
  opMagnitude,
  parseAugmentationConfig,
  roundHalfEven,
  sampleCrop,
  type RandAugmentSpec,
} from '../../src/engine/reinforce/transforms';
import { mulberry32 } from '../fixtures/generate';
import { runPython } from './python';

const work = path.resolve(__dirname, '../../.cache/test-transforms', String(process.pid));
after(() => fs.rm(work, { recursive: true, force: true }));

/** An Rng that replays given uniforms (to follow torchvision's draws by hand). */
function scripted(values: number[]): Rng {
  let i = 0;
  const next = () => {
    if (i >= values.length) throw new Error('scripted rng exhausted');
    return values[i++]!;
  };
  return { next, uniform: (lo, hi) => lo + (hi - lo) * next(), int: (lo, hi) => lo + Math.floor(next() * (hi - lo)) };
}

const NORMALIZE = { mean: [0, 0, 0], std: [1, 1, 1] };
const teacher = (imageSize: number) => ({ id: 't', fingerprint: 'f', imageSize });

test('xoshiro128** matches the reference implementation', () => {
  // Reference C code (Blackman & Vigna) seeded {1,2,3,4} yields 11520, 0, 5927040, 70819200, ...
  const rng = xoshiro128ss([1, 2, 3, 4]);
  const expected = [
    [11520, 0],
    [5927040, 70819200],
  ].map(([hi, lo]) => ((hi! >>> 5) * 2 ** 26 + (lo! >>> 6)) / 2 ** 53);
  assert.equal(rng.next(), expected[0]);
  assert.equal(rng.next(), expected[1]);
});

test('uniform draws cover [0,1) evenly', () => {
  const rng = imageRng(0, 'uniformity');
  const bins = new Array(10).fill(0);
  for (let i = 0; i < 20000; i++) {
    const u = rng.next();
    assert.ok(u >= 0 && u < 1);
    bins[Math.floor(u * 10)]++;
  }
  for (const b of bins) assert.ok(Math.abs(b - 2000) < 200, `bin count ${b}`);
});

test('Python rounding: halves go to the even neighbour', () => {
  assert.deepEqual([0.5, 1.5, 2.5, 3.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, 4, 2, 3]);
});

test('crop follows torchvision RandomResizedCrop.get_params draw by draw, as (top, left, height, width)', () => {
  // 200x100 image. Try 1: area 20000*(0.08+0.92*0.5)=10800, aspect exp(0)=1 -> 104x104, too tall.
  // Try 2: area 20000*0.31=6200, log-aspect log(3/4)+0.75*log(16/9)=0.143841 -> w=round(84.61)=85,
  // h=round(73.28)=73; top=randint(0,28) at 0.1 -> 2, left=randint(0,116) at 0.5 -> 58.
  assert.deepEqual(sampleCrop(200, 100, [0.08, 1], [3 / 4, 4 / 3], scripted([0.5, 0.5, 0.25, 0.75, 0.1, 0.5])), [2, 58, 73, 85]);
});

test('crop falls back to the centred crop after 10 failed tries', () => {
  assert.deepEqual(sampleCrop(1000, 10, [0.08, 1], [3 / 4, 4 / 3], imageRng(3, 'wide')), [0, 493, 10, 13]);
  assert.deepEqual(sampleCrop(10, 1000, [0.08, 1], [3 / 4, 4 / 3], imageRng(3, 'tall')), [493, 0, 13, 10]);
  assert.deepEqual(sampleCrop(10, 10, [1, 1], [2, 3], imageRng(1, 'x')), [2, 0, 5, 10]);
  assert.deepEqual(sampleCrop(1000, 900, [1, 1], [0.5, 2], imageRng(1, 'y')), [0, 0, 900, 1000]);
});

test("RandAugment magnitudes are torch.linspace's float32 bins (magnitude 9 of 31)", () => {
  assert.equal(linspaceF32(0, 0.3, 31, 9), Math.fround(0.09));
  assert.equal(linspaceF32(255, 0, 31, 9), 178.5);
  const spec: RandAugmentSpec = { name: 'rand_augment', p: 1, numOps: 2, magnitude: 9, numMagnitudeBins: 31 };
  const m = (op: (typeof RAND_AUGMENT_OPS)[number]) => opMagnitude(op, spec, 224, 256);
  assert.deepEqual([m('Identity'), m('Rotate'), m('Posterize'), m('Solarize'), m('AutoContrast')], [0, 9, 7, 178.5, 0]);
  // float32 values within one ulp of the decimal bin (replay uses the stored value whatever it is)
  assert.ok(Math.abs(m('Brightness') - 0.27) < 6e-8 && m('Brightness') === Math.fround(m('Brightness')));
  // TranslateX follows the width, TranslateY the height (torchvision 0.14+: image_size = (h, w)).
  assert.equal(m('TranslateX'), Math.fround(Math.fround(Math.fround((150 / 331) * 256) / 30) * 9));
  assert.ok(m('TranslateY') < m('TranslateX'));
});

test('the written config parses back; sampled augmentations stay in range and compress to the Apple slots', () => {
  const { file, config } = reinforcementConfig({ ...DEFAULT_AUGMENT_SETTINGS, flipProbability: 0.5, randAugment: true }, [teacher(64), teacher(48)], NORMALIZE);
  assert.deepEqual(Object.keys(file.reinforce.image_augmentation).sort(), ['normalize', 'rand_augment', 'random_horizontal_flip', 'random_resized_crop', 'to_rgb', 'to_tensor']);
  assert.deepEqual(file.reinforce.image_augmentation.random_resized_crop, { interpolation: 'bicubic', size: 64, scale: [0.08, 1], ratio: [0.75, 4 / 3] });
  assert.deepEqual(config.slots, ['random_resized_crop', 'random_horizontal_flip', 'rand_augment']);
  const W = 640;
  const H = 480;
  let flips = 0;
  let n = 0;
  const seen = new Set<number>();
  for (let u = 0; u < 100; u++) {
    for (const p of sampleAugmentations(7, `uid-${u}`, W, H, 10, config)) {
      n++;
      const [top, left, h, w] = p.random_resized_crop!;
      assert.ok(top + h <= H && left + w <= W && h > 0 && w > 0);
      const area = (w * h) / (W * H);
      assert.ok(area >= 0.075 && area <= 1 && w / h >= 0.74 && w / h <= 1.35, `box ${[top, left, h, w]}`);
      if (p.random_horizontal_flip) flips++;
      assert.equal(p.rand_augment!.length, 2);
      for (const [op] of p.rand_augment!) seen.add(op);
      const compressed = compressParams(config, p);
      assert.deepEqual(decompressParams(config, JSON.parse(JSON.stringify(compressed)), { width: W, height: H }), { params: p, problems: [] });
    }
  }
  assert.ok(Math.abs(flips - n / 2) < 112, `${flips} flips of ${n}`);
  assert.equal(seen.size, RAND_AUGMENT_OPS.length, 'every op index drawn');
  // The default (Apple's DataCompDR minus RandAugment): one slot, no flip, loadable by the stock config too.
  const plain = reinforcementConfig(DEFAULT_AUGMENT_SETTINGS, [teacher(64)], NORMALIZE).config;
  assert.deepEqual(plain.slots, ['random_resized_crop']);
});

test('augmentations are a pure function of (seed, uid, size, config); more augmentations extend the stream', () => {
  const { config } = reinforcementConfig({ ...DEFAULT_AUGMENT_SETTINGS, randAugment: true }, [teacher(64)], NORMALIZE);
  const a = sampleAugmentations(11, 'abc', 300, 200, 10, config);
  assert.deepEqual(sampleAugmentations(11, 'abc', 300, 200, 10, config), a);
  assert.notDeepEqual(sampleAugmentations(12, 'abc', 300, 200, 10, config), a);
  assert.notDeepEqual(sampleAugmentations(11, 'abd', 300, 200, 10, config), a);
  assert.deepEqual(sampleAugmentations(11, 'abc', 300, 200, 12, config).slice(0, 10), a);
});

test('configs are read as compose_from_config reads them; what cannot be replayed is named', () => {
  // Apple's own DataCompDR config: enable flags, "to_rgb" (not a transform: ignored by Apple too).
  const apple = parseAugmentationConfig({
    normalize: { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] },
    rand_augment: { enable: true, p: 1.0 },
    random_resized_crop: { interpolation: 'bicubic', size: 224 },
    to_rgb: { enable: true },
    to_tensor: { enable: true },
  });
  assert.deepEqual(apple.problems, []);
  assert.deepEqual(apple.config!.slots, ['random_resized_crop', 'rand_augment']);
  assert.deepEqual(parseAugmentationConfig({ random_resized_crop: { size: 64 }, rand_augment: { enable: false } }).config!.slots, ['random_resized_crop']);
  const bad = parseAugmentationConfig({ random_resized_crop: { size: 64, interpolation: 'sinc' }, random_erase: { p: 0.25 }, mixup: { alpha: 1 } });
  assert.match(bad.problems.join('\n'), /unknown interpolation "sinc"/);
  assert.match(bad.problems.join('\n'), /random_erase cannot be replayed/);
  assert.match(bad.problems.join('\n'), /mixup cannot be replayed/);
  assert.match(parseAugmentationConfig({ rand_augment: {} }).problems.join('\n'), /no random_resized_crop/);
});

test('decompress reports each bad entry by field', () => {
  const { config } = reinforcementConfig({ ...DEFAULT_AUGMENT_SETTINGS, flipProbability: 0.5, randAugment: true }, [teacher(64)], NORMALIZE);
  const problems = (entry: unknown) => decompressParams(config, entry, { width: 100, height: 80 }).problems.join('\n');
  assert.match(problems([[0, 0, 10, 10], true]), /2 entries for 3 parameterised transforms/);
  assert.match(
    problems([
      [70, 0, 20, 10],
      false,
      [
        [1, 0.09],
        [2, 0.09],
      ],
    ]),
    /exceeds the 100x80 image/,
  );
  assert.match(
    problems([
      [0, 0, 10, 10],
      'yes',
      [
        [1, 0.09],
        [2, 0.09],
      ],
    ]),
    /random_horizontal_flip entry "yes" is not a boolean/,
  );
  assert.match(
    problems([
      [0, 0, 10, 10],
      false,
      [
        [14, 0],
        [2, 0.09],
      ],
    ]),
    /op index 14 is unknown/,
  );
  assert.match(problems([[0, 0, 10, 10], false, [[1, 0.09]]]), /not a list of 2/);
  assert.match(problems([null, false, null]), /no random_resized_crop parameters/);
  assert.match(problems({ crop: [0, 0, 1, 1] }), /must be a list/);
  assert.deepEqual(decompressParams(config, [[0, 0, 10, 10], false, null]).params, { random_resized_crop: [0, 0, 10, 10], random_horizontal_flip: false });
});

test("each RandAugment op, both signs, equals torchvision's _apply_op on a PIL image; so does the evaluation view", async () => {
  await fs.mkdir(work, { recursive: true });
  const r = mulberry32(21);
  const img = pil.rgbPixels(
    64,
    64,
    Uint8Array.from({ length: 64 * 64 * 3 }, (_, i) => ((i % 192) + Math.floor(r() * 64)) & 255),
  );
  const spec: RandAugmentSpec = { name: 'rand_augment', p: 1, numOps: 2, magnitude: 9, numMagnitudeBins: 31 };
  const jobs: Array<{ name: string; args: unknown[]; ours: pil.RgbPixels; op: string; img: pil.RgbPixels }> = [];
  for (const op of RAND_AUGMENT_OPS) {
    for (const sign of [1, -1]) {
      for (const bin of [9, 30]) {
        const m = sign * opMagnitude(op, { ...spec, magnitude: bin }, 64, 64);
        jobs.push({ name: `${op} ${m}`, op: 'apply_op', args: [op, m], img, ours: applyRandAugmentOp(img, op, m) });
      }
    }
  }
  const wide = pil.rgbPixels(
    90,
    50,
    Uint8Array.from({ length: 90 * 50 * 3 }, () => Math.floor(r() * 256)),
  );
  jobs.push({ name: 'center view', op: 'center_view', args: [48], img: wide, ours: centerView(wide, 48) });
  const list = await Promise.all(
    jobs.map(async (j, i) => {
      const input = path.join(work, `in-${i}.raw`);
      await fs.writeFile(input, j.img.data);
      return { input, width: j.img.width, height: j.img.height, op: j.op, args: j.args, output: path.join(work, `out-${i}.raw`) };
    }),
  );
  await fs.writeFile(path.join(work, 'jobs.json'), JSON.stringify(list));
  runPython('pil_ops.py', [path.join(work, 'jobs.json')]);
  const failures: string[] = [];
  for (let i = 0; i < jobs.length; i++) {
    const raw = await fs.readFile(list[i]!.output);
    const theirs = raw.subarray(raw.indexOf(10) + 1);
    let max = 0;
    for (let k = 0; k < theirs.length; k++) max = Math.max(max, Math.abs(theirs[k]! - jobs[i]!.ours.data[k]!));
    if (theirs.length !== jobs[i]!.ours.data.length || max > 0) failures.push(`${jobs[i]!.name}: differs by ${max}`);
  }
  assert.deepEqual(failures, []);
});
