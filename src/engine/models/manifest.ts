// The model registry: one JSON manifest per known model in the repo's `models/` folder.
// Manifests carry no weights, only where to get them (hub repo + pinned revision) and how to
// check them (byte size + sha256 where known). Every manifest is validated on load so a typo
// fails with the file and field named instead of surfacing later as a confusing download error.
//
// Kinds: "clip" manifests are validated here. Other kinds (e.g. "captioner") get the common
// checks and keep their remaining fields; their owners can add a validator with
// registerManifestKind().
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Precision } from '../types';
import { isPrecision } from './precision';
import { readRegularTextFile } from '../util/files';
import { FILE_LIMITS } from '../util/limits';

export const MANIFEST_SCHEMA_VERSION = 1;
export const DEFAULT_MODEL_ID = 'mobileclip-s0';

/** One file of a hub repo at the pinned revision. */
export interface ManifestFile {
  /** Path inside the repo, forward slashes, e.g. "onnx/vision_model.onnx". */
  path: string;
  /** Exact byte size when known. */
  size?: number;
  /** Lowercase hex sha256 of the contents when known. */
  sha256?: string;
  /** Why a value is missing or where it came from. */
  note?: string;
  /**
   * What the file is reported to weigh when its exact size is not pinned: shown before a
   * download ("Download (46 MB + 43 MB)"), never used to check one.
   */
  approxSize?: number;
}

export interface HubSource {
  /** e.g. "Xenova/mobileclip_s0" */
  repo: string;
  /** A 40-hex commit id (immutable) or, failing that, a branch name. */
  revision: string;
  /** Where the revision and the checksums come from, and what is not pinned. */
  revisionNote?: string;
}

export interface LicenseInfo {
  /** Short identifier, e.g. "apple-amlr". */
  id: string;
  name: string;
  url: string;
  note?: string;
}

interface ManifestBase {
  schemaVersion: number;
  kind: string;
  id: string;
  name: string;
  description?: string;
  hub: HubSource;
  license: LicenseInfo;
}

export interface ClipManifest extends ManifestBase {
  kind: 'clip';
  /** Square input size of the vision tower (informational: the model files are the truth). */
  imageSize: number;
  /** Embedding dimension (informational: read the real one from the ONNX graph). */
  embeddingDim: number;
  contextLength: number;
  /** Precision used when the caller does not ask for one. */
  defaults: { vision: Precision; text: Precision };
  files: {
    tokenizer: ManifestFile;
    tokenizerConfig?: ManifestFile;
    config?: ManifestFile;
    preprocessorConfig?: ManifestFile;
    vision: Partial<Record<Precision, ManifestFile>>;
    text: Partial<Record<Precision, ManifestFile>>;
  };
}

/** A manifest of a kind this module does not know in detail; fields beyond the base are kept as-is. */
export interface OtherManifest extends ManifestBase {
  [field: string]: unknown;
}

export type ModelManifest = ClipManifest | OtherManifest;

export function isClipManifest(m: ModelManifest): m is ClipManifest {
  return m.kind === 'clip';
}

export class ManifestError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    problem: string,
  ) {
    super(`${file}: field "${field}" ${problem}`);
    this.name = 'ManifestError';
  }
}

type KindValidator = (raw: Record<string, unknown>, where: string, base: ManifestBase) => ModelManifest;
const kindValidators = new Map<string, KindValidator>([['clip', validateClip]]);

/** Lets other model kinds (e.g. "captioner") validate their own fields on load. */
export function registerManifestKind(kind: string, validate: KindValidator): void {
  kindValidators.set(kind, validate);
}

/** Validates a parsed manifest; `where` names the file in error messages. */
export function validateManifest(raw: unknown, where: string): ModelManifest {
  const obj = requireObject(raw, where, '(root)');
  const schemaVersion = requireInt(obj, where, 'schemaVersion');
  if (schemaVersion !== MANIFEST_SCHEMA_VERSION) {
    throw new ManifestError(where, 'schemaVersion', `is ${schemaVersion}; this version understands ${MANIFEST_SCHEMA_VERSION}`);
  }
  const kind = requireString(obj, where, 'kind');
  const id = requireString(obj, where, 'id');
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(id)) {
    throw new ManifestError(where, 'id', 'must be lowercase letters, digits, ".", "_" or "-"');
  }
  const hubObj = requireObject(obj.hub, where, 'hub');
  const repo = requireString(hubObj, where, 'hub.repo', 'repo');
  if (!/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(repo)) throw new ManifestError(where, 'hub.repo', 'must look like "owner/name"');
  const revision = requireString(hubObj, where, 'hub.revision', 'revision');
  if (!/^[\w.-]+$/.test(revision) || revision.includes('..')) {
    throw new ManifestError(where, 'hub.revision', 'must be a commit id or a branch name without "/"');
  }
  const licObj = requireObject(obj.license, where, 'license');
  const base: ManifestBase = {
    schemaVersion,
    kind,
    id,
    name: requireString(obj, where, 'name'),
    description: optionalString(obj, where, 'description'),
    hub: { repo, revision, revisionNote: optionalString(hubObj, where, 'hub.revisionNote', 'revisionNote') },
    license: {
      id: requireString(licObj, where, 'license.id', 'id'),
      name: requireString(licObj, where, 'license.name', 'name'),
      url: requireString(licObj, where, 'license.url', 'url'),
      note: optionalString(licObj, where, 'license.note', 'note'),
    },
  };
  const validator = kindValidators.get(kind);
  return validator ? validator(obj, where, base) : ({ ...obj, ...base } as OtherManifest);
}

function validateClip(obj: Record<string, unknown>, where: string, base: ManifestBase): ClipManifest {
  const filesObj = requireObject(obj.files, where, 'files');
  const towers = (name: 'vision' | 'text'): Partial<Record<Precision, ManifestFile>> => {
    const t = requireObject(filesObj[name], where, `files.${name}`);
    const out: Partial<Record<Precision, ManifestFile>> = {};
    for (const [key, value] of Object.entries(t)) {
      if (!isPrecision(key)) throw new ManifestError(where, `files.${name}.${key}`, 'is not a known precision (fp32, fp16, q8, int8, uint8, q4, bnb4)');
      out[key] = validateFile(value, where, `files.${name}.${key}`);
    }
    if (Object.keys(out).length === 0) throw new ManifestError(where, `files.${name}`, 'must list at least one precision');
    return out;
  };
  const optionalFile = (key: string) => (filesObj[key] === undefined ? undefined : validateFile(filesObj[key], where, `files.${key}`));
  const files: ClipManifest['files'] = {
    tokenizer: validateFile(filesObj.tokenizer, where, 'files.tokenizer'),
    tokenizerConfig: optionalFile('tokenizerConfig'),
    config: optionalFile('config'),
    preprocessorConfig: optionalFile('preprocessorConfig'),
    vision: towers('vision'),
    text: towers('text'),
  };
  const defaultsObj = requireObject(obj.defaults, where, 'defaults');
  const defaults = { vision: defaultsObj.vision, text: defaultsObj.text };
  for (const tower of ['vision', 'text'] as const) {
    const p = defaults[tower];
    if (!isPrecision(p) || !files[tower][p]) {
      throw new ManifestError(where, `defaults.${tower}`, `must name a precision listed under files.${tower} (${Object.keys(files[tower]).join(', ')})`);
    }
  }
  return {
    ...base,
    kind: 'clip',
    imageSize: requirePositiveInt(obj, where, 'imageSize'),
    embeddingDim: requirePositiveInt(obj, where, 'embeddingDim'),
    contextLength: requirePositiveInt(obj, where, 'contextLength'),
    defaults: defaults as ClipManifest['defaults'],
    files,
  };
}

/** Validates a `{path, size?, sha256?, note?}` entry; exported for other kinds' validators. */
export function validateFile(raw: unknown, where: string, field: string): ManifestFile {
  const obj = requireObject(raw, where, field);
  const p = requireString(obj, where, `${field}.path`, 'path');
  if (p.startsWith('/') || p.includes('\\') || p.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')) {
    throw new ManifestError(where, `${field}.path`, 'must be a relative path with "/" separators and no "." or ".." segments');
  }
  const file: ManifestFile = { path: p };
  if (obj.size !== undefined) file.size = requirePositiveInt(obj, where, `${field}.size`, 'size');
  if (obj.sha256 !== undefined) {
    const sha = requireString(obj, where, `${field}.sha256`, 'sha256');
    if (!/^[0-9a-f]{64}$/.test(sha)) throw new ManifestError(where, `${field}.sha256`, 'must be 64 lowercase hex characters');
    file.sha256 = sha;
  }
  const note = optionalString(obj, where, `${field}.note`, 'note');
  if (note !== undefined) file.note = note;
  if (obj.approxSize !== undefined) file.approxSize = requirePositiveInt(obj, where, `${field}.approxSize`, 'approxSize');
  return file;
}

function requireObject(value: unknown, where: string, field: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ManifestError(where, field, 'must be an object');
  return value as Record<string, unknown>;
}

function requireString(obj: Record<string, unknown>, where: string, field: string, key = field): string {
  const v = obj[key];
  if (typeof v !== 'string' || v.trim() === '') throw new ManifestError(where, field, 'must be a non-empty string');
  return v;
}

function optionalString(obj: Record<string, unknown>, where: string, field: string, key = field): string | undefined {
  return obj[key] === undefined ? undefined : requireString(obj, where, field, key);
}

function requireInt(obj: Record<string, unknown>, where: string, field: string, key = field): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ManifestError(where, field, 'must be an integer');
  return v;
}

function requirePositiveInt(obj: Record<string, unknown>, where: string, field: string, key = field): number {
  const v = requireInt(obj, where, field, key);
  if (v <= 0) throw new ManifestError(where, field, 'must be a positive integer');
  return v;
}

/** Reads and validates one manifest file. */
export async function loadManifestFile(file: string): Promise<ModelManifest> {
  let text: string;
  try {
    text = await readRegularTextFile(file, { maxBytes: FILE_LIMITS.config });
  } catch (err) {
    throw new Error(`cannot read model manifest ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const manifest = validateManifest(raw, file);
  const expectedId = path.basename(file, '.json');
  if (manifest.id !== expectedId) throw new ManifestError(file, 'id', `is "${manifest.id}" but the file name says "${expectedId}"`);
  return manifest;
}

/**
 * An extra registry folder from `$MOBILECLIP_ASSETS_MODELS_DIR` (a team's private registry or an
 * air-gapped mirror pinning other revisions). Its manifests win over bundled ones with the same id.
 * It comes from the user's environment, never from workspace settings.
 */
export function extraModelsDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.MOBILECLIP_ASSETS_MODELS_DIR?.trim();
  return dir ? path.resolve(dir) : undefined;
}

/** Every manifest in `modelsDir` (plus the extra registry folder), sorted by id; optionally only one kind. Invalid manifests throw. */
export async function listModels(modelsDir: string, kind?: string): Promise<ModelManifest[]> {
  const byId = new Map<string, ModelManifest>();
  const extra = extraModelsDir();
  for (const dir of extra && extra !== path.resolve(modelsDir) ? [modelsDir, extra] : [modelsDir]) {
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch (err) {
      throw new Error(`cannot read the model registry folder ${dir}: ${(err as Error).message}`);
    }
    const manifests = await Promise.all(
      names
        .filter((n) => n.endsWith('.json'))
        .sort()
        .map((n) => loadManifestFile(path.join(dir, n))),
    );
    for (const m of manifests) byId.set(m.id, m);
  }
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id)).filter((m) => kind === undefined || m.kind === kind);
}

/** The manifest with this id, or an error listing the known ids. */
export async function getManifest(id: string, modelsDir: string): Promise<ModelManifest> {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(id)) throw new Error(`"${id}" is not a model id`);
  const extra = extraModelsDir();
  const candidates = [...(extra ? [path.join(extra, `${id}.json`)] : []), path.join(modelsDir, `${id}.json`)];
  let file: string | undefined;
  for (const c of candidates) {
    if (
      await fs.access(c).then(
        () => true,
        () => false,
      )
    ) {
      file = c;
      break;
    }
  }
  if (!file) {
    const known = (await listModels(modelsDir).catch(() => [])).map((m) => m.id); // only to name alternatives in the error
    throw new Error(
      `unknown model "${id}". Known models: ${known.join(', ') || '(none)'}. To use your own model, pass the path of a folder laid out like the Hugging Face ONNX exports.`,
    );
  }
  return loadManifestFile(file);
}
