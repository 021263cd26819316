// Turns a model spec (a registry id such as "mobileclip-s0", or the path of a local folder)
// into absolute file paths plus a fingerprint of the exact weights and preprocessing.
// Never touches the network: a registry model that is not in the cache fails with
// ModelNotDownloadedError, which says which file to put where (see download.ts to fetch them).
import { createHash } from 'node:crypto';
import type { Precision, ResolvedModel } from '../types';
import { ModelNotDownloadedError } from './errors';
import { cachedSha256 } from './fileHash';
import { clipFilePlan, findMissingFiles } from './hub';
import { externalDataFile, resolveLocalFolder } from './local';
import { getManifest, isClipManifest, type ClipManifest, type ManifestFile } from './manifest';
import { DEFAULT_HUB_HOST, defaultModelsDir, hubFileDest, hubRevisionDir, isModelPath, localModelDir } from './paths';
import { readRegularTextFile } from '../util/files';
import { FILE_LIMITS } from '../util/limits';

export { ModelNotDownloadedError, ModelOfflineError, ModelDownloadError, ChecksumMismatchError, type MissingFile } from './errors';
export { LocalModelError } from './local';
export { DEFAULT_MODEL_ID, listModels, getManifest, isClipManifest, registerManifestKind, validateManifest, ManifestError } from './manifest';
export type { ModelManifest, ClipManifest, ManifestFile, OtherManifest } from './manifest';
export { defaultModelsDir, defaultCacheDir } from './paths';

export interface ResolveOptions {
  /** Registry folder (default: the repo's models/). */
  modelsDir?: string;
  /** Where downloaded registry models live; also holds the local-folder hash cache. */
  cacheDir: string;
  visionPrecision?: Precision;
  textPrecision?: Precision;
  /** Base for relative folder paths (default: the current directory). */
  baseDir?: string;
  /** Only used to build the download URLs shown in errors. */
  host?: string;
}

const FINGERPRINT_VERSION = 1;

export async function resolveModel(spec: string, opts: ResolveOptions): Promise<ResolvedModel> {
  const trimmed = spec.trim();
  if (!trimmed) throw new Error('no model given: pass a model id (e.g. "mobileclip-s0") or the path of a model folder');
  if (isModelPath(trimmed)) {
    return resolveLocalModel(localModelDir(trimmed, opts.baseDir), opts);
  }
  const manifest = await getManifest(trimmed, opts.modelsDir ?? defaultModelsDir());
  if (!isClipManifest(manifest)) throw new Error(`model "${manifest.id}" is a ${manifest.kind} model, not an image-text (CLIP) model`);
  return resolveRegistryModel(manifest, opts);
}

/** Resolves a registry manifest against the cache; throws ModelNotDownloadedError listing missing files. */
export async function resolveRegistryModel(manifest: ClipManifest, opts: ResolveOptions): Promise<ResolvedModel> {
  const choice = clipFilePlan(manifest, opts);
  const missing = await findMissingFiles(choice.plan, opts.cacheDir, opts.host ?? DEFAULT_HUB_HOST);
  if (missing.length) throw new ModelNotDownloadedError(manifest.id, missing);

  const { repo, revision } = manifest.hub;
  const dest = (f: ManifestFile) => hubFileDest(opts.cacheDir, repo, revision, f.path);
  const files = manifest.files;
  // Identity: the pinned checksums (else the size, else the bytes themselves) of what feeds the
  // model, plus the preprocessing config's contents.
  const identity = async (f: ManifestFile) => f.sha256 ?? (f.size !== undefined ? `size:${f.size}` : (await cachedSha256([dest(f)], opts.cacheDir))[0]);
  const preprocessor = files.preprocessorConfig ? await readRegularTextFile(dest(files.preprocessorConfig), { maxBytes: FILE_LIMITS.config }) : null;
  const fingerprint = digest({
    v: FINGERPRINT_VERSION,
    source: 'hub',
    repo,
    revision,
    vision: [choice.vision.path, await identity(choice.vision)],
    text: [choice.text.path, await identity(choice.text)],
    tokenizer: await identity(files.tokenizer),
    preprocessor,
  });
  return {
    id: manifest.id,
    dir: hubRevisionDir(opts.cacheDir, repo, revision),
    visionModelPath: dest(choice.vision),
    textModelPath: dest(choice.text),
    tokenizerPath: dest(files.tokenizer),
    preprocessorConfigPath: files.preprocessorConfig ? dest(files.preprocessorConfig) : undefined,
    configPath: files.config ? dest(files.config) : undefined,
    fingerprint,
  };
}

async function resolveLocalModel(dir: string, opts: ResolveOptions): Promise<ResolvedModel> {
  const folder = await resolveLocalFolder(dir, opts);
  const visionData = await externalDataFile(folder.vision.path);
  const textData = await externalDataFile(folder.text.path);
  const hashed = [folder.vision.path, visionData, folder.text.path, textData, folder.tokenizerPath, folder.preprocessorConfigPath];
  const present = hashed.filter((f): f is string => f !== undefined);
  const shas = new Map((await cachedSha256(present, opts.cacheDir)).map((sha, i) => [present[i], sha]));
  const sha = (f: string | undefined) => (f === undefined ? null : shas.get(f)!);
  const fingerprint = digest({
    v: FINGERPRINT_VERSION,
    source: 'folder',
    vision: [sha(folder.vision.path), sha(visionData)],
    text: [sha(folder.text.path), sha(textData)],
    tokenizer: sha(folder.tokenizerPath),
    preprocessor: sha(folder.preprocessorConfigPath),
  });
  return {
    id: `local:${dir}`,
    dir,
    visionModelPath: folder.vision.path,
    textModelPath: folder.text.path,
    tokenizerPath: folder.tokenizerPath,
    preprocessorConfigPath: folder.preprocessorConfigPath,
    configPath: folder.configPath,
    fingerprint,
  };
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}
