import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PathFilter, scanFolder, type ScanOptions } from '../../src/engine/index/scan';
import { tempDir, writeFiles } from './helpers';

async function scan(root: string, options: ScanOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const f of scanFolder(root, options)) out.push(f.path);
  return out.sort();
}

test('finds image types case-insensitively with size and mtime, skipping the defaults', async () => {
  const root = await tempDir('scan-types');
  await writeFiles(root, {
    'a.png': 'x',
    'B.JPG': 'xx',
    'c.Jpeg': 'x',
    'd.gif': 'x',
    'e.webp': 'x',
    'f.avif': 'x',
    'g.TIFF': 'x',
    'h.tif': 'x',
    'i.svg': 'x',
    'notes.txt': 'x',
    'pic.png.bak': 'x',
    'node_modules/pkg/icon.png': 'x',
    '.git/logo.png': 'x',
    '.mobileclip/thumbs/t.webp': 'x',
    'deep/er/still.png': 'x',
  });
  assert.deepEqual(await scan(root), ['B.JPG', 'a.png', 'c.Jpeg', 'd.gif', 'deep/er/still.png', 'e.webp', 'f.avif', 'g.TIFF', 'h.tif', 'i.svg']);
  const [b] = await (async () => {
    const list = [];
    for await (const f of scanFolder(root)) if (f.path === 'B.JPG') list.push(f);
    return list;
  })();
  const st = await fs.stat(path.join(root, 'B.JPG'));
  assert.deepEqual(b, { path: 'B.JPG', size: 2, mtimeMs: st.mtimeMs });
});

test('include and exclude globs', async () => {
  const root = await tempDir('scan-globs');
  await writeFiles(root, { 'a.png': 'x', 'b.jpg': 'x', 'build/c.png': 'x', 'src/d.png': 'x', 'src/gen/e.png': 'x' });
  assert.deepEqual(await scan(root, { include: ['**/*.PNG'] }), ['a.png', 'build/c.png', 'src/d.png', 'src/gen/e.png']);
  assert.deepEqual(await scan(root, { exclude: ['build/**', '**/gen/**'] }), ['a.png', 'b.jpg', 'src/d.png']);
});

test('nested .gitignore files apply with git precedence, ancestors included', async () => {
  const repo = await tempDir('scan-gitignore');
  await fs.mkdir(path.join(repo, '.git', 'info'), { recursive: true });
  await writeFiles(repo, {
    '.gitignore': 'ignored-by-repo/\n',
    '.git/info/exclude': 'local-only.png\n',
    'project/.gitignore': '*.jpg\ndist/\n',
    'project/a.png': 'x',
    'project/b.jpg': 'x',
    'project/local-only.png': 'x',
    'project/dist/out.png': 'x',
    'project/ignored-by-repo/x.png': 'x',
    'project/sub/.gitignore': '!keep.jpg\nsecret.png\n',
    'project/sub/keep.jpg': 'x',
    'project/sub/drop.jpg': 'x',
    'project/sub/secret.png': 'x',
    'project/sub/fine.png': 'x',
  });
  const root = path.join(repo, 'project'); // a subfolder of the repository, as a workspace often is
  assert.deepEqual(await scan(root), ['a.png', 'sub/fine.png', 'sub/keep.jpg']);
  assert.deepEqual(await scan(root, { respectGitignore: false }), [
    'a.png',
    'b.jpg',
    'dist/out.png',
    'ignored-by-repo/x.png',
    'local-only.png',
    'sub/drop.jpg',
    'sub/fine.png',
    'sub/keep.jpg',
    'sub/secret.png',
  ]);
  // The same decisions for single paths (what a file watcher reports).
  const filter = new PathFilter(root);
  assert.equal(await filter.acceptsFile('sub/keep.jpg'), true);
  assert.equal(await filter.acceptsFile('sub/drop.jpg'), false);
  assert.equal(await filter.acceptsFile('dist/new.png'), false);
  assert.equal(await filter.acceptsFile('ignored-by-repo/y.png'), false);
  assert.equal(await filter.acceptsFile('node_modules/z.png'), false);
  assert.equal(await filter.acceptsFile('notes.txt'), false);
});

test('the size cap skips large files and reports them', async () => {
  const root = await tempDir('scan-size');
  await writeFiles(root, { 'small.png': 'x'.repeat(10), 'big.png': 'x'.repeat(11) });
  const skipped: string[] = [];
  const found = await scan(root, { maxFileSizeBytes: 10, onSkip: (p, why) => skipped.push(`${p}: ${why}`) });
  assert.deepEqual(found, ['small.png']);
  assert.deepEqual(skipped, ['big.png: larger than 10 bytes']);
});

test('scanning a subfolder keeps root-relative paths and the root rules', async () => {
  const root = await tempDir('scan-under');
  await writeFiles(root, { '.gitignore': 'a/skip/\n', 'a/x.png': 'x', 'a/skip/y.png': 'x', 'b/z.png': 'x' });
  assert.deepEqual(await scan(root, { under: 'a' }), ['a/x.png']);
  assert.deepEqual(await scan(root, { under: 'a/skip' }), []);
});

test('directory symlinks are not followed (no loops)', async () => {
  const root = await tempDir('scan-symlink');
  await writeFiles(root, { 'real/a.png': 'x' });
  await fs.symlink(path.join(root, 'real'), path.join(root, 'loop'));
  await fs.symlink(path.join(root, 'real', 'a.png'), path.join(root, 'link.png'));
  assert.deepEqual(await scan(root), ['link.png', 'real/a.png']);
});

test('an aborted scan stops', async () => {
  const root = await tempDir('scan-abort');
  await writeFiles(root, { 'a.png': 'x' });
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(scan(root, { signal: ac.signal }), { name: 'AbortError' });
});

test('a folder that its enclosing repository ignores is still indexed', async () => {
  const repo = await tempDir('scan-ignored-root');
  await fs.mkdir(path.join(repo, '.git'));
  await writeFiles(repo, { '.gitignore': '*\n!.gitignore\n', 'photos/a.png': 'x', 'photos/.gitignore': 'b.png\n', 'photos/b.png': 'x' });
  assert.deepEqual(await scan(path.join(repo, 'photos')), ['a.png']);
});
