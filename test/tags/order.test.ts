// One tag order everywhere: the comparator itself, and that every listing of an image's tags
// (TagStore.tagsOf, exports, suggestions without a model) follows it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { compareTags, exportTagsTo, needsTagging, suggestionsFromStore, TagStore, type OrderedTag } from '../../src/engine/tags';
import { SHA, tempFolder } from './helpers';

test('compareTags: confirmed, suggested, not on the image, removed; then score (none last), then name', () => {
  const tags: OrderedTag[] = [
    { tag: 'z-removed', state: 'rejected', score: 0.99 },
    { tag: 'b-other', state: 'none', score: 0.4 },
    { tag: 'a-other', state: 'none' },
    { tag: 'mid', state: 'suggested', score: 0.5 },
    { tag: 'top', state: 'suggested', score: 0.9 },
    { tag: 'unscored', state: 'suggested' },
    { tag: 'mine', state: 'confirmed' },
    { tag: 'kept', state: 'confirmed', score: 0.6 },
    { tag: 'also', state: 'suggested', score: 0.5 },
  ];
  assert.deepEqual(
    [...tags].sort(compareTags).map((t) => t.tag),
    ['kept', 'mine', 'top', 'also', 'mid', 'unscored', 'b-other', 'a-other', 'z-removed'],
  );
});

test('needsTagging: never tagged, changed content, or another vocabulary/model', () => {
  const entry = { sha256: SHA(1), auto: 'sig', tags: {} };
  assert.equal(needsTagging(undefined, SHA(1), 'sig'), true);
  assert.equal(needsTagging(entry, SHA(2), 'sig'), true);
  assert.equal(needsTagging(entry, SHA(1), 'other-sig'), true);
  assert.equal(needsTagging(entry, SHA(1), 'sig'), false);
});

test("the store, its exports and model-less suggestions list an image's tags in that one order", async () => {
  const root = await tempFolder('order');
  const store = await TagStore.load(root);
  store.recordAutoTags('a.png', {
    sha256: SHA(1),
    signature: 'sig',
    names: ['icon', 'logo', 'photo', 'flat'],
    scores: [0.7, 0.8, 0.95, 0.9],
    suggested: new Set(['icon', 'logo', 'photo', 'flat']),
  });
  store.confirm('a.png', 'icon');
  store.confirm('a.png', 'hero');
  store.reject('a.png', 'photo');
  const expected = ['icon', 'hero', 'flat', 'logo'];
  assert.deepEqual(store.tagsOf('a.png'), expected);
  const out = path.join(root, 'tags.json');
  await exportTagsTo(store, out, 'json', { includeRejected: true });
  const exported = JSON.parse(await fs.readFile(out, 'utf8')) as { tags: { tag: string }[] }[];
  assert.deepEqual(
    exported[0]!.tags.map((t) => t.tag),
    [...expected, 'photo'],
  );
  const suggestions = suggestionsFromStore(['photo', 'logo', 'cat'], store.peek('a.png'));
  assert.deepEqual(
    suggestions.map((s) => [s.tag, s.state, s.inVocabulary]),
    [
      ['icon', 'confirmed', false],
      ['hero', 'confirmed', false],
      ['flat', 'suggested', false],
      ['logo', 'suggested', true],
      ['cat', 'none', true],
      ['photo', 'rejected', true],
    ],
  );
});
