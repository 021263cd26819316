// One writer per index: a lock file with the owner's pid. A lock left by a dead process (killed
// mid-index) is taken over; a live owner makes the second writer fail with a clear message.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const LOCK_FILE = 'index.lock';

export class IndexBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IndexBusyError';
  }
}

interface LockOwner {
  pid: number;
  host: string;
  started: string;
}

const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await fs.readFile(file, 'utf8')) as LockOwner;
    return typeof owner.pid === 'number' ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Acquire the index lock; resolves to its release function. */
export async function acquireIndexLock(indexDir: string): Promise<() => Promise<void>> {
  await fs.mkdir(indexDir, { recursive: true });
  const file = path.join(indexDir, LOCK_FILE);
  if (heldHere.has(file)) throw new IndexBusyError(`the index in ${indexDir} is already being updated by this process`);
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
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
    const stale = !current || (current.host === owner.host && (current.pid === process.pid || !isAlive(current.pid)));
    if (!stale) {
      throw new IndexBusyError(`the index in ${indexDir} is being updated by another process (pid ${current.pid} on ${current.host})`);
    }
    await fs.rm(file, { force: true });
  }
  throw new IndexBusyError(`could not take the lock ${file}`);
}
