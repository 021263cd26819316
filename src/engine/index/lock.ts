// One writer per index: a lock file naming its owner (pid, host, process start time, boot id). A
// lock left by a dead process (killed mid-index) is taken over, and so is one whose pid now belongs
// to an unrelated process (pids are reused; the start time tells them apart). A live owner makes
// the second writer fail with a clear message; readers never need the lock.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readRegularTextFile } from '../util/files';
import { FILE_LIMITS } from '../util/limits';
import { currentProcessIdentity, ownerState, type ProcessIdentity } from '../util/process';

export const LOCK_FILE = 'index.lock';

export class IndexBusyError extends Error {
  constructor(
    message: string,
    readonly owner?: LockOwner,
  ) {
    super(message);
    this.name = 'IndexBusyError';
  }
}

export interface LockOwner extends ProcessIdentity {
  started: string;
}

const heldHere = new Set<string>();

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readRegularTextFile(file, { maxBytes: FILE_LIMITS.config })) as LockOwner;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Acquire the index lock; resolves to its release function. */
export async function acquireIndexLock(indexDir: string): Promise<() => Promise<void>> {
  await fs.mkdir(indexDir, { recursive: true });
  const file = path.join(indexDir, LOCK_FILE);
  if (heldHere.has(file)) throw new IndexBusyError(`the index in ${indexDir} is already being updated by this process`);
  const owner: LockOwner = { ...currentProcessIdentity(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // O_EXCL: never follows a symlink planted at the lock's name.
      const handle = await fs.open(file, 'wx');
      try {
        await handle.writeFile(JSON.stringify(owner));
      } finally {
        await handle.close();
      }
      heldHere.add(file);
      return async () => {
        heldHere.delete(file);
        await fs.rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const current = await readOwner(file);
    // A lock we cannot read was being written just now, or is debris: give it a moment once.
    if (!current && attempt === 0) {
      await new Promise((r) => setTimeout(r, 50));
      if (await readOwner(file)) continue;
    }
    const stale = !current || current.pid === process.pid || ownerState(current) === 'gone';
    if (!stale) {
      throw new IndexBusyError(`the index in ${indexDir} is being updated by another process (pid ${current.pid} on ${current.host})`, current);
    }
    await fs.rm(file, { force: true });
  }
  throw new IndexBusyError(`could not take the lock ${file}`);
}
