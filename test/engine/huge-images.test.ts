// Huge images decode in bounded memory (one streaming libvips pass, asserted on the worker's peak
// RSS), while decompression bombs, too-wide images, whole-frame formats beyond their limit and
// over-complex SVGs are refused from their header or bytes before anything is decoded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Engine } from '../../src/engine/engine';
import { updateIndex } from '../../src/engine/index/indexer';
import { resolveModel } from '../../src/engine/models/resolve';
import { DEFAULT_MAX_PIXELS, MAX_STREAM_WIDTH, MAX_SVG_ELEMENTS, parseBackground, preprocessImage } from '../../src/engine/preprocess/pipeline';
import { isItemError, type ImageEmbedding } from '../../src/engine/types';
import { hugeDimensionsPng, writeLargePng } from '../fixtures/images';
import { colorModelDir } from '../fixtures/models';

const root = path.resolve(__dirname, '../..');
/** Generated once and kept: a 500 MP PNG takes ~15 s to write (it compresses to ~2 MB). */
const CACHE = path.join(root, '.cache', 'test-huge-images');
const work = path.join(root, '.cache', 'test-huge-images-run', String(process.pid));
const white = parseBackground('#ffffff');
const MiB = 2 ** 20;
let engine: Engine;

before(async () => {
  await fs.rm(work, { recursive: true, force: true });
  await fs.mkdir(work, { recursive: true });
  const model = await resolveModel(await colorModelDir(), { cacheDir: path.join(work, 'model-cache') });
  engine = await Engine.create(model);
});

after(async () => {
  await engine?.dispose();
  await fs.rm(work, { recursive: true, force: true });
});

test('a 500 MP PNG is indexed with the worker’s peak RSS bounded, and embeds like a small copy of itself', { timeout: 600_000 }, async (t) => {
  const huge = await writeLargePng(path.join(CACHE, 'blue-red-22400x22400.png'), { width: 22_400, height: 22_400 });
  const folder = path.join(work, 'huge');
  await fs.mkdir(folder, { recursive: true });
  await fs.copyFile(huge, path.join(folder, 'huge.png'));
  const small = await writeLargePng(path.join(work, 'small.png'), { width: 2240, height: 2240 });

  // Peak RSS is a high-water mark since the worker started: start it (model, vision thread) on a
  // small image first, so what follows is the huge decode's own growth.
  const [reference] = await engine.embedImages([small]);
  const before = await engine.workerMemory();
  const { summary, snapshot } = await updateIndex({ root: folder, indexDir: path.join(work, 'huge-index'), embedder: engine });
  const after = await engine.workerMemory();

  assert.deepEqual(summary.failed, []);
  assert.equal(summary.indexed, 1);
  assert.deepEqual([snapshot.entries[0]!.width, snapshot.entries[0]!.height], [22_400, 22_400]);
  // Its pixels alone are 1.4 GiB (RGB) to 1.9 GiB (RGBA): decoded whole, the peak would be there.
  const growth = (after.maxRss - before.maxRss) / MiB;
  t.diagnostic(`worker peak RSS ${(before.maxRss / MiB).toFixed(0)} -> ${(after.maxRss / MiB).toFixed(0)} MiB`);
  assert.ok(growth < 256, `worker peak RSS grew by ${growth.toFixed(0)} MiB while indexing a 500 MP PNG`);
  const a = snapshot.vectors.row(snapshot.entries[0]!.row);
  const b = (reference as ImageEmbedding).embedding;
  const cosine = a.reduce((s, x, i) => s + x * b[i]!, 0);
  assert.ok(cosine > 0.99, `embedding of the 500 MP PNG vs its 5 MP copy: cosine ${cosine}`);
});

test('decompression bombs are refused from the header: a few KB declaring 100000 x 100000', async () => {
  const bomb = path.join(work, 'bomb.png');
  await fs.writeFile(bomb, hugeDimensionsPng(100_000, 100_000));
  assert.ok((await fs.stat(bomb)).size < 4096);
  // The file holds one scanline of data: refusing it as too large, not as truncated, shows that
  // nothing past the header was decoded.
  await assert.rejects(preprocessImage(bomb, { background: white, maxPixels: DEFAULT_MAX_PIXELS }), /image is 100000×100000 = 10000 MP, above the 1500 MP limit$/);
  const [result] = await engine.embedImages([bomb]);
  assert.ok(isItemError(result!));
  assert.match(result.error, /image is 100000×100000 = 10000 MP, above the 1500 MP limit/);
});

test('images too wide to stream, and whole-frame formats beyond 100 MP, are refused from the header', async () => {
  const wide = path.join(work, 'wide.png');
  await fs.writeFile(wide, hugeDimensionsPng(MAX_STREAM_WIDTH + 1, 10));
  await assert.rejects(preprocessImage(wide, { background: white, maxPixels: DEFAULT_MAX_PIXELS }), /image is 40,001 pixels wide, above the 40,000 limit/);

  // Interlaced PNGs are decoded whole: 225 MP would be ~700 MB of pixels.
  const interlaced = path.join(work, 'interlaced.png');
  await fs.writeFile(interlaced, hugeDimensionsPng(15_000, 15_000, { interlaced: true }));
  await assert.rejects(
    preprocessImage(interlaced, { background: white, maxPixels: DEFAULT_MAX_PIXELS }),
    /image is 15000×15000 = 225 MP, above the 100 MP limit for interlaced PNG \(decoded whole\)/,
  );
  // The same size, not interlaced, streams: refused only for its truncated data.
  const plain = path.join(work, 'plain.png');
  await fs.writeFile(plain, hugeDimensionsPng(15_000, 15_000));
  await assert.rejects(
    preprocessImage(plain, { background: white, maxPixels: DEFAULT_MAX_PIXELS, thumbnails: { dir: path.join(work, 'thumbs'), size: 64 } }),
    /truncated or corrupt PNG/,
  );
});

test('SVGs beyond the complexity budget are refused before librsvg parses them', async () => {
  // The issue-12 case: a 12 MB SVG of 100k paths took 30 s and 978 MB. This one has just over the
  // element budget; its bytes are counted, never parsed.
  const paths = Array.from(
    { length: MAX_SVG_ELEMENTS + 1 },
    (_, i) => `<path d="M${i % 997} ${i % 991} l 5 7 l -3 4 z" fill="#${((i * 2654435761) >>> 8).toString(16).padStart(6, '0').slice(0, 6)}"/>`,
  );
  const complex = path.join(work, 'complex.svg');
  await fs.writeFile(complex, `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1000">\n${paths.join('\n')}\n</svg>\n`);
  await assert.rejects(
    preprocessImage(complex, { background: white, maxPixels: DEFAULT_MAX_PIXELS }),
    /SVG has more than 30,000 elements, above the complexity limit for vector images/,
  );
  const [result] = await engine.embedImages([complex]);
  assert.ok(isItemError(result!) && /complexity limit/.test(result.error));
  // Not fooled by a long comment that pushes <svg> past the first KiB.
  const hidden = path.join(work, 'hidden.svg');
  await fs.writeFile(hidden, `<!-- ${'x'.repeat(4096)} -->\n<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1000">\n${paths.join('\n')}\n</svg>\n`);
  await assert.rejects(preprocessImage(hidden, { background: white, maxPixels: DEFAULT_MAX_PIXELS }), /complexity limit/);

  // Size budget, and a compressed SVG that inflates past it.
  const padded = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><!-- ${' '.repeat(9 * MiB)} --><rect width="10" height="10"/></svg>`;
  const big = path.join(work, 'big.svg');
  await fs.writeFile(big, padded);
  await assert.rejects(preprocessImage(big, { background: white, maxPixels: DEFAULT_MAX_PIXELS }), /SVG is 9 MiB, above the 8 MiB limit for vector images/);
  const svgz = path.join(work, 'big.svgz');
  await fs.writeFile(svgz, gzipSync(padded));
  await assert.rejects(preprocessImage(svgz, { background: white, maxPixels: DEFAULT_MAX_PIXELS }), /compressed SVG inflates past the 8 MiB limit/);

  // An ordinary SVG well within the budget still decodes.
  const ok = path.join(work, 'ok.svg');
  await fs.writeFile(ok, `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30">${paths.slice(0, 500).join('')}</svg>`);
  const r = await preprocessImage(ok, { background: white, maxPixels: DEFAULT_MAX_PIXELS });
  assert.deepEqual([r.width, r.height], [40, 30]);
});
