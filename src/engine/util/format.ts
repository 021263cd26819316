// Human-readable sizes, durations and ETAs for progress messages (CLI and extension).
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 && unit > 0 ? 1 : 0)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '…';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Tracks throughput of a long job to estimate the time left. */
export class EtaEstimator {
  private readonly started = Date.now();
  constructor(private readonly total: number) {}

  /** Seconds left after `done` of `total` items, or NaN before there is anything to go by. */
  etaSeconds(done: number): number {
    const elapsed = (Date.now() - this.started) / 1000;
    if (done <= 0 || elapsed <= 0) return Number.NaN;
    return ((this.total - done) * elapsed) / done;
  }

  ratePerSecond(done: number): number {
    const elapsed = (Date.now() - this.started) / 1000;
    return elapsed > 0 ? done / elapsed : 0;
  }
}
