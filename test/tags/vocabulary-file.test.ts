// The vocabulary file "Edit Vocabulary" creates, and "Lower Threshold"'s edit of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildVocabulary, DEFAULT_TAGS, vocabularyFileTemplate, withVocabularyThreshold } from '../../src/engine/tags';

test('the template spells out exactly the built-in vocabulary, and parses without problems', () => {
  const text = vocabularyFileTemplate();
  const fromFile = buildVocabulary([{ source: 'asset-tags.json', value: undefined, text }], { strict: true });
  const builtIn = buildVocabulary([], { strict: true });
  assert.deepEqual(
    fromFile.tags.map((t) => [t.name, t.prompts, t.background]),
    builtIn.tags.map((t) => [t.name, t.prompts, t.background]),
  );
  assert.equal(fromFile.tags.length, DEFAULT_TAGS.length);
  assert.deepEqual([fromFile.threshold, fromFile.minSimilarity, fromFile.topK], [builtIn.threshold, builtIn.minSimilarity, builtIn.topK]);
  assert.match(text, /^\/\/ Tag vocabulary of this workspace/, 'it explains itself');
});

test('lowering the threshold edits the file in place and keeps its comments', () => {
  const lowered = withVocabularyThreshold(vocabularyFileTemplate(), 0.5);
  assert.equal(buildVocabulary([{ source: 'f', value: undefined, text: lowered }]).threshold, 0.5);
  assert.match(lowered, /^\/\/ Tag vocabulary of this workspace/);
  assert.equal(lowered.split('\n').length, vocabularyFileTemplate().split('\n').length, 'one line changed, none added');
  const added = withVocabularyThreshold('{\n  // mine\n  "tags": { "hero": {} }\n}\n', 0.45);
  assert.match(added, /\/\/ mine/);
  assert.equal(buildVocabulary([{ source: 'f', value: undefined, text: added }]).threshold, 0.45);
  assert.throws(() => withVocabularyThreshold('{}', 2), /between 0 and 1/);
});
