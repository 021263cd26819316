// One workspace folder's tagging (src/extension/features/tagging/folderTags.ts) against a fake
// concept embedder and a synthetic index snapshot: selection runs, the few-shot re-score after an
// edit, reconciling with the index without losing tags of files that are merely not indexed yet,
// sidecars, and reloading the tags file when someone else changed it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { IndexSnapshot } from '../../src/engine/index/format';
import { VectorTable } from '../../src/engine/search/vectors';
import { AutoTagger, TagEmbeddingCache, TagStore, TAGS_DATA_FILE, VOCABULARY_FILE, xmpSidecarPath } from '../../src/engine/tags';
import { FolderTags } from '../../src/extension/features/tagging/folderTags';
import { assetTagsOf } from '../../src/extension/features/tagging/tagsFile';
import { suggestionsFromStore } from '../../src/engine/tags/tagger';
import { settingsVocabulary } from '../../src/extension/features/tagging/settingsVocab';
import { ConceptEmbedder, SHA, tempFolder } from '../tags/helpers';

const embedder = new ConceptEmbedder(['red', 'green', 'blue', 'cat']);
const cache = new TagEmbeddingCache();

interface Img {
  path: string;
  weights: Record<string, number>;
  sha: number;
}

function snapshotOf(images: readonly Img[]): IndexSnapshot {
  const dim = embedder.dim;
  const vectors = new Float32Array(images.length * dim);
  images.forEach((im, i) => vectors.set(embedder.image(im.weights), i * dim));
  return {
    model: { id: 'fake', fingerprint: embedder.info.fingerprint, dim },
    preprocessing: {},
    dim,
    vectors: VectorTable.fromFloat32(vectors, dim),
    entries: images.map((im, i) => ({ path: im.path, sha256: SHA(im.sha), row: i, size: 1, mtimeMs: 0, width: 1, height: 1 })),
  };
}

/** A folder whose index holds `images` (all on disk); `setIndex` swaps what is indexed / on disk. */
async function folderWith(images: Img[], options: { tags?: Record<string, unknown>; sidecars?: boolean; root?: string } = {}) {
  const root = options.root ?? (await tempFolder('folder-tags'));
  let snapshot = snapshotOf(images);
  let onDisk = new Set(images.map((i) => i.path));
  const vocabulary = { defaults: false, tags: options.tags ?? { red: {}, green: {}, cat: {} } };
  const folder = new FolderTags({
    root,
    index: { snapshot: () => snapshot, onDisk: (p) => onDisk.has(p) },
    settingsVocabulary: () => settingsVocabulary(vocabulary, 5),
    writeSidecars: () => options.sidecars ?? false,
    embeddingCache: () => cache,
  });
  return {
    root,
    folder,
    setIndex(indexed: Img[], disk: string[] = indexed.map((i) => i.path)) {
      snapshot = snapshotOf(indexed);
      onDisk = new Set(disk);
    },
    async onFile(): Promise<TagStore> {
      return TagStore.load(root);
    },
  };
}

const CAT_ONLY = { cat: {} };

/**
 * A "cat" weight just below the zero-shot threshold (found like the engine's own few-shot test),
 * so a confirmed look-alike decides whether the tag is suggested.
 */
async function borderlineCat(): Promise<number> {
  const store = await TagStore.load(await tempFolder('probe'));
  const { folder } = await folderWith([], { tags: CAT_ONLY });
  const vocab = await folder.vocabulary();
  const tagger = await AutoTagger.create({ embedder, vocab, store, cache });
  const scoreAt = (w: number) => {
    tagger.setImages([{ path: 'probe.png', sha256: SHA(1), embedding: embedder.image({ cat: w, green: 0.3 }) }]);
    return tagger.suggestTags('probe.png').find((s) => s.tag === 'cat')!.score!;
  };
  let w = 0;
  while (scoreAt(w) < vocab.threshold) w += 0.005;
  return w - 0.01;
}

test('a selection is scored exactly like the whole folder: the images the user decided on take part', async () => {
  const w = await borderlineCat();
  const images: Img[] = [
    { path: 'query.png', weights: { cat: w, green: 0.3 }, sha: 1 },
    { path: 'look-alike.png', weights: { cat: w, green: 0.3, red: 0.02 }, sha: 2 },
    { path: 'other.png', weights: { red: 1 }, sha: 3 },
  ];
  const whole = await folderWith(images, { tags: CAT_ONLY });
  const selection = await folderWith(images, { tags: CAT_ONLY });
  for (const f of [whole, selection]) {
    await f.folder.applyChanges([{ path: 'look-alike.png', sha256: SHA(2), confirm: ['cat'], reject: [] }]);
  }
  const all = await whole.folder.run(embedder);
  assert.equal(all.tagged, 3);
  const one = await selection.folder.run(embedder, { only: new Set(['query.png']) });
  assert.equal(one.tagged, 1, 'the selected image only is counted');
  assert.equal(one.considered, 1);
  const a = whole.folder.loaded!.get('query.png')!;
  const b = selection.folder.loaded!.get('query.png')!;
  assert.deepEqual(b.tags, a.tags);
  assert.equal(b.tags.cat?.state, 'suggested', 'the confirmed look-alike lifts the borderline image over the threshold');
  assert.equal(selection.folder.loaded!.peek('other.png'), undefined, 'images outside the selection are not tagged');

  // Tagging the selection alone (what a naive subset run does) would miss it.
  const alone = await TagStore.load(await tempFolder('alone'));
  const tagger = await AutoTagger.create({ embedder, vocab: await whole.folder.vocabulary(), store: alone, cache });
  await tagger.tagImages({ images: [{ path: 'query.png', sha256: SHA(1), embedding: embedder.image(images[0]!.weights) }] });
  assert.deepEqual(alone.tagsOf('query.png'), []);
});

test('a confirmation re-scores the other images at once (few-shot), and only vocabulary tags ask for it', async () => {
  const w = await borderlineCat();
  const f = await folderWith(
    [
      { path: 'query.png', weights: { cat: w, green: 0.3 }, sha: 1 },
      { path: 'look-alike.png', weights: { cat: w, green: 0.3, red: 0.02 }, sha: 2 },
    ],
    { tags: CAT_ONLY },
  );
  await f.folder.run(embedder);
  assert.deepEqual(f.folder.loaded!.tagsOf('query.png'), []);
  const plain = await f.folder.applyChanges([{ path: 'query.png', sha256: SHA(1), confirm: ['hand-made'], reject: [] }]);
  assert.equal(plain.vocabularyTouched, false, 'a tag outside the vocabulary teaches the tagger nothing');
  const r = await f.folder.applyChanges([{ path: 'look-alike.png', sha256: SHA(2), confirm: ['cat'], reject: [] }]);
  assert.equal(r.vocabularyTouched, true);
  await f.folder.rescore(embedder);
  assert.deepEqual(f.folder.loaded!.tagsOf('query.png'), ['hand-made', 'cat']);
  assert.deepEqual((await f.onFile()).tagsOf('query.png'), ['hand-made', 'cat'], 'saved');
  // Removing it again takes the suggestion away from the look-alike's neighbour.
  await f.folder.applyChanges([{ path: 'look-alike.png', sha256: SHA(2), confirm: [], reject: ['cat'] }]);
  await f.folder.rescore(embedder);
  assert.deepEqual(f.folder.loaded!.tagsOf('query.png'), ['hand-made']);
});

test('incremental by default; a vocabulary change re-tags everything', async () => {
  const f = await folderWith([
    { path: 'a.png', weights: { red: 1 }, sha: 1 },
    { path: 'b.png', weights: { green: 1 }, sha: 2 },
  ]);
  assert.equal((await f.folder.run(embedder)).tagged, 2);
  const file = path.join(f.root, TAGS_DATA_FILE);
  const written = (await fs.stat(file)).ino;
  assert.equal((await f.folder.run(embedder)).tagged, 0);
  assert.equal((await fs.stat(file)).ino, written, 'nothing changed: the tags file is not rewritten (atomic writes replace the inode)');
  assert.equal((await f.folder.run(embedder, { mode: 'all' })).tagged, 2);
  await fs.mkdir(path.join(f.root, '.vscode'), { recursive: true });
  await fs.writeFile(path.join(f.root, VOCABULARY_FILE), '{ // the team adds a tag\n "tags": { "blue": {} } }\n');
  f.folder.invalidateVocabulary();
  const r = await f.folder.run(embedder);
  assert.equal(r.tagged, 2);
  assert.deepEqual(r.issues, []);
  assert.ok((await f.folder.vocabulary()).tags.some((t) => t.name === 'blue'));
});

test('reconciling with the index: renames keep tags; only files gone from disk lose their suggestions', async () => {
  const f = await folderWith([
    { path: 'indexed.png', weights: { red: 1 }, sha: 1 },
    { path: 'not-yet.png', weights: { green: 1 }, sha: 2 },
    { path: 'gone.png', weights: { red: 1, green: 0.2 }, sha: 3 },
    { path: 'old.png', weights: { green: 1, red: 0.1 }, sha: 4 },
    { path: 'kept.png', weights: { red: 1, cat: 0.1 }, sha: 5 },
  ]);
  await f.folder.run(embedder);
  await f.folder.applyChanges([
    { path: 'old.png', sha256: SHA(4), confirm: ['favourite'], reject: ['green'] },
    { path: 'kept.png', sha256: SHA(5), confirm: ['keeper'], reject: [] },
  ]);
  const notYet = f.folder.loaded!.get('not-yet.png');
  // A new index (e.g. a fresh clone whose first index run was cancelled): not-yet.png is on disk
  // but not indexed; gone.png and kept.png were deleted; old.png was renamed.
  f.setIndex(
    [
      { path: 'indexed.png', weights: { red: 1 }, sha: 1 },
      { path: 'moved/new.png', weights: { green: 1, red: 0.1 }, sha: 4 },
    ],
    ['indexed.png', 'moved/new.png', 'not-yet.png'],
  );
  const r = await f.folder.run(embedder);
  assert.deepEqual(r.renamed, [{ from: 'old.png', to: 'moved/new.png' }]);
  assert.deepEqual(r.dropped, ['gone.png']);
  assert.equal(r.tagged, 0, 'the renamed file needs no re-tagging');
  const store = f.folder.loaded!;
  assert.deepEqual(store.get('not-yet.png'), notYet, 'not indexed yet is not gone');
  assert.deepEqual(store.tagsOf('moved/new.png'), ['favourite']);
  assert.equal(store.get('moved/new.png')!.tags.green!.state, 'rejected');
  assert.deepEqual(store.tagsOf('kept.png'), ['keeper', 'red'], "a deleted file keeps the user's decisions");
  // The same without tagging (automatic tagging off or no model).
  f.setIndex(
    [
      { path: 'indexed.png', weights: { red: 1 }, sha: 1 },
      { path: 'again.png', weights: { green: 1, red: 0.1 }, sha: 4 },
    ],
    ['indexed.png', 'again.png'],
  );
  const only = await f.folder.reconcileWithIndex();
  assert.deepEqual(only?.renamed, [{ from: 'moved/new.png', to: 'again.png' }]);
  assert.deepEqual(only?.dropped, ['not-yet.png']);
  assert.deepEqual((await f.onFile()).tagsOf('again.png'), ['favourite'], 'saved');
});

test("tiles get confirmed tags first as the user's, suggestions with scores, never removed tags (in the tags file's order)", async () => {
  const tags = assetTagsOf({
    tags: {
      icon: { source: 'auto', state: 'suggested', score: 0.81 },
      logo: { source: 'auto', state: 'confirmed', score: 0.7 },
      photo: { source: 'auto', state: 'rejected', score: 0.99 },
      hero: { source: 'user', state: 'confirmed' },
      flat: { source: 'auto', state: 'suggested', score: 0.9 },
    },
  });
  // Confirmed tags keep the score they were confirmed with for the order (logo, 0.7, before hero,
  // never scored), as in TagStore.tagsOf; a tile shows them as the user's.
  assert.deepEqual(tags, [
    { tag: 'logo', score: 1, source: 'user' },
    { tag: 'hero', score: 1, source: 'user' },
    { tag: 'flat', score: 0.9, source: 'auto' },
    { tag: 'icon', score: 0.81, source: 'auto' },
  ]);
  const f = await folderWith([{ path: 'a.png', weights: { red: 1 }, sha: 1 }]);
  assert.deepEqual(f.folder.tagsOf('a.png'), [], 'not loaded yet: nothing, and no throw');
  await f.folder.run(embedder);
  assert.deepEqual(
    f.folder.tagsOf('a.png').map((t) => t.tag),
    ['red'],
  );
  await f.folder.applyChanges([{ path: 'a.png', confirm: [], reject: ['red'] }]);
  assert.deepEqual(f.folder.tagsOf('a.png'), [], 'the cached tile tags follow edits');
});

test('suggestions for Edit Tags: live with a model, recorded without one', async () => {
  const f = await folderWith([{ path: 'a.png', weights: { red: 1, green: 0.95 }, sha: 1 }]);
  await f.folder.run(embedder);
  await f.folder.applyChanges([{ path: 'a.png', sha256: SHA(1), confirm: ['mine'], reject: ['green'] }]);
  const live = await f.folder.suggest(embedder, ['a.png', 'new.png'], new Map([['new.png', embedder.image({ cat: 1 })]]));
  assert.equal(live.live, true);
  assert.deepEqual(
    live.lists[0]!.map((s) => [s.tag, s.state]),
    [
      ['mine', 'confirmed'],
      ['red', 'suggested'],
      ['cat', 'none'],
      ['green', 'rejected'],
    ],
  );
  const fresh = live.lists[1]!.find((s) => s.tag === 'cat')!;
  assert.equal(fresh.wouldSuggest, true, 'an image not indexed yet is scored from the embedding given');
  const recorded = await f.folder.suggest(undefined, ['a.png']);
  assert.equal(recorded.live, false);
  assert.deepEqual(
    recorded.lists[0]!.map((s) => [s.tag, s.state]),
    [
      ['mine', 'confirmed'],
      ['red', 'suggested'],
      ['cat', 'none'],
      ['green', 'rejected'],
    ],
  );
  assert.deepEqual(suggestionsFromStore(['x'], undefined), [{ tag: 'x', score: undefined, state: 'none', source: undefined, wouldSuggest: false, inVocabulary: true }]);
  // An index built by another model cannot be scored with this one: recorded state and the reason.
  const other = new ConceptEmbedder(['red', 'green', 'blue', 'cat'], 'another-model');
  const mismatch = await f.folder.suggest(other, ['a.png']);
  assert.equal(mismatch.live, false);
  assert.match(mismatch.problem!, /re-index/);
});

test("sidecars: written for tagged images, rewritten only when an image's tags change, foreign ones left alone", async () => {
  const f = await folderWith(
    [
      { path: 'a.png', weights: { red: 1 }, sha: 1 },
      { path: 'b.png', weights: { green: 1 }, sha: 2 },
      { path: 'c.png', weights: { blue: 1 }, sha: 3 },
      { path: 'd.png', weights: { red: 1, green: 0.9 }, sha: 4 },
    ],
    { sidecars: true },
  );
  const side = (p: string) => xmpSidecarPath(path.join(f.root, p));
  const read = (p: string) => fs.readFile(side(p), 'utf8').catch(() => undefined);
  await fs.writeFile(side('d.png'), '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Another Tool"/>');
  const r = await f.folder.run(embedder);
  assert.match((await read('a.png'))!, /<rdf:li>red<\/rdf:li>/);
  assert.equal(await read('c.png'), undefined, 'no tags, no sidecar');
  assert.match((await read('d.png'))!, /Another Tool/, 'never overwritten');
  assert.deepEqual(
    r.errors.map((e) => e.input),
    ['d.png'],
  );
  // Re-scoring changes scores, not tags: no sidecar is rewritten (a deleted one stays deleted).
  await fs.rm(side('b.png'));
  await f.folder.run(embedder, { mode: 'all' });
  assert.equal(await read('b.png'), undefined);
  await f.folder.applyChanges([{ path: 'a.png', confirm: ['hero'], reject: ['red'] }]);
  const a = (await read('a.png'))!;
  assert.match(a, /<rdf:li>hero<\/rdf:li>/);
  assert.doesNotMatch(a, />red</);
  const all = await f.folder.writeAllSidecars();
  assert.equal(all.written, 2, 'a and b (d belongs to another tool)');
  assert.match((await read('b.png'))!, /green/);
});

test('a tags file changed by someone else is merged in; a broken one is reported and kept out', async () => {
  const f = await folderWith([{ path: 'a.png', weights: { red: 1 }, sha: 1 }]);
  await f.folder.run(embedder);
  const theirs = await f.onFile();
  theirs.confirm('a.png', 'from-a-colleague');
  await theirs.save();
  assert.equal(await f.folder.reloadStore(), true);
  assert.deepEqual(
    f.folder.tagsOf('a.png').map((t) => t.tag),
    ['from-a-colleague', 'red'],
  );
  assert.equal(await f.folder.reloadStore(), false, 'unchanged file: nothing to do');

  const broken = await folderWith([], { root: await tempFolder('broken') });
  await fs.mkdir(path.join(broken.root, '.vscode'), { recursive: true });
  await fs.writeFile(path.join(broken.root, TAGS_DATA_FILE), '<<<<<<< HEAD\n');
  await assert.rejects(broken.folder.loadStore(), /not valid JSON/);
  assert.match(broken.folder.loadError!, /not valid JSON/);
  assert.deepEqual(broken.folder.tagsOf('a.png'), []);
  await assert.rejects(broken.folder.run(embedder), /not valid JSON/, 'never overwritten by an empty store');
  await fs.writeFile(path.join(broken.root, TAGS_DATA_FILE), JSON.stringify({ format: 'mobileclip-assets-tags', version: 1, images: {} }));
  assert.equal(await broken.folder.reloadStore(), true);
  assert.equal(broken.folder.loadError, undefined);
});
