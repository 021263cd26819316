// "Copy Markdown Link" text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { altTextFor, markdownImageLink } from '../../src/extension/webview/markdownLink';

test('Markdown image links are relative to the document and encode awkward characters', () => {
  assert.equal(markdownImageLink('/ws/assets/img/cat one.png', '/ws/docs', 'cat one'), '![cat one](../assets/img/cat%20one.png)');
  assert.equal(markdownImageLink('/ws/a(1).png', '/ws', 'a[1]'), '![a\\[1\\]](a%281%29.png)');
  assert.equal(markdownImageLink('/ws/x/y.png', '/ws/x', 'y'), '![y](y.png)');
  assert.equal(altTextFor('my_cool-logo.v2.png'), 'my cool logo.v2');
  assert.equal(altTextFor('.png'), '.png');
});
