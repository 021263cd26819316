// "Edit Tags" without VS Code: the QuickPick rows built from the tagger's suggestions, the picker's
// state while the user types and checks, and the confirm/remove changes an accepted selection means.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TagSuggestion } from '../../src/engine/tags';
import { buildTagRows, parseTypedTags, planTagChanges, statesOf, summarizeSuggestions, TagPickerModel, type PickerRow } from '../../src/extension/features/tagging/editPlan';

const s = (tag: string, state: TagSuggestion['state'], score?: number, extra: Partial<TagSuggestion> = {}): TagSuggestion => ({
  tag,
  state,
  score,
  source: state === 'none' ? undefined : state === 'suggested' ? 'auto' : 'user',
  wouldSuggest: false,
  inVocabulary: true,
  ...extra,
});

const tagRows = (rows: PickerRow[]) => rows.filter((r) => r.kind === 'tag');
const sections = (rows: PickerRow[]) => {
  const out: Record<string, string[]> = {};
  let current = '';
  for (const r of rows) {
    if (r.kind === 'separator') out[(current = r.label)] = [];
    else out[current]!.push(r.tag);
  }
  return out;
};

test('one image: tags on it come first and are checked; removed tags last; state and score are shown', () => {
  const rows = buildTagRows([
    [
      s('logo', 'suggested', 0.93),
      s('mine', 'confirmed', undefined, { inVocabulary: false }),
      s('photo', 'none', 0.41),
      s('icon', 'none', 0.66, { wouldSuggest: true }),
      s('sketch', 'rejected', 0.88),
    ],
  ]);
  assert.deepEqual(sections(rows), {
    'On this image': ['mine', 'logo'],
    'More tags': ['icon', 'photo'],
    'Removed (never suggested again)': ['sketch'],
  });
  assert.deepEqual(
    tagRows(rows)
      .filter((r) => r.picked)
      .map((r) => r.tag),
    ['mine', 'logo'],
  );
  const desc = Object.fromEntries(tagRows(rows).map((r) => [r.tag, r.description]));
  assert.match(desc.logo!, /suggested 0\.93/);
  assert.match(desc.logo!, /\$\(sparkle\)/);
  assert.match(desc.mine!, /\$\(check\) confirmed/);
  assert.match(desc.icon!, /0\.66 · would be suggested/);
  assert.equal(desc.photo, '0.41');
  assert.match(desc.sketch!, /removed/);
});

test('several images: only tags on every image are checked; partial tags say on how many', () => {
  const rows = buildTagRows([
    [s('logo', 'confirmed', 0.9), s('icon', 'suggested', 0.8), s('photo', 'none', 0.2)],
    [s('logo', 'suggested', 0.7), s('icon', 'none', 0.4), s('photo', 'rejected', 0.1)],
  ]);
  assert.deepEqual(sections(rows), { 'On all 2 images': ['logo'], 'On some of the images': ['icon'], 'More tags': ['photo'] });
  const byTag = Object.fromEntries(tagRows(rows).map((r) => [r.tag, r]));
  assert.equal(byTag.logo!.picked, true);
  assert.equal(byTag.icon!.picked, false);
  assert.match(byTag.logo!.description!, /on all 2 · \$\(check\) 1 confirmed, \$\(sparkle\) 1 suggested · avg 0\.80/);
  assert.match(byTag.icon!.description!, /on 1 of 2/);
  assert.match(byTag.photo!.description!, /removed from 1/);
  const summary = summarizeSuggestions([[s('a', 'confirmed', 0.5)], [s('a', 'none')]]);
  assert.deepEqual(summary, [{ tag: 'a', images: 2, confirmed: 1, suggested: 0, rejected: 0, likely: 0, score: 0.5 }], 'mean over scored images only');
});

test('tags used elsewhere in the folder are offered too', () => {
  const rows = buildTagRows(
    [[s('logo', 'suggested', 0.9)]],
    new Map([
      ['hero', 12],
      ['logo', 40],
    ]),
  );
  const hero = tagRows(rows).find((r) => r.tag === 'hero')!;
  assert.equal(hero.picked, false);
  assert.equal(hero.description, 'used on 12 images');
  assert.equal(tagRows(rows).filter((r) => r.tag === 'logo').length, 1, 'listed once');
});

test('accepting: checked tags are confirmed, unchecked tags that were on are removed, others untouched', () => {
  const states = statesOf([[s('logo', 'suggested', 0.9), s('mine', 'confirmed'), s('photo', 'none', 0.4), s('sketch', 'rejected', 0.8), s('icon', 'suggested', 0.7)]]);
  const initial = new Set(['logo', 'mine', 'icon']);
  // Keep logo and mine, uncheck icon, check photo and the removed sketch again, add a new tag.
  const [change] = planTagChanges(states, initial, new Set(['logo', 'mine', 'photo', 'sketch', 'hero']));
  assert.deepEqual(change, { confirm: ['hero', 'logo', 'photo', 'sketch'], reject: ['icon'] });
  const [same] = planTagChanges(states, initial, new Set(['mine']));
  assert.deepEqual(same, { confirm: [], reject: ['icon', 'logo'] }, 'already confirmed: nothing to do for it');
});

test('several images get the same change; a partial tag the user did not touch stays as it is on each', () => {
  const lists = [
    [s('logo', 'confirmed'), s('icon', 'suggested', 0.8)],
    [s('logo', 'suggested', 0.7), s('icon', 'none', 0.3)],
    [s('logo', 'suggested', 0.6), s('icon', 'rejected', 0.2)],
  ];
  const rows = buildTagRows(lists);
  const model = new TagPickerModel(rows);
  assert.deepEqual([...model.initial], ['logo']);
  // Untouched: logo is confirmed where it was only suggested, icon is left alone everywhere.
  assert.deepEqual(planTagChanges(statesOf(lists), model.initial, model.result('')), [
    { confirm: [], reject: [] },
    { confirm: ['logo'], reject: [] },
    { confirm: ['logo'], reject: [] },
  ]);
  // Unchecking logo removes it from all three; checking icon puts it on all three.
  model.setSelection(['icon']);
  assert.deepEqual(planTagChanges(statesOf(lists), model.initial, model.result('')), [
    { confirm: ['icon'], reject: ['logo'] },
    { confirm: ['icon'], reject: ['logo'] },
    { confirm: ['icon'], reject: ['logo'] },
  ]);
});

test('typed tags: split on commas and spaces, lower-cased, invalid ones explained', () => {
  const r = parseTypedTags(' Hero, mascot;hero  ui-mockup bad:name ');
  assert.deepEqual(r.names, ['hero', 'mascot', 'ui-mockup']);
  assert.equal(r.invalid.length, 1);
  assert.equal(r.invalid[0]!.input, 'bad:name');
  assert.match(r.invalid[0]!.error, /may only contain/);
});

test('picker: typing a new name offers it, Enter adds it, filter text does not become a tag', () => {
  const model = new TagPickerModel(buildTagRows([[s('icon', 'suggested', 0.9), s('logo', 'none', 0.2)]]));
  model.setValue('hero');
  const rows = model.rows();
  assert.deepEqual(rows[0], { kind: 'new', tag: 'hero', label: '$(add) hero', description: 'new tag', picked: false, alwaysShow: true });
  assert.deepEqual([...model.result('hero')].sort(), ['hero', 'icon'], 'Enter with a new name adds it');
  model.setValue('lo');
  assert.equal(model.rows().filter((r) => r.kind === 'new').length, 1, '"lo" is not a listed tag: offered');
  assert.deepEqual([...model.result('lo')], ['icon'], '"lo" filters to logo: not a new tag');
  model.setValue('logo');
  assert.equal(model.rows().filter((r) => r.kind === 'new').length, 0, 'an existing tag is not offered again');
  model.setValue('no way');
  assert.deepEqual(
    model
      .rows()
      .filter((r) => r.kind === 'new')
      .map((r) => r.tag),
    ['no', 'way'],
  );
  model.setValue('a:b');
  const invalid = model.rows().filter((r) => r.kind === 'invalid');
  assert.equal(invalid.length, 1);
  assert.deepEqual([...model.result('a:b')], ['icon'], 'an invalid name is never added');
});

test("picker: a checked new tag stays when the text changes; replacing rows keeps the user's checks", () => {
  const model = new TagPickerModel(buildTagRows([[s('icon', 'suggested', 0.9), s('logo', 'none', 0.2)]]));
  model.setValue('hero');
  model.setSelection(['hero', 'icon']);
  model.setValue('');
  const created = model.rows().filter((r) => r.kind === 'new');
  assert.deepEqual(
    created.map((r) => [r.tag, r.picked]),
    [['hero', true]],
  );
  model.setSelection(['hero']); // the user unchecks icon
  // Live scores arrive: new rows, same images.
  model.replaceRows(buildTagRows([[s('icon', 'suggested', 0.95), s('logo', 'none', 0.3), s('photo', 'none', 0.1)]]));
  const rows = model.rows();
  assert.deepEqual(
    rows.filter((r) => r.kind !== 'separator' && r.picked).map((r) => r.tag),
    ['hero'],
  );
  assert.ok(rows.some((r) => r.tag === 'photo'));
  assert.deepEqual([...model.initial], ['icon'], 'the starting point stays what the images had');
  assert.deepEqual(planTagChanges(statesOf([[s('icon', 'suggested', 0.95)]]), model.initial, model.result('')), [{ confirm: ['hero'], reject: ['icon'] }]);
});
