import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery } from '../../src/engine/search/query';

const terms = (q: string) => parseQuery(q).terms.map((t) => [t.text, t.weight, t.imageCandidate]);

test('plain words form one phrase', () => {
  assert.deepEqual(terms('a photo of something green'), [['a photo of something green', 1, false]]);
  assert.deepEqual(terms('  red   car  '), [['red car', 1, false]]);
  assert.deepEqual(terms('t-shirt with a +1 button'), [
    ['t-shirt with a', 1, false],
    ['1 button', 1, false],
  ]);
});

test('+ and - start positive and negative phrases; words continue them', () => {
  assert.deepEqual(terms('cat +sunset -dog'), [
    ['cat', 1, false],
    ['sunset', 1, false],
    ['dog', -1, false],
  ]);
  assert.deepEqual(terms('cat +sunset sky -dog'), [
    ['cat', 1, false],
    ['sunset sky', 1, false],
    ['dog', -1, false],
  ]);
  assert.deepEqual(terms('cat + sunset - dog'), [
    ['cat', 1, false],
    ['sunset', 1, false],
    ['dog', -1, false],
  ]);
  assert.deepEqual(terms('-dog cat'), [['dog cat', -1, false]]);
});

test('weights before a colon', () => {
  assert.deepEqual(terms('red +2:blue'), [
    ['red', 1, false],
    ['blue', 2, false],
  ]);
  assert.deepEqual(terms('+0.5:sunset -1.5:dog 3:cat'), [
    ['sunset', 0.5, false],
    ['dog', -1.5, false],
    ['cat', 3, false],
  ]);
  assert.deepEqual(terms('.5:blue'), [['blue', 0.5, false]]);
  // Not weights: a time, and a zero weight drops the term.
  assert.deepEqual(terms('meeting at 12:30'), [['meeting at 12:30', 1, false]]);
  assert.deepEqual(terms('red +0:blue'), [['red', 1, false]]);
});

test('quoted phrases keep + - : literal and support escapes', () => {
  assert.deepEqual(terms('"rock + roll" -"a -b"'), [
    ['rock + roll', 1, false],
    ['a -b', -1, false],
  ]);
  assert.deepEqual(terms('+2:"blue sky" say \\"hi\\"'), [['blue sky say \\"hi\\"', 2, false]]);
  assert.deepEqual(terms('"say \\"hi\\""'), [['say "hi"', 1, false]]);
  assert.deepEqual(terms('"unterminated phrase'), [['unterminated phrase', 1, false]]);
  assert.deepEqual(terms('""'), []);
});

test('single image paths are image candidates', () => {
  assert.deepEqual(terms('photos/cat.PNG'), [['photos/cat.PNG', 1, true]]);
  assert.deepEqual(terms('"my photos/cat 1.jpg" -dog.webp'), [
    ['my photos/cat 1.jpg', 1, true],
    ['dog.webp', -1, true],
  ]);
  assert.deepEqual(terms('C:\\pics\\x.png'), [['C:\\pics\\x.png', 1, true]]);
  assert.deepEqual(terms('logo.png with text'), [['logo.png with text', 1, false]]);
});

test('filters are pulled out wherever they appear', () => {
  const q = parseQuery('red tag:Icon car type:.PNG in:./assets/icons/ -in:vendor path:"**/logo*" -tag:draft -type:svg');
  assert.deepEqual(
    q.terms.map((t) => t.text),
    ['red car'],
  );
  assert.deepEqual(q.filters, {
    tags: ['icon'],
    notTags: ['draft'],
    types: ['png'],
    notTypes: ['svg'],
    folders: ['assets/icons'],
    notFolders: ['vendor'],
    paths: ['**/logo*'],
    notPaths: [],
  });
  assert.deepEqual(parseQuery('TAG:x In:a\\b').filters.folders, ['a/b']);
  assert.deepEqual(parseQuery('in: tag:').filters.tags, [], 'empty filter values are ignored');
});

test('odd input never throws', () => {
  for (const q of ['', '   ', '+', '-', '+ -', ':', '"', '\\', '+2:', 'tag:"', '-"', '1:2:3', '++a', '--b']) {
    assert.doesNotThrow(() => parseQuery(q), q);
  }
  assert.deepEqual(terms('++a'), [['+a', 1, false]]);
});
