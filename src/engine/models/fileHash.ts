// sha256 of (large) model files, remembered in a small sidecar JSON under the cache folder,
// keyed by (absolute path, size, mtime): a 170 MB text tower is hashed once per file version,
// not on every start.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../util/atomic';
import { readRegularTextFile, sha256OfRegularFile } from '../util/files';
import { FILE_LIMITS } from '../util/limits';

const SIDECAR = 'file-hashes.json';
const MAX_ENTRIES = 500;

interface Entry {
  size: number;
  mtimeMs: number;
  sha256: string;
  usedAt: number;
}
type Sidecar = Record<string, Entry>;

export function sha256OfFile(file: string): Promise<string> {
  return sha256OfRegularFile(file, { maxBytes: FILE_LIMITS.modelWeights });
}

/** sha256 of each file (same order), using and updating the sidecar cache in `cacheDir`. */
export async function cachedSha256(files: readonly string[], cacheDir: string): Promise<string[]> {
  const sidecarPath = path.join(cacheDir, SIDECAR);
  const sidecar = await readSidecar(sidecarPath);
  let changed = false;
  const out: string[] = [];
  for (const file of files) {
    const abs = path.resolve(file);
    const st = await fs.stat(abs);
    const hit = sidecar[abs];
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) {
      out.push(hit.sha256);
      continue;
    }
    const sha256 = await sha256OfFile(abs);
    sidecar[abs] = { size: st.size, mtimeMs: st.mtimeMs, sha256, usedAt: Date.now() };
    changed = true;
    out.push(sha256);
  }
  if (changed) {
    // Keep the sidecar small: drop the least recently hashed entries.
    const keys = Object.keys(sidecar);
    if (keys.length > MAX_ENTRIES) {
      keys.sort((a, b) => sidecar[a].usedAt - sidecar[b].usedAt);
      for (const k of keys.slice(0, keys.length - MAX_ENTRIES)) delete sidecar[k];
    }
    // A lost race with another process only costs a re-hash later.
    await writeJsonAtomic(sidecarPath, sidecar).catch(() => undefined);
  }
  return out;
}

async function readSidecar(file: string): Promise<Sidecar> {
  try {
    const raw = JSON.parse(await readRegularTextFile(file, { maxBytes: FILE_LIMITS.config })) as unknown;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
    const out: Sidecar = {};
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      const e = v as Partial<Entry>;
      if (e && typeof e.size === 'number' && typeof e.mtimeMs === 'number' && typeof e.sha256 === 'string' && /^[0-9a-f]{64}$/.test(e.sha256)) {
        out[k] = { size: e.size, mtimeMs: e.mtimeMs, sha256: e.sha256, usedAt: typeof e.usedAt === 'number' ? e.usedAt : 0 };
      }
    }
    return out;
  } catch {
    return {};
  }
}
