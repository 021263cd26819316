// Image preprocessing (the decode + tensor path the worker runs), tested in-process.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { type ModelPreprocess, defaultPreprocessConfig, parseBackground, parsePreprocessConfig, preprocessImage, resizedSize, resolveGeometry } from '../../src/engine/preprocess';
import { SharedSources } from '../../src/engine/preprocess/pipeline';
import { type FixtureFileSet, type RGB, writeBrokenFiles, writeSolidImage } from '../fixtures/images';

const work = path.resolve(__dirname, '../../.cache/test-preprocess', String(process.pid));
const white = parseBackground('#ffffff');
const MAX = 100_000_000;
let files: FixtureFileSet;

before(async () => {
  await fs.rm(work, { recursive: true, force: true });
  files = await writeBrokenFiles(path.join(work, 'broken'));
});

/** Default MobileCLIP-v1 style preprocessing at `size` px; `crop: false` keeps the whole resized image. */
function model(size: number, overrides: Record<string, unknown> = {}): ModelPreprocess {
  const config = parsePreprocessConfig({ size: { shortest_edge: size }, crop_size: size, resample: 2, ...overrides });
  return { config, geometry: resolveGeometry(config, size), imageSize: size };
}

/** Mean colour (0-255) of a CHW tensor made with rescale 1/255 and no normalization, over rows [y0,y1). */
function meanRgb(t: Float32Array, w: number, h: number, y0 = 0, y1 = h): number[] {
  const plane = w * h;
  return [0, 1, 2].map((c) => {
    let s = 0;
    for (let y = y0; y < y1; y++) for (let x = 0; x < w; x++) s += t[c * plane + y * w + x];
    return (s / ((y1 - y0) * w)) * 255;
  });
}

function assertColour(actual: number[], expected: RGB, tolerance: number, what: string): void {
  for (let c = 0; c < 3; c++) {
    assert.ok(Math.abs(actual[c] - expected[c]) <= tolerance, `${what}: got [${actual.map((v) => v.toFixed(1))}], expected [${expected}] ±${tolerance}`);
  }
}

test('broken files fail with clear, specific messages', async () => {
  const expectations: Array<[string, RegExp]> = [
    [files.invalid.zeroBytePng, /^empty file \(0 bytes\)$/],
    [files.invalid.textAsPng, /^not an image \(text file named \.png\)$/],
    [files.invalid.truncatedJpeg, /^truncated or corrupt JPEG: .*premature end/i],
    [files.invalid.hugeDimensionsPng, /^image is 30000×30000 = 900 MP, above the 100 MP limit$/],
    [path.join(work, 'does-not-exist.png'), /^file not found$/],
    [work, /directory/],
  ];
  for (const [file, pattern] of expectations) {
    await assert.rejects(preprocessImage(file, { background: white, maxPixels: MAX, model: model(32) }), (err: Error) => {
      assert.match(err.message, pattern, file);
      return true;
    });
  }
});

test('the decompression-bomb PNG is refused from its header, without allocating its pixels', async () => {
  const before = process.memoryUsage().rss;
  await assert.rejects(preprocessImage(files.invalid.hugeDimensionsPng, { background: white, maxPixels: MAX, model: model(32) }), /above the 100 MP limit/);
  // 30000 x 30000 RGB would be 2.7 GB; nothing near that may have been allocated.
  assert.ok(process.memoryUsage().rss - before < 300e6);
  // The limit is the caller's: a small one refuses an ordinary image too.
  const small = await writeSolidImage(path.join(work, 'small.png'), [1, 2, 3], { width: 40, height: 30 });
  await assert.rejects(preprocessImage(small, { background: white, maxPixels: 1000, model: model(32) }), /image is 40×30 = 1,200 pixels, above the 1,000 pixels limit/);
  // A thin strip whose shortest-edge upscale would exceed the budget is refused too.
  const strip = await writeSolidImage(path.join(work, 'strip.png'), [1, 2, 3], { width: 2000, height: 1 });
  await assert.rejects(preprocessImage(strip, { background: white, maxPixels: 100_000, model: model(64) }), /aspect ratio too extreme: 2000×1 would resize to 128000×64/);
});

test('colours survive 16-bit, CMYK, palette, grey+alpha, animated and SVG inputs', async () => {
  const cases = [files.valid.png16, files.valid.cmykJpeg, files.valid.palettePng, files.valid.grayAlphaPng, files.valid.animatedGif, files.valid.svg];
  for (const expected of cases) {
    const r = await preprocessImage(expected.path, { background: white, maxPixels: MAX, model: model(32) });
    assert.equal(r.tensor!.length, 3 * 32 * 32, expected.path);
    assertColour(meanRgb(r.tensor!, 32, 32), expected.rgb, 24, path.basename(expected.path));
  }
});

test('reported sizes are the displayed ones; an SVG is rasterized at least at the model size', async () => {
  const gif = await preprocessImage(files.valid.animatedGif.path, { background: white, maxPixels: MAX });
  assert.deepEqual([gif.width, gif.height], [32, 32]);
  // 40x30 SVG for a 96 px model: the short side must reach 96 (density scaled, not upsampled pixels).
  const svg = await preprocessImage(files.valid.svg.path, { background: white, maxPixels: MAX, model: model(96) });
  assert.ok(Math.min(svg.width, svg.height) >= 96, `${svg.width}x${svg.height}`);
  assert.equal(svg.width / svg.height, 40 / 30);
});

test('SVG thumbnails are rasterized at their own size; the model input does not change', async () => {
  const svg = files.valid.svg.path; // 40x30
  const plain = await preprocessImage(svg, { background: white, maxPixels: MAX, model: model(16) });
  const thumbed = await preprocessImage(svg, { background: white, maxPixels: MAX, model: model(16), thumbnails: { dir: path.join(work, 'svg-thumbs'), size: 200 } });
  assert.deepEqual(thumbed.tensor, plain.tensor);
  const meta = await sharp(thumbed.thumbnail!).metadata();
  assert.deepEqual([meta.width, meta.height], [200, 150]);
  // maxPixels 0 means no limit (not a zero-size raster).
  const unlimited = await preprocessImage(svg, { background: white, maxPixels: 0, model: model(16) });
  assert.deepEqual(unlimited.tensor, plain.tensor);
});

test('EXIF orientation is applied before resizing (red on top, 24x48 displayed)', async () => {
  const e = files.valid.exifRotatedJpeg;
  const r = await preprocessImage(e.path, { background: white, maxPixels: MAX, model: model(32, { do_center_crop: false }) });
  assert.deepEqual([r.width, r.height], [e.width, e.height]);
  assert.deepEqual([r.tensorWidth, r.tensorHeight], [32, 64]);
  assertColour(meanRgb(r.tensor!, 32, 64, 4, 28), e.top!, 24, 'top');
  assertColour(meanRgb(r.tensor!, 32, 64, 36, 60), e.bottom!, 24, 'bottom');
});

test('transparent pixels become the background colour', async () => {
  const clear = await writeSolidImage(path.join(work, 'clear.png'), [255, 0, 0], { alpha: 0 });
  const green = await preprocessImage(clear, { background: parseBackground('#00ff00'), maxPixels: MAX, model: model(16) });
  assertColour(meanRgb(green.tensor!, 16, 16), [0, 255, 0], 1, 'on green');
  const onWhite = await preprocessImage(clear, { background: white, maxPixels: MAX, model: model(16) });
  assertColour(meanRgb(onWhite.tensor!, 16, 16), [255, 255, 255], 1, 'on white');
  assert.throws(() => parseBackground('white-ish'), /hex colour/);
  assert.deepEqual(parseBackground('#0a0'), { r: 0, g: 170, b: 0 });
});

test('resize follows the shortest edge, then the center crop; values are x/255 without normalization', async () => {
  // 60x20: left third red, middle green, right third blue. Shortest edge 16 -> 48x16, crop 16x16 = the green third.
  const file = path.join(work, 'thirds.png');
  await sharp({ create: { width: 60, height: 20, channels: 3, background: { r: 0, g: 200, b: 0 } } })
    .composite([
      { input: { create: { width: 20, height: 20, channels: 3, background: { r: 200, g: 0, b: 0 } } }, left: 0, top: 0 },
      { input: { create: { width: 20, height: 20, channels: 3, background: { r: 0, g: 0, b: 200 } } }, left: 40, top: 0 },
    ])
    .png()
    .toFile(file);
  const r = await preprocessImage(file, { background: white, maxPixels: MAX, model: model(16) });
  assert.deepEqual([r.tensorWidth, r.tensorHeight], [16, 16]);
  const t = r.tensor!;
  // The centre pixel is exactly green: 200/255 in G, 0 elsewhere.
  const centre = 8 * 16 + 8;
  assert.ok(Math.abs(t[256 + centre] - 200 / 255) < 1e-6);
  assert.ok(Math.abs(t[centre]) < 1e-6 && Math.abs(t[512 + centre]) < 1e-6);
});

test('normalization uses the config mean/std only when do_normalize is set', async () => {
  const file = await writeSolidImage(path.join(work, 'grey.png'), [128, 128, 128]);
  const mean = [0.5, 0.4, 0.3];
  const std = [0.2, 0.25, 0.5];
  const on = await preprocessImage(file, { background: white, maxPixels: MAX, model: model(8, { do_normalize: true, image_mean: mean, image_std: std }) });
  const off = await preprocessImage(file, { background: white, maxPixels: MAX, model: model(8, { do_normalize: false, image_mean: mean, image_std: std }) });
  for (let c = 0; c < 3; c++) {
    assert.ok(Math.abs(on.tensor![c * 64] - (128 / 255 - mean[c]) / std[c]) < 1e-5);
    assert.ok(Math.abs(off.tensor![c * 64] - 128 / 255) < 1e-6);
  }
});

test('preprocessor configs of every shape parse', () => {
  const a = parsePreprocessConfig({ size: 224, crop_size: 224, resample: 3 });
  assert.deepEqual(a.resize, { kind: 'shortestEdge', shortestEdge: 224 });
  assert.deepEqual(a.crop, { width: 224, height: 224 });
  assert.equal(a.kernel, 'cubic');
  const b = parsePreprocessConfig({ size: { height: 30, width: 40 }, crop_size: { height: 20, width: 20 }, resample: 0, do_normalize: true });
  assert.deepEqual(b.resize, { kind: 'exact', width: 40, height: 30 });
  assert.equal(b.kernel, 'nearest');
  assert.equal(b.doNormalize, true);
  assert.deepEqual(b.mean, [0.48145466, 0.4578275, 0.40821073]); // CLIP's, when normalizing without explicit values
  const c = parsePreprocessConfig({});
  assert.deepEqual(c, defaultPreprocessConfig());
  assert.deepEqual(resolveGeometry(c, 48), { resize: { kind: 'shortestEdge', shortestEdge: 48 }, crop: { width: 48, height: 48 } });
  assert.throws(() => parsePreprocessConfig({ resample: 9 }), /unsupported resample/);
  assert.throws(() => parsePreprocessConfig({ size: 'big' }), /unsupported size/);
  assert.throws(() => parsePreprocessConfig([1]), /JSON object/);
  // Python HF rounding: the long side is floored.
  assert.deepEqual(resizedSize({ kind: 'shortestEdge', shortestEdge: 256 }, 300, 199), { width: 385, height: 256 });
  assert.deepEqual(resizedSize({ kind: 'shortestEdge', shortestEdge: 10, longestEdge: 15 }, 100, 20), { width: 15, height: 3 });
});

test('augmentation replay: crop box in displayed pixels, horizontal flip, exactly reproducible', async () => {
  // Displayed (after EXIF 6) the image is 24x48: red top half, blue bottom half.
  const e = files.valid.exifRotatedJpeg.path;
  const req = (augment: { crop: [number, number, number, number]; flip: boolean }) => preprocessImage(e, { background: white, maxPixels: MAX, model: model(16), augment });
  const top = await req({ crop: [0, 0, 24, 20], flip: false });
  assert.deepEqual([top.tensorWidth, top.tensorHeight], [16, 16]);
  assertColour(meanRgb(top.tensor!, 16, 16), files.valid.exifRotatedJpeg.top!, 24, 'top crop');
  const bottom = await req({ crop: [0, 28, 24, 20], flip: false });
  assertColour(meanRgb(bottom.tensor!, 16, 16), files.valid.exifRotatedJpeg.bottom!, 24, 'bottom crop');
  const again = await req({ crop: [0, 28, 24, 20], flip: false });
  assert.deepEqual(again.tensor, bottom.tensor);

  // Flip mirrors columns: a left-red/right-blue crop becomes left-blue/right-red.
  const lr = path.join(work, 'left-right.png');
  await sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 0, g: 0, b: 255 } } })
    .composite([{ input: { create: { width: 20, height: 20, channels: 3, background: { r: 255, g: 0, b: 0 } } }, left: 0, top: 0 }])
    .png()
    .toFile(lr);
  const plain = await preprocessImage(lr, { background: white, maxPixels: MAX, model: model(8), augment: { crop: [0, 0, 40, 20], flip: false } });
  const flipped = await preprocessImage(lr, { background: white, maxPixels: MAX, model: model(8), augment: { crop: [0, 0, 40, 20], flip: true } });
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        assert.ok(Math.abs(flipped.tensor![c * 64 + y * 8 + x] - plain.tensor![c * 64 + y * 8 + (7 - x)]) < 1e-6);
      }
    }
  }
  assert.ok(plain.tensor![0] > 0.9 && flipped.tensor![0] < 0.1, 'red channel at the left edge');
  await assert.rejects(
    preprocessImage(lr, { background: white, maxPixels: MAX, model: model(8), augment: { crop: [50, 50, 10, 10], flip: false } }),
    /lies outside the 40×20 image/,
  );
});

test('items of one file share a single read and decode, with the very same tensors', async () => {
  // Transparent background (flattened), a red and a blue square: crops and flips differ.
  const src = path.join(work, 'shared-src.png');
  await sharp({ create: { width: 90, height: 50, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .composite([
      { input: { create: { width: 30, height: 30, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } } }, left: 5, top: 10 },
      { input: { create: { width: 25, height: 40, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0.5 } } }, left: 50, top: 5 },
    ])
    .png()
    .toFile(src);
  const items: Array<{ augment?: { crop: [number, number, number, number]; flip: boolean } }> = [
    { augment: { crop: [0, 0, 45, 50], flip: false } },
    { augment: { crop: [0, 0, 45, 50], flip: true } },
    {},
    { augment: { crop: [-10, 20, 200, 40], flip: true } },
    { augment: { crop: [37, 3, 17, 29], flip: false } },
  ];
  const opts = { background: parseBackground('#336699'), maxPixels: MAX, model: model(24) };
  const alone = await Promise.all(items.map((it) => preprocessImage(src, { ...opts, ...it })));

  // The copy is deleted once the first item has decoded it: the others must not read it again.
  const copy = path.join(work, 'shared-copy.png');
  await fs.copyFile(src, copy);
  const sources = new SharedSources(items.map(() => copy));
  const first = await preprocessImage(copy, { ...opts, ...items[0], shared: sources.take(copy) });
  await fs.rm(copy);
  const rest = await Promise.all(items.slice(1).map((it) => preprocessImage(copy, { ...opts, ...it, shared: sources.take(copy) })));
  [first, ...rest].forEach((r, i) => {
    assert.deepEqual(r.tensor, alone[i].tensor, `item ${i}`);
    assert.deepEqual([r.sha256, r.width, r.height], [alone[i].sha256, 90, 50]);
  });
  assert.notDeepEqual(alone[0].tensor, alone[1].tensor, 'the flip changes the tensor');

  // Memory stays bounded: an entry is dropped at its path's last use, or when `capacity` newer ones are kept.
  const once = new SharedSources(['a', 'b', 'a'], 1);
  const a = once.take('a');
  once.take('b'); // used once: never kept, evicts nothing
  assert.equal(once.take('a'), a);
  const lru = new SharedSources(['a', 'b', 'a', 'b'], 1);
  const a2 = lru.take('a');
  const b2 = lru.take('b');
  assert.notEqual(lru.take('a'), a2, 'a was evicted by b');
  assert.equal(lru.take('b'), b2);
  assert.notEqual(lru.take('b'), b2, 'b was forgotten after its last use');
});

test('thumbnails: <sha256>-<size>.webp, longest side = size, written once', async () => {
  const file = await writeSolidImage(path.join(work, 'wide.png'), [30, 60, 220], { width: 300, height: 100 });
  const dir = path.join(work, 'thumbs');
  const r = await preprocessImage(file, { background: white, maxPixels: MAX, model: model(32), thumbnails: { dir, size: 64 } });
  assert.equal(r.thumbnail, path.join(dir, `${r.sha256}-64.webp`));
  const meta = await sharp(r.thumbnail!).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['webp', 64, 21]);
  const { createHash } = await import('node:crypto');
  assert.equal(
    r.sha256,
    createHash('sha256')
      .update(await fs.readFile(file))
      .digest('hex'),
  );
  // An existing thumbnail is kept as it is.
  await fs.writeFile(r.thumbnail!, 'existing');
  await preprocessImage(file, { background: white, maxPixels: MAX, model: model(32), thumbnails: { dir, size: 64 } });
  assert.equal(await fs.readFile(r.thumbnail!, 'utf8'), 'existing');
  // Thumbnail only (no model).
  const only = await preprocessImage(file, { background: white, maxPixels: MAX, thumbnails: { dir, size: 50 } });
  assert.equal(only.tensor, undefined);
  assert.deepEqual([(await sharp(only.thumbnail!).metadata()).width, only.width, only.height], [50, 300, 100]);
});

test('large JPEGs shrink on load; the model input does not depend on thumbnail settings', async () => {
  const file = path.join(work, 'big.jpg');
  await sharp({ create: { width: 1600, height: 1200, channels: 3, background: { r: 250, g: 140, b: 20 } } })
    .composite([{ input: { create: { width: 800, height: 1200, channels: 3, background: { r: 30, g: 60, b: 220 } } }, left: 800, top: 0 }])
    .jpeg({ quality: 92 })
    .toFile(file);
  const plain = await preprocessImage(file, { background: white, maxPixels: MAX, model: model(32) });
  const withBigThumb = await preprocessImage(file, { background: white, maxPixels: MAX, model: model(32), thumbnails: { dir: path.join(work, 't2'), size: 512 } });
  const withSmallThumb = await preprocessImage(file, { background: white, maxPixels: MAX, model: model(32), thumbnails: { dir: path.join(work, 't3'), size: 16 } });
  assert.deepEqual(withBigThumb.tensor, plain.tensor);
  assert.deepEqual(withSmallThumb.tensor, plain.tensor);
  assert.deepEqual([plain.width, plain.height], [1600, 1200]);
  assert.equal((await sharp(withBigThumb.thumbnail!).metadata()).width, 512);
  // Centre crop of 43x32: left part orange, right part blue.
  const t = plain.tensor!;
  assertColour([t[16 * 32 + 2] * 255, t[1024 + 16 * 32 + 2] * 255, t[2048 + 16 * 32 + 2] * 255], [250, 140, 20], 12, 'left');
  assertColour([t[16 * 32 + 29] * 255, t[1024 + 16 * 32 + 29] * 255, t[2048 + 16 * 32 + 29] * 255], [30, 60, 220], 12, 'right');
});
