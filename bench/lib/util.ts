// Small helpers shared by the benchmark tasks: statistics, seeded randomness, process memory and
// CPU time from /proc, and the machine description every report starts with.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mulberry32 } from '../../test/fixtures/generate';
export { mulberry32 };

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const BENCH_CACHE = path.join(PROJECT_ROOT, '.cache', 'bench');

export interface Spread {
  min: number;
  median: number;
  max: number;
  n: number;
}

export function spread(values: readonly number[]): Spread {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!s.length) return { min: NaN, median: NaN, max: NaN, n: 0 };
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { min: s[0]!, median, max: s[s.length - 1]!, n: s.length };
}

export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const rand = mulberry32(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** `rows` random unit vectors of `dim` floats, row-major (fast LCG: only memory traffic matters). */
export function randomUnitVectors(rows: number, dim: number, seed: number): Float32Array {
  const v = new Float32Array(rows * dim);
  let s = seed >>> 0 || 1;
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let sum = 0;
    for (let j = 0; j < dim; j++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const x = s / 4294967296 - 0.5;
      v[o + j] = x;
      sum += x * x;
    }
    const inv = 1 / Math.sqrt(sum);
    for (let j = 0; j < dim; j++) v[o + j]! *= inv;
  }
  return v;
}

/** Resident set size now and at its peak (VmHWM) of any process, in bytes; undefined if gone. */
export function procMemory(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** User+system CPU seconds a process has used so far (from /proc/<pid>/stat). */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state is [0]; utime is field 14 overall -> [11], stime [12].
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / clockTicks();
  } catch {
    return NaN;
  }
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memory: string;
  os: string;
  node: string;
  onnxruntime: string;
  sharp: string;
  libvips: string;
  transformers: string;
  loadAverage: number[];
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

export function describeMachine(): MachineInfo {
  const cpus = os.cpus();
  let libvips = '?';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    libvips = (require('sharp') as { versions: { vips: string } }).versions.vips;
  } catch {
    /* reported as ? */
  }
  return {
    cpu: cpus[0]?.model.trim() ?? '?',
    cores: cpus.length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    onnxruntime: packageVersion('onnxruntime-node'),
    sharp: packageVersion('sharp'),
    libvips,
    transformers: packageVersion('@huggingface/transformers'),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function fmt(v: number, digits = 1): string {
  if (!Number.isFinite(v)) return '–';
  return v.toFixed(digits);
}

export function fmtSpread(s: Spread, digits = 1, unit = ''): string {
  if (!s.n) return '–';
  if (s.n === 1) return `${fmt(s.median, digits)}${unit}`;
  return `${fmt(s.median, digits)}${unit} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

export function mib(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : '–';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
