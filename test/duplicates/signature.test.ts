// Pixel signatures on drawn pixels, the exact tier of grouping on a synthetic index, and the
// decisions file (no worker, no model).
import { VectorTable } from '../../src/engine/search/vectors';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  colourDistance,
  decodeSignature,
  encodeSignature,
  localDifference,
  prepareSignature,
  signatureOf,
  structureSimilarity,
  type RawPixels,
} from '../../src/engine/duplicates/signature';
import { groupDuplicates, sameImage, DEFAULT_DUPLICATE_THRESHOLDS } from '../../src/engine/duplicates/group';
import { DECISIONS_FILE, loadDuplicateDecisions, recordNotDuplicates } from '../../src/engine/duplicates/decisions';
import type { IndexEntry, IndexSnapshot } from '../../src/engine/index/format';
import { tempDir } from '../index/helpers';

type Rgb = [number, number, number];

/** A w x h RGB canvas of `bg` with rectangles [x, y, w, h, colour] drawn on it. */
function draw(w: number, h: number, bg: Rgb, rects: Array<[number, number, number, number, Rgb]> = []): RawPixels {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set(bg, i * 3);
  for (const [x0, y0, rw, rh, c] of rects) for (let y = y0; y < y0 + rh; y++) for (let x = x0; x < x0 + rw; x++) data.set(c, (y * w + x) * 3);
  return { data, width: w, height: h, channels: 3 };
}

const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
const RED: Rgb = [220, 30, 30];
const BLUE: Rgb = [30, 60, 220];
const prep = (img: RawPixels) => prepareSignature(signatureOf(img));
const same = (a: RawPixels, b: RawPixels) => sameImage(prep(a), prep(b), DEFAULT_DUPLICATE_THRESHOLDS);

test('the same drawing with other margins and at another scale has the same signature', () => {
  const small = draw(40, 40, WHITE, [
    [5, 5, 16, 24, BLACK],
    [9, 9, 8, 4, RED],
  ]);
  const big = draw(120, 100, WHITE, [
    [30, 10, 40, 60, BLACK],
    [40, 20, 20, 10, RED],
  ]);
  const a = prep(small);
  const b = prep(big);
  assert.ok(structureSimilarity(a, b) > 0.99, String(structureSimilarity(a, b)));
  assert.ok(localDifference(a, b) < 0.1);
  assert.ok(colourDistance(a, b) < 2);
  assert.ok(same(small, big));
});

test('a recoloured drawing, a mirrored one and a different symbol on the same badge are other images', () => {
  const badge = (inner: Array<[number, number, number, number, Rgb]>, fill = RED) => draw(64, 64, WHITE, [[4, 4, 56, 56, fill], ...inner]);
  const arrowLeft = badge([
    [16, 30, 32, 4, WHITE],
    [16, 22, 4, 20, WHITE],
  ]);
  const arrowRight = badge([
    [16, 30, 32, 4, WHITE],
    [44, 22, 4, 20, WHITE],
  ]);
  assert.ok(
    same(
      arrowLeft,
      badge([
        [16, 30, 32, 4, WHITE],
        [16, 22, 4, 20, WHITE],
      ]),
    ),
  );
  assert.ok(!same(arrowLeft, arrowRight), 'mirrored symbol');
  assert.ok(
    !same(
      arrowLeft,
      badge(
        [
          [16, 30, 32, 4, WHITE],
          [16, 22, 4, 20, WHITE],
        ],
        BLUE,
      ),
    ),
    'recoloured',
  );
  assert.ok(!same(arrowLeft, badge([[30, 16, 4, 32, WHITE]])), 'another symbol');
});

test('flat images: the same colour at another scale is the same image; another colour, or a mark on it, is not', () => {
  assert.ok(same(draw(8, 8, RED), draw(50, 50, RED)));
  assert.ok(!same(draw(8, 8, RED), draw(8, 8, BLUE)));
  assert.ok(!same(draw(8, 8, WHITE), draw(8, 8, WHITE, [[2, 2, 3, 3, BLACK]])));
});

test('signatures survive their text form; anything else decodes to nothing', () => {
  const sig = signatureOf(draw(30, 20, WHITE, [[3, 4, 10, 5, BLUE]]));
  const back = decodeSignature(encodeSignature(sig))!;
  assert.deepEqual([...back.grey], [...sig.grey]);
  assert.deepEqual([...back.colour], [...sig.colour]);
  assert.ok(Math.abs(back.aspect - sig.aspect) < 1e-3);
  assert.equal(decodeSignature('bm90IGEgc2lnbmF0dXJl'), undefined);
  assert.equal(decodeSignature(42), undefined);
});

function snapshotOf(entries: Array<Omit<IndexEntry, 'mtimeMs' | 'row'> & { row?: number }>): IndexSnapshot {
  const rows = new Map<string, number>();
  const full = entries
    .map((e) => {
      if (!rows.has(e.sha256)) rows.set(e.sha256, rows.size);
      return { ...e, mtimeMs: 0, row: rows.get(e.sha256)! };
    })
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  const dim = 8;
  const vectors = new Float32Array(rows.size * dim);
  for (let r = 0; r < rows.size; r++) vectors[r * dim + (r % dim)] = 1; // orthogonal: no near-duplicates
  return { model: { id: 'm', fingerprint: 'f', dim }, preprocessing: {}, dim, vectors: VectorTable.fromFloat32(vectors, dim), entries: full };
}

const sha = (c: string) => c.repeat(64);

test('exact copies group without any signature, most bytes wasted first; decisions can keep identical files apart', async () => {
  const snapshot = snapshotOf([
    { path: 'a/logo.png', size: 1000, width: 64, height: 64, sha256: sha('a') },
    { path: 'b/logo.png', size: 1000, width: 64, height: 64, sha256: sha('a') },
    { path: 'c/logo.png', size: 1000, width: 64, height: 64, sha256: sha('a') },
    { path: 'big.png', size: 9000, width: 300, height: 300, sha256: sha('b') },
    { path: 'big-copy.png', size: 9000, width: 300, height: 300, sha256: sha('b') },
    { path: 'alone.png', size: 500, width: 10, height: 10, sha256: sha('c') },
  ]);
  const { groups } = await groupDuplicates(snapshot, new Map());
  assert.deepEqual(
    groups.map((g) => [g.members.map((m) => m.path), g.bytesWasted, g.exact, g.similarity]),
    [
      [['big.png', 'big-copy.png'], 9000, true, 1],
      [['a/logo.png', 'b/logo.png', 'c/logo.png'], 2000, true, 1],
    ],
  );
  const decisions = { notDuplicates: [['a/logo.png', 'c/logo.png']], problems: [] };
  const split = await groupDuplicates(snapshot, new Map(), { decisions });
  const logos = split.groups.filter((g) => g.members[0]!.path.endsWith('logo.png')).map((g) => g.members.map((m) => m.path));
  assert.ok(!logos.some((g) => g.includes('a/logo.png') && g.includes('c/logo.png')), JSON.stringify(logos));
  assert.equal(logos.flat().length, 2); // b joins one of them; the other stands alone
});

test('the decisions file: one sorted set per line, smaller sets absorbed, bad entries reported, bad JSON named', async () => {
  const root = await tempDir('decisions');
  assert.deepEqual(await loadDuplicateDecisions(root), { notDuplicates: [], problems: [] });
  await recordNotDuplicates(root, ['icons/b.png', 'icons/a.png']);
  await recordNotDuplicates(root, ['x.png', 'icons/a.png', 'icons/b.png']);
  await recordNotDuplicates(root, ['m.png', 'l.png']);
  const file = path.join(root, DECISIONS_FILE);
  assert.equal(
    await fs.readFile(file, 'utf8'),
    [
      '{',
      '  "format": "mobileclip-assets/duplicates",',
      '  "notDuplicates": [',
      '    ["icons/a.png", "icons/b.png", "x.png"],',
      '    ["l.png", "m.png"]',
      '  ],',
      '  "version": 1',
      '}',
      '',
    ].join('\n'),
  );
  await assert.rejects(recordNotDuplicates(root, ['../outside.png', 'a.png']), /not a path relative to the folder/);
  await fs.writeFile(file, JSON.stringify({ notDuplicates: [['a.png', '/etc/passwd', 'b.png'], 'nope'] }));
  const loaded = await loadDuplicateDecisions(root);
  assert.deepEqual(loaded.notDuplicates, [['a.png', 'b.png']]);
  assert.equal(loaded.problems.length, 2);
  await fs.writeFile(file, '{ broken');
  await assert.rejects(loadDuplicateDecisions(root), /asset-duplicates\.json is not valid JSON/);
});
