// Crash-safe file writes: write a sibling temp file, fsync it, then rename over the target.
// A crash at any point leaves either the old file or the new one, never a torn mix.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { isProcessAlive } from './process';

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx'); // exclusive: never write through something already there
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

/** `.<target>.<pid>.<8 hex>.tmp`: the temp name writeFileAtomic uses. */
const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** The target base name and writer pid of a writeFileAtomic temp file name, else undefined. */
export function parseTempName(name: string): { target: string; pid: number } | undefined {
  const m = TEMP_NAME.exec(name);
  return m ? { target: m[1]!, pid: Number(m[2]) } : undefined;
}

/**
 * Deletes temp files that writeFileAtomic left in `dir` when its process was killed (a kill -9
 * mid-write leaves the target intact and the temp file behind). Touches only what we created:
 * files named like our temp files, for targets `isOurs` accepts, whose writer is gone.
 * The caller has checked `dir` (see util/folders.ts). Returns how many went.
 */
export function pruneTempFiles(dir: string, isOurs: (target: string) => boolean): Promise<number> {
  return removeOwnFiles(dir, (name) => {
    const t = parseTempName(name);
    return t !== undefined && isOurs(t.target) && t.pid !== process.pid && !isProcessAlive(t.pid);
  });
}

/** Deletes the regular files of `dir` (never links or folders) whose names `isOurs` picks; returns how many went. */
export async function removeOwnFiles(dir: string, isOurs: (name: string) => boolean): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!isOurs(name)) continue;
    const file = path.join(dir, name);
    if (!(await fs.lstat(file).catch(() => undefined))?.isFile()) continue;
    await fs.rm(file, { force: true }).then(
      () => removed++,
      () => undefined,
    );
  }
  return removed;
}

/** Stable, diff-friendly JSON: keys sorted at every level, two-space indent, trailing newline. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + '\n';
}

export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, stableStringify(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as Record<string, unknown>).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** Persists a rename in `dir`; not supported on every platform (e.g. Windows), so best effort. */
export async function syncDir(dir: string): Promise<void> {
  try {
    const h = await fs.open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    /* ignore */
  }
}

/** Resolve `relative` under `root`, refusing absolute paths and anything that escapes root. */
export function resolveInside(root: string, relative: string): string {
  if (path.isAbsolute(relative) || relative.includes('\0')) {
    throw new Error(`refusing path outside the folder: ${JSON.stringify(relative)}`);
  }
  const resolved = path.resolve(root, relative);
  const rel = path.relative(path.resolve(root), resolved);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new Error(`refusing path outside the folder: ${JSON.stringify(relative)}`);
  }
  return resolved;
}
