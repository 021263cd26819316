// Which files of a hub repo a model needs, and which of them are not in the cache yet.
// Shared by resolveModel (offline check) and the downloader; kind-agnostic so other model
// kinds (captioners) can reuse it with their own file lists.
import { promises as fs } from 'node:fs';
import type { Precision } from '../types';
import type { MissingFile } from './errors';
import type { ClipManifest, ManifestFile } from './manifest';
import { DEFAULT_HUB_HOST, hubFileDest, hubFileUrl } from './paths';

export interface HubFilePlan {
  /** Model id, for messages. */
  id: string;
  repo: string;
  revision: string;
  files: ManifestFile[];
}

export interface ClipFileChoice {
  plan: HubFilePlan;
  vision: ManifestFile & { precision: Precision };
  text: ManifestFile & { precision: Precision };
}

/** The files of a CLIP manifest for the chosen precisions (manifest defaults otherwise). */
export function clipFilePlan(manifest: ClipManifest, opts: { visionPrecision?: Precision; textPrecision?: Precision } = {}): ClipFileChoice {
  const pickTower = (tower: 'vision' | 'text', asked: Precision | undefined) => {
    const precision = asked ?? manifest.defaults[tower];
    const file = manifest.files[tower][precision];
    if (!file) {
      throw new Error(`model "${manifest.id}" has no ${precision} ${tower} tower; available: ${Object.keys(manifest.files[tower]).join(', ')}`);
    }
    return { ...file, precision };
  };
  const vision = pickTower('vision', opts.visionPrecision);
  const text = pickTower('text', opts.textPrecision);
  const { config, preprocessorConfig, tokenizer, tokenizerConfig } = manifest.files;
  const files = [config, preprocessorConfig, tokenizer, tokenizerConfig, vision, text]
    .filter((f): f is ManifestFile => f !== undefined)
    .map(({ path, size, sha256 }) => ({ path, size, sha256 }));
  return { plan: { id: manifest.id, repo: manifest.hub.repo, revision: manifest.hub.revision, files }, vision, text };
}

/**
 * Files of the plan that are absent from the cache or whose size differs from the known one.
 * (Downloads are verified before they are moved into place, so presence + size is enough here.)
 */
export async function findMissingFiles(plan: HubFilePlan, cacheDir: string, host = DEFAULT_HUB_HOST): Promise<MissingFile[]> {
  const missing: MissingFile[] = [];
  for (const f of plan.files) {
    const dest = hubFileDest(cacheDir, plan.repo, plan.revision, f.path);
    const st = await fs.stat(dest).catch(() => undefined);
    if (!st?.isFile() || (f.size !== undefined && st.size !== f.size)) {
      missing.push({ path: f.path, url: hubFileUrl(host, plan.repo, plan.revision, f.path), dest, ...(f.size !== undefined ? { size: f.size } : {}) });
    }
  }
  return missing;
}
