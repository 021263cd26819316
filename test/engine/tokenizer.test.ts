import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ClipTokenizer } from '../../src/engine/text/tokenizer';
import { buildClipTokenizerJson, clipTokenizerConfig, writeClipTokenizer } from '../fixtures/tokenizer';

const work = path.resolve(__dirname, '../../.cache/test-tokenizer', String(process.pid));
let tokenizerPath: string;
let tok: ClipTokenizer;

before(async () => {
  await fs.rm(work, { recursive: true, force: true });
  tokenizerPath = await writeClipTokenizer(path.join(work, 'clip'));
  tok = await ClipTokenizer.load(tokenizerPath);
});

const row = (ids: BigInt64Array, r: number, len: number) => Array.from(ids.subarray(r * len, (r + 1) * len), Number);

test('reproduces the known CLIP token ids', () => {
  assert.deepEqual(tok.encodeIds('How are you doing?'), [49406, 829, 631, 592, 1960, 286, 49407]);
  assert.deepEqual(tok.encodeIds('Hello World'), [49406, 3306, 1002, 49407]);
  assert.equal(tok.startId, 49406);
  assert.equal(tok.endId, 49407);
  assert.equal(tok.padId, 0);
});

test('encode pads each row to the context length with id 0, row-major', () => {
  assert.equal(tok.contextLength, 77);
  const ids = tok.encode(['Hello World', 'How are you doing?']);
  assert.ok(ids instanceof BigInt64Array);
  assert.equal(ids.length, 2 * 77);
  assert.deepEqual(row(ids, 0, 77), [49406, 3306, 1002, 49407, ...new Array(73).fill(0)]);
  assert.deepEqual(row(ids, 1, 77), [49406, 829, 631, 592, 1960, 286, 49407, ...new Array(70).fill(0)]);
  assert.equal(tok.encode([]).length, 0);
});

test('long texts are truncated with the end token kept last (the tower pools at argmax)', async () => {
  const words = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
  const full = tok.encodeIds(words);
  assert.equal(full.length, 77);
  const ids = row(tok.encode([words]), 0, 77);
  assert.equal(ids[0], 49406);
  assert.equal(ids[76], 49407);
  assert.equal(ids.indexOf(Math.max(...ids)), 76, 'argmax must be the last position');
  assert.ok(!ids.includes(0), 'a full row has no padding');
  // The kept tokens are the text's first 75, in order (untruncated ids straight from the library).
  const { Tokenizer } = await import('@huggingface/tokenizers');
  const body = new Tokenizer(await buildClipTokenizerJson(), {}).encode(words, { add_special_tokens: false }).ids;
  assert.ok(body.length > 75);
  assert.deepEqual(ids.slice(1, 76), body.slice(0, 75));
});

test('a text of exactly contextLength-2 tokens is kept whole; one more token is cut', async () => {
  const small = await ClipTokenizer.load(tokenizerPath, { contextLength: 6 });
  assert.deepEqual(small.encodeIds('red green blue yellow'), [49406, 736, 1901, 1746, 4481, 49407]);
  assert.deepEqual(small.encodeIds('red green blue yellow orange'), [49406, 736, 1901, 1746, 4481, 49407]);
  assert.deepEqual(row(small.encode(['red']), 0, 6), [49406, 736, 49407, 0, 0, 0]);
});

test('whitespace runs collapse and text is lowercased', () => {
  assert.deepEqual(tok.encodeIds('  HOW   are\n\tyou DOING?  '), tok.encodeIds('How are you doing?'));
  assert.deepEqual(tok.encodeIds('HELLO WORLD'), [49406, 3306, 1002, 49407]);
});

test('empty and whitespace-only texts encode as start + end', () => {
  assert.deepEqual(tok.encodeIds(''), [49406, 49407]);
  assert.deepEqual(tok.encodeIds('   \n '), [49406, 49407]);
  assert.deepEqual(row(tok.encode(['']), 0, 77), [49406, 49407, ...new Array(75).fill(0)]);
});

test('unicode and emoji survive byte-level BPE (NFC applied)', () => {
  for (const text of ['café 🎉 naïve', '東京タワー', '👍🏽 ok', 'ﬁne print']) {
    const ids = tok.encodeIds(text);
    assert.equal(ids[0], 49406);
    assert.equal(ids.at(-1), 49407);
    assert.ok(
      ids.slice(1, -1).every((id) => id >= 0 && id < 49406),
      `ordinary tokens only for ${text}`,
    );
    assert.equal(tok.decode(ids), text.normalize('NFC').toLowerCase());
  }
  assert.deepEqual(tok.encodeIds('cafe\u0301'), tok.encodeIds('caf\u00e9'));
});

test('special-token text typed by a user does not add a second end token', () => {
  const ids = tok.encodeIds('red <|endoftext|> green <|startoftext|>');
  assert.deepEqual(ids, tok.encodeIds('red green'));
});

test('context length comes from tokenizer_config.json, the option overrides it', async () => {
  const dir = path.join(work, 'short');
  await writeClipTokenizer(dir);
  await fs.writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ ...clipTokenizerConfig(), model_max_length: 16 }));
  const fromConfig = await ClipTokenizer.load(path.join(dir, 'tokenizer.json'));
  assert.equal(fromConfig.contextLength, 16);
  assert.equal(fromConfig.encode(['a', 'b']).length, 32);
  const overridden = await ClipTokenizer.load(path.join(dir, 'tokenizer.json'), { contextLength: 40 });
  assert.equal(overridden.contextLength, 40);

  // HF's "unlimited" placeholder and a missing config both mean CLIP's 77.
  await fs.writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 1e30 }));
  assert.equal((await ClipTokenizer.load(path.join(dir, 'tokenizer.json'))).contextLength, 77);
  await fs.rm(path.join(dir, 'tokenizer_config.json'));
  assert.equal((await ClipTokenizer.load(path.join(dir, 'tokenizer.json'))).contextLength, 77);
  await assert.rejects(ClipTokenizer.load(path.join(dir, 'tokenizer.json'), { contextLength: 1 }), /context length/);
});

test('start and end ids are read from the tokenizer, not assumed', async () => {
  // Same vocabulary with the two special tokens' ids swapped.
  const json = await buildClipTokenizerJson();
  const vocab = json.model.vocab;
  [vocab['<|startoftext|>'], vocab['<|endoftext|>']] = [49407, 49406];
  json.added_tokens = (json.added_tokens as { id: number; content: string }[]).map((t) => ({ ...t, id: vocab[t.content]! }));
  json.post_processor = null;
  const dir = path.join(work, 'swapped');
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
  const swapped = await ClipTokenizer.load(path.join(dir, 'tokenizer.json'));
  assert.deepEqual(swapped.encodeIds('Hello World'), [49407, 3306, 1002, 49406]);
});

test('missing or malformed tokenizer files fail with the path in the message', async () => {
  const missing = path.join(work, 'nope', 'tokenizer.json');
  await assert.rejects(ClipTokenizer.load(missing), (err: Error) => err.message.includes(missing));
  const bad = path.join(work, 'bad', 'tokenizer.json');
  await fs.mkdir(path.dirname(bad), { recursive: true });
  await fs.writeFile(bad, '{ not json');
  await assert.rejects(ClipTokenizer.load(bad), (err: Error) => err.message.includes(bad) && /invalid tokenizer/.test(err.message));
});
