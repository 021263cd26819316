import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_TAGS, GENERIC_NULL_PROMPTS, TagVocabularyError, VOCABULARY_FILE, buildVocabulary, loadTagVocabulary, vocabularyFromNames } from '../../src/engine/tags';
import { tempFolder } from './helpers';

async function folderWith(text: string | undefined): Promise<string> {
  const dir = await tempFolder('vocab');
  if (text !== undefined) {
    await fs.mkdir(path.join(dir, '.vscode'), { recursive: true });
    await fs.writeFile(path.join(dir, VOCABULARY_FILE), text);
  }
  return dir;
}

test('without a file the built-in vocabulary is used, every tag with prompts and a background', async () => {
  const vocab = await loadTagVocabulary(await folderWith(undefined));
  assert.deepEqual(
    vocab.tags.map((t) => t.name),
    DEFAULT_TAGS.map((t) => t.name),
  );
  for (const t of vocab.tags) {
    assert.ok(t.prompts.length > 0, t.name);
    assert.ok(t.background.length > 0, t.name);
    assert.equal(t.origin, 'built-in');
  }
  assert.ok(vocab.threshold > 0.5 && vocab.threshold < 1);
  // A subject tag is templated across asset kinds and compared with the same templates filled with
  // "something"; a kind tag is described verbatim and compared with generic prompts.
  const animal = vocab.tags.find((t) => t.name === 'animal')!;
  assert.ok(animal.prompts.includes('a photo of an animal.') && animal.prompts.includes('an icon of an animal.'));
  assert.ok(animal.background.includes('a photo of something.'));
  assert.ok(!animal.prompts.some((p) => p.includes('{}')));
  const icon = vocab.tags.find((t) => t.name === 'icon')!;
  assert.deepEqual(icon.background, [...GENERIC_NULL_PROMPTS]);
});

test('the workspace file disables, adds and overrides tags; settings come first and the file wins', async () => {
  const dir = await folderWith(`{
    // comments and trailing commas are fine in .vscode files
    "threshold": 0.8,
    "topK": 3,
    "tags": {
      "photo": false,
      "logo": { "threshold": 0.9 },
      "sprite": { "prompts": ["a pixel art sprite.", "a {} sheet."] },
      "mascot": ["a cartoon mascot character."],
      "robot": { "phrases": ["a robot"] },
      "hero-image": {},
      "map": { "enabled": false },
    },
  }`);
  const settings = { tags: { sprite: ['overridden by the file'], texture: false, badge: ['a badge.'] }, topK: 7 };
  const vocab = await loadTagVocabulary(dir, settings);
  const names = vocab.tags.map((t) => t.name);
  for (const gone of ['photo', 'map', 'texture']) assert.ok(!names.includes(gone), gone);
  for (const added of ['sprite', 'mascot', 'robot', 'hero-image', 'badge']) assert.ok(names.includes(added), added);
  assert.equal(vocab.threshold, 0.8);
  assert.equal(vocab.topK, 3);
  const by = (n: string) => vocab.tags.find((t) => t.name === n)!;
  assert.equal(by('logo').threshold, 0.9);
  assert.deepEqual(by('logo').prompts, vocab.tags.find((t) => t.name === 'logo')!.prompts);
  assert.ok(by('logo').prompts.includes('a company logo.'), 'threshold-only override keeps built-in prompts');
  assert.deepEqual(by('sprite').prompts, ['a pixel art sprite.', 'a sprite sheet.']);
  assert.equal(by('sprite').origin, path.join(dir, VOCABULARY_FILE));
  assert.ok(by('sprite').background.includes('a something sheet.'), 'templated prompt gets a templated background');
  assert.ok(by('robot').prompts.includes('a sketch of a robot.'));
  assert.ok(by('hero-image').prompts.includes('a photo of hero image.'), 'name becomes the phrase, dashes as spaces');
  assert.deepEqual(by('badge').prompts, ['a badge.']);
  assert.equal(by('badge').origin, 'settings');
});

test('defaults: false starts from an empty vocabulary', async () => {
  const vocab = await loadTagVocabulary(await folderWith('{ "defaults": false, "tags": { "red": {}, "icon": true } }'));
  assert.deepEqual(
    vocab.tags.map((t) => t.name),
    ['red', 'icon'],
  );
  assert.ok(vocab.tags[1]!.prompts.includes('an app icon.'), 're-enabling a built-in brings its prompts back');
});

test('validation errors name the file, line and key, and list every problem', async () => {
  const text = [
    '{',
    '  "threshold": "high",',
    '  "tags": {',
    '    "ok": {},',
    '    "Bad Name": {},',
    '    "sprite": { "prompts": [], "threshold": 2 },',
    '    "logo": { "prompt": ["typo"] },',
    '    "chart": 5',
    '  },',
    '  "sprite": {}',
    '}',
  ].join('\n');
  const dir = await folderWith(text);
  const file = path.join(dir, VOCABULARY_FILE);
  await assert.rejects(loadTagVocabulary(dir), (err: unknown) => {
    assert.ok(err instanceof TagVocabularyError);
    const issues = err.issues;
    const find = (needle: string) => issues.find((i) => i.includes(needle)) ?? assert.fail(`no issue mentions ${needle}: ${issues.join('\n')}`);
    assert.ok(
      issues.every((i) => i.startsWith(file + ':')),
      'every issue names the file',
    );
    assert.match(find('threshold: must be'), /:2:\d+: threshold: must be a number between 0 and 1, got "high"/);
    assert.match(find('"bad name"'), /:5:\d+: tags\["Bad Name"\]: .*use "bad-name"/);
    assert.match(find('tags.sprite.prompts'), /:6:\d+: tags\.sprite\.prompts: must not be empty/);
    assert.match(find('tags.sprite.threshold'), /:6:\d+: tags\.sprite\.threshold: must be a number between 0 and 1, got number 2/);
    assert.match(find('tags.logo.prompt'), /:7:\d+: tags\.logo\.prompt: unknown key/);
    assert.match(find('tags.chart'), /:8:\d+: tags\.chart: must be true, false, a list of prompts or an object/);
    assert.match(find('sprite: unknown key'), /:10:\d+: sprite: unknown key \(tags go under "tags"/);
    assert.equal(issues.length, 7, issues.join('\n'));
    return true;
  });
});

test('a JSON syntax error points at its line; settings errors name the setting', async () => {
  const dir = await folderWith('{\n  "tags": {\n    "a": {}\n    "b": {}\n  }\n}');
  await assert.rejects(loadTagVocabulary(dir), /asset-tags\.json:4:\d+: invalid JSON: CommaExpected/);
  const empty = await folderWith(undefined);
  await assert.rejects(
    loadTagVocabulary(empty, { tags: { x: { threshold: -1 } } }, { settingsName: 'mobileclipAssets.tags' }),
    /^TagVocabularyError: mobileclipAssets\.tags: tags\.x\.threshold: must be a number between 0 and 1/,
  );
});

test('non-strict mode skips bad items, keeps the rest and reports the issues', async () => {
  const dir = await folderWith('{ "tags": { "good": ["a good prompt."], "bad": { "threshold": "x" }, "photo": false } }');
  const vocab = await loadTagVocabulary(dir, undefined, { strict: false });
  const names = vocab.tags.map((t) => t.name);
  assert.ok(names.includes('good'));
  assert.ok(!names.includes('bad'));
  assert.ok(!names.includes('photo'));
  assert.equal(vocab.issues.length, 1);
  assert.match(vocab.issues[0]!, /tags\.bad\.threshold/);
});

test('an explicit vocabulary file must exist; --tags builds a vocabulary of exactly those tags', async () => {
  const dir = await folderWith(undefined);
  await assert.rejects(loadTagVocabulary(dir, undefined, { file: path.join(dir, 'nope.json') }), /nope\.json: cannot read/);
  const v = vocabularyFromNames(['red', 'Green', 'blue'], { threshold: 0.6 });
  assert.deepEqual(
    v.tags.map((t) => t.name),
    ['red', 'green', 'blue'],
  );
  assert.equal(v.threshold, 0.6);
  assert.ok(v.tags[0]!.prompts.includes('a photo of red.'));
  assert.throws(() => vocabularyFromNames(['a,b']), /tag name "a,b" may only contain/);
});

test('a "__proto__" key is an ordinary (invalid-name) key, not a prototype', () => {
  const vocab = buildVocabulary([{ source: 'x.json', value: undefined, text: '{ "tags": { "__proto__": { "threshold": 0.5 }, "ok": {} } }' }], { strict: false });
  assert.ok(vocab.tags.some((t) => t.name === 'ok'));
  assert.equal(({} as Record<string, unknown>).threshold, undefined);
  assert.equal(vocab.issues.length, 1);
});
