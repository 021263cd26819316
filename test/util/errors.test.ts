import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorMessage, firstLineOf, isAbortError } from '../../src/engine/util/errors';

test('errorMessage reads Errors, strings and anything else thrown', () => {
  assert.equal(errorMessage(new Error('disk full')), 'disk full');
  assert.equal(errorMessage('plain text'), 'plain text');
  assert.equal(errorMessage(42), '42');
  assert.equal(errorMessage(undefined), 'undefined');
  assert.equal(firstLineOf(new Error('first\nsecond')), 'first');
});

test('isAbortError recognises cancellations of every origin and nothing else', () => {
  const controller = new AbortController();
  controller.abort();
  assert.equal(isAbortError(controller.signal.reason), true);
  assert.equal(isAbortError(new DOMException('cancelled', 'AbortError')), true);
  assert.equal(isAbortError(Object.assign(new Error('aborted'), { name: 'AbortError' })), true);
  assert.equal(isAbortError(new Error('aborted')), false);
  assert.equal(isAbortError(null), false);
  assert.equal(isAbortError('AbortError'), false);
});
