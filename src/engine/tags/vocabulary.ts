// The tag vocabulary a workspace controls: built-in tags, then the user's settings (a plain
// object), then the committed `.vscode/asset-tags.json`. Later layers override earlier ones tag by
// tag, so a team's committed file has the last word for everyone working on the repository.
//
// File format (JSON with comments, like every file under .vscode/):
//   {
//     "defaults": true,            // start from the built-in vocabulary (default true)
//     "threshold": 0.7,            // default per-tag threshold on the calibrated score, 0..1
//     "minSimilarity": 0.15,       // absolute cosine floor
//     "topK": 5,                   // most suggestions per image, 0 = no limit
//     "tags": {
//       "sprite": { "prompts": ["a pixel art sprite.", "a {} sheet."], "threshold": 0.8 },
//       "mascot": ["a cartoon mascot character."],      // list = prompts
//       "robot": { "phrases": ["a robot"] },             // phrases go through the templates
//       "logo": { "threshold": 0.85 },                   // keep built-in prompts, change threshold
//       "photo": false,                                   // disable a built-in tag
//       "hero": {}                                        // prompts from the name via templates
//     }
//   }
// In a prompt, "{}" stands for the tag's name as words ("ui-mockup" -> "ui mockup").
import * as path from 'node:path';
// The ESM build: the package's UMD main loads its parts with a dynamic require that bundlers cannot follow.
import { applyEdits, findNodeAtLocation, modify, parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser/lib/esm/main.js';
import { DEFAULT_MIN_SIMILARITY, DEFAULT_TAGS, DEFAULT_THRESHOLD, DEFAULT_TOP_K, GENERIC_NULL_PROMPTS, NULL_PHRASES, SUBJECT_TEMPLATES } from './defaults';
import { checkTagName, describe, tagPhrase } from './names';
import { readRegularFileIfExists } from '../util/files';
import { FILE_LIMITS } from '../util/limits';

export const VOCABULARY_FILE = '.vscode/asset-tags.json';
const MAX_PROMPTS_PER_TAG = 64;
const MAX_PROMPT_LENGTH = 300;

export interface TagDefinition {
  name: string;
  /** Texts whose normalized mean embedding represents the tag. */
  prompts: string[];
  /** Texts whose normalized mean embedding is the tag's "nothing in particular" background. */
  background: string[];
  /** Overrides the vocabulary's threshold for this tag. */
  threshold?: number;
  /** Where the tag's current definition came from ("built-in", a file path, "settings", ...). */
  origin: string;
}

export interface TagVocabulary {
  tags: TagDefinition[];
  /** Default threshold on the calibrated score (0..1) for tags without their own. */
  threshold: number;
  /** Absolute cosine floor below which no tag is suggested. */
  minSimilarity: number;
  /** Most auto-suggested tags per image; 0 = no limit. */
  topK: number;
  /** Problems found in non-strict mode (the offending items were skipped). */
  issues: string[];
}

/** One layer of configuration: a parsed object plus where it came from, for error messages. */
export interface VocabularyLayer {
  /** Shown in errors: a file path, "settings", ... */
  source: string;
  value: unknown;
  /** Original text, when the layer is a file: lets errors point at a line and column. */
  text?: string;
}

export class TagVocabularyError extends Error {
  constructor(readonly issues: string[]) {
    super(issues.length === 1 ? issues[0] : `invalid tag vocabulary:\n  ${issues.join('\n  ')}`);
    this.name = 'TagVocabularyError';
  }
}

export interface LoadVocabularyOptions {
  /** Throw TagVocabularyError on any problem (default). Otherwise skip bad items and list them in `issues`. */
  strict?: boolean;
  /** Name the settings object goes by in messages (default "settings"). */
  settingsName?: string;
  /** Use this file instead of `<folder>/.vscode/asset-tags.json` (e.g. the CLI's --vocab). */
  file?: string;
}

/**
 * The vocabulary for a workspace folder: built-ins, then `settingsVocab`, then the folder's
 * `.vscode/asset-tags.json` (a missing file is fine).
 */
export async function loadTagVocabulary(folder: string, settingsVocab?: unknown, options: LoadVocabularyOptions = {}): Promise<TagVocabulary> {
  const layers: VocabularyLayer[] = [];
  if (settingsVocab !== undefined && settingsVocab !== null) {
    layers.push({ source: options.settingsName ?? 'settings', value: settingsVocab });
  }
  const file = options.file ? path.resolve(options.file) : path.join(folder, VOCABULARY_FILE);
  const layer = await readVocabularyFile(file, options.file !== undefined);
  if (layer) layers.push(layer);
  return buildVocabulary(layers, options);
}

/** A vocabulary made of exactly these tag names (the CLI's `--tags a,b,c`), prompts from templates. */
export function vocabularyFromNames(names: readonly string[], options: { threshold?: number; topK?: number; minSimilarity?: number } = {}): TagVocabulary {
  const tags: Record<string, unknown> = {};
  for (const n of names) {
    const checked = checkTagName(n);
    if ('error' in checked) throw new TagVocabularyError([checked.error]);
    tags[checked.name] = {};
  }
  return buildVocabulary([{ source: '--tags', value: { defaults: false, tags, ...options } }], { strict: true });
}

async function readVocabularyFile(file: string, required: boolean): Promise<VocabularyLayer | undefined> {
  let text: string | undefined;
  try {
    text = (await readRegularFileIfExists(file, { maxBytes: FILE_LIMITS.metadata }))?.toString('utf8');
  } catch (err) {
    throw new TagVocabularyError([`${file}: cannot read: ${(err as Error).message}`]);
  }
  if (text === undefined) {
    if (!required) return undefined;
    throw new TagVocabularyError([`${file}: cannot read: file not found`]);
  }
  return { source: file, text, value: undefined };
}

/**
 * A `.vscode/asset-tags.json` that spells out the built-in vocabulary (the same tags, prompts and
 * thresholds the extension uses without a file), with comments on how to change it: what "Edit
 * Vocabulary" creates when a workspace has no file yet.
 */
export function vocabularyFileTemplate(): string {
  const tagLines = DEFAULT_TAGS.map((t, i) => {
    const body = t.prompts ? `{ "prompts": ${JSON.stringify(t.prompts)} }` : `{ "phrases": ${JSON.stringify(t.phrases ?? [])} }`;
    return `    ${JSON.stringify(t.name)}: ${body}${i < DEFAULT_TAGS.length - 1 ? ',' : ''}`;
  });
  return [
    '// Tag vocabulary of this workspace (MobileCLIP Assets). Commit it: the team tags with the same words.',
    '// Each tag is described by prompts (whole sentences) or phrases (filled into templates such as',
    '// "a photo of {}.", "an icon of {}."). Add your own, change prompts, set a tag to false to drop it.',
    '//   "error-state": ["an error message on a screen."],',
    '//   "robot": { "phrases": ["a robot"], "threshold": 0.8 },',
    '//   "photo": false',
    '// threshold: how sure (0..1) a tag must be before it is suggested; lower it when too few images get tags.',
    '// Only the tags listed below are used ("defaults": true adds the built-in ones that are not listed).',
    '{',
    '  "defaults": false,',
    `  "threshold": ${DEFAULT_THRESHOLD},`,
    `  "minSimilarity": ${DEFAULT_MIN_SIMILARITY},`,
    `  "topK": ${DEFAULT_TOP_K},`,
    '  "tags": {',
    ...tagLines,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** `text` (a vocabulary file, comments kept) with its default threshold set to `threshold`. */
export function withVocabularyThreshold(text: string, threshold: number): string {
  if (!isUnitNumber(threshold)) throw new Error(`threshold must be between 0 and 1, got ${String(threshold)}`);
  const edits = modify(text, ['threshold'], threshold, { formattingOptions: { insertSpaces: true, tabSize: 2, eol: '\n' } });
  return applyEdits(text, edits);
}

/** Merge layers over the built-in vocabulary. Exported for tests and callers with in-memory specs. */
export function buildVocabulary(layers: readonly VocabularyLayer[], options: { strict?: boolean } = {}): TagVocabulary {
  const issues: string[] = [];
  let useDefaults = true;
  let threshold = DEFAULT_THRESHOLD;
  let minSimilarity = DEFAULT_MIN_SIMILARITY;
  let topK = DEFAULT_TOP_K;
  // Tag name -> definition or `false` (disabled). Map keeps first-declared order.
  const defs = new Map<string, TagDefinition | false>();
  const parsed: { layer: VocabularyLayer; spec: Record<string, unknown>; report: Reporter }[] = [];

  for (const layer of layers) {
    const report = reporter(layer, issues);
    let value = layer.value;
    if (layer.text !== undefined) {
      const errors: ParseError[] = [];
      const tree = parseTree(layer.text, errors, { allowTrailingComma: true, disallowComments: false });
      if (errors.length > 0 || !tree) {
        const e = errors[0];
        issues.push(`${layer.source}${e ? ':' + lineCol(layer.text, e.offset) : ''}: invalid JSON: ${e ? printParseErrorCode(e.error) : 'empty file'}`);
        continue;
      }
      report.tree = tree;
      value = nodeValue(tree);
    }
    if (!isPlainObject(value)) {
      report([], `must be an object, got ${describe(value)}`);
      continue;
    }
    parsed.push({ layer, spec: value, report });
    if (value.defaults !== undefined) {
      if (typeof value.defaults === 'boolean') useDefaults = value.defaults;
      else report(['defaults'], `must be true or false, got ${describe(value.defaults)}`);
    }
  }

  const builtins = new Map(DEFAULT_TAGS.map((t) => [t.name, { name: t.name, ...describePrompts(t.name, t.prompts, t.phrases), origin: 'built-in' }]));
  if (useDefaults) for (const [name, def] of builtins) defs.set(name, def);

  for (const { layer, spec, report } of parsed) {
    for (const key of Object.keys(spec)) {
      if (!['$schema', 'defaults', 'threshold', 'minSimilarity', 'topK', 'tags'].includes(key)) {
        report([key], `unknown key${'name' in checkTagName(key) ? ' (tags go under "tags": { ... })' : ''}`);
      }
    }
    if (spec.threshold !== undefined) {
      if (isUnitNumber(spec.threshold)) threshold = spec.threshold;
      else report(['threshold'], `must be a number between 0 and 1, got ${describe(spec.threshold)}`);
    }
    if (spec.minSimilarity !== undefined) {
      if (typeof spec.minSimilarity === 'number' && spec.minSimilarity >= -1 && spec.minSimilarity <= 1) minSimilarity = spec.minSimilarity;
      else report(['minSimilarity'], `must be a cosine similarity between -1 and 1, got ${describe(spec.minSimilarity)}`);
    }
    if (spec.topK !== undefined) {
      if (Number.isInteger(spec.topK) && (spec.topK as number) >= 0) topK = spec.topK as number;
      else report(['topK'], `must be a whole number >= 0 (0 = no limit), got ${describe(spec.topK)}`);
    }
    if (spec.tags === undefined) continue;
    if (!isPlainObject(spec.tags)) {
      report(['tags'], `must be an object mapping tag names to prompts or settings, got ${describe(spec.tags)}`);
      continue;
    }
    for (const [rawName, tagSpec] of Object.entries(spec.tags)) {
      const checked = checkTagName(rawName);
      if ('error' in checked) {
        report(['tags', rawName], checked.error);
        continue;
      }
      applyTagSpec(defs, builtins, checked.name, tagSpec, layer.source, (msg, sub = []) => report(['tags', rawName, ...sub], msg));
    }
  }

  if (issues.length > 0 && options.strict !== false) throw new TagVocabularyError(issues);
  const tags = [...defs.values()].filter((d): d is TagDefinition => d !== false);
  return { tags, threshold, minSimilarity, topK, issues };
}

function applyTagSpec(
  defs: Map<string, TagDefinition | false>,
  builtins: ReadonlyMap<string, TagDefinition>,
  name: string,
  spec: unknown,
  source: string,
  report: (msg: string, sub?: (string | number)[]) => void,
): void {
  const previous = defs.get(name) || undefined;
  // A new tag (or a built-in re-enabled after `defaults: false` or an earlier `false`).
  const fresh = (): TagDefinition => builtins.get(name) ?? { name, ...describePrompts(name), origin: source };
  if (spec === false || spec === null) {
    defs.set(name, false);
    return;
  }
  if (spec === true) {
    defs.set(name, previous ?? fresh());
    return;
  }
  if (Array.isArray(spec)) {
    const prompts = checkPromptList(spec, report, []);
    if (prompts) defs.set(name, { name, ...describePrompts(name, prompts), threshold: previous?.threshold, origin: source });
    return;
  }
  if (!isPlainObject(spec)) {
    report(`must be true, false, a list of prompts or an object { "prompts", "phrases", "threshold", "enabled" }, got ${describe(spec)}`);
    return;
  }
  let ok = true;
  for (const key of Object.keys(spec)) {
    if (!['prompts', 'phrases', 'threshold', 'enabled'].includes(key)) {
      report('unknown key (expected "prompts", "phrases", "threshold" or "enabled")', [key]);
      ok = false;
    }
  }
  if (spec.enabled !== undefined && typeof spec.enabled !== 'boolean') {
    report(`must be true or false, got ${describe(spec.enabled)}`, ['enabled']);
    ok = false;
  }
  let threshold: number | undefined;
  if (spec.threshold !== undefined) {
    if (isUnitNumber(spec.threshold)) threshold = spec.threshold;
    else {
      report(`must be a number between 0 and 1, got ${describe(spec.threshold)}`, ['threshold']);
      ok = false;
    }
  }
  const prompts = spec.prompts === undefined ? undefined : checkPromptList(spec.prompts, report, ['prompts']);
  const phrases = spec.phrases === undefined ? undefined : checkPromptList(spec.phrases, report, ['phrases']);
  if ((spec.prompts !== undefined && !prompts) || (spec.phrases !== undefined && !phrases)) ok = false;
  if (!ok) return; // a half-valid tag would behave unlike what the user wrote: skip it entirely
  if (spec.enabled === false) {
    defs.set(name, false);
    return;
  }
  const base = prompts || phrases ? { name, ...describePrompts(name, prompts, phrases), origin: source } : (previous ?? fresh());
  defs.set(name, { ...base, threshold: threshold ?? previous?.threshold });
}

function checkPromptList(value: unknown, report: (msg: string, sub?: (string | number)[]) => void, at: (string | number)[]): string[] | undefined {
  if (!Array.isArray(value)) {
    report(`must be a list of strings, got ${describe(value)}`, at);
    return undefined;
  }
  if (value.length === 0) {
    report('must not be empty (remove the key to use the default prompts)', at);
    return undefined;
  }
  if (value.length > MAX_PROMPTS_PER_TAG) {
    report(`has ${value.length} entries; at most ${MAX_PROMPTS_PER_TAG} are allowed`, at);
    return undefined;
  }
  const out: string[] = [];
  let ok = true;
  value.forEach((p, i) => {
    if (typeof p !== 'string' || p.trim() === '') {
      report(`must be a non-empty string, got ${describe(p)}`, [...at, i]);
      ok = false;
    } else if (p.length > MAX_PROMPT_LENGTH) {
      report(`is longer than ${MAX_PROMPT_LENGTH} characters (the text model sees 77 tokens at most)`, [...at, i]);
      ok = false;
    } else out.push(p.trim());
  });
  return ok ? out : undefined;
}

/**
 * Expand a tag's prompts and phrases into the texts to embed, each with its matching background:
 * "{}" prompts and phrases (via SUBJECT_TEMPLATES) get the same templates filled with
 * NULL_PHRASES; verbatim prompts get GENERIC_NULL_PROMPTS. No prompts and no phrases means the
 * tag's own name is the phrase.
 */
function describePrompts(name: string, prompts?: readonly string[], phrases?: readonly string[]): { prompts: string[]; background: string[] } {
  const texts: string[] = [];
  const background: string[] = [];
  const templated = (template: string, fill: string) => {
    texts.push(template.replaceAll('{}', fill));
    for (const n of NULL_PHRASES) background.push(template.replaceAll('{}', n));
  };
  for (const p of prompts ?? []) {
    if (p.includes('{}')) templated(p, tagPhrase(name));
    else {
      texts.push(p);
      background.push(...GENERIC_NULL_PROMPTS);
    }
  }
  const allPhrases = phrases ?? (prompts ? [] : [tagPhrase(name)]);
  for (const phrase of allPhrases) for (const t of SUBJECT_TEMPLATES) templated(t, phrase);
  return { prompts: dedupe(texts), background: dedupe(background) };
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

// --- error reporting -----------------------------------------------------------------------

interface Reporter {
  (at: (string | number)[], message: string): void;
  tree?: JsonNode;
}

function reporter(layer: VocabularyLayer, issues: string[]): Reporter {
  const report: Reporter = (at, message) => {
    let where = layer.source;
    if (report.tree && layer.text !== undefined) {
      // Point at the deepest node that exists on the way to `at`.
      for (let n = at.length; n >= 0; n--) {
        const node = findNodeAtLocation(report.tree, at.slice(0, n));
        if (node) {
          const target = n === at.length && node.parent?.type === 'property' ? node.parent : node;
          where += ':' + lineCol(layer.text, target.offset);
          break;
        }
      }
    }
    issues.push(`${where}: ${at.length ? keyPath(at) + ': ' : ''}${message}`);
  };
  return report;
}

function keyPath(at: (string | number)[]): string {
  return at.map((k, i) => (typeof k === 'number' ? `[${k}]` : /^[A-Za-z_$][\w$-]*$/.test(k) ? (i ? '.' : '') + k : `[${JSON.stringify(k)}]`)).join('');
}

function lineCol(text: string, offset: number): string {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return `${line}:${offset - last}`;
}

/** Plain value of a jsonc-parser tree (duplicate keys: the last one wins, as in JSON.parse). */
function nodeValue(node: JsonNode): unknown {
  switch (node.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const prop of node.children ?? []) {
        const [k, v] = prop.children ?? [];
        // defineProperty: a "__proto__" key must stay a plain key, not replace the prototype.
        if (k && v) Object.defineProperty(out, k.value as string, { value: nodeValue(v), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 'array':
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isUnitNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;
}
