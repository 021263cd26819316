// What the alt-text quick fix and the file/workspace commands offer for each image without alt
// text: the engine finds the images (findMissingAltText) and ranks the descriptions
// (altTextCandidates); this joins them with what the extension knows about each image (its
// captions and tags). No `vscode` import, so it is unit-tested.
import { altTextCandidates } from '../../../engine/alttext/clean';
import { altLanguageOf, altTextEdit, findMissingAltText, type AltLanguage, type MissingAltText } from '../../../engine/alttext/detect';
import type { Range } from '../../../engine/references/mentions';

/** What the extension knows about one image. */
export interface ImageFacts {
  /** Captions, user captions first. */
  captions: readonly string[];
  /** Tags, most confident first. */
  tags: readonly string[];
}

export interface AltTextDeps {
  /** The workspace image a `src` written in `fromFile` names, if any. */
  resolve(fromFile: string, src: string): string | undefined;
  facts(image: string): ImageFacts;
}

/** Where the descriptions came from (the file/workspace edit groups them by it in its preview). */
export type AltSource = 'captions' | 'tags' | 'file name' | 'none';

export interface AltFix {
  finding: MissingAltText;
  /** The workspace image the finding shows (absolute), when its `src` names one. */
  image?: string;
  /** Descriptions, best first (empty when nothing is known: caption the image first). */
  candidates: string[];
  source: AltSource;
}

/** VS Code language ids whose documents are checked, and the syntax each is read in. */
const BY_LANGUAGE_ID: Record<string, AltLanguage> = {
  markdown: 'markdown',
  mdx: 'markdown',
  html: 'html',
  php: 'html',
  handlebars: 'html',
  astro: 'html',
  javascriptreact: 'jsx',
  typescriptreact: 'jsx',
  vue: 'vue',
  svelte: 'svelte',
};
export const ALT_TEXT_LANGUAGE_IDS = Object.keys(BY_LANGUAGE_ID);

/** The syntax a document is checked in: by its language id, else by its file name (for the workspace command). */
export function altLanguage(languageId: string | undefined, fileName: string): AltLanguage | undefined {
  if (languageId && BY_LANGUAGE_ID[languageId]) return BY_LANGUAGE_ID[languageId];
  const byName = altLanguageOf(fileName);
  // Plain .js/.ts files are code, not templates: only their JSX flavours are checked.
  return byName === 'jsx' && !/\.[jt]sx$/i.test(fileName) ? undefined : byName;
}

/** Every image without alt text in a document, with its descriptions. */
export function planAltText(text: string, language: AltLanguage, file: string, deps: AltTextDeps): AltFix[] {
  return findMissingAltText(text, language).map((finding) => fixFor(finding, file, deps));
}

export function fixFor(finding: MissingAltText, file: string, deps: AltTextDeps): AltFix {
  const src = finding.src?.text;
  const image = src ? deps.resolve(file, src) : undefined;
  if (image) {
    const facts = deps.facts(image);
    if (facts.captions.length) return { finding, image, candidates: altTextCandidates({ captions: facts.captions }), source: 'captions' };
    if (facts.tags.length) return { finding, image, candidates: altTextCandidates({ tags: facts.tags }), source: 'tags' };
    return { finding, image, candidates: [], source: 'none' };
  }
  // Not a workspace image (a URL, a computed path): its file name is all there is.
  const fromName = src ? altTextCandidates({ path: src.replace(/[?#].*$/, '') }) : [];
  return { finding, candidates: fromName, source: fromName.length ? 'file name' : 'none' };
}

/** The text edit that gives a finding `alt`. */
export function altEdit(fix: AltFix, alt: string): { range: Range; newText: string } {
  return altTextEdit(fix.finding, alt);
}

/** True when two ranges overlap or touch (a cursor inside a finding asks for its fix). */
export function touches(a: Range, b: Range): boolean {
  const before = (p: Range['start'], q: Range['start']) => p.line < q.line || (p.line === q.line && p.character < q.character);
  return !before(a.end, b.start) && !before(b.end, a.start);
}
