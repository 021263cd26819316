// Human-readable numbers for tiles, tooltips and progress lines.
import type { AssetItem } from '../../src/shared/messages';

// Sizes as the extension, the CLI and the model download show them (1000-based KB/MB, as the
// model hosts state download sizes): one function, bundled into the webview by esbuild.
export { formatBytes } from '../../src/engine/util/format';
import { formatDuration } from '../../src/engine/util/format';

export function formatDims(item: Pick<AssetItem, 'width' | 'height'>): string {
  return item.width && item.height ? `${item.width} × ${item.height}` : '';
}

// One formatter: Date.toLocaleString(…, options) builds a new one per call, which is slow.
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '';
  return dateFormat.format(ms);
}

export function formatScore(score: number | null | undefined): string {
  return typeof score === 'number' && Number.isFinite(score) ? score.toFixed(3) : '';
}

export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '';
  return `about ${formatDuration(seconds)} left`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function plural(n: number, one: string, many = one + 's'): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
