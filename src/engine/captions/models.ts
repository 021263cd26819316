// Captioner models: `models/captioner-*.json` manifests ("kind": "captioner") in the same
// registry as the CLIP models, and local folders in the Transformers.js export layout.
//
// A captioner manifest lists, per ONNX session Transformers.js opens for the architecture, one
// file per precision. Transformers.js picks the file from the precision by its own naming rule
// (`onnx/<session><suffix>.onnx`), so manifests are checked against that rule on load.
//
//   "architecture": "vision-encoder-decoder" (sessions encoder_model, decoder_model_merged)
//                 | "florence2" (sessions vision_encoder, embed_tokens, encoder_model, decoder_model_merged)
//   "defaults": { "<session>": "<precision>" }
//   "files": { "config", "generationConfig", "preprocessorConfig", "tokenizer", "tokenizerConfig",
//              "sessions": { "<session>": { "<precision>": { "path", "size"?, "sha256"? } } } }
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Precision } from '../types';
import { ModelNotDownloadedError } from '../models/errors';
import { cachedSha256 } from '../models/fileHash';
import { findMissingFiles, type HubFilePlan } from '../models/hub';
import { getManifest, listModels, ManifestError, registerManifestKind, validateFile, type ManifestFile, type ModelManifest } from '../models/manifest';
import { DEFAULT_HUB_HOST, defaultModelsDir, hubFileDest, hubRevisionDir, isModelPath, localModelDir } from '../models/paths';
import { isPrecision, onnxFileName, PRECISION_PREFERENCE } from '../models/precision';
import { readRegularTextFile } from '../util/files';
import { FILE_LIMITS } from '../util/limits';

export const DEFAULT_CAPTIONER_ID = 'captioner-vit-gpt2';

export type CaptionerArchitecture = 'vision-encoder-decoder' | 'florence2';

/** The ONNX sessions Transformers.js 4.x opens for each architecture. */
export const CAPTIONER_SESSIONS: Readonly<Record<CaptionerArchitecture, readonly string[]>> = {
  'vision-encoder-decoder': ['encoder_model', 'decoder_model_merged'],
  florence2: ['vision_encoder', 'embed_tokens', 'encoder_model', 'decoder_model_merged'],
};

/** config.json `model_type` -> architecture. */
const MODEL_TYPES: Readonly<Record<string, CaptionerArchitecture>> = {
  'vision-encoder-decoder': 'vision-encoder-decoder',
  florence2: 'florence2',
};

const COMMON_FILES = ['config', 'generationConfig', 'preprocessorConfig', 'tokenizer', 'tokenizerConfig'] as const;
type CommonFile = (typeof COMMON_FILES)[number];

export interface CaptionerManifest extends Omit<ModelManifest, 'kind'> {
  kind: 'captioner';
  architecture: CaptionerArchitecture;
  /** Precision per session when the caller does not ask for one. */
  defaults: Record<string, Precision>;
  files: Record<CommonFile, ManifestFile> & { sessions: Record<string, Partial<Record<Precision, ManifestFile>>> };
}

export function isCaptionerManifest(m: ModelManifest): m is ModelManifest & CaptionerManifest {
  return m.kind === 'captioner';
}

function validateCaptioner(raw: Record<string, unknown>, where: string, base: Omit<ModelManifest, 'kind'> & { kind: string }): ModelManifest {
  const architecture = raw.architecture;
  if (typeof architecture !== 'string' || !(architecture in CAPTIONER_SESSIONS)) {
    throw new ManifestError(where, 'architecture', `must be one of ${Object.keys(CAPTIONER_SESSIONS).join(', ')}`);
  }
  const arch = architecture as CaptionerArchitecture;
  const filesObj = raw.files;
  if (!filesObj || typeof filesObj !== 'object' || Array.isArray(filesObj)) throw new ManifestError(where, 'files', 'must be an object');
  const f = filesObj as Record<string, unknown>;
  const common = Object.fromEntries(COMMON_FILES.map((k) => [k, validateFile(f[k], where, `files.${k}`)])) as Record<CommonFile, ManifestFile>;
  const sessionsObj = f.sessions;
  if (!sessionsObj || typeof sessionsObj !== 'object' || Array.isArray(sessionsObj)) throw new ManifestError(where, 'files.sessions', 'must be an object');
  const sessions: Record<string, Partial<Record<Precision, ManifestFile>>> = {};
  for (const session of CAPTIONER_SESSIONS[arch]) {
    const perPrecision = (sessionsObj as Record<string, unknown>)[session];
    if (!perPrecision || typeof perPrecision !== 'object' || Array.isArray(perPrecision)) {
      throw new ManifestError(where, `files.sessions.${session}`, `must list the ${session} files of a ${arch} model`);
    }
    const out: Partial<Record<Precision, ManifestFile>> = {};
    for (const [precision, value] of Object.entries(perPrecision as Record<string, unknown>)) {
      const field = `files.sessions.${session}.${precision}`;
      if (!isPrecision(precision)) throw new ManifestError(where, field, 'is not a known precision (fp32, fp16, q8, int8, uint8, q4, bnb4)');
      const file = validateFile(value, where, field);
      const expected = `onnx/${onnxFileName(session, precision)}`;
      if (file.path !== expected) throw new ManifestError(where, `${field}.path`, `must be "${expected}" (the file Transformers.js loads for ${precision})`);
      out[precision] = file;
    }
    if (!Object.keys(out).length) throw new ManifestError(where, `files.sessions.${session}`, 'must list at least one precision');
    sessions[session] = out;
  }
  const defaultsObj = raw.defaults;
  if (!defaultsObj || typeof defaultsObj !== 'object' || Array.isArray(defaultsObj)) throw new ManifestError(where, 'defaults', 'must be an object');
  const defaults: Record<string, Precision> = {};
  for (const session of CAPTIONER_SESSIONS[arch]) {
    const p = (defaultsObj as Record<string, unknown>)[session];
    if (!isPrecision(p) || !sessions[session]![p]) {
      throw new ManifestError(where, `defaults.${session}`, `must name a precision listed under files.sessions.${session} (${Object.keys(sessions[session]!).join(', ')})`);
    }
    defaults[session] = p;
  }
  return { ...raw, ...base, kind: 'captioner', architecture: arch, defaults, files: { ...common, sessions } } as unknown as ModelManifest;
}

registerManifestKind('captioner', validateCaptioner as Parameters<typeof registerManifestKind>[1]);

/** A captioner ready for the worker: its folder, the precision of each session and an identity. */
export interface ResolvedCaptioner {
  /** Registry id or "local:<dir>". */
  id: string;
  dir: string;
  architecture: CaptionerArchitecture;
  dtype: Record<string, Precision>;
  /** Hash of the exact files (pinned checksums for registry models, file sha256s for folders). */
  fingerprint: string;
}

export interface CaptionerResolveOptions {
  /** Where downloaded models live (the same cache as the CLIP models). */
  cacheDir: string;
  modelsDir?: string;
  /** Precision for every session, or per session; default: the manifest's defaults / best present. */
  dtype?: Precision | Record<string, Precision>;
  baseDir?: string;
  host?: string;
}

/** Every captioner manifest of the registry. */
export async function listCaptioners(modelsDir = defaultModelsDir()): Promise<CaptionerManifest[]> {
  return (await listModels(modelsDir, 'captioner')) as unknown as CaptionerManifest[];
}

/** The captioner manifest with this id (errors name the known captioners). */
export async function getCaptionerManifest(id: string, modelsDir = defaultModelsDir()): Promise<CaptionerManifest> {
  const m = await getManifest(id, modelsDir);
  if (!isCaptionerManifest(m)) throw new Error(`model "${id}" is a ${m.kind} model, not a captioner; captioners: ${(await listCaptioners(modelsDir)).map((c) => c.id).join(', ')}`);
  return m;
}

function chosenDtype(sessions: readonly string[], asked: CaptionerResolveOptions['dtype'], fallback: (s: string) => Precision | undefined): Record<string, Precision> {
  const out: Record<string, Precision> = {};
  for (const s of sessions) {
    const p = typeof asked === 'string' ? asked : (asked?.[s] ?? fallback(s));
    if (p) out[s] = p;
  }
  return out;
}

/** The hub files a registry captioner needs at the chosen precisions (for the downloader). */
export function captionerFilePlan(manifest: CaptionerManifest, dtype?: CaptionerResolveOptions['dtype']): { plan: HubFilePlan; dtype: Record<string, Precision> } {
  const sessions = CAPTIONER_SESSIONS[manifest.architecture];
  const chosen = chosenDtype(sessions, dtype, (s) => manifest.defaults[s]);
  const files: ManifestFile[] = COMMON_FILES.map((k) => manifest.files[k]);
  for (const s of sessions) {
    const file = manifest.files.sessions[s]![chosen[s]!];
    if (!file) throw new Error(`captioner "${manifest.id}" has no ${chosen[s]} ${s}; available: ${Object.keys(manifest.files.sessions[s]!).join(', ')}`);
    files.push(file);
  }
  return {
    plan: { id: manifest.id, repo: manifest.hub.repo, revision: manifest.hub.revision, files: files.map(({ path: p, size, sha256 }) => ({ path: p, size, sha256 })) },
    dtype: chosen,
  };
}

/**
 * Resolves a captioner id or folder without touching the network. A registry captioner that is
 * not (fully) downloaded throws ModelNotDownloadedError naming each missing file.
 */
export async function resolveCaptioner(spec: string = DEFAULT_CAPTIONER_ID, opts: CaptionerResolveOptions): Promise<ResolvedCaptioner> {
  const trimmed = spec.trim();
  if (isModelPath(trimmed)) {
    return resolveCaptionerFolder(localModelDir(trimmed, opts.baseDir), opts);
  }
  const manifest = await getCaptionerManifest(trimmed, opts.modelsDir ?? defaultModelsDir());
  const { plan, dtype } = captionerFilePlan(manifest, opts.dtype);
  const missing = await findMissingFiles(plan, opts.cacheDir, opts.host ?? DEFAULT_HUB_HOST);
  if (missing.length) throw new ModelNotDownloadedError(manifest.id, missing);
  const identity = async (f: ManifestFile) => f.sha256 ?? (await cachedSha256([hubFileDest(opts.cacheDir, plan.repo, plan.revision, f.path)], opts.cacheDir))[0];
  const files: Array<[string, string]> = [];
  for (const f of plan.files) files.push([f.path, await identity(f)]);
  return {
    id: manifest.id,
    dir: hubRevisionDir(opts.cacheDir, plan.repo, plan.revision),
    architecture: manifest.architecture,
    dtype,
    fingerprint: digest({ source: 'hub', repo: plan.repo, revision: plan.revision, files }),
  };
}

export class CaptionerFolderError extends Error {
  constructor(
    readonly dir: string,
    readonly problems: string[],
  ) {
    super(
      `The captioner folder ${dir} cannot be used:\n${problems.map((p) => `  - ${p}`).join('\n')}\nExpected a Transformers.js export: config.json (model_type vision-encoder-decoder or florence2), generation_config.json, preprocessor_config.json, tokenizer.json, tokenizer_config.json and onnx/<session>[_<precision>].onnx files.`,
    );
    this.name = 'CaptionerFolderError';
  }
}

async function resolveCaptionerFolder(dir: string, opts: CaptionerResolveOptions): Promise<ResolvedCaptioner> {
  const st = await fs.stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new CaptionerFolderError(dir, [st ? 'this is a file, not a folder' : 'the folder does not exist']);
  const problems: string[] = [];
  let architecture: CaptionerArchitecture | undefined;
  try {
    const config = JSON.parse(await readRegularTextFile(path.join(dir, 'config.json'), { maxBytes: FILE_LIMITS.config })) as { model_type?: unknown };
    architecture = typeof config.model_type === 'string' ? MODEL_TYPES[config.model_type] : undefined;
    if (!architecture) problems.push(`config.json has model_type ${JSON.stringify(config.model_type)}; supported: ${Object.keys(MODEL_TYPES).join(', ')}`);
  } catch (err) {
    problems.push(`config.json cannot be read: ${(err as Error).message.split('\n')[0]}`);
  }
  const present = new Set(await fs.readdir(path.join(dir, 'onnx')).catch(() => [] as string[]));
  const common = ['preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];
  const isFile = async (p: string) => (await fs.stat(p).catch(() => undefined))?.isFile() ?? false;
  for (const name of common) if (!(await isFile(path.join(dir, name)))) problems.push(`${name} is missing`);
  if (problems.length || !architecture) throw new CaptionerFolderError(dir, problems);

  const sessions = CAPTIONER_SESSIONS[architecture];
  const dtype = chosenDtype(sessions, opts.dtype, (s) => PRECISION_PREFERENCE.find((p) => present.has(onnxFileName(s, p))));
  for (const s of sessions) {
    const p = dtype[s];
    if (!p) problems.push(`no onnx/${s}.onnx (nor a precision variant such as onnx/${onnxFileName(s, 'q8')})`);
    else if (!present.has(onnxFileName(s, p))) problems.push(`onnx/${onnxFileName(s, p)} is missing (asked for ${p})`);
  }
  if (problems.length) throw new CaptionerFolderError(dir, problems);

  const hashed = [
    ...['config.json', 'generation_config.json', ...common].map((n) => path.join(dir, n)),
    ...sessions.map((s) => path.join(dir, 'onnx', onnxFileName(s, dtype[s]!))),
  ];
  const existing: string[] = [];
  for (const f of hashed) if (await isFile(f)) existing.push(f);
  const shas = await cachedSha256(existing, opts.cacheDir);
  return {
    id: `local:${dir}`,
    dir,
    architecture,
    dtype,
    fingerprint: digest({ source: 'folder', files: existing.map((f, i) => [path.relative(dir, f).split(path.sep).join('/'), shas[i]]) }),
  };
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}
