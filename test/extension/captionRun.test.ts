// "Generate Synthetic Captions" end to end below the VS Code layer: a mixed selection in a
// workspace (a folder, an image of a dataset that already has its own captions file, a text file,
// a missing path, a broken image) is captioned by the fixture captioner in a worker process into
// the right captions files; the gallery's captionsOf and caption search see the results; a rerun
// skips everything; a user caption survives regeneration; a broken captions file fails only its
// own group.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { addUserCaption, captionsFileFor, relativeCaptionPath, resolveCaptioner, updateCaptionStore, type ResolvedCaptioner } from '../../src/engine/captions';
import { scanFolder } from '../../src/engine/index/scan';
import { WorkerClient } from '../../src/engine/worker/client';
import { CaptionIndex } from '../../src/extension/features/captions/captionIndex';
import { captionGroups, captionSummary, collectImages, groupByCaptionRoot, type CollectDeps } from '../../src/extension/features/captions/captionPlan';
import { captionerModelDir } from '../fixtures/captioner';
import { writeBrokenFiles, writeSolidImage } from '../fixtures/images';
import { FIXTURE_COLORS } from '../fixtures/models';
import { PROJECT_ROOT } from '../fixtures/paths';

const work = path.join(PROJECT_ROOT, '.cache', 'test-extension-caption-run', String(process.pid));
const ws = path.join(work, 'workspace');
const dataset = path.join(ws, 'datasets', 'shapes');
let client: WorkerClient;
let captioner: ResolvedCaptioner;
const index = new CaptionIndex();

const deps: CollectDeps = {
  kind: async (p) => {
    const st = await fs.stat(p).catch(() => undefined);
    return st?.isDirectory() ? 'folder' : st?.isFile() ? 'file' : undefined;
  },
  imagesIn: async (folder) => {
    const out: string[] = [];
    for await (const f of scanFolder(folder)) out.push(path.join(folder, ...f.path.split('/')));
    return out.sort();
  },
};

before(async () => {
  await fs.rm(work, { recursive: true, force: true });
  await writeSolidImage(path.join(ws, 'icons', 'red.png'), FIXTURE_COLORS.red!);
  await writeSolidImage(path.join(ws, 'icons', 'blue.png'), FIXTURE_COLORS.blue!);
  const broken = await writeBrokenFiles(path.join(work, 'broken'));
  await fs.copyFile(broken.invalid.textAsPng, path.join(ws, 'icons', 'broken.png'));
  await writeSolidImage(path.join(dataset, 'green.png'), FIXTURE_COLORS.green!);
  await fs.writeFile(path.join(ws, 'notes.txt'), 'not an image');
  // The dataset was captioned before (e.g. with the CLI): its own captions file exists.
  await updateCaptionStore(dataset, (s) => addUserCaption(s, 'other.png', 'an older caption'));
  await index.fileChanged(captionsFileFor(dataset));
  captioner = await resolveCaptioner(await captionerModelDir(), { cacheDir: path.join(work, 'cache') });
  client = new WorkerClient();
});

after(async () => {
  await client?.dispose();
  await fs.rm(work, { recursive: true, force: true });
});

async function run(selection: string[]) {
  const collected = await collectImages(selection, deps);
  const groups = groupByCaptionRoot(collected.images, [ws], index.roots);
  const progress: Array<[string, number]> = [];
  const result = await captionGroups(client, groups, {
    captioner,
    settings: { count: 2, seed: 7 },
    onProgress: (m, f) => progress.push([m, f]),
    onGroupDone: (file) => index.fileChanged(file),
  });
  return { collected, groups, result, progress };
}

test('a mixed selection is captioned into the right captions files and shows up for the gallery and search', async () => {
  const { collected, groups, result, progress } = await run([path.join(ws, 'icons'), path.join(dataset, 'green.png'), path.join(ws, 'notes.txt'), path.join(ws, 'gone.png')]);
  assert.deepEqual(
    groups.map((g) => g.root),
    [ws, dataset],
  );
  assert.deepEqual(collected.notImages, [path.join(ws, 'notes.txt')]);
  assert.deepEqual(collected.missing, [path.join(ws, 'gone.png')]);
  const { totals, files, failures } = result;
  assert.deepEqual([totals.generated, totals.skipped, totals.failed, totals.captions, totals.cancelled], [3, 0, 1, 6, false]);
  assert.deepEqual(files, [captionsFileFor(ws), captionsFileFor(dataset)]);
  assert.equal(failures.length, 1);
  assert.ok(failures[0]!.startsWith(`${path.join(ws, 'icons', 'broken.png')}: `), failures[0]);
  assert.deepEqual(progress[progress.length - 1], ['4 of 4', 1]);

  const red = index.captionsOf(path.join(ws, 'icons', 'red.png'));
  assert.equal(red.length, 2);
  assert.ok(
    red.every((c) => c.split(' ').includes('red')),
    red.join(' | '),
  );
  assert.ok(index.captionsOf(path.join(dataset, 'green.png')).some((c) => c.includes('green')));
  assert.deepEqual(index.captionsOf(path.join(dataset, 'other.png')), ['an older caption'], 'the existing file kept its entries');
  const hits = index.matches('red -blue', { searchRootOf: () => ws }).map((h) => h.path);
  assert.deepEqual(hits, [path.join(ws, 'icons', 'red.png')]);

  const text = captionSummary(totals, { notImages: collected.notImages.length, missing: collected.missing.length });
  assert.equal(text.text, 'Captioned 3 images (6 captions) · 1 failed · 1 path not found · 1 file not an image.');
});

test('a rerun skips what is up to date, and a user caption survives a forced change of settings', async () => {
  const again = await run([path.join(ws, 'icons'), path.join(dataset, 'green.png')]);
  assert.deepEqual([again.result.totals.generated, again.result.totals.skipped, again.result.totals.failed], [0, 3, 1]);

  const red = path.join(ws, 'icons', 'red.png');
  await updateCaptionStore(ws, (s) => addUserCaption(s, relativeCaptionPath(ws, red), 'our brand mark'));
  await index.fileChanged(captionsFileFor(ws));
  const collected = await collectImages([red], deps);
  const changed = await captionGroups(client, groupByCaptionRoot(collected.images, [ws], index.roots), {
    captioner,
    settings: { count: 3, seed: 8 },
    onGroupDone: (file) => index.fileChanged(file),
  });
  assert.equal(changed.totals.generated, 1, 'new settings re-caption the image');
  const captions = index.captionsOf(red);
  assert.equal(captions[0], 'our brand mark');
  assert.equal(captions.length, 4);
});

test('a captions file that cannot be read fails its own group only', async () => {
  const other = path.join(ws, 'more');
  await writeSolidImage(path.join(other, 'yellow.png'), FIXTURE_COLORS.yellow ?? FIXTURE_COLORS.red!);
  await fs.mkdir(path.dirname(captionsFileFor(other)), { recursive: true });
  await fs.writeFile(captionsFileFor(other), '{"not": "ours"}');
  await index.fileChanged(captionsFileFor(other)); // reported, not loaded, but known as a captions root
  const groups = groupByCaptionRoot(
    [
      { path: path.join(other, 'yellow.png'), selectedFrom: other },
      { path: path.join(ws, 'icons', 'blue.png'), selectedFrom: ws },
    ],
    [ws],
    [...index.roots],
  );
  assert.deepEqual(
    groups.map((g) => g.root),
    [other, ws],
  );
  const failures: string[] = [];
  const r = await captionGroups(client, groups, { captioner, settings: { count: 2, seed: 7 }, onFailure: (l) => failures.push(l) });
  assert.deepEqual([r.totals.failed, r.totals.skipped], [1, 1]);
  assert.deepEqual(r.files, [captionsFileFor(ws)]);
  assert.match(failures[0]!, /is not a captions file/);
});

test('a cancelled run stops between images and says so', async () => {
  const abort = new AbortController();
  const many = path.join(ws, 'many');
  for (const [i, c] of (['red', 'green', 'blue', 'red', 'green', 'blue'] as const).entries()) {
    await writeSolidImage(path.join(many, `${i}.png`), FIXTURE_COLORS[c]!, { width: 32 + i });
  }
  const collected = await collectImages([many], deps);
  let seen = 0;
  const r = await captionGroups(client, groupByCaptionRoot(collected.images, [ws], index.roots), {
    captioner,
    settings: { count: 2, seed: 9 },
    onProgress: () => {
      if (++seen === 2) abort.abort();
    },
    signal: abort.signal,
  });
  assert.equal(r.totals.cancelled, true);
  assert.ok(r.totals.generated < 6, `stopped early (${r.totals.generated} captioned)`);
  assert.match(captionSummary(r.totals).text, /cancel/i);
});
