// Captioning end to end: the worker process runs the fixture captioner through Transformers.js,
// the parent records results in the captions file.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { resolveCaptioner, type ResolvedCaptioner } from '../../src/engine/captions/models';
import { captionImages, type CaptionBackend, type CaptionImageResult } from '../../src/engine/captions/run';
import { addUserCaption, captionsFileFor, loadCaptionStore, saveCaptionStore, searchCaptions } from '../../src/engine/captions/store';
import { normalizeCaption } from '../../src/engine/captions/text';
import { WorkerClient } from '../../src/engine/worker/client';
import { captionerModelDir, CAPTIONER_COLOR_WORDS, isFixtureSentence } from '../fixtures/captioner';
import { writeSolidImage } from '../fixtures/images';
import { FIXTURE_COLORS } from '../fixtures/models';
import { CLIPART_DIR as CLIPART } from '../fixtures/paths';

const base = path.resolve(__dirname, '../../.cache/test-captions');
const dirs: string[] = [];
let client: WorkerClient;
let captioner: ResolvedCaptioner;

before(async () => {
  await fs.mkdir(base, { recursive: true });
  const cacheDir = await scratch('cache');
  captioner = await resolveCaptioner(await captionerModelDir(), { cacheDir });
  client = new WorkerClient();
});
after(async () => {
  await client?.dispose();
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

async function scratch(label: string): Promise<string> {
  const d = await fs.mkdtemp(path.join(base, `${label}-`));
  dirs.push(d);
  return d;
}

/** A backend that counts the worker requests it forwards. */
function counting(): CaptionBackend & { calls: number; images: number } {
  const b = {
    calls: 0,
    images: 0,
    request: (body: Parameters<CaptionBackend['request']>[0], opts?: Parameters<CaptionBackend['request']>[1]) => {
      b.calls++;
      b.images += body.paths.length;
      return client.request(body, opts);
    },
  };
  return b;
}

async function colourFolder(colours: string[]): Promise<{ root: string; files: Record<string, string> }> {
  const root = await scratch('images');
  const files: Record<string, string> = {};
  for (const c of colours) files[c] = await writeSolidImage(path.join(root, 'solid', `${c}.png`), FIXTURE_COLORS[c]!, { width: 40, height: 28 });
  return { root, files };
}

async function clipArt(n: number): Promise<string[]> {
  const out: string[] = [];
  for (const category of (await fs.readdir(CLIPART)).sort()) {
    const dir = path.join(CLIPART, category);
    if (!(await fs.stat(dir)).isDirectory()) continue;
    const png = (await fs.readdir(dir)).filter((f) => f.endsWith('.png')).sort()[0];
    if (png) out.push(path.join(dir, png));
    if (out.length === n) break;
  }
  return out;
}

function captionsOf(results: CaptionImageResult[], file: string): string[] {
  const r = results.find((x) => x.path === file);
  assert.ok(r && !('error' in r), `${file} was captioned: ${JSON.stringify(r)}`);
  return r.captions;
}

test('coloured images and real clip-art get N distinct captions; captions name the image colour', async () => {
  const { root, files } = await colourFolder(['red', 'green', 'blue', 'yellow']);
  const art = await clipArt(3);
  assert.equal(art.length, 3);
  for (const f of art) await fs.copyFile(f, path.join(root, path.basename(f)));
  const artCopies = art.map((f) => path.join(root, path.basename(f)));
  const progress: number[] = [];
  const summary = await captionImages(client, [...Object.values(files), ...artCopies], {
    root,
    captioner,
    settings: { count: 5 },
    onProgress: (p) => progress.push(p.done),
  });
  assert.equal(summary.generated, 7);
  assert.equal(summary.failed, 0);
  assert.deepEqual(progress, [1, 2, 3, 4, 5, 6, 7]);
  for (const file of [...Object.values(files), ...artCopies]) {
    const caps = captionsOf(summary.results, file);
    assert.equal(caps.length, 5, `${path.basename(file)}: ${JSON.stringify(caps)}`);
    assert.equal(new Set(caps.map(normalizeCaption)).size, 5, 'distinct after normalization');
    for (const c of caps) assert.ok(isFixtureSentence(c), `one whole sentence per caption: "${c}"`);
  }
  for (const [colour, file] of Object.entries(files)) {
    const caps = captionsOf(summary.results, file);
    const naming = caps.filter((c) => c.split(' ').includes(colour));
    assert.ok(naming.length >= 3, `most ${colour} captions say ${colour}: ${JSON.stringify(caps)}`);
    const others = caps.flatMap((c) => c.split(' ')).filter((w) => CAPTIONER_COLOR_WORDS.includes(w) && w !== colour);
    assert.deepEqual(others, [], `no other colour for ${colour}`);
  }
  // Recorded in the captions file with the run's model and settings.
  const store = await loadCaptionStore(root);
  assert.equal(store.images.size, 7);
  const entry = store.images.get('solid/red.png')!;
  assert.deepEqual(entry.generated, captionsOf(summary.results, files.red!));
  assert.deepEqual(store.runs.get(entry.run!)!.settings, summary.run.settings);
  assert.equal(store.runs.get(entry.run!)!.modelFingerprint, captioner.fingerprint);
  // ...and searchable.
  assert.deepEqual(
    searchCaptions(store, 'yellow').map((m) => m.path),
    ['solid/yellow.png'],
  );
});

test('the same seed gives the same captions; another seed gives different ones', async () => {
  const { root, files } = await colourFolder(['purple', 'orange']);
  const paths = Object.values(files);
  const run = async (seed: number) => {
    const s = await captionImages(client, paths, { root, captioner, settings: { seed, count: 4 }, force: true });
    return paths.map((p) => captionsOf(s.results, p));
  };
  const first = await run(11);
  await client.dispose(); // a fresh worker process must reproduce them too
  client = new WorkerClient();
  assert.deepEqual(await run(11), first);
  const other = await run(12);
  assert.notDeepEqual(other, first);
});

test('re-sampling for distinct captions is bounded: a model that can only say one thing gives one caption', async () => {
  const { root, files } = await colourFolder(['green']);
  // top-k 1 always picks the most likely token: every row and every round says the same.
  const s = await captionImages(client, [files.green!], { root, captioner, settings: { count: 5, topK: 1 } });
  assert.equal(s.generated, 1);
  const caps = captionsOf(s.results, files.green!);
  assert.equal(caps.length, 1);
  assert.ok(caps[0]!.includes('green'));
});

test('a second run is incremental: nothing reaches the worker unless bytes or settings change', async () => {
  const { root, files } = await colourFolder(['red', 'blue', 'green']);
  const paths = Object.values(files);
  const first = counting();
  const s1 = await captionImages(first, paths, { root, captioner, chunkSize: 2 });
  assert.equal(s1.generated, 3);
  assert.equal(first.images, 3);

  const second = counting();
  const s2 = await captionImages(second, paths, { root, captioner });
  assert.equal(second.calls, 0, 'the worker was not asked at all');
  assert.equal(s2.skipped, 3);
  assert.equal(s2.generated, 0);
  assert.deepEqual(
    s2.results.map((r) => ('captions' in r ? r.captions : r)),
    s1.results.map((r) => ('captions' in r ? r.captions : r)),
  );

  await writeSolidImage(files.blue!, FIXTURE_COLORS.yellow!, { width: 40, height: 28 }); // the file changed
  const third = counting();
  const s3 = await captionImages(third, paths, { root, captioner, settings: {} });
  assert.equal(third.images, 1);
  assert.equal(s3.generated, 1);
  assert.ok(captionsOf(s3.results, files.blue!).some((c) => c.includes('yellow')));

  const fourth = counting();
  await captionImages(fourth, paths, { root, captioner, settings: { seed: 99 } });
  assert.equal(fourth.images, 3, 'new settings re-caption everything');
});

test('user-edited captions are kept when images are re-captioned', async () => {
  const { root, files } = await colourFolder(['red']);
  await captionImages(client, [files.red!], { root, captioner, settings: { count: 3 } });
  const store = await loadCaptionStore(root);
  addUserCaption(store, 'solid/red.png', 'Logo of the red team');
  await saveCaptionStore(store);

  const s = await captionImages(client, [files.red!], { root, captioner, settings: { count: 3, seed: 5 } });
  assert.equal(s.generated, 1);
  const after = await loadCaptionStore(root);
  const entry = after.images.get('solid/red.png')!;
  assert.deepEqual(entry.user, ['Logo of the red team']);
  assert.equal(entry.generated.length, 3);
  assert.equal(captionsOf(s.results, files.red!)[0], 'Logo of the red team', 'shown first');
});

test('a corrupt or missing image is a per-file error; the others get captions', async () => {
  const { root, files } = await colourFolder(['red', 'blue']);
  const corrupt = path.join(root, 'broken.png');
  const png = await fs.readFile(files.red!);
  await fs.writeFile(corrupt, png.subarray(0, 40)); // truncated PNG
  const text = path.join(root, 'notes.jpg');
  await fs.writeFile(text, 'hello, not a picture\n');
  const missing = path.join(root, 'gone.png');
  const outside = path.join(base, 'outside.png');
  const s = await captionImages(client, [files.red!, corrupt, text, missing, outside, files.blue!], { root, captioner, settings: { count: 2 } });
  assert.equal(s.generated, 2);
  assert.equal(s.failed, 4);
  const errorOf = (p: string) => {
    const r = s.results.find((x) => x.path === p)!;
    assert.ok('error' in r);
    return r.error;
  };
  assert.match(errorOf(corrupt), /PNG|corrupt|truncated/i);
  assert.match(errorOf(text), /not an image/);
  assert.match(errorOf(missing), /not found/);
  assert.match(errorOf(outside), /not inside/);
  assert.equal(captionsOf(s.results, files.blue!).length, 2);
  const store = await loadCaptionStore(root);
  assert.deepEqual([...store.images.keys()].sort(), ['solid/blue.png', 'solid/red.png']);
});

test('a captioner that cannot load fails every image with its error and stops asking', async () => {
  const { root, files } = await colourFolder(['red', 'green', 'blue', 'yellow']);
  const broken = await scratch('broken-model');
  await fs.cp(captioner.dir, broken, { recursive: true });
  await fs.writeFile(path.join(broken, 'onnx', 'decoder_model_merged.onnx'), 'this is not an onnx graph');
  const bad = await resolveCaptioner(broken, { cacheDir: await scratch('cache') });
  const backend = counting();
  const s = await captionImages(backend, Object.values(files), { root, captioner: bad, chunkSize: 1 });
  assert.equal(s.failed, 4);
  assert.equal(s.generated, 0);
  assert.equal(backend.calls, 2, 'gave up after two failed requests');
  for (const r of s.results) assert.ok('error' in r && /decoder_model_merged|protobuf|onnx|load/i.test(r.error), JSON.stringify(r));
  assert.equal((await loadCaptionStore(root)).images.size, 0);
});

test('cancelling stops the run, keeps finished captions, and the next run completes the rest', async () => {
  const colours = ['red', 'green', 'blue', 'yellow', 'orange', 'purple', 'pink', 'brown'];
  const { root, files } = await colourFolder(colours);
  const paths = Object.values(files);
  const controller = new AbortController();
  const s1 = await captionImages(client, paths, {
    root,
    captioner,
    chunkSize: 3,
    signal: controller.signal,
    onResult: () => controller.abort(),
  });
  assert.equal(s1.cancelled, true);
  assert.ok(s1.generated >= 1 && s1.generated < paths.length, `stopped early (${s1.generated})`);
  const store = await loadCaptionStore(root);
  const done = s1.results
    .filter((r) => !('error' in r))
    .map((r) => r.relPath)
    .sort();
  assert.deepEqual([...store.images.keys()].sort(), done, 'exactly the finished images are saved');

  const rest = counting();
  const s2 = await captionImages(rest, paths, { root, captioner });
  assert.equal(s2.cancelled, false);
  assert.equal(s2.skipped, s1.generated);
  assert.equal(s2.generated, paths.length - s1.generated);
  assert.equal(rest.images, paths.length - s1.generated);
  // The worker is still usable after a cancel.
  assert.equal((await loadCaptionStore(root)).images.size, paths.length);
  assert.ok((await fs.stat(captionsFileFor(root))).isFile());
});
