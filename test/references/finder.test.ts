// The reference finder on a fixture repository with every reference style and the false
// friends that must not count; incremental updates; the "Keep this one" edit planner.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { findPathMentions } from '../../src/engine/references/mentions';
import type { ImageReference } from '../../src/engine/references/references';
import { ReferenceIndex } from '../../src/engine/references/references';
import { listImages, scanReferences } from '../../src/engine/references/scan';
import { planKeep, type TextEdit } from '../../src/engine/references/edits';
import { tempDir } from '../index/helpers';
import { IMAGES, TEXT_FILES, UNUSED, writeFixtureRepo } from './fixture';

let root: string;
let index: ReferenceIndex;
let skipped: Array<{ path: string; reason: string }>;

before(async () => {
  root = await tempDir('references');
  await writeFixtureRepo(root);
  const images = await listImages(root);
  assert.deepEqual(images.map((i) => i.path).sort(), [...IMAGES].sort());
  ({ index, skipped } = await scanReferences(
    root,
    images.map((i) => i.path),
  ));
});

/** The text a reference's range covers, read back from the file. */
async function textAt(ref: Pick<ImageReference, 'file' | 'range'>): Promise<string> {
  const lines = (await fs.readFile(path.join(root, ref.file), 'utf8')).split('\n');
  assert.equal(ref.range.start.line, ref.range.end.line);
  return lines[ref.range.start.line]!.slice(ref.range.start.character, ref.range.end.character);
}

const summary = (refs: readonly ImageReference[]) => refs.map((r) => `${r.file}:${r.range.start.line + 1}:${r.range.start.character + 1} ${r.how} ${r.text}`);

test('every reference style is found, with the exact range of the path as written', async () => {
  const expected: Record<string, string[]> = {
    'assets/logo.png': ['README.md:3:9 relative assets/logo.png', 'README.md:5:51 relative assets/logo.png', 'index.html:2:52 relative assets/logo.png'],
    'assets/logo-copy.png': ['index.html:2:72 relative assets/logo-copy.png'],
    'assets/icons/star.svg': ['README.md:5:12 relative ./assets/icons/star.svg', 'styles/main.css:1:26 relative ../assets/icons/star.svg'],
    'assets/hero banner.jpg': ['README.md:4:15 relative assets/hero%20banner.jpg', 'index.html:2:20 relative assets/hero banner.jpg'],
    'public/img/bg.webp': ['styles/main.css:2:31 name /img/bg.webp'],
    'src/components/avatar.png': ['src/components/Avatar.tsx:1:21 relative ./avatar.png'],
    'src/aliased.png': ['src/components/Avatar.tsx:2:22 name @/aliased.png'],
    'data/chart.gif': ['src/data.json:2:13 root data/chart.gif'],
    'docs/diagram.png': ['docs/guide.md:1:16 relative diagram.png'],
    'docs/ref-style.png': ['docs/guide.md:3:8 relative ./ref-style.png'],
    'app/screens/splash.png': ['app/config.yml:1:9 relative screens/splash.png'],
  };
  for (const [image, refs] of Object.entries(expected)) {
    const found = index.referencesTo(image);
    assert.deepEqual(summary(found), refs, image);
    for (const r of found) assert.equal(await textAt(r), r.text);
  }
});

test('false friends, external URLs, ignored, excluded, binary and our own files do not count: those images are unused', () => {
  assert.deepEqual(index.unused(), UNUSED);
  assert.deepEqual(index.referencesTo('brand/logo.png'), []);
  assert.ok(skipped.some((s) => s.path === 'assets/blob.json' && s.reason === 'binary file'));
  assert.equal(index.referencesFrom('.vscode/asset-tags.data.json').length, 0);
  assert.equal(index.referencesFrom('ignored/notes.md').length, 0);
});

test('mentions: the extension must end the path, a lone extension is no file, spaces only inside quotes or brackets', () => {
  const mentions = (text: string) => findPathMentions(text, ['png', 'svg']).map((m) => m.spaced?.text ?? m.text);
  assert.deepEqual(mentions('logo.png.bak mylogo.png logo.pngx logo.png-old a/logo.png/b logo.png. (logo.png) logo.PNG'), [
    'mylogo.png',
    'logo.png',
    '(logo.png)'.slice(1, -1),
    'logo.PNG',
  ]);
  assert.deepEqual(mentions('to .png now; `${name}.png`; url(x.svg#frag) y.png?v=1'), ['x.svg', 'y.png']);
  assert.deepEqual(mentions('<img src="my logo.png"> see my logo.png'), ['my logo.png', 'logo.png']);
});

test('incremental: one changed file updates only its own references', () => {
  const local = new ReferenceIndex(IMAGES);
  for (const [file, text] of Object.entries(TEXT_FILES))
    if (!file.startsWith('ignored/') && !file.startsWith('node_modules/') && !file.startsWith('.vscode/')) local.updateFile(file, text);
  assert.deepEqual(local.unused(), UNUSED);
  local.updateFile('docs/new.md', '![](../unused/orphan.png)\n');
  assert.deepEqual(local.unused(), ['brand/logo.png']);
  assert.deepEqual(summary(local.referencesTo('unused/orphan.png')), ['docs/new.md:1:5 relative ../unused/orphan.png']);
  local.updateFile('docs/new.md', 'no images any more\n');
  assert.deepEqual(local.unused(), UNUSED);
  local.updateFile('README.md', undefined); // deleted
  assert.equal(local.referencesTo('assets/logo.png').length, 1); // only index.html is left
  // A new image resolves mentions already read.
  local.images.add('brand/mylogo.png');
  assert.deepEqual(summary(local.referencesTo('brand/mylogo.png')), ['src/data.json:3:16 root brand/mylogo.png']);
});

async function apply(edits: readonly TextEdit[]): Promise<void> {
  const byFile = new Map<string, TextEdit[]>();
  for (const e of edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  for (const [file, list] of byFile) {
    const lines = (await fs.readFile(path.join(root, file), 'utf8')).split('\n');
    for (const e of [...list].reverse()) {
      const line = lines[e.range.start.line]!;
      lines[e.range.start.line] = line.slice(0, e.range.start.character) + e.newText + line.slice(e.range.end.character);
    }
    await fs.writeFile(path.join(root, file), lines.join('\n'));
  }
}

test('"Keep this one": every reference to the others is rewritten to the kept file, as each file writes paths', async () => {
  const plan = planKeep(index, 'src/components/avatar.png', ['assets/logo.png', 'assets/logo-copy.png', 'src/aliased.png', 'public/img/bg.webp', 'assets/hero banner.jpg']);
  const shown = plan.edits.map((e) => `${e.file}:${e.range.start.line + 1} ${e.newText}`);
  assert.deepEqual(shown, [
    'README.md:3 src/components/avatar.png',
    'README.md:4 src/components/avatar.png',
    'README.md:5 src/components/avatar.png',
    'index.html:2 src/components/avatar.png',
    'index.html:2 src/components/avatar.png',
    'index.html:2 src/components/avatar.png',
    'src/components/Avatar.tsx:2 @/components/avatar.png',
  ]);
  // The web-root path cannot reach a file outside public/: left for a person, with the reason.
  assert.deepEqual(
    plan.unresolved.map((u) => u.reference.text),
    ['/img/bg.webp'],
  );
  assert.match(plan.unresolved[0]!.reason, /not under the same folder \(public\/\)/);
  assert.deepEqual(plan.files, ['README.md', 'index.html', 'src/components/Avatar.tsx', 'styles/main.css']);

  await apply(plan.edits);
  const after = await scanReferences(root, IMAGES);
  for (const gone of ['assets/logo.png', 'assets/logo-copy.png', 'src/aliased.png', 'assets/hero banner.jpg']) assert.deepEqual(after.index.referencesTo(gone), [], gone);
  assert.equal(after.index.referencesTo('src/components/avatar.png').length, 1 + plan.edits.length);
  assert.match(await fs.readFile(path.join(root, 'README.md'), 'utf8'), /<img src="src\/components\/avatar\.png\?v=2" alt="logo">/);
});

test("rewritten paths keep the writer's style: ./ prefix, ../ from a subfolder, a leading slash, escapes", () => {
  const local = new ReferenceIndex(['a/old one.png', 'a/b/keep.png', 'c/old.png']);
  local.updateFile('a/doc.md', '![](./old%20one.png) ![](/a/old%20one.png)\n');
  local.updateFile('c/d/e.css', 'x { background: url(../old.png) }\n');
  const plan = planKeep(local, 'a/b/keep.png', ['a/old one.png', 'c/old.png']);
  assert.deepEqual(
    plan.edits.map((e) => e.newText),
    ['./b/keep.png', '/a/b/keep.png', '../../a/b/keep.png'],
  );
  const spaced = planKeep(local, 'a/old one.png', ['c/old.png']);
  assert.deepEqual(
    spaced.edits.map((e) => e.newText),
    ['../../a/old%20one.png'],
  );
});
