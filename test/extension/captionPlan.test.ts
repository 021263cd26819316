// The decisions of "Generate Synthetic Captions" that do not need VS Code: expanding a mixed
// selection into images, choosing each image's captions file, progress text and the summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { CaptionProgress } from '../../src/engine/captions';
import { captionSummary, CaptionRunProgress, collectImages, groupByCaptionRoot, type CollectDeps } from '../../src/extension/features/captions/captionPlan';
import { isImageFile } from '../../src/extension/paths';
import { setWebviewItemCheck, targetPaths } from '../../src/extension/features/commandArgs';

const R = path.resolve('/ws');
const p = (...parts: string[]) => path.join(R, ...parts);

/** A fake file system: folders map to the images their (settings-honouring) scan returns. */
function fakeFs(folders: Record<string, string[]>, files: string[]): CollectDeps & { scanned: string[] } {
  const scanned: string[] = [];
  return {
    scanned,
    kind: async (abs) => (abs in folders ? 'folder' : files.includes(abs) ? 'file' : undefined),
    imagesIn: async (folder) => {
      scanned.push(folder);
      return folders[folder] ?? [];
    },
  };
}

test('a mixed selection becomes each image once, in selection order, with what was left out', async () => {
  const deps = fakeFs({ [p('icons')]: [p('icons', 'a.png'), p('icons', 'b.svg')], [p('empty')]: [] }, [p('icons', 'a.png'), p('photo.JPG'), p('notes.txt')]);
  const got = await collectImages([p('photo.JPG'), p('icons'), p('icons', 'a.png'), p('notes.txt'), p('gone.png'), p('empty'), p('photo.JPG')], deps);
  assert.deepEqual(
    got.images.map((i) => i.path),
    [p('photo.JPG'), p('icons', 'a.png'), p('icons', 'b.svg')],
  );
  assert.deepEqual(
    got.images.map((i) => i.selectedFrom),
    [R, p('icons'), p('icons')],
  );
  assert.deepEqual(got.notImages, [p('notes.txt')]);
  assert.deepEqual(got.missing, [p('gone.png')]);
  assert.deepEqual(got.emptyFolders, [p('empty')]);
  assert.deepEqual(deps.scanned, [p('icons'), p('empty')], 'each selected folder is scanned once');
});

test('an explicitly selected image is taken even when a folder scan would exclude it', async () => {
  const deps = fakeFs({ [p('assets')]: [] }, [p('assets', 'excluded.png')]);
  const got = await collectImages([p('assets'), p('assets', 'excluded.png')], deps);
  assert.deepEqual(
    got.images.map((i) => i.path),
    [p('assets', 'excluded.png')],
  );
});

test('collecting stops when cancelled', async () => {
  const abort = new AbortController();
  const deps = fakeFs({}, [p('a.png'), p('b.png')]);
  const kind = deps.kind.bind(deps);
  deps.kind = async (x) => {
    abort.abort();
    return kind(x);
  };
  const got = await collectImages([p('a.png'), p('b.png')], deps, abort.signal);
  assert.deepEqual(
    got.images.map((i) => i.path),
    [p('a.png')],
  );
});

test('image extensions are recognised case-insensitively', () => {
  assert.ok(isImageFile('/x/A.PNG'));
  assert.ok(isImageFile('/x/b.jpeg'));
  assert.ok(isImageFile('/x/c.svg'));
  assert.ok(!isImageFile('/x/d.txt'));
  assert.ok(!isImageFile('/x/png'));
});

test('images are grouped by workspace folder, and an existing nested captions file keeps its images', () => {
  const ws1 = p('one');
  const ws2 = p('two');
  const dataset = p('one', 'datasets', 'cats');
  const images = [
    { path: p('one', 'a.png'), selectedFrom: ws1 },
    { path: p('two', 'sub', 'b.png'), selectedFrom: p('two', 'sub') },
    { path: p('one', 'datasets', 'cats', 'c.png'), selectedFrom: ws1 },
    { path: p('one', 'datasets', 'dogs', 'd.png'), selectedFrom: ws1 },
    { path: p('one', 'e.png'), selectedFrom: ws1 },
  ];
  const groups = groupByCaptionRoot(images, [ws1, ws2], [dataset, ws2]);
  assert.deepEqual(groups, [
    { root: ws1, images: [p('one', 'a.png'), p('one', 'datasets', 'dogs', 'd.png'), p('one', 'e.png')] },
    { root: ws2, images: [p('two', 'sub', 'b.png')] },
    { root: dataset, images: [p('one', 'datasets', 'cats', 'c.png')] },
  ]);
});

test('a captions file above the workspace folder is not used for its images; outside the workspace the selection decides', () => {
  const ws = p('repo', 'app');
  const groups = groupByCaptionRoot(
    [
      { path: p('repo', 'app', 'x.png'), selectedFrom: ws },
      { path: p('elsewhere', 'pics', 'y.png'), selectedFrom: p('elsewhere') },
      { path: p('data', 'set', 'z.png'), selectedFrom: p('data', 'set') },
    ],
    [ws],
    [p('repo'), p('data')],
  );
  assert.deepEqual(
    groups.map((g) => g.root),
    [ws, p('elsewhere'), p('data')],
  );
});

test('nested workspace folders: the innermost one owns its images', () => {
  const outer = p('mono');
  const inner = p('mono', 'packages', 'ui');
  const groups = groupByCaptionRoot([{ path: p('mono', 'packages', 'ui', 'i.png'), selectedFrom: inner }], [outer, inner], [outer]);
  assert.deepEqual(
    groups.map((g) => g.root),
    [inner],
  );
});

function progress(done: number, total: number, etaMs?: number, extra: Partial<CaptionProgress> = {}): CaptionProgress {
  return { done, total, generated: done, skipped: 0, failed: 0, etaMs, ...extra };
}

test('progress counts across groups and adds the later groups to the time left', () => {
  const t = new CaptionRunProgress([10, 30]);
  assert.equal(t.total, 40);
  t.startGroup(0);
  assert.equal(t.message(), '0 of 40');
  t.update(progress(2, 10, 8000)); // 1 s per image
  assert.equal(t.done, 2);
  assert.equal(t.etaSeconds, 8 + 30);
  assert.equal(t.message(), '2 of 40 · 38 s left');
  t.startGroup(1);
  t.update(progress(10, 30, 40_000, { skipped: 4, failed: 1 }));
  assert.equal(t.done, 20);
  assert.equal(t.etaSeconds, 40);
  assert.equal(t.message(), '20 of 40 · 40 s left · 4 up to date · 1 failed');
});

test('the summary says what happened, warns on failures, and never hides a cancel', () => {
  const ok = captionSummary({ generated: 12, skipped: 3, failed: 0, captions: 60, cancelled: false });
  assert.equal(ok.text, 'Captioned 12 images (60 captions) · 3 already up to date.');
  assert.equal(ok.severity, 'info');
  const bad = captionSummary({ generated: 1, skipped: 0, failed: 2, captions: 5, cancelled: false }, { missing: 1, notImages: 2 });
  assert.equal(bad.text, 'Captioned 1 image (5 captions) · 2 failed · 1 path not found · 2 files not an image.');
  assert.equal(bad.severity, 'warning');
  assert.equal(captionSummary({ generated: 0, skipped: 5, failed: 0, captions: 0, cancelled: false }).text, 'Nothing to caption · 5 already up to date.');
  assert.equal(captionSummary({ generated: 0, skipped: 0, failed: 0, captions: 0, cancelled: true }).text, 'Captioning cancelled.');
  assert.match(captionSummary({ generated: 4, skipped: 0, failed: 0, captions: 20, cancelled: true }).text, /cancelled \(the captions made so far are saved\)\.$/);
});

test('command arguments: Explorer multi-selection wins, gallery URIs and tile contexts are read, non-file URIs ignored', () => {
  const uri = (fsPath: string, scheme = 'file') => ({ scheme, fsPath });
  assert.deepEqual(targetPaths(uri('/a.png'), [uri('/a.png'), uri('/b.png')]), ['/a.png', '/b.png']);
  assert.deepEqual(targetPaths(uri('/a.png'), []), ['/a.png']);
  assert.deepEqual(targetPaths(undefined, [uri('/x.png'), uri('/y.png'), uri('/x.png')]), ['/x.png', '/y.png']);
  // A tile's context comes from the webview: only ids the webview module vouches for.
  assert.deepEqual(targetPaths({ webviewSection: 'tile', itemId: '/t.png', webview: 'mobileclipAssets.gallery' }), [], 'refused before any webview exists');
  setWebviewItemCheck((id) => id === '/t.png');
  assert.deepEqual(targetPaths({ webviewSection: 'tile', itemId: '/t.png', webview: 'mobileclipAssets.gallery' }), ['/t.png']);
  assert.deepEqual(targetPaths({ webviewSection: 'tile', itemId: '/etc/passwd', webview: 'mobileclipAssets.gallery' }), []);
  assert.deepEqual(targetPaths(uri('/remote.png', 'vscode-remote')), []);
  assert.deepEqual(targetPaths(['/p.png', '/q.png']), ['/p.png', '/q.png']);
  assert.deepEqual(targetPaths(), []);
});
