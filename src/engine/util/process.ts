// Is the process that left a lock or a temp file still there? A pid alone cannot say: pids are
// reused, so a lock left by a killed indexer can name the pid of an unrelated live process. Where
// the system tells us (Linux /proc), a process is identified by pid + start time + boot id.
import { readFileSync } from 'node:fs';
import * as os from 'node:os';

/** Who holds a lock (written into the lock file). */
export interface ProcessIdentity {
  pid: number;
  host: string;
  /** Start time of the process in clock ticks since boot (Linux /proc/<pid>/stat field 22). */
  startTicks?: number;
  /** /proc/sys/kernel/random/boot_id: a start time means nothing across a reboot. */
  bootId?: string;
}

export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readProc(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Start time (clock ticks since boot) of a process, where /proc knows it. */
export function processStartTicks(pid: number): number | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name (field 2) is in parentheses and may contain spaces or ')': skip past the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]); // field 22 overall; fields[0] here is field 3
  return Number.isSafeInteger(ticks) ? ticks : undefined;
}

let bootIdCache: string | null | undefined;
export function bootId(): string | undefined {
  if (bootIdCache === undefined) bootIdCache = readProc('/proc/sys/kernel/random/boot_id')?.trim() || null;
  return bootIdCache ?? undefined;
}

export function currentProcessIdentity(): ProcessIdentity {
  const id: ProcessIdentity = { pid: process.pid, host: os.hostname() };
  const startTicks = processStartTicks(process.pid);
  const boot = bootId();
  if (startTicks !== undefined) id.startTicks = startTicks;
  if (boot) id.bootId = boot;
  return id;
}

/**
 * Whether the process a lock names is still running: 'alive', 'gone', or 'unknown' (another host:
 * we cannot look, so the caller must treat the lock as held).
 */
export function ownerState(owner: ProcessIdentity): 'alive' | 'gone' | 'unknown' {
  if (owner.host !== os.hostname()) return 'unknown';
  if (owner.bootId && bootId() && owner.bootId !== bootId()) return 'gone'; // rebooted since
  if (!isProcessAlive(owner.pid)) return 'gone';
  if (owner.startTicks !== undefined) {
    const now = processStartTicks(owner.pid);
    // The pid is alive but was started at another time: a different process got the pid.
    if (now !== undefined && now !== owner.startTicks) return 'gone';
  }
  return 'alive';
}
