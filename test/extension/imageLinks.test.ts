// Image paths in text files on the fake editor: the hover shows the index thumbnail (or one made
// now), dimensions, size, tags, first caption and links trusted for our two commands only; a
// gallery tile dropped into Markdown or HTML becomes a link with generated alt text, relative to
// the document.
import { fake } from '../helpers/fakeVscode';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { showInGallery } from '../../src/extension/features/imageLinks/commands';
import { ImageDropProvider, imageFilesIn } from '../../src/extension/features/imageLinks/dropImage';
import { fitBox, HOVER_COMMANDS, ImageHoverProvider } from '../../src/extension/features/imageLinks/imageHover';
import { WorkspaceImages } from '../../src/extension/features/imageLinks/imagePaths';
import type { BackendItem } from '../../src/extension/webview/backend';

const editor = fake.controls.editor;
const ROOT = path.resolve('/ws');
const RED = path.join(ROOT, 'images', 'red dot.png');
const images = new WorkspaceImages(() => [
  {
    root: ROOT,
    files: new Map([
      ['images/red dot.png', {}],
      ['images/new.png', {}],
    ]),
  },
]);
const token = new vscode.CancellationTokenSource().token;

const redItem = {
  id: RED,
  path: RED,
  relPath: 'images/red dot.png',
  name: 'red dot.png',
  folder: 'images',
  ext: 'png',
  size: 2345,
  mtime: 0,
  width: 640,
  height: 320,
  thumbnailPath: path.join(ROOT, '.thumbs', 'abc.webp'),
  tags: [
    { tag: 'red', score: 0.9, source: 'auto' },
    { tag: 'icon_*', score: 0.5, source: 'auto' },
  ],
  captions: ['a red dot on white', 'a red circle'],
} as BackendItem;

test('the hover over an image path shows the thumbnail, facts and our two command links, and nothing elsewhere', async () => {
  const made: string[] = [];
  const hover = new ImageHoverProvider({
    images,
    item: (image) => (image === RED ? redItem : undefined),
    thumbnail: async (image) => {
      made.push(image);
      return { id: image, thumbnailPath: path.join(ROOT, '.thumbs', 'new.webp'), width: 10, height: 40 };
    },
  });
  const doc = editor.openDocument(path.join(ROOT, 'docs', 'notes.txt'), 'plaintext', 'logo: "../images/red dot.png" and ../images/new.png\nnothing here');
  const at = (line: number, character: number) => hover.provideHover(doc as unknown as vscode.TextDocument, new vscode.Position(line, character), token);

  const h = await at(0, 20);
  assert.ok(h, 'a hover over the quoted path (with a space)');
  assert.deepEqual(h.range, new vscode.Range(0, 7, 0, 28), 'the whole path is highlighted');
  const md = h.contents[0] as vscode.MarkdownString;
  assert.match(
    md.value,
    new RegExp(`^!\\[red dot\\\\.png\\]\\(file://${path.join(ROOT, '.thumbs', 'abc.webp')}\\|width=160,height=80\\)`),
    'the index thumbnail, fitted into 160 px',
  );
  assert.match(md.value, /\*\*red dot\\\.png\*\* · 640 × 320 · 2\.3 KB/);
  assert.match(md.value, /\$\(tag\) red, icon\\_\\\*/, 'tags, escaped');
  assert.match(md.value, /“a red dot on white”/, 'the first caption only');
  assert.doesNotMatch(md.value, /a red circle/);
  const args = encodeURIComponent(JSON.stringify([RED]));
  assert.ok(
    md.value.includes(`(command:mobileclipAssets.findSimilar?${args} `) && md.value.includes(`(command:mobileclipAssets.showInGallery?${args} `),
    'both links carry the image',
  );
  assert.deepEqual(md.isTrusted, { enabledCommands: HOVER_COMMANDS }, 'only our two commands may run from it');
  assert.deepEqual(HOVER_COMMANDS, ['mobileclipAssets.findSimilar', 'mobileclipAssets.showInGallery']);
  assert.ok(!(md as { supportHtml?: boolean }).supportHtml, 'no HTML');
  assert.deepEqual(made, [], 'the index thumbnail is used as it is');

  const fresh = await at(0, 40);
  assert.ok(fresh, 'an image the index does not hold yet');
  assert.match((fresh.contents[0] as vscode.MarkdownString).value, /new\.webp\|width=10,height=40\)/);
  assert.deepEqual(made, [path.join(ROOT, 'images', 'new.png')], 'its thumbnail is made on demand');

  assert.equal(await at(0, 2), undefined, 'not on a path');
  assert.equal(await at(1, 3), undefined);
  assert.deepEqual(fitBox(null, null), { width: 160, height: 160 });
  assert.deepEqual(fitBox(32, 16), { width: 32, height: 16 }, 'small images are not enlarged');
});

function uriList(...files: string[]): vscode.DataTransfer {
  const dt = new vscode.DataTransfer();
  dt.set('text/uri-list', new vscode.DataTransferItem(`# from the gallery\r\n${files.map((f) => vscode.Uri.file(f).toString()).join('\r\n')}`));
  return dt;
}

test('a dropped tile becomes ![alt](relative path) in Markdown and <img src alt> in HTML, alt from the best caption or the file name', async () => {
  const captions = new Map([[RED, ['an image of a red dot on white.', 'a red circle']]]);
  const drop = new ImageDropProvider({ captionsOf: (p) => captions.get(p) ?? [] });
  const other = path.join(ROOT, 'images', 'logo-final_2.png');
  const md = editor.openDocument(path.join(ROOT, 'docs', 'guide.md'), 'markdown', '');
  const html = editor.openDocument(path.join(ROOT, 'docs', 'site', 'index.html'), 'html', '');
  const pos = new vscode.Position(0, 0);
  const dropInto = (doc: typeof md, dt: vscode.DataTransfer) => drop.provideDocumentDropEdits(doc as unknown as vscode.TextDocument, pos, dt, token);

  const mdEdit = await dropInto(md, uriList(RED, other));
  assert.equal(mdEdit?.insertText, '![Red dot on white](../images/red%20dot.png)\n\n![Logo final 2](../images/logo-final_2.png)');
  const htmlEdit = await dropInto(html, uriList(RED));
  assert.equal(htmlEdit?.insertText, '<img src="../../images/red%20dot.png" alt="Red dot on white">');
  assert.equal(await dropInto(md, uriList(path.join(ROOT, 'notes.txt'))), undefined, 'not an image: left to VS Code');
  assert.equal(await dropInto(md, new vscode.DataTransfer()), undefined, 'no uri-list');
  assert.deepEqual(
    imageFilesIn('https://example.com/a.png\r\nfile:///x/b.PNG\r\nvscode-local:/ws/c.png\r\nfile:///x/notes.txt'),
    [path.resolve('/x/b.PNG'), path.resolve('/ws/c.png')],
    'remote windows deliver the drag as vscode-local:',
  );
});

test('Show in Gallery searches the gallery for exactly that image, by its path in its folder', async () => {
  const searched: string[] = [];
  const ctx = {
    library: { folderOf: (p: string) => (p.startsWith(ROOT) ? { relative: (abs: string) => path.relative(ROOT, abs).split(path.sep).join('/') } : undefined) },
    webviews: { gallery: { search: async (q: string) => void searched.push(q) } },
  } as never;
  await showInGallery(ctx)(RED);
  await showInGallery(ctx)(path.resolve('/elsewhere/x.png'));
  assert.deepEqual(searched, ['path:"images/red dot.png"', ''], 'quoted (a space in the name); an image outside the workspace opens the gallery unfiltered');
});
