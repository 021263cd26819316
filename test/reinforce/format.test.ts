// File formats (npy/npz/tar members) checked by the independent reader in reader.ts, the
// product's own parser on tampered input, caption inputs, and crash recovery of the shard writer.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { decodeNpz, encodeNpy, encodeNpz } from '../../src/engine/reinforce/npy';
import { embeddingMatrix, parseMembers, sampleMembers, sampleUid, type SampleContent } from '../../src/engine/reinforce/format';
import { packMembers } from '../../src/engine/reinforce/tar';
import { ShardWriter } from '../../src/engine/reinforce/shardWriter';
import { collectInputs, parseDelimited, readCaptionManifest } from '../../src/engine/reinforce/inputs';
import { readNpy, readNpz, readShardSamples, readTar } from './reader';

const work = path.resolve(__dirname, '../../.cache/test-reinforce-format', String(process.pid));
after(() => fs.rm(work, { recursive: true, force: true }));

function matrix(rows: number, cols: number, seed: number) {
  return { shape: [rows, cols] as [number, number], data: Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(seed + i) * 3.5) };
}

function sample(rel: string, syn: string[] = ['a red thing', 'something red']): SampleContent {
  const uid = sampleUid(rel);
  return {
    url: rel,
    info: { uid, sha256: 'ab'.repeat(32), width: 40, height: 30, caption_source: 'sidecar' },
    image: { ext: 'png', bytes: Buffer.from('not really a png') },
    caption: 'a red square',
    syn,
    paramAug: [
      [[2, 1, 20, 30], true],
      [[0, 0, 30, 40], false],
    ],
    imageEmb: matrix(2, 5, 1),
    textEmb: matrix(1, 5, 2),
    synTextEmb: matrix(syn.length, 5, 3),
  };
}

test('npy: v1.0 header, 64-byte aligned data, exact float32 values', () => {
  const m = matrix(3, 7, 0);
  const a = readNpy(Buffer.from(encodeNpy(m)));
  assert.equal(a.descr, '<f4');
  assert.equal(a.fortranOrder, false);
  assert.deepEqual(a.shape, [3, 7]);
  assert.deepEqual(a.data, m.data);
});

test('npz: stored zip of image_emb.npy and text_emb.npy, byte-identical across calls', () => {
  const img = matrix(10, 12, 3);
  const txt = matrix(6, 12, 4);
  const bytes = encodeNpz([
    ['image_emb', img],
    ['text_emb', txt],
  ]);
  assert.deepEqual(
    encodeNpz([
      ['image_emb', img],
      ['text_emb', txt],
    ]),
    bytes,
  );
  const arrays = readNpz(Buffer.from(bytes));
  assert.deepEqual([...arrays.keys()], ['image_emb', 'text_emb']);
  assert.deepEqual(arrays.get('image_emb')!.data, img.data);
  assert.deepEqual(arrays.get('text_emb')!.shape, [6, 12]);
});

test('npz: a flipped data byte is caught by the product reader (CRC)', () => {
  const bytes = Buffer.from(
    encodeNpz([
      ['image_emb', matrix(2, 3, 1)],
      ['text_emb', matrix(1, 3, 2)],
    ]),
  );
  const at = bytes.indexOf(Buffer.from('NUMPY')) + 140; // inside image_emb's data
  bytes[at]! ^= 0x40;
  assert.throws(() => decodeNpz(bytes), /CRC mismatch/);
});

test("sample members: Apple's webdataset members, sorted like webdataset's TarWriter, fixed headers", async () => {
  const s = sample('photos/red.png');
  const bytes = await packMembers(sampleMembers(s));
  const file = path.join(work, 'one.tar');
  await fs.mkdir(work, { recursive: true });
  await fs.writeFile(file, Buffer.concat([bytes, Buffer.alloc(1024)]));
  const entries = readTar(file);
  assert.deepEqual(
    entries.map((e) => e.name),
    ['json', 'npz', 'paug.json', 'png', 'syn.json', 'txt', 'url.txt'].map((x) => `${s.info.uid}.${x}`),
  );
  for (const e of entries) {
    assert.deepEqual([e.mode, e.uid, e.gid, e.mtime, e.type], [0o644, 0, 0, 0, 'file']);
  }
  const [plain] = readShardSamples(file);
  assert.equal(plain!.url, 'photos/red.png');
  assert.equal(plain!.caption, 'a red square');
  assert.deepEqual(plain!.image, { ext: 'png', data: Buffer.from('not really a png') });
  assert.deepEqual(plain!.json, { ...s.info });
  assert.deepEqual(plain!.syn, { syn_text: s.syn });
  assert.deepEqual(plain!.paug, { param_aug: s.paramAug });
  assert.deepEqual([...plain!.npz.keys()], ['image_emb', 'text_emb', 'syn_text_emb']);
  assert.deepEqual(plain!.npz.get('syn_text_emb')!.data, s.synTextEmb.data);
  assert.deepEqual(plain!.npz.get('text_emb')!.shape, [1, 5]);
  assert.equal(s.info.uid, sampleUid('photos/red.png'));
  assert.match(s.info.uid, /^[0-9a-f]{32}$/);
});

test('parseMembers names the member of each problem; embeddingMatrix checks shapes and dtypes', async () => {
  const s = sample('x.png');
  const members = new Map(sampleMembers(s).map((m) => [m.name.slice(s.info.uid.length + 1), Buffer.from(m.data)]));
  const good = parseMembers(s.info.uid, members);
  assert.deepEqual(good.problems, []);
  assert.deepEqual(good.syn, [{ key: 'syn_text', captions: s.syn }]);
  assert.deepEqual(good.paramAug, s.paramAug);
  assert.equal(typeof embeddingMatrix(good, 'image_emb', 5, 2), 'object');
  assert.match(embeddingMatrix(good, 'image_emb', 6, 2) as string, /npz image_emb: shape \(2, 5\), expected \(2, 6\)/);
  assert.match(embeddingMatrix(good, 'nope_emb', 5, 2) as string, /npz nope_emb: missing/);
  members.set('syn.json', Buffer.from('{"syn_text": [1], "other": 3}'));
  members.set('paug.json', Buffer.from('{"params": []}'));
  members.set('json', Buffer.from('{not json'));
  const bad = parseMembers(s.info.uid, members).problems.join('\n');
  assert.match(bad, /syn\.json syn_text: not a list of strings/);
  assert.match(bad, /paug\.json: no "param_aug" list/);
  assert.match(bad, /^json: not valid JSON/m);
  // The Hugging Face copy of DataCompDR stores param_aug as a JSON string.
  members.set('paug.json', Buffer.from(JSON.stringify({ param_aug: JSON.stringify(s.paramAug) })));
  assert.deepEqual(parseMembers(s.info.uid, members).paramAug, s.paramAug);
});

test('CSV parsing handles quotes, doubled quotes, CRLF and a BOM', () => {
  const rows = parseDelimited('\ufeffpath,caption\r\n"a, b.png","say ""hi""\nthere"\r\nc.png,plain\n');
  assert.deepEqual(rows, [
    ['path', 'caption'],
    ['a, b.png', 'say "hi"\nthere'],
    ['c.png', 'plain'],
  ]);
});

test('caption manifests refuse paths outside the folder and report bad rows', async () => {
  const root = path.join(work, 'manifest-root');
  await fs.mkdir(root, { recursive: true });
  const csv = path.join(work, 'captions.csv');
  await fs.writeFile(csv, 'file,text\nsub/a.png,A dog\n../escape.png,nope\n/etc/passwd,nope\nsub/a.png,again\n');
  const m = await readCaptionManifest(csv, root);
  assert.deepEqual([...m.captions], [['sub/a.png', 'A dog']]);
  const errors = m.problems.map((p) => `${p.path}: ${p.error}`).join('\n');
  assert.match(errors, /captions\.csv:3: refusing path outside the folder/);
  assert.match(errors, /captions\.csv:4: refusing path outside the folder/);
  assert.match(errors, /captions\.csv:5: second caption/);
  const jsonl = path.join(work, 'captions.jsonl');
  await fs.writeFile(jsonl, '{"path":"b.png","caption":"  two   words "}\nnot json\n');
  const j = await readCaptionManifest(jsonl, root);
  assert.deepEqual([...j.captions], [['b.png', 'two words']]);
  assert.match(j.problems[0]!.error, /no path and caption/);
});

test('inputs: sorted raster images, sidecar captions, file-name stand-ins, output folder excluded', async () => {
  const root = path.join(work, 'inputs');
  await fs.rm(root, { recursive: true, force: true });
  for (const f of ['b/z.png', 'b/a_red-car.jpg', 'A.webp', 'out/x.png', '.hidden/y.png', 'vector.svg', 'notes.txt']) {
    await fs.mkdir(path.dirname(path.join(root, f)), { recursive: true });
    await fs.writeFile(path.join(root, f), 'x');
  }
  await fs.writeFile(path.join(root, 'b/z.txt'), '  A   zebra\n');
  const { images } = await collectInputs({ root, exclude: [path.join(root, 'out')], missingCaption: 'filename' });
  assert.deepEqual(
    images.map((i) => [i.relPath, i.caption, i.captionOrigin]),
    [
      ['A.webp', 'A', 'filename'],
      ['b/a_red-car.jpg', 'a red car', 'filename'],
      ['b/z.png', 'A zebra', 'sidecar'],
    ],
  );
  const zero = await collectInputs({ root, exclude: [path.join(root, 'out')], missingCaption: 'zero' });
  assert.deepEqual(
    zero.images.map((i) => i.captionOrigin),
    ['none', 'none', 'sidecar'],
  );
});

test('shard writer: a crash mid-sample or mid-journal loses only that sample', async () => {
  const out = path.join(work, 'writer');
  await fs.rm(out, { recursive: true, force: true });
  const journal = path.join(out, '.state', 'journal.jsonl');
  const packed = await Promise.all(['a.png', 'b.png', 'c.png', 'd.png', 'e.png'].map((r) => packMembers(sampleMembers(sample(r)))));

  // Reference: uninterrupted.
  const ref = path.join(work, 'writer-ref');
  await fs.rm(ref, { recursive: true, force: true });
  {
    const { writer } = await ShardWriter.open(ref, path.join(ref, '.state', 'journal.jsonl'), 2);
    for (let i = 0; i < 5; i++) await writer.addSample(i, packed[i]!);
    await writer.finalizeShard();
    await writer.close();
  }

  let { writer, state } = await ShardWriter.open(out, journal, 2);
  assert.equal(state.next, 0);
  await writer.addSample(0, packed[0]!);
  await writer.addSample(1, packed[1]!); // completes shard 0
  await writer.addSample(2, packed[2]!);
  await writer.close();
  // Simulate a crash while writing sample 3: half its bytes reached the partial, no journal line,
  // and a torn journal line.
  const partial = path.join(out, 'shards', '00000001.tar.partial');
  await fs.appendFile(partial, packed[3]!.subarray(0, 700));
  await fs.appendFile(journal, '{"t":"sample","i":3,');

  ({ writer, state } = await ShardWriter.open(out, journal, 2));
  assert.equal(state.next, 3);
  assert.equal(state.finalized.length, 1);
  assert.equal(state.currentSamples, 1);
  await writer.addSample(3, packed[3]!);
  await writer.addSample(4, packed[4]!);
  await writer.finalizeShard();
  await writer.close();

  for (const name of ['00000000.tar', '00000001.tar', '00000002.tar']) {
    assert.deepEqual(await fs.readFile(path.join(out, 'shards', name)), await fs.readFile(path.join(ref, 'shards', name)), name);
  }
  assert.deepEqual(
    readShardSamples(path.join(out, 'shards', '00000001.tar')).map((s) => s.url),
    ['c.png', 'd.png'],
  );
  assert.deepEqual((await fs.readdir(path.join(out, 'shards'))).sort(), ['00000000.tar', '00000001.tar', '00000002.tar']);
});

test('shard writer: a crash after renaming a full shard but before journaling it recovers', async () => {
  const out = path.join(work, 'writer-rename');
  await fs.rm(out, { recursive: true, force: true });
  const journal = path.join(out, '.state', 'journal.jsonl');
  const packed = await Promise.all(['a.png', 'b.png'].map((r) => packMembers(sampleMembers(sample(r)))));
  const { writer } = await ShardWriter.open(out, journal, 2);
  await writer.addSample(0, packed[0]!);
  await writer.addSample(1, packed[1]!);
  await writer.close();
  // Drop the shard's journal line, as if the process died right after the rename.
  const lines = (await fs.readFile(journal, 'utf8')).trimEnd().split('\n');
  assert.match(lines.at(-1)!, /"t":"shard"/);
  await fs.writeFile(journal, lines.slice(0, -1).join('\n') + '\n');
  const { writer: w2, state } = await ShardWriter.open(out, journal, 2);
  assert.equal(state.next, 2);
  assert.equal(state.finalized.length, 1);
  assert.equal(state.currentSamples, 0);
  await w2.close();
  assert.equal(readTar(path.join(out, 'shards', '00000000.tar')).length, 14);
});

test('a caption sidecar that is not a regular file (FIFO) is reported and skipped, never read', async () => {
  const root = path.join(work, 'fifo-inputs');
  await fs.mkdir(root, { recursive: true });
  await fs.writeFile(path.join(root, 'a.png'), 'x');
  spawnSync('mkfifo', [path.join(root, 'a.txt')]);
  const { images, problems } = await collectInputs({ root, missingCaption: 'filename' });
  assert.deepEqual(
    images.map((i) => [i.relPath, i.captionOrigin]),
    [['a.png', 'filename']],
  );
  assert.match(problems.map((p) => `${p.path}: ${p.error}`).join('\n'), /a\.txt: caption sidecar ignored: not a regular file/);
});
