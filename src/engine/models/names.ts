// What to call a model in messages, pickers and reports: a registry model by its manifest's name
// ("MobileCLIP-S0"), a local folder by the name its config.json records (`_name_or_path`, as the
// Hugging Face exporters write it), else by the folder's name. Never by a cache hash.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { getManifest, isClipManifest, type ClipManifest } from './manifest';
import { clipFilePlan } from './hub';
import { defaultModelsDir, isModelPath, localModelDir } from './paths';
import type { Precision } from '../types';

export interface ModelDescription {
  /** The spec as configured ("mobileclip-s0", "/models/my-clip", "local:/models/my-clip"). */
  spec: string;
  name: string;
  /** Absolute folder for a local model. */
  dir?: string;
  /** Registry model: the manifest and what its chosen towers weigh (the download). */
  manifest?: ClipManifest;
  /** Bytes of the image and text towers to download ([vision, text]), each when known or reported. */
  towerBytes?: [number | undefined, number | undefined];
}

const HASH_LIKE = /^[0-9a-f]{12,}$/i;

export async function describeModel(
  spec: string,
  opts: { modelsDir?: string; baseDir?: string; visionPrecision?: Precision; textPrecision?: Precision } = {},
): Promise<ModelDescription> {
  const trimmed = spec.trim();
  if (isModelPath(trimmed)) {
    const dir = localModelDir(trimmed, opts.baseDir);
    return { spec, name: await folderModelName(dir), dir };
  }
  try {
    const manifest = await getManifest(trimmed, opts.modelsDir ?? defaultModelsDir());
    if (!isClipManifest(manifest)) return { spec, name: manifest.name ?? trimmed };
    let towerBytes: [number | undefined, number | undefined] | undefined;
    try {
      const choice = clipFilePlan(manifest, opts);
      const bytes = (f: { size?: number; approxSize?: number }) => f.size ?? f.approxSize;
      towerBytes = [bytes(choice.vision), bytes(choice.text)];
    } catch {
      /* a precision the manifest lacks: the resolver says so */
    }
    return { spec, name: manifest.name, manifest, ...(towerBytes ? { towerBytes } : {}) };
  } catch {
    return { spec, name: trimmed };
  }
}

/** The name a model folder gives itself, else the folder's own name (with its parent when that is a bare hash). */
export async function folderModelName(dir: string): Promise<string> {
  try {
    const config = JSON.parse(await fs.readFile(path.join(dir, 'config.json'), 'utf8')) as { _name_or_path?: unknown };
    const named = typeof config._name_or_path === 'string' ? config._name_or_path.trim().replace(/[\\/]+$/, '') : '';
    const last = named.split(/[\\/]/).pop() ?? '';
    if (last && !HASH_LIKE.test(last)) return last;
  } catch {
    /* no readable config: the folder name will do */
  }
  const base = path.basename(dir);
  return HASH_LIKE.test(base) ? `${path.basename(path.dirname(dir))}/${base}` : base;
}
