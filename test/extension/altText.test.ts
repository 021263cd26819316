// The alt-text adapters on the fake editor: diagnostics follow the setting, edits (debounced) and
// closes; the quick fix writes the best cleaned caption (alternatives after it), tags when there
// is no caption, or offers to caption the image; "Generate Alt Text in File" captions what has no
// caption first and builds one WorkspaceEdit whose edits need confirmation (the refactor preview).
import { fake } from '../helpers/fakeVscode';
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AltTextFeature, DIAGNOSTIC_CODE } from '../../src/extension/features/altText/altTextFeature';
import type { ImageFacts } from '../../src/extension/features/altText/altTextPlan';
import { generateAltTextInFile } from '../../src/extension/features/altText/generateAltText';
import { WorkspaceImages } from '../../src/extension/features/imageLinks/imagePaths';
import type { CaptionFeature } from '../../src/extension/features/captions/captionFeature';

const editor = fake.controls.editor;
const ROOT = path.resolve('/ws');
const images = new WorkspaceImages(() => [
  {
    root: ROOT,
    files: new Map([
      ['images/red.png', {}],
      ['images/blue.png', {}],
      ['images/green.png', {}],
    ]),
  },
]);
const facts = new Map<string, ImageFacts>();
const factsOf = (image: string): ImageFacts => facts.get(path.relative(ROOT, image).split(path.sep).join('/')) ?? { captions: [], tags: [] };

const features: AltTextFeature[] = [];
function feature(): AltTextFeature {
  const f = new AltTextFeature({ resolve: (file, src) => images.resolve(file, src), facts: factsOf });
  features.push(f);
  return f;
}

afterEach(async () => {
  for (const f of features.splice(0)) f.dispose();
  for (const d of [...vscode.workspace.textDocuments]) editor.closeDocument(d as never);
  facts.clear();
  editor.appliedEdits.length = 0;
  await fake.controls.setSetting('mobileclipAssets.altText.diagnostics', undefined);
});

async function until<T>(what: string, read: () => T, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const diagnosticsOf = (doc: { uri: { toString(): string } }) => editor.diagnostics.get(doc.uri.toString()) ?? [];

function actionsAt(f: AltTextFeature, doc: ReturnType<typeof editor.openDocument>, line = 0, character = 1): vscode.CodeAction[] {
  const range = new vscode.Range(line, character, line, character);
  return f.provideCodeActions(doc as unknown as vscode.TextDocument, range, {
    diagnostics: diagnosticsOf(doc),
    triggerKind: 1,
    only: undefined,
  } as unknown as vscode.CodeActionContext);
}

function editsOf(action: vscode.CodeAction): Array<{ range: vscode.Range; newText: string; metadata?: vscode.WorkspaceEditEntryMetadata }> {
  return (action.edit as unknown as { entries: Array<{ range: vscode.Range; newText: string }> }).entries;
}

test('diagnostics are off by default, follow the setting, edits and closes, and leave alt="" and non-checked languages alone', async () => {
  const f = feature();
  const html = editor.openDocument(path.join(ROOT, 'docs/page.html'), 'html', '<img src="../images/red.png">\n<img src="x.png" alt="">\n');
  assert.deepEqual(diagnosticsOf(html), [], 'off by default');

  await fake.controls.setSetting('mobileclipAssets.altText.diagnostics', true);
  f.configurationChanged({ affectsConfiguration: (s: string) => s === 'mobileclipAssets.altText.diagnostics' } as vscode.ConfigurationChangeEvent);
  const found = diagnosticsOf(html);
  assert.equal(found.length, 1, 'one <img> without alt (alt="" is decorative)');
  assert.equal(found[0]!.code, DIAGNOSTIC_CODE);
  assert.deepEqual(found[0]!.range, new vscode.Range(0, 0, 0, 29));
  assert.match(found[0]!.message, /alt/);

  const md = editor.openDocument(path.join(ROOT, 'README.md'), 'markdown', 'Text\n\n![](images/blue.png) and ![Blue](images/blue.png)\n');
  assert.equal(diagnosticsOf(md).length, 1, 'opened documents are checked at once');
  const txt = editor.openDocument(path.join(ROOT, 'notes.txt'), 'plaintext', '<img src="a.png">');
  assert.equal(diagnosticsOf(txt).length, 0, 'plain text is not checked');

  editor.changeDocument(md, '![Blue](images/blue.png)\n');
  await until(
    'the edit to be checked (debounced)',
    () => diagnosticsOf(md).length,
    (n) => n === 0,
  );
  editor.changeDocument(md, '![](images/blue.png)\n\n![ ](images/red.png)\n');
  await until(
    'the new images to be reported',
    () => diagnosticsOf(md).length,
    (n) => n === 2,
  );

  editor.closeDocument(md);
  assert.equal(diagnosticsOf(md).length, 0, 'a closed document has no diagnostics');
  await fake.controls.setSetting('mobileclipAssets.altText.diagnostics', false);
  f.configurationChanged({ affectsConfiguration: () => true } as unknown as vscode.ConfigurationChangeEvent);
  assert.equal(diagnosticsOf(html).length, 0, 'turning the setting off clears them');
});

test('the quick fix writes the best cleaned caption, offers the other captions, and escapes for the syntax', async () => {
  await fake.controls.setSetting('mobileclipAssets.altText.diagnostics', true);
  const f = feature();
  facts.set('images/red.png', { captions: ['an image of a red circle on a "white" background.', 'a photo of a red dot', 'A red circle on a "white" background'], tags: ['red'] });
  const html = editor.openDocument(path.join(ROOT, 'docs/page.html'), 'html', '<p>\n<img src="../images/red.png"/>\n');
  const actions = actionsAt(f, html, 1);
  assert.deepEqual(
    actions.map((a) => a.title),
    ['Generate alt text: "Red circle on a "white" background"', 'Use alt text: "Red dot"'],
  );
  assert.deepEqual(
    actions.map((a) => a.isPreferred),
    [true, false],
  );
  const [edit] = editsOf(actions[0]!);
  assert.deepEqual(edit!.range, new vscode.Range(1, 4, 1, 4), 'inserted right after <img');
  assert.equal(edit!.newText, ' alt="Red circle on a &quot;white&quot; background"');
  assert.equal(actions[0]!.diagnostics?.[0]?.code, DIAGNOSTIC_CODE, 'the fix names the diagnostic it fixes');
  assert.deepEqual(actionsAt(f, html, 0), [], 'nothing on a line without a finding');

  const md = editor.openDocument(path.join(ROOT, 'README.md'), 'markdown', '![](images/red.png)\n');
  const [mdFix] = actionsAt(f, md);
  assert.deepEqual(
    editsOf(mdFix!).map((e) => [e.range, e.newText]),
    [[new vscode.Range(0, 2, 0, 2), 'Red circle on a "white" background']],
  );
});

test('tags stand in for a missing caption, with an offer to caption the image; with neither, the offer alone', async () => {
  await fake.controls.setSetting('mobileclipAssets.altText.diagnostics', true);
  const f = feature();
  facts.set('images/blue.png', { captions: [], tags: ['icon', 'blue'] });
  const jsx = editor.openDocument(path.join(ROOT, 'src/App.tsx'), 'typescriptreact', 'export const A = () => <img src="/images/blue.png" />;\n<img src="/images/green.png" />\n');
  assert.deepEqual(actionsAt(f, jsx, 0, 5), [], 'the cursor is not on the image');
  const tagged = actionsAt(f, jsx, 0, 30);
  assert.deepEqual(
    tagged.map((a) => a.title),
    ['Generate alt text: "Icon, blue"', 'Use alt text: "Icon"', 'Use alt text: "Blue"', 'Generate Synthetic Captions for this image (then generate alt text)'],
  );
  const caption = tagged[3]!;
  assert.equal(caption.command?.command, 'mobileclipAssets.generateCaptions');
  assert.equal((caption.command?.arguments?.[0] as vscode.Uri).fsPath, path.join(ROOT, 'images/blue.png'));
  const bare = actionsAt(f, jsx, 1);
  assert.deepEqual(
    bare.map((a) => [a.title, a.isPreferred]),
    [['Generate Synthetic Captions for this image (then generate alt text)', true]],
  );
});

test('Generate Alt Text in File captions uncaptioned images first, then builds one previewed WorkspaceEdit', async () => {
  const f = feature();
  facts.set('images/red.png', { captions: ['a red square'], tags: [] });
  const captioned: string[][] = [];
  const captions = {
    runner: {
      generate: async (paths: string[]) => {
        captioned.push(paths);
        for (const p of paths) facts.set(path.relative(ROOT, p), { captions: ['a picture of a green field.'], tags: [] });
      },
    },
    index: { settled: async () => undefined },
  } as unknown as CaptionFeature;
  const md = editor.openDocument(
    path.join(ROOT, 'docs/guide.md'),
    'markdown',
    '![](../images/red.png)\n![](../images/green.png)\n![](https://example.com/logo-final_2.png)\n![ok](../images/blue.png)\n',
  );
  await generateAltTextInFile({ altText: f, captions }, md.uri as unknown as vscode.Uri);
  assert.deepEqual(captioned, [[path.join(ROOT, 'images/green.png')]], 'only the image without captions is captioned');
  assert.equal(editor.appliedEdits.length, 1, 'one WorkspaceEdit');
  const entries = (editor.appliedEdits[0]!.edit as { entries: Array<{ range: vscode.Range; newText: string; metadata: vscode.WorkspaceEditEntryMetadata }> }).entries;
  assert.deepEqual(
    entries.map((e) => [e.range.start.line, e.newText]),
    [
      [0, 'Red square'],
      [1, 'Green field'],
      [2, 'Logo final 2'],
    ],
  );
  assert.ok(
    entries.every((e) => e.metadata.needsConfirmation),
    'every edit needs confirmation: VS Code shows the refactor preview',
  );
  assert.deepEqual([...new Set(entries.map((e) => e.metadata.label))], ['Alt text from the image captions', 'Alt text from the file name (not a workspace image)']);
});

test('image paths resolve relative to the file, from the root, and by a unique name only', () => {
  const from = path.join(ROOT, 'docs/page.html');
  assert.equal(images.resolve(from, '../images/red.png'), path.join(ROOT, 'images/red.png'));
  assert.equal(images.resolve(from, '/images/red.png'), path.join(ROOT, 'images/red.png'));
  assert.equal(images.resolve(from, '@/assets/images/red.png'), path.join(ROOT, 'images/red.png'), 'an alias reaches it by its trailing path');
  assert.equal(images.resolve(from, 'https://example.com/images/red.png'), undefined);
  assert.equal(images.resolve(path.resolve('/elsewhere/a.md'), 'images/red.png'), undefined, 'outside the workspace');
  const line = 'see images/red.png or mylogo.png';
  assert.deepEqual(images.mentionAt(path.join(ROOT, 'notes.txt'), line, 8), { image: path.join(ROOT, 'images/red.png'), start: 4, end: 18 });
  assert.equal(images.mentionAt(path.join(ROOT, 'notes.txt'), line, 1), undefined, 'not on a path');
  assert.equal(images.mentionAt(path.join(ROOT, 'notes.txt'), line, 25), undefined, 'mylogo.png is no workspace image');
});
