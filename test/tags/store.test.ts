import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { TAGS_DATA_FILE, TagStore, xmpSidecarPath } from '../../src/engine/tags';
import { exportTags, exportTagsTo, writeXmpSidecars, xmpDocument } from '../../src/engine/tags/export';
import { SHA, tempFolder } from './helpers';

const auto = (scores: Record<string, number>, suggested: string[], sha = SHA(1), signature = 'sig-1') => ({
  sha256: sha,
  signature,
  names: Object.keys(scores),
  scores: Object.values(scores),
  suggested: new Set(suggested),
});

test('user edits: confirm, reject, setUserTags; rejected tags are off the image but remembered', async () => {
  const store = await TagStore.load(await tempFolder('store'));
  store.recordAutoTags('a.png', auto({ icon: 0.9, logo: 0.8, photo: 0.1 }, ['icon', 'logo']));
  assert.deepEqual(store.tagsOf('a.png'), ['icon', 'logo']);
  store.reject('a.png', 'logo');
  store.confirm('a.png', 'Brand'); // free-form user tag, case-insensitive
  assert.deepEqual(store.tagsOf('a.png'), ['brand', 'icon']);
  assert.deepEqual(store.get('a.png')!.tags.logo, { source: 'auto', state: 'rejected', score: 0.8 });
  assert.deepEqual(store.get('a.png')!.tags.brand, { source: 'user', state: 'confirmed' });
  // "Edit tags": exactly these tags remain; dropping icon rejects it, keeping brand confirms it.
  store.setUserTags('a.png', ['brand', 'new-tag']);
  assert.deepEqual(store.tagsOf('a.png').sort(), ['brand', 'new-tag']);
  assert.equal(store.get('a.png')!.tags.icon!.state, 'rejected');
  assert.deepEqual(store.decisions('icon'), { confirmed: [], rejected: ['a.png'] });
  assert.equal(store.hasTag('a.png', 'BRAND'), true);
  assert.deepEqual(store.pathsWithTag('brand'), ['a.png']);
  assert.deepEqual(
    [...store.tagCounts()],
    [
      ['brand', 1],
      ['new-tag', 1],
    ],
  );
  assert.throws(() => store.confirm('a.png', 'has space'), /use "has-space"/);
});

test('re-tagging keeps confirmed and rejected tags, refreshes scores and drops stale suggestions', async () => {
  const store = await TagStore.load(await tempFolder('store'));
  store.recordAutoTags('a.png', auto({ icon: 0.9, logo: 0.8, chart: 0.75 }, ['icon', 'logo', 'chart']));
  store.confirm('a.png', 'icon');
  store.reject('a.png', 'logo');
  // The new run no longer suggests anything; it even "would" suggest logo again.
  store.recordAutoTags('a.png', auto({ icon: 0.2, logo: 0.95, chart: 0.1 }, ['logo']));
  const tags = store.get('a.png')!.tags;
  assert.deepEqual(tags.icon, { source: 'auto', state: 'confirmed', score: 0.2 });
  assert.deepEqual(tags.logo, { source: 'auto', state: 'rejected', score: 0.95 }, 'a rejected tag is never turned back into a suggestion');
  assert.equal(tags.chart, undefined);
  assert.deepEqual(store.tagsOf('a.png'), ['icon']);
});

test('save writes stable, sorted JSON that loads back identically', async () => {
  const dir = await tempFolder('store');
  const store = await TagStore.load(dir);
  store.recordAutoTags('z/b.png', auto({ logo: 0.912345678 }, ['logo'], SHA(2)));
  store.recordAutoTags('a.png', auto({ icon: 0.5 }, [], SHA(1)));
  store.confirm('a.png', 'icon');
  await store.save();
  const file = path.join(dir, TAGS_DATA_FILE);
  const text = await fs.readFile(file, 'utf8');
  const parsed = JSON.parse(text);
  assert.equal(parsed.format, 'mobileclip-assets-tags');
  assert.deepEqual(Object.keys(parsed.images), ['a.png', 'z/b.png']);
  assert.deepEqual(Object.keys(parsed.images['z/b.png']), ['auto', 'sha256', 'tags']);
  assert.equal(parsed.images['z/b.png'].tags.logo.score, 0.9123, 'scores are rounded for quiet diffs');
  const again = await TagStore.load(dir);
  assert.deepEqual(again.warnings, []);
  assert.deepEqual(again.get('a.png'), store.get('a.png'));
  await again.save();
  assert.equal(await fs.readFile(file, 'utf8'), text, 're-saving unchanged data changes nothing');
});

test('paths from the file are never trusted; the API refuses them too', async () => {
  const dir = await tempFolder('store');
  const file = path.join(dir, TAGS_DATA_FILE);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const good = { sha256: SHA(1), tags: { icon: { source: 'user', state: 'confirmed' } } };
  await fs.writeFile(
    file,
    JSON.stringify({
      format: 'mobileclip-assets-tags',
      version: 1,
      images: {
        'ok.png': good,
        '../outside.png': good,
        '/etc/passwd': good,
        'a/./b.png': good,
        'C:\\x.png': good,
        'bad-tag.png': { tags: { 'no spaces': { source: 'user', state: 'confirmed' }, fine: { source: 'user', state: 'weird' } } },
      },
    }),
  );
  const store = await TagStore.load(dir);
  assert.deepEqual(store.paths(), ['bad-tag.png', 'ok.png']);
  assert.deepEqual(Object.keys(store.get('bad-tag.png')!.tags), []);
  assert.equal(store.warnings.length, 6, store.warnings.join('\n'));
  assert.ok(store.warnings.every((w) => w.startsWith(file)));
  assert.ok(store.warnings.some((w) => w.includes('"../outside.png"')));
  assert.throws(() => store.confirm('../x.png', 'icon'), /must not contain/);
  assert.throws(() => store.rename('ok.png', '/tmp/x.png'), /relative/);
});

test('an unreadable tags file is refused instead of being replaced by an empty one', async () => {
  const dir = await tempFolder('store');
  const file = path.join(dir, TAGS_DATA_FILE);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, '{ "format": "mobileclip-assets-tags", "images": { <<<<<<< HEAD');
  await assert.rejects(TagStore.load(dir), (err: Error) => err.message.startsWith(file) && /not valid JSON/.test(err.message));
  await fs.writeFile(file, JSON.stringify({ format: 'mobileclip-assets-tags', version: 99, images: {} }));
  await assert.rejects(TagStore.load(dir), /newer than this version understands/);
});

test('saving merges with changes someone else made to the file meanwhile', async () => {
  const dir = await tempFolder('store');
  const mine = await TagStore.load(dir);
  mine.confirm('shared.png', 'icon');
  await mine.save();
  const theirs = await TagStore.load(dir);
  theirs.confirm('theirs.png', 'logo');
  theirs.reject('shared.png', 'icon');
  await theirs.save();
  mine.confirm('mine.png', 'chart');
  await mine.save();
  const result = await TagStore.load(dir);
  assert.deepEqual(result.paths(), ['mine.png', 'shared.png', 'theirs.png']);
  assert.equal(result.get('shared.png')!.tags.icon!.state, 'rejected', 'their edit of an image I did not touch survives');
  assert.deepEqual(mine.paths(), result.paths(), 'the saving store now sees the merged state');

  // reload() picks up another writer's changes without losing unsaved local edits.
  theirs.confirm('late.png', 'logo');
  mine.confirm('unsaved.png', 'chart');
  assert.equal(await mine.reload(), false, 'their store has not saved yet');
  await theirs.save();
  const version = mine.decisionVersion;
  assert.equal(await mine.reload(), true);
  assert.ok(mine.decisionVersion > version, 'few-shot caches notice');
  assert.deepEqual(mine.tagsOf('late.png'), ['logo']);
  assert.deepEqual(mine.tagsOf('unsaved.png'), ['chart']);
  await mine.save();
  assert.deepEqual((await TagStore.load(dir)).paths(), ['late.png', 'mine.png', 'shared.png', 'theirs.png', 'unsaved.png']);
});

test('merging is per tag: re-tagging or editing one tag in one window never undoes a decision made in another', async () => {
  const dir = await tempFolder('store');
  const a = await TagStore.load(dir);
  a.recordAutoTags('x.png', auto({ icon: 0.9, logo: 0.8 }, ['icon', 'logo']));
  await a.save();
  const b = await TagStore.load(dir);
  a.reject('x.png', 'logo');
  a.confirm('x.png', 'brand');
  await a.save();
  // b re-tags x.png (stale: it still thinks logo is a suggestion) and confirms another tag.
  b.recordAutoTags('x.png', auto({ icon: 0.95, logo: 0.85, chart: 0.75 }, ['icon', 'logo', 'chart']));
  b.confirm('x.png', 'icon');
  await b.save();
  const x = (await TagStore.load(dir)).get('x.png')!;
  assert.equal(x.tags.logo!.state, 'rejected', "a's rejection survives b's re-tagging");
  assert.equal(x.tags.logo!.score, 0.85, "with b's newer score");
  assert.equal(x.tags.brand!.state, 'confirmed');
  assert.equal(x.tags.icon!.state, 'confirmed');
  assert.equal(x.tags.chart!.state, 'suggested');
  // A removal is entry-level: it wins over their entry.
  b.remove('x.png');
  await b.save();
  assert.equal((await TagStore.load(dir)).get('x.png'), undefined);
});

test('reconcile follows renames by content hash and drops only auto-only orphans', async () => {
  const store = await TagStore.load(await tempFolder('store'));
  store.recordAutoTags('old/name.png', auto({ icon: 0.9 }, ['icon'], SHA(1)));
  store.confirm('old/name.png', 'brand');
  store.recordAutoTags('gone-auto.png', auto({ icon: 0.9 }, ['icon'], SHA(2)));
  store.recordAutoTags('gone-user.png', auto({ icon: 0.9 }, [], SHA(3)));
  store.reject('gone-user.png', 'icon');
  store.recordAutoTags('stays.png', auto({ icon: 0.9 }, ['icon'], SHA(4)));
  const r = store.reconcile([
    { path: 'new/name.png', sha256: SHA(1) },
    { path: 'stays.png', sha256: SHA(5) },
  ]);
  assert.deepEqual(r.renamed, [{ from: 'old/name.png', to: 'new/name.png' }]);
  assert.deepEqual(r.dropped, ['gone-auto.png']);
  assert.deepEqual(store.tagsOf('new/name.png'), ['brand', 'icon']);
  assert.deepEqual(store.paths(), ['gone-user.png', 'new/name.png', 'stays.png']);
  assert.deepEqual(store.tagsOf('stays.png'), ['icon'], 'a changed file keeps its entry');
});

test('CSV and JSON export', async () => {
  const store = await TagStore.load(await tempFolder('store'));
  store.recordAutoTags('b, "quoted".png', auto({ icon: 0.9, logo: 0.6 }, ['icon', 'logo'], SHA(2)));
  store.reject('b, "quoted".png', 'logo');
  store.confirm('=cmd.png', 'brand', SHA(1));
  const csv = exportTags(store, 'csv');
  assert.equal(csv, ['path,tag,state,source,score', "'=cmd.png,brand,confirmed,user,", '"b, ""quoted"".png",icon,suggested,auto,0.9', ''].join('\r\n'));
  assert.match(exportTags(store, 'csv', { includeRejected: true }), /logo,rejected,auto,0\.6/);
  const json = JSON.parse(exportTags(store, 'json'));
  assert.deepEqual(json, [
    { path: '=cmd.png', sha256: SHA(1), tags: [{ tag: 'brand', state: 'confirmed', source: 'user' }] },
    { path: 'b, "quoted".png', sha256: SHA(2), tags: [{ tag: 'icon', state: 'suggested', source: 'auto', score: 0.9 }] },
  ]);
  assert.deepEqual(JSON.parse(exportTags(store, 'json', { includeSuggested: false }))[1].tags, []);
  const out = path.join(await tempFolder('export'), 'tags.csv');
  await exportTagsTo(store, out, 'csv');
  assert.equal(await fs.readFile(out, 'utf8'), csv);
});

test("XMP sidecars are opt-in, carry dc:subject, and never overwrite another tool's sidecar", async () => {
  const dir = await tempFolder('xmp');
  const off = await TagStore.load(dir);
  off.confirm('a.png', 'icon');
  await off.save();
  await assert.rejects(fs.access(path.join(dir, 'a.png.xmp')), 'off by default');

  await fs.writeFile(path.join(dir, 'foreign.png.xmp'), '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core"/>');
  const store = await TagStore.load(dir);
  store.setUserTags('a.png', ['icon', 'c++']);
  store.confirm('foreign.png', 'logo');
  store.confirm('sub/c.png', 'chart');
  const errors = await writeXmpSidecars(store, await store.save());
  const xmp = await fs.readFile(xmpSidecarPath(path.join(dir, 'a.png')), 'utf8');
  assert.match(xmp, /<dc:subject>\s*<rdf:Bag>\s*<rdf:li>c\+\+<\/rdf:li>\s*<rdf:li>icon<\/rdf:li>\s*<\/rdf:Bag>/);
  assert.match(await fs.readFile(path.join(dir, 'sub/c.png.xmp'), 'utf8'), /<rdf:li>chart<\/rdf:li>/);
  assert.equal(await fs.readFile(path.join(dir, 'foreign.png.xmp'), 'utf8'), '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core"/>');
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.error, /not written by MobileCLIP Assets/);
  assert.match(xmpDocument(['a<b&c']), /<rdf:li>a&lt;b&amp;c<\/rdf:li>/);
  // Renaming moves the sidecar: ours at the old path goes, a new one appears.
  store.rename('a.png', 'b.png');
  assert.deepEqual(await writeXmpSidecars(store, await store.save()), []);
  await assert.rejects(fs.access(path.join(dir, 'a.png.xmp')));
  assert.match(await fs.readFile(path.join(dir, 'b.png.xmp'), 'utf8'), /<rdf:li>icon<\/rdf:li>/);
});

test("temp files left by a killed writer are cleaned up on load; live writers' are not", async () => {
  const dir = await tempFolder('store');
  const vscode = path.join(dir, '.vscode');
  await fs.mkdir(vscode, { recursive: true });
  const dead = `.asset-tags.data.json.999999999.deadbeef.tmp`;
  const live = `.asset-tags.data.json.${process.pid}.cafe.tmp`;
  await fs.writeFile(path.join(vscode, dead), 'partial');
  await fs.writeFile(path.join(vscode, live), 'partial');
  await TagStore.load(dir);
  const names = await fs.readdir(vscode);
  assert.ok(!names.includes(dead));
  assert.ok(names.includes(live));
});

test('tags named like Object.prototype members are ordinary tags', async () => {
  const store = await TagStore.load(await tempFolder('store'));
  assert.equal(store.hasTag('a.png', 'constructor'), false);
  store.recordAutoTags('a.png', auto({ constructor: 0.9, tostring: 0.8 }, ['constructor']));
  assert.deepEqual(store.tagsOf('a.png'), ['constructor']);
  store.reject('a.png', 'constructor');
  store.recordAutoTags('a.png', auto({ constructor: 0.9, tostring: 0.8 }, ['constructor', 'tostring']));
  assert.deepEqual(store.tagsOf('a.png'), ['tostring']);
  assert.deepEqual(store.decisions('constructor'), { confirmed: [], rejected: ['a.png'] });
});
