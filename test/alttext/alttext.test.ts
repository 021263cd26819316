// Alt text: the detector (Markdown, HTML, JSX/TSX, Vue, Svelte), the edit it proposes, and the
// cleaner that turns captions (or tags, or a file name) into short descriptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { altLanguageOf, altTextEdit, findMissingAltText, type AltLanguage, type MissingAltText } from '../../src/engine/alttext/detect';
import { altTextCandidates, cleanAltText, fileNameDescription } from '../../src/engine/alttext/clean';

/** Each finding as `line:col kind src`, 1-based. */
function found(text: string, language: AltLanguage): string[] {
  return findMissingAltText(text, language).map((f) => `${f.range.start.line + 1}:${f.range.start.character + 1} ${f.kind} ${f.src?.text ?? '-'}`);
}

/** Apply the alt edit of each finding (last first) to the text. */
function fix(text: string, language: AltLanguage, alt: string): string {
  const lines = text.split('\n');
  const findings: MissingAltText[] = findMissingAltText(text, language).reverse();
  for (const f of findings) {
    const { range, newText } = altTextEdit(f, alt);
    const line = lines[range.start.line]!;
    lines[range.start.line] = line.slice(0, range.start.character) + newText + line.slice(range.end.character);
  }
  return lines.join('\n');
}

test('Markdown: empty alt is found (also with spaces and titles); written alt, code and escaped images are not', () => {
  const md = [
    '![](images/logo.png)',
    'Text ![ ](<images/my logo.png> "Title") and ![Logo](images/logo.png).',
    '`![](in/code.png)` \\![](escaped.png)',
    '```',
    '![](fenced.png)',
    '```',
    '<img src="raw-html.png">',
    '<img src="decorative.png" alt="">',
  ].join('\n');
  assert.deepEqual(found(md, 'markdown'), ['1:1 markdown-empty-alt images/logo.png', '2:6 markdown-empty-alt images/my logo.png', '7:1 img-without-alt raw-html.png']);
  assert.equal(
    fix(md, 'markdown', 'Company [logo]').split('\n').slice(0, 2).join('\n'),
    '![Company \\[logo\\]](images/logo.png)\nText ![Company \\[logo\\]](<images/my logo.png> "Title") and ![Logo](images/logo.png).',
  );
});

test('HTML: <img> without alt is found; alt="", decorative roles, comments and scripts are left alone', () => {
  const html = [
    '<IMG SRC="a.png">',
    '<img src="b.png" alt="">',
    '<img src="c.png" role="presentation"><img aria-hidden="true" src="d.png">',
    '<!-- <img src="e.png"> -->',
    '<script>const s = "<img src=f.png>";</script>',
    '<img',
    '  class="x" src=g.png',
    '/>',
    '<image href="h.png"/><imgx src="i.png">',
  ].join('\n');
  assert.deepEqual(found(html, 'html'), ['1:1 img-without-alt a.png', '6:1 img-without-alt g.png']);
  assert.equal(fix('<img src="a.png">', 'html', 'Say "hi" & wave'), '<img alt="Say &quot;hi&quot; &amp; wave" src="a.png">');
});

test('JSX/TSX: literal, imported and required sources; spread props may carry alt; <Img> is a component', () => {
  const tsx = [
    "import logo from './logo.png';",
    "const hero = require('../hero.jpg');",
    'export const A = () => (<div>',
    '  <img src={logo} className="x" />',
    "  <img src={hero} onLoad={() => { if (a > b) f('}'); }} />",
    '  <img src="/static/c.svg" />',
    "  <img src={'quoted.png'} />",
    '  <img src={logo} alt={t("logo")} />',
    '  <img {...props} />',
    '  <Img src={logo} />',
    '</div>);',
  ].join('\n');
  assert.deepEqual(found(tsx, 'jsx'), ['4:3 img-without-alt ./logo.png', '5:3 img-without-alt ../hero.jpg', '6:3 img-without-alt /static/c.svg', '7:3 img-without-alt quoted.png']);
  assert.match(fix(tsx, 'jsx', 'Logo'), /<img alt="Logo" src=\{logo\} className="x" \/>/);
});

test('Vue and Svelte templates: bound and shorthand attributes count, <script> is skipped', () => {
  const vue = [
    '<template>',
    '  <img :src="logo" />',
    '  <img v-bind:src="logo" :alt="label" />',
    '  <img src="./static.png">',
    '</template>',
    "<script>import logo from './logo.png'; const t = '<img src=x.png>';</script>",
  ].join('\n');
  assert.deepEqual(found(vue, 'vue'), ['2:3 img-without-alt ./logo.png', '4:3 img-without-alt ./static.png']);
  const svelte = ['<script>import src from "./pic.png"; let alt = "x";</script>', '<img {src} />', '<img {src} {alt} />', '<img src={src} {...$$restProps} />'].join('\n');
  assert.deepEqual(found(svelte, 'svelte'), ['2:1 img-without-alt ./pic.png']);
});

test('languages come from file names', () => {
  assert.deepEqual(['a.md', 'b.MDX', 'c.html', 'd.tsx', 'e.vue', 'f.svelte', 'g.css', 'h'].map(altLanguageOf), [
    'markdown',
    'markdown',
    'html',
    'jsx',
    'vue',
    'svelte',
    undefined,
    undefined,
  ]);
});

test('the cleaner: no "an image of", no trailing period, no stutter, first letter capital, cut at a word', () => {
  const cases: Array<[string, string]> = [
    ['an image of a red circle on a white background.', 'Red circle on a white background'],
    ['A picture of a cat sitting on a couch', 'Cat sitting on a couch'],
    ['this is a photo of the eiffel tower at night', 'The eiffel tower at night'],
    ['there is a black and white photo showing a dog', 'Dog'],
    ['a a man riding a a skateboard skateboard', 'Man riding a skateboard'],
    ['a cat sitting on a bench sitting on a bench sitting on a bench.', 'Cat sitting on a bench'],
    ['  "a drawing of a house."  ', 'Drawing of a house'],
    ['Image: company logo', 'Company logo'],
    ['a photograph', 'Photograph'],
  ];
  for (const [raw, want] of cases) assert.equal(cleanAltText(raw), want, raw);
  const long = 'a large group of people standing around a table with many plates of food and glasses of wine in a bright room with windows';
  const short = cleanAltText(long, { maxLength: 60 });
  assert.ok(short.length <= 60, short);
  assert.equal(short, 'Large group of people standing around a table with many');
});

test("candidates: people's captions first, then generated ones by score, distinct; tags, then the file name, without captions", () => {
  assert.deepEqual(altTextCandidates({ userCaptions: ['Our logo'], captions: ['an image of a red circle', 'a red circle.', 'a red disc on white'], scores: [0.2, 0.1, 0.3] }), [
    'Our logo',
    'Red disc on white',
    'Red circle',
  ]);
  assert.deepEqual(altTextCandidates({ tags: ['icon', 'red', 'circle', 'shape'] }), ['Icon, red, circle', 'Icon', 'Red', 'Circle']);
  assert.deepEqual(altTextCandidates({ path: 'assets/logo-final_2@2x.png' }), ['Logo final 2']);
  assert.deepEqual(altTextCandidates({}), []);
  assert.equal(fileNameDescription('img/HeroBanner.webp'), 'hero banner');
});
