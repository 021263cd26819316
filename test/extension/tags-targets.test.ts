// What "Tag Images" and "Edit Tags" act on, the settings as a vocabulary layer, and the end-of-run
// message: the vscode-free parts of the tagging commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { buildVocabulary } from '../../src/engine/tags';
import type { FolderRunResult } from '../../src/extension/features/tagging/folderTags';
import { settingsVocabulary } from '../../src/extension/features/tagging/settingsVocab';
import { tagRunSummary } from '../../src/extension/features/tagging/summary';
import { groupByRoot, matchSelection } from '../../src/extension/features/tagging/targets';

const A = path.resolve('/ws/app');
const B = path.resolve('/ws/app/packages/lib'); // nested workspace folder
const C = path.resolve('/ws/other');

test('no targets: every workspace folder, whole', () => {
  assert.deepEqual(groupByRoot([A, C], []), {
    groups: [
      { root: A, whole: true, paths: [] },
      { root: C, whole: true, paths: [] },
    ],
    outside: [],
  });
});

test('targets are grouped by the deepest workspace folder holding them, in folder order', () => {
  const r = groupByRoot(
    [A, B, C],
    [path.join(C, 'img', 'x.png'), path.join(B, 'icons'), path.join(A, 'assets', 'a.png'), path.join(A, 'assets', 'a.png'), path.resolve('/elsewhere/z.png')],
  );
  assert.deepEqual(r.groups, [
    { root: A, whole: false, paths: ['assets/a.png'] },
    { root: B, whole: false, paths: ['icons'] },
    { root: C, whole: false, paths: ['img/x.png'] },
  ]);
  assert.deepEqual(r.outside, [path.resolve('/elsewhere/z.png')]);
});

test('the workspace folder itself in a selection means the whole folder', () => {
  assert.deepEqual(groupByRoot([A], [path.join(A, 'x.png'), A]).groups, [{ root: A, whole: true, paths: [] }]);
});

test('a selection covers files exactly and folders recursively; uncovered items are reported', () => {
  const index = ['a.png', 'icons/b.png', 'icons/sub/c.png', 'iconsx/d.png', 'e.png'];
  const r = matchSelection(index, ['icons', 'icons/sub/c.png', 'e.png', 'missing.png', 'empty']);
  assert.deepEqual([...r.matched].sort(), ['e.png', 'icons/b.png', 'icons/sub/c.png']);
  assert.deepEqual(r.unmatched, ['missing.png', 'empty'], '"icons" does not cover "iconsx"; a folder and a file in it both count as matched');
});

test('settings: a flat tag map becomes the tags of a layer, with maxPerImage as topK', () => {
  const layer = settingsVocabulary({ robot: ['a robot.'], photo: false, threshold: 0.8 }, 3);
  assert.deepEqual(layer, { threshold: 0.8, tags: { robot: ['a robot.'], photo: false }, topK: 3 });
  const vocab = buildVocabulary([{ source: 'settings', value: layer }]);
  assert.deepEqual(vocab.issues, []);
  assert.equal(vocab.topK, 3);
  assert.equal(vocab.threshold, 0.8);
  assert.ok(vocab.tags.some((t) => t.name === 'robot'));
  assert.ok(!vocab.tags.some((t) => t.name === 'photo'), 'false disables a built-in tag');
});

test('settings: the file shape ("tags": {...}) works too, and an explicit topK wins over maxPerImage', () => {
  assert.deepEqual(settingsVocabulary({ tags: { robot: {} }, topK: 0, defaults: false }, 5), { tags: { robot: {} }, topK: 0, defaults: false });
  assert.deepEqual(settingsVocabulary({}, 5), { topK: 5 });
  assert.deepEqual(settingsVocabulary(undefined, undefined), {});
  assert.equal(settingsVocabulary('oops', 5), 'oops', 'not an object: the engine reports it');
  const vocab = buildVocabulary([{ source: 'settings', value: settingsVocabulary(['x'], 5) }], { strict: false });
  assert.match(vocab.issues[0]!, /must be an object/);
});

const result = (over: Partial<FolderRunResult>): FolderRunResult => ({
  notIndexed: false,
  considered: 0,
  tagged: 0,
  renamed: [],
  dropped: [],
  errors: [],
  issues: [],
  cancelled: false,
  tagCounts: [],
  untagged: 0,
  ...over,
});

test('summary: counts, most common tags across folders, and what to offer next', () => {
  const s = tagRunSummary(
    [
      {
        name: 'app',
        unmatched: [],
        result: result({
          considered: 10,
          tagged: 4,
          tagCounts: [
            ['icon', 6],
            ['logo', 2],
          ],
          untagged: 1,
        }),
      },
      { name: 'lib', unmatched: ['gone.png'], result: result({ considered: 5, tagged: 5, tagCounts: [['logo', 5]], errors: [{ input: 'x.png', error: 'bad' }] }) },
    ],
    'incremental',
  );
  assert.equal(
    s.message,
    'Tagged 9 images (6 already up to date). Most common: logo 7, icon 6. 1 image matches no tag. 1 image could not be tagged. 1 selected item is not indexed.',
  );
  assert.equal(s.severity, 'warning');
  assert.equal(s.offerRetagAll, true);
  assert.equal(s.offerLog, true);
});

test('summary: when (most) images match no tag, the way out is the vocabulary, not re-tagging', () => {
  const s = tagRunSummary([{ name: 'app', unmatched: [], result: result({ considered: 290, tagged: 290, untagged: 290 }) }], 'incremental');
  assert.equal(s.message, 'Tagged 290 images. None matches a tag of the vocabulary: describe your images in it, or lower the threshold.');
  assert.equal(s.severity, 'warning');
  assert.equal(s.offerVocabulary, true);
  assert.equal(s.offerRetagAll, false, 're-tagging with the same vocabulary changes nothing');
  const few = tagRunSummary([{ name: 'app', unmatched: [], result: result({ considered: 10, tagged: 10, untagged: 2, tagCounts: [['icon', 8]] }) }], 'incremental');
  assert.equal(few.offerVocabulary, false);
  assert.equal(few.offerRetagAll, true);
});

test('summary: nothing to do, cancelled, and nothing indexed', () => {
  const upToDate = tagRunSummary([{ name: 'app', unmatched: [], result: result({ considered: 3, tagCounts: [['icon', 3]] }) }], 'incremental');
  assert.match(upToDate.message, /^All 3 images have tags from the current vocabulary already\./);
  assert.equal(upToDate.severity, 'info');
  const cancelled = tagRunSummary([{ name: 'app', unmatched: [], result: result({ considered: 3000, tagged: 1024, cancelled: true }) }], 'incremental');
  assert.match(cancelled.message, /^Tagging cancelled after 1,024 images; their tags are saved\./);
  assert.equal(cancelled.offerRetagAll, false);
  const none = tagRunSummary([{ name: 'app', unmatched: ['node_modules'] }], 'all');
  assert.match(none.message, /None of the selected images is indexed/);
  assert.equal(none.severity, 'warning');
  const failed = tagRunSummary([{ name: 'app', unmatched: [], error: 'tags file is broken' }], 'all');
  assert.equal(failed.message, 'Tagging failed. app: tags file is broken');
  assert.equal(failed.severity, 'error');
});
