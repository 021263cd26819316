// The extension's view of the captions files: gallery captions per image (deepest file wins),
// reload on change, keeping the last good captions when a file breaks, and caption search with
// the search syntax (phrases, negatives, filters) across several files.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { addUserCaption, captionsFileFor, emptyCaptionStore, setGeneratedCaptions, updateCaptionStore, type CaptionRun, type CaptionStore } from '../../src/engine/captions';
import { CaptionIndex, captionsRootOf } from '../../src/extension/features/captions/captionIndex';
import { PROJECT_ROOT } from '../fixtures/paths';

const work = path.join(PROJECT_ROOT, '.cache', 'test-extension-caption-index', String(process.pid));
after(() => fs.rm(work, { recursive: true, force: true }));

const RUN: CaptionRun = {
  model: 'captioner-test',
  modelFingerprint: 'f'.repeat(64),
  dtype: { encoder_model: 'fp32' },
  settings: { count: 2, seed: 0, topK: 20, temperature: 1, maxNewTokens: 32 },
  samplerVersion: 1,
};
const SHA = 'a'.repeat(64);

async function writeCaptions(root: string, entries: Record<string, { generated?: string[]; user?: string[] }>): Promise<string> {
  const store = await updateCaptionStore(root, (s) => {
    for (const [rel, e] of Object.entries(entries)) {
      if (e.generated) setGeneratedCaptions(s, rel, SHA, RUN, 'run1', e.generated);
      for (const u of e.user ?? []) addUserCaption(s, rel, u);
    }
  });
  return store.file;
}

test('captionsRootOf accepts only <folder>/.mobileclip/captions.json', () => {
  assert.equal(captionsRootOf(path.resolve('/a/b/.mobileclip/captions.json')), path.resolve('/a/b'));
  assert.equal(captionsRootOf(path.resolve('/a/b/captions.json')), undefined);
  assert.equal(captionsRootOf(path.resolve('/a/b/.mobileclip/tags.json')), undefined);
});

test('captions of an image come from the deepest captions file that has them, user captions first', async () => {
  const ws = path.join(work, 'deepest');
  const sub = path.join(ws, 'datasets', 'cats');
  const wsFile = await writeCaptions(ws, {
    'top.png': { generated: ['a red circle'], user: ['my logo'] },
    'datasets/cats/c1.png': { generated: ['stale outer caption'] },
    'datasets/cats/c2.png': { generated: ['only in the outer file'] },
  });
  const subFile = await writeCaptions(sub, { 'c1.png': { generated: ['a cat on a sofa', 'a sleeping cat'] } });
  const index = new CaptionIndex();
  let changes = 0;
  index.onDidChange(() => changes++);
  await Promise.all([index.fileChanged(wsFile), index.fileChanged(subFile)]);
  assert.equal(changes, 2);
  assert.deepEqual(index.captionsOf(path.join(ws, 'top.png')), ['my logo', 'a red circle']);
  assert.deepEqual(index.captionsOf(path.join(sub, 'c1.png')), ['a cat on a sofa', 'a sleeping cat']);
  assert.deepEqual(index.captionsOf(path.join(sub, 'c2.png')), ['only in the outer file'], 'falls back to an outer file');
  assert.deepEqual(index.captionsOf(path.join(ws, 'unknown.png')), []);
  assert.deepEqual(index.captionsOf(path.join(work, 'outside.png')), []);
  assert.equal(index.rootWithCaptions(path.join(sub, 'c1.png')), sub);
  assert.equal(index.rootWithCaptions(path.join(sub, 'c2.png')), ws);
  assert.equal(index.rootWithCaptions(path.join(ws, 'new.png')), undefined);
});

test('a changed file is reloaded; a deleted one is forgotten', async () => {
  const root = path.join(work, 'reload');
  const file = await writeCaptions(root, { 'a.png': { generated: ['first caption'] } });
  const index = new CaptionIndex();
  await index.fileChanged(file);
  assert.deepEqual(index.captionsOf(path.join(root, 'a.png')), ['first caption']);
  await writeCaptions(root, { 'a.png': { user: ['edited by hand'] } });
  await index.fileChanged(file);
  assert.deepEqual(index.captionsOf(path.join(root, 'a.png')), ['edited by hand', 'first caption']);
  let changed = false;
  index.onDidChange(() => (changed = true));
  await fs.rm(file);
  index.fileDeleted(file);
  assert.ok(changed);
  assert.deepEqual(index.captionsOf(path.join(root, 'a.png')), []);
  assert.deepEqual(index.roots, []);
});

test('a broken captions file is reported and the last good captions stay', async () => {
  const root = path.join(work, 'broken');
  const file = await writeCaptions(root, { 'a.png': { generated: ['a blue square'] } });
  const problems: string[] = [];
  const index = new CaptionIndex({ onProblem: (m) => problems.push(m) });
  await index.fileChanged(file);
  await fs.writeFile(file, '{ "format": "mobileclip-assets/captions", ');
  await index.fileChanged(file);
  assert.deepEqual(index.captionsOf(path.join(root, 'a.png')), ['a blue square']);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /not valid JSON/);
});

test('an older read that finishes last does not replace a newer one', async () => {
  const root = path.resolve(work, 'race');
  const file = captionsFileFor(root);
  const releases: Array<() => void> = [];
  let calls = 0;
  const storeWith = (caption: string): CaptionStore => {
    const s = emptyCaptionStore(root, file);
    s.images.set('a.png', { generated: [caption], user: [] });
    return s;
  };
  const index = new CaptionIndex({
    load: () => {
      const n = ++calls;
      return new Promise((resolve) => releases.push(() => resolve(storeWith(n === 1 ? 'old' : 'new'))));
    },
  });
  const first = index.fileChanged(file);
  const second = index.fileChanged(file);
  releases[1]!();
  await second;
  releases[0]!();
  await first;
  assert.deepEqual(index.captionsOf(path.join(root, 'a.png')), ['new']);
});

test('caption search: phrases and all-words matches, negatives, filters, several files', async () => {
  const ws = path.join(work, 'search');
  const sub = path.join(ws, 'photos');
  const wsFile = await writeCaptions(ws, {
    'icons/red-circle.png': { generated: ['a red circle on white'] },
    'icons/red-square.svg': { generated: ['a red square'], user: ['red square icon'] },
    'icons/circle-red.png': { generated: ['circle that is red'] },
    'draft/red-circle-2.png': { generated: ['a red circle sketch'] },
    'blue.png': { generated: ['a blue circle'] },
  });
  const subFile = await writeCaptions(sub, { 'beach.jpg': { generated: ['a red circle of a sun over the sea'] } });
  const index = new CaptionIndex();
  await Promise.all([index.fileChanged(wsFile), index.fileChanged(subFile)]);
  const abs = (rel: string) => path.join(ws, ...rel.split('/'));
  const paths = (q: string, opts = {}) => index.matches(q, opts).map((h) => path.relative(ws, h.path).split(path.sep).join('/'));

  // Phrase matches (score 2) rank above all-words matches (score 1); partial matches are left out.
  const hits = index.matches('red circle');
  assert.deepEqual(
    hits.map((h) => h.score),
    [2, 2, 2, 1],
  );
  assert.deepEqual(paths('red circle'), ['draft/red-circle-2.png', 'icons/red-circle.png', 'photos/beach.jpg', 'icons/circle-red.png']);
  assert.deepEqual(hits[1]!.captions, ['a red circle on white']);
  // A negative phrase excludes; several positive phrases must all match.
  assert.deepEqual(paths('red circle -sketch'), ['icons/red-circle.png', 'photos/beach.jpg', 'icons/circle-red.png']);
  assert.deepEqual(paths('red +square'), ['icons/red-square.svg']);
  // Filters are relative to the search root (the workspace folder), also for a nested file's images.
  const searchRootOf = () => ws;
  assert.deepEqual(paths('red circle in:icons', { searchRootOf }), ['icons/red-circle.png', 'icons/circle-red.png']);
  assert.deepEqual(paths('red circle -in:draft type:png', { searchRootOf }), ['icons/red-circle.png', 'icons/circle-red.png']);
  assert.deepEqual(paths('red circle in:photos', { searchRootOf }), ['photos/beach.jpg']);
  const tags: Record<string, string[]> = { [abs('icons/red-circle.png')]: ['logo'] };
  assert.deepEqual(paths('red circle tag:logo', { searchRootOf, tagsOf: (p: string) => tags[p] ?? [] }), ['icons/red-circle.png']);
  // Nothing to look for: no positive text.
  assert.deepEqual(index.matches('-red'), []);
  assert.deepEqual(index.matches('tag:logo'), []);
  assert.deepEqual(index.matches(''), []);
});
