// The extension's reference index (ReferenceService): one streaming scan that honours .gitignore
// and the exclude globs, then updates file by file from the watcher's text-file events and from
// saved documents, and follows the library's image listing, never reading the other files again.
import { fake } from '../helpers/fakeVscode';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { FolderState } from '../../src/extension/assets/folderState';
import { ReferenceService } from '../../src/extension/features/references/referenceService';
import { revealReferences, unusedReportMarkdown } from '../../src/extension/features/references/commands';
import type { AssetLibrary } from '../../src/extension/assets/assetLibrary';
import type { FakeQuickPick } from '../helpers/fakeVscode';
import { ReferenceIndex } from '../../src/engine/references/references';
import { DEFAULT_INCLUDE } from '../../src/engine/index/scan';
import { tempDir } from '../index/helpers';

let root: string;

async function write(rel: string, text: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await fs.writeFile(path.join(root, rel), text);
}

before(async () => {
  root = await tempDir('references-ext');
  for (const name of ['a.png', 'b.png', 'c.png', 'e.png']) await write(`img/${name}`, Buffer.from('not decoded here'));
  await write('docs/readme.md', '![A](../img/a.png) and soon ![D](../img/d.png)\n');
  await write('styles/site.css', '.hero { background: url("../img/b.png"); }\n');
  await write('.gitignore', 'ignored/\n');
  await write('ignored/notes.md', '![C](../img/c.png)\n');
  await write('vendor/lib.js', 'import e from "../img/e.png";\n');
});

/** Counts the text files the service hands to the index (a file read, or a saved document). */
function countUpdates(): { count: number; restore(): void } {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, never called unbound
  const original = ReferenceIndex.prototype.updateFile;
  const counter = {
    count: 0,
    restore: () => void (ReferenceIndex.prototype.updateFile = original),
  };
  ReferenceIndex.prototype.updateFile = function (this: ReferenceIndex, file: string, text: string | undefined) {
    counter.count++;
    return original.call(this, file, text);
  };
  return counter;
}

test('built once with the exclude rules, then kept current file by file', async () => {
  const folder = new FolderState({
    root,
    name: 'project',
    storageRoot: path.join(root, '..', 'storage'),
    inRepository: false,
    scan: { include: DEFAULT_INCLUDE, exclude: ['**/node_modules/**', '**/.git/**', '**/vendor/**'], respectGitignore: true },
    dtype: undefined,
    preprocessing: { background: '#ffffff' },
    batchSize: 1,
  });
  await folder.scan();
  const service = new ReferenceService({ folderStates: [folder] });
  let changes = 0;
  service.onDidChange(() => changes++);
  const abs = (rel: string) => path.join(root, rel);
  const counter = countUpdates();
  try {
    assert.equal(service.referenceCount(abs('img/a.png')), undefined, 'unknown (not zero) before the scan');
    await service.ensureBuilt();
    assert.equal(counter.count, 2, 'the scan reads readme.md and site.css: not the gitignored notes, not vendor/ (excluded)');
    assert.deepEqual(
      service.unused().map((u) => u.rel),
      ['img/c.png', 'img/e.png'],
    );
    assert.equal(service.referenceCount(abs('img/a.png')), 1);
    assert.deepEqual(
      service.referencesTo(abs('img/b.png')).map((r) => [r.file, r.range.start.line, r.text]),
      [['styles/site.css', 0, '../img/b.png']],
    );
    assert.ok(changes >= 1, 'a finished scan is announced');

    // The watcher reports one changed text file: only that file is read again.
    counter.count = 0;
    await fs.writeFile(abs('styles/site.css'), '.hero { background: url(../img/c.png); }\n');
    fake.controls.fireFileEvent('change', abs('styles/site.css'));
    await service.flush();
    assert.equal(counter.count, 1, 'one file re-read');
    assert.deepEqual(
      service.unused().map((u) => u.rel),
      ['img/b.png', 'img/e.png'],
    );

    // A saved document: its text is taken from the editor, no read at all.
    counter.count = 0;
    fake.controls.saveDocument(abs('docs/readme.md'), 'no images any more\n');
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(counter.count, 1);
    assert.equal(service.referenceCount(abs('img/a.png')), 0);
    assert.deepEqual(
      service.unused().map((u) => u.rel),
      ['img/a.png', 'img/b.png', 'img/e.png'],
    );

    // A change in a gitignored file is not counted.
    fake.controls.fireFileEvent('change', abs('ignored/notes.md'));
    await service.flush();
    assert.equal(service.referenceCount(abs('img/c.png')), 1, 'still only site.css');

    // A deleted text file takes its references with it.
    counter.count = 0;
    await fs.rm(abs('styles/site.css'));
    fake.controls.fireFileEvent('delete', abs('styles/site.css'));
    await service.flush();
    assert.equal(service.referenceCount(abs('img/c.png')), 0);

    // Images come and go with the library's listing, without reading any text file.
    await fs.writeFile(abs('docs/readme.md'), 'see ![D](../img/d.png)\n');
    fake.controls.fireFileEvent('change', abs('docs/readme.md'));
    await service.flush();
    counter.count = 0;
    await write('img/d.png', Buffer.from('new'));
    await folder.scan();
    folder.files.delete('img/e.png');
    service.syncImages();
    assert.equal(counter.count, 0, 'no text file read for an image change');
    assert.equal(service.referenceCount(abs('img/d.png')), 1, 'a mention written before the image existed counts once it does');
    assert.ok(!service.unused().some((u) => u.rel === 'img/e.png'), 'a removed image is no longer listed');

    // Reveal References: a quick pick of file:line locations; moving through it shows each one.
    await fs.writeFile(abs('docs/readme.md'), 'intro\n\nsee ![D](../img/d.png) and again\n<img src="/img/d.png">\n');
    fake.controls.fireFileEvent('change', abs('docs/readme.md'));
    await service.flush();
    const library = { folderOf: (p: string) => (folder.relative(p) !== undefined ? folder : undefined) } as unknown as AssetLibrary;
    const shown = new Promise<FakeQuickPick>((resolve) => fake.controls.onDidShowQuickPick(resolve));
    await revealReferences(library, service, abs('img/d.png'));
    const qp = await shown;
    assert.equal(qp.title, '2 references to d.png');
    assert.deepEqual(
      qp.items.map((i) => [i.label, i.description]),
      [
        ['docs/readme.md:3', '../img/d.png'],
        ['docs/readme.md:4', '/img/d.png'],
      ],
    );
    await revealReferences(library, service, abs('img/e.png'));
    assert.match(fake.controls.messages.at(-1)?.message ?? '', /No text file of the workspace references e\.png/);
  } finally {
    counter.restore();
    service.dispose();
  }
});

test('the unused-images report: biggest first, names escaped, a clear line when all are used', async () => {
  const md = unusedReportMarkdown(
    [
      { folder: 'site', rel: 'img/small_[draft].png', size: 1_000 },
      { folder: 'site', rel: 'img/big.png', size: 2_000_000 },
    ],
    10,
    false,
  );
  const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Size') && !l.startsWith('| ---'));
  assert.deepEqual(rows, ['| 2.0 MB | img/big\\.png |', '| 1.0 KB | img/small\\_\\[draft\\]\\.png |']);
  assert.match(md, /2 of 10 images \(2\.0 MB\) are not referenced/);
  assert.match(unusedReportMarkdown([], 3, false), /All 3 images are referenced/);
});
