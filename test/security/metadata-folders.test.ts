// Issue 12, hole 2: a repository that ships `.mobileclip` or `.vscode` as a symlink to a folder
// outside the workspace must not get index files, thumbnails, captions or tags written there, nor
// files deleted there. Every writer checks its folder first (util/folders.ts), and cleanup only
// removes files this code created.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { emptyCaptionStore, saveCaptionStore, addUserCaption } from '../../src/engine/captions/store';
import { updateIndex } from '../../src/engine/index/indexer';
import { IN_REPOSITORY_DIR, MANIFEST_FILE, THUMBNAILS_DIR } from '../../src/engine/index/location';
import { deleteIndexFiles, IndexStore } from '../../src/engine/index/store';
import { pruneThumbnails } from '../../src/engine/index/thumbnails';
import { TagStore } from '../../src/engine/tags/store';
import { writeXmpSidecars } from '../../src/engine/tags/export';
import { syncSidecars } from '../../src/extension/features/tagging/sidecars';
import { checkWriteFolder, resolvesInside, UnsafeFolderError } from '../../src/engine/util/folders';
import { FakeEmbedder, tempDir, writeFiles } from '../index/helpers';

/** Every file under `dir` with its bytes, to prove nothing there changed. */
async function snapshotTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out[path.relative(dir, p)] = (await fs.readFile(p)).toString('base64');
  }
  return out;
}

/** A deleted writer's pid (a temp file named with it belongs to nobody). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

async function hostileRepo(name: string) {
  const base = await tempDir(name);
  const repo = path.join(base, 'repo');
  const victim = path.join(base, 'victim'); // stands for ~/.ssh or any folder of the user
  await writeFiles(repo, { 'red.png': 'red', 'blue.png': 'blue' });
  await writeFiles(victim, {
    id_rsa: 'PRIVATE KEY',
    'vectors-0123456789abcdef.bin': "the user's own file that happens to match our pattern",
    [`.index.json.${deadPid()}.0badc0de.tmp`]: "also the user's",
    [`${THUMBNAILS_DIR}/${'a'.repeat(64)}-192.webp`]: 'a user file named like a thumbnail',
  });
  return { repo, victim };
}

test('an in-repository index whose .mobileclip is a symlink out of the workspace: nothing written or deleted there', async () => {
  const { repo, victim } = await hostileRepo('sec-mobileclip-link');
  await fs.symlink(victim, path.join(repo, IN_REPOSITORY_DIR));
  const before = await snapshotTree(victim);
  const run = updateIndex({ root: repo, indexDir: path.join(repo, IN_REPOSITORY_DIR), embedder: new FakeEmbedder() });
  await assert.rejects(run, (err: Error) => {
    assert.ok(err instanceof UnsafeFolderError, String(err));
    assert.match(err.message, /\.mobileclip is a symbolic link to .*victim, outside .*repo/);
    return true;
  });
  assert.deepEqual(await snapshotTree(victim), before);
  // "Rebuild Image Index" refuses the same way instead of deleting in the target.
  await assert.rejects(deleteIndexFiles(repo, path.join(repo, IN_REPOSITORY_DIR)), UnsafeFolderError);
  assert.deepEqual(await snapshotTree(victim), before);
});

test('captions.json and the tags file are not written through a .mobileclip or .vscode link', async () => {
  const { repo, victim } = await hostileRepo('sec-vscode-link');
  await fs.symlink(victim, path.join(repo, IN_REPOSITORY_DIR));
  await fs.symlink(victim, path.join(repo, '.vscode'));
  const before = await snapshotTree(victim);

  const captions = emptyCaptionStore(repo);
  addUserCaption(captions, 'red.png', 'a red square');
  await assert.rejects(saveCaptionStore(captions), /refusing to write in .*\.mobileclip: .* is a symbolic link to/);

  // Loading only reads (and does not prune "stale temp files" in the target); saving refuses.
  const tags = await TagStore.load(repo);
  tags.confirm('red.png', 'red');
  await assert.rejects(tags.save(), /refusing to write in .*\.vscode/);
  assert.deepEqual(await snapshotTree(victim), before);
  assert.equal(await fs.readFile(path.join(victim, 'id_rsa'), 'utf8'), 'PRIVATE KEY');
});

test('XMP sidecars are not written into an image folder that links out of the workspace', async () => {
  const { repo, victim } = await hostileRepo('sec-xmp-link');
  await writeFiles(victim, { 'photo.png': 'x' });
  await fs.symlink(victim, path.join(repo, 'photos'));
  const tags = await TagStore.load(repo);
  tags.confirm('photos/photo.png', 'cat');
  const errors = await writeXmpSidecars(tags, await tags.save());
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.error, /photos is a symbolic link to/);
  await assert.rejects(fs.access(path.join(victim, 'photo.png.xmp')));
});

test("the extension's background sidecar sync refuses the same link out of the workspace, per image", async () => {
  const { repo, victim } = await hostileRepo('sec-xmp-sync-link');
  await writeFiles(victim, { 'photo.png': 'x' });
  await writeFiles(repo, { 'own/logo.png': 'x' });
  await fs.symlink(victim, path.join(repo, 'photos'));
  const tags = await TagStore.load(repo);
  tags.confirm('photos/photo.png', 'cat');
  tags.confirm('own/logo.png', 'logo');
  const result = await syncSidecars(repo, tags, { write: ['own/logo.png', 'photos/photo.png'], remove: [] });
  assert.equal(result.written, 1, 'the image inside the workspace gets its sidecar');
  assert.equal(result.errors.length, 1);
  assert.match(result.errors[0]!.error, /photos is a symbolic link to/);
  await assert.rejects(fs.access(path.join(victim, 'photo.png.xmp')));
  await fs.access(path.join(repo, 'own', 'logo.png.xmp'));
});

test('links that stay inside the workspace are fine; a link to a file where a folder should be is refused', async () => {
  const base = await tempDir('sec-inside-link');
  await writeFiles(base, { 'store/keep.txt': 'x', 'file.txt': 'x' });
  await fs.symlink(path.join(base, 'store'), path.join(base, '.mobileclip'));
  await checkWriteFolder(base, path.join(base, '.mobileclip', 'thumbs'));
  await fs.symlink(path.join(base, 'file.txt'), path.join(base, '.vscode'));
  await assert.rejects(checkWriteFolder(base, path.join(base, '.vscode')), /is not a folder/);
});

test('index cleanup removes only files this code wrote: foreign look-alikes stay', async () => {
  const base = await tempDir('sec-cleanup');
  const root = path.join(base, 'repo');
  const indexDir = path.join(root, IN_REPOSITORY_DIR);
  await writeFiles(root, { 'red.png': 'red' });
  const foreign = {
    'vectors-fedcba9876543210.bin': 'not a vector file of ours',
    '.notes.tmp': 'a user file',
    'captions.json': '{"format":"mobileclip-assets/captions","version":1,"runs":{},"images":{}}',
  };
  await writeFiles(indexDir, foreign);
  const ours = `.${MANIFEST_FILE}.${deadPid()}.0123abcd.tmp`; // left by a killed writer
  await writeFiles(indexDir, { [ours]: '{' });
  await updateIndex({ root, indexDir, embedder: new FakeEmbedder() });
  const names = await fs.readdir(indexDir);
  for (const name of Object.keys(foreign)) assert.ok(names.includes(name), `${name} was deleted`);
  assert.ok(!names.includes(ours), 'the stale temp file of the manifest was pruned');
  // A full rewrite (new vector file) removes the previous vector file of ours, never the look-alike.
  const identity = { model: { id: 'fake', fingerprint: 'other', dim: 32 }, preprocessing: {} };
  const opened = await IndexStore.open(indexDir, identity);
  await opened.store.flush();
  assert.deepEqual((await fs.readdir(indexDir)).filter((n) => n.startsWith('vectors-')).length, 2, 'ours (new) + the foreign one');
  // Rebuild deletes the index, keeps captions.json and the foreign files.
  await deleteIndexFiles(root, indexDir);
  const left = (await fs.readdir(indexDir)).sort();
  assert.deepEqual(
    left.filter((n) => n !== '.gitignore'),
    Object.keys(foreign).sort(),
  );
});

test('thumbnail temp files left by a kill are pruned; live writers and foreign files are not', async () => {
  const dir = await tempDir('sec-thumb-tmp');
  const sha = 'b'.repeat(64);
  const dead = `.${sha}-192.webp.${deadPid()}.0a0b0c0d.tmp`;
  const live = `.${sha}-192.webp.${process.ppid}.0a0b0c0e.tmp`;
  await writeFiles(dir, { [dead]: 'x', [live]: 'x', '.other.tmp': 'x', [`${sha}-192.webp`]: 'thumb' });
  await pruneThumbnails(dir, new Set([sha]));
  assert.deepEqual((await fs.readdir(dir)).sort(), [live, '.other.tmp', `${sha}-192.webp`].sort());
});

test('a thumbs folder that links out of the workspace is not offered to the webviews as a resource root', async () => {
  const { repo, victim } = await hostileRepo('sec-thumb-root');
  await fs.mkdir(path.join(repo, IN_REPOSITORY_DIR));
  await fs.symlink(victim, path.join(repo, IN_REPOSITORY_DIR, THUMBNAILS_DIR));
  assert.equal(resolvesInside(repo, path.join(repo, IN_REPOSITORY_DIR, THUMBNAILS_DIR)), false);
  assert.equal(resolvesInside(repo, path.join(repo, IN_REPOSITORY_DIR)), true);
  assert.equal(resolvesInside(repo, path.join(repo, 'not', 'yet', 'created')), true);
});
