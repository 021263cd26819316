// Minimal SVG line charts (no dependencies): one or more series over a linear or log2/log10 x axis.
export interface Series {
  name: string;
  points: Array<{ x: number; y: number }>;
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  xLog?: 2 | 10;
  yLog?: 10;
  width?: number;
  height?: number;
  /** Horizontal reference lines (e.g. a target). */
  hLines?: Array<{ y: number; label: string }>;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf', '#7f7f7f'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const step0 = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function label(v: number): string {
  if (v >= 1e6) return `${v / 1e6}M`;
  if (v >= 1e3) return `${v / 1e3}k`;
  return String(Number(v.toPrecision(3)));
}

export function lineChart(series: Series[], opts: ChartOptions): string {
  const W = opts.width ?? 640;
  const H = opts.height ?? 360;
  const m = { left: 64, right: 150, top: 36, bottom: 48 };
  const pts = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xs = pts.map((p) => p.x);
  const ys = [...pts.map((p) => p.y), ...(opts.hLines ?? []).map((h) => h.y)];
  const fx = opts.xLog ? (v: number) => Math.log(v) / Math.log(opts.xLog!) : (v: number) => v;
  const fy = opts.yLog ? (v: number) => Math.log10(v) : (v: number) => v;
  const x0 = fx(Math.min(...xs));
  const x1 = fx(Math.max(...xs));
  const y0 = opts.yLog ? fy(Math.min(...ys) * 0.8) : 0;
  const y1 = opts.yLog ? fy(Math.max(...ys) * 1.25) : Math.max(...ys) * 1.1;
  const px = (v: number) => m.left + ((fx(v) - x0) / (x1 - x0 || 1)) * (W - m.left - m.right);
  const py = (v: number) => H - m.bottom - ((fy(v) - y0) / (y1 - y0 || 1)) * (H - m.top - m.bottom);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2 - m.right / 2 + m.left / 2}" y="20" text-anchor="middle" font-size="13" font-weight="bold">${esc(opts.title)}</text>`);
  // Axes and ticks.
  const xTicks = opts.xLog ? [...new Set(xs)].sort((a, b) => a - b) : niceTicks(Math.min(...xs), Math.max(...xs));
  const yTicks = opts.yLog
    ? Array.from({ length: Math.ceil(y1) - Math.floor(y0) + 1 }, (_, i) => 10 ** (Math.floor(y0) + i)).filter((v) => fy(v) >= y0 && fy(v) <= y1)
    : niceTicks(0, y1);
  for (const t of yTicks) {
    parts.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${py(t)}" y2="${py(t)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.left - 6}" y="${py(t) + 4}" text-anchor="end">${label(t)}</text>`);
  }
  for (const t of xTicks) {
    parts.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${H - m.bottom}" y2="${H - m.bottom + 4}" stroke="#333"/>`);
    parts.push(`<text x="${px(t)}" y="${H - m.bottom + 16}" text-anchor="middle">${label(t)}</text>`);
  }
  parts.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${H - m.bottom}" y2="${H - m.bottom}" stroke="#333"/>`);
  parts.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${H - m.bottom}" stroke="#333"/>`);
  parts.push(`<text x="${(m.left + W - m.right) / 2}" y="${H - 10}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${(m.top + H - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`);
  for (const h of opts.hLines ?? []) {
    parts.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${py(h.y)}" y2="${py(h.y)}" stroke="#999" stroke-dasharray="2 3"/>`);
    parts.push(`<text x="${m.left + 6}" y="${py(h.y) - 4}" fill="#666">${esc(h.label)}</text>`);
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const ok = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    if (!ok.length) return;
    const d = ok.map((p, j) => `${j ? 'L' : 'M'}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    for (const p of ok) parts.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = m.top + 8 + i * 16;
    parts.push(`<line x1="${W - m.right + 8}" x2="${W - m.right + 28}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    parts.push(`<text x="${W - m.right + 32}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
