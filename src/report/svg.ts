// Line charts as inline SVG strings: linear scales with "nice" ticks, a wrapping legend, gaps where a value is
// null. Each series is one <path> (gaps are new subpaths), so a chart's size grows with its points but not
// with its elements; long series are decimated to the min and max of each bucket, which keeps spikes visible.
import { escapeHtml } from './escape.ts';
import type { Point } from './metrics.ts';

export interface LineSeries {
  label: string;
  /** The legend's text, when not `label`: series with the same legend and colour are listed once (seeds of a run). */
  legend?: string;
  points: readonly Point[];
  color: string;
  dashed?: boolean;
}

export interface LineChartSpec {
  /** Stable identifier, written as data-chart="…" on the <svg>. */
  id: string;
  title: string;
  yLabel: string;
  xLabel?: string;
  series: readonly LineSeries[];
  /** A range the y axis always covers (e.g. [0, 1] for rates); the data can widen it. */
  yDomain?: readonly [number, number];
}

const WIDTH = 560;
const PLOT_HEIGHT = 220;
const MARGIN = { left: 62, right: 18, top: 12, bottom: 42 };
const LEGEND_ROW = 18;
const FONT = 11;
/** Above this many points, a series is decimated to a low and a high point per two pixel columns. */
const MAX_POINTS = WIDTH - MARGIN.left - MARGIN.right;
/** Series with at most this many points also get a marker per point, so single steps are visible. */
const MARKER_LIMIT = 24;

export const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** A step of 1, 2 or 5 times a power of ten, close to span / count. */
function niceStep(span: number, count: number): number {
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1.5 ? 1 : fraction <= 3.5 ? 2 : fraction <= 7.5 ? 5 : 10) * power;
}

interface Axis {
  min: number;
  max: number;
  ticks: number[];
  step: number;
}

/** Widens [min, max] to whole tick steps; a zero-width range is padded so the line sits mid-chart. */
function niceAxis(min: number, max: number, count: number, integer: boolean): Axis {
  if (min === max) {
    const pad = integer ? 1 : Math.abs(min) * 0.1 || 1;
    min -= pad;
    max += pad;
  }
  let step = niceStep(max - min, count);
  if (integer) step = Math.max(1, Math.round(step));
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) ticks.push(lo + i * step);
  return { min: lo, max: hi, ticks, step };
}

export function formatTick(value: number, step: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (step < 1e-3 || magnitude >= 1e6) {
    const digits = Math.floor(Math.log10(magnitude)) - Math.floor(Math.log10(step));
    return value.toExponential(Math.max(0, digits));
  }
  if (step >= 1000 && step % 1000 === 0) return `${value / 1000}k`;
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  return value.toFixed(decimals);
}

/** [min, max] of a non-empty list, without spreading it into arguments (long runs have many values). */
function extent(values: readonly number[]): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/** A value for people to read: four significant digits. */
export const formatValue = (value: number): string => String(Number(value.toPrecision(4)));

/** Splits a series at nulls into runs of consecutive finite points. */
function segments(points: readonly Point[]): [number, number][][] {
  const runs: [number, number][][] = [];
  let current: [number, number][] = [];
  for (const [x, y] of points) {
    if (y === null) {
      if (current.length > 0) runs.push(current);
      current = [];
    } else current.push([x, y]);
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

/** Keeps the lowest and highest point of each bucket of `size` points, in step order. */
function decimate(run: [number, number][], size: number): [number, number][] {
  if (size <= 1) return run;
  const kept: [number, number][] = [];
  for (let start = 0; start < run.length; start += size) {
    const bucket = run.slice(start, start + size);
    let low = bucket[0]!;
    let high = bucket[0]!;
    for (const point of bucket) {
      if (point[1] < low[1]) low = point;
      if (point[1] > high[1]) high = point;
    }
    if (low === high) kept.push(low);
    else kept.push(...(low[0] < high[0] ? [low, high] : [high, low]));
  }
  return kept;
}

const round = (n: number) => Math.round(n * 10) / 10;

interface LegendItem {
  text: string;
  series: LineSeries;
  x: number;
  y: number;
}

/** Places legend entries left to right, wrapping to a new row when one would overflow the width. */
function layoutLegend(series: readonly LineSeries[]): { items: LegendItem[]; rows: number } {
  const items: LegendItem[] = [];
  let x = MARGIN.left;
  let row = 0;
  const listed = new Set<string>();
  for (const s of series) {
    const text = s.legend ?? s.label;
    const key = `${text}\u0000${s.color}\u0000${s.dashed ?? false}`;
    if (listed.has(key)) continue;
    listed.add(key);
    const width = 30 + text.length * FONT * 0.6 + 14;
    if (x + width > WIDTH - MARGIN.right && x > MARGIN.left) {
      row++;
      x = MARGIN.left;
    }
    items.push({ text, series: s, x, y: row * LEGEND_ROW });
    x += width;
  }
  return { items, rows: items.length === 0 ? 0 : row + 1 };
}

/** How a chart's classes look: in a page's style sheet, and inside a standalone chart. */
export const CHART_STYLE = `
svg .grid { stroke: #e8eaed; } svg .zero { stroke: #9aa0a6; } svg .axis { stroke: #666; }
svg .frame { fill: none; stroke: #bbb; } svg .axis-label { fill: #555; } svg .empty { fill: #999; font-size: 14px; }
`;

/** A chart as a file of its own: its style inside, a white ground, and a font of its own (a page gives these). */
export function standaloneSvg(chart: string): string {
  const open = chart.indexOf('>') + 1;
  const style = `svg text { fill: #333; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }${CHART_STYLE}`;
  return `${chart.slice(0, open)}<style>${style}</style><rect width="100%" height="100%" fill="#fff"/>${chart.slice(open)}\n`;
}

const dashAttribute = (s: LineSeries) => (s.dashed ? ' stroke-dasharray="6 3"' : '');

export function lineChart(spec: LineChartSpec): string {
  const finite = spec.series.flatMap((s) =>
    s.points.filter((p): p is readonly [number, number] => p[1] !== null),
  );
  const legend = layoutLegend(spec.series);
  const legendHeight = legend.rows * LEGEND_ROW;
  const top = MARGIN.top + legendHeight;
  const height = top + PLOT_HEIGHT + MARGIN.bottom;
  const left = MARGIN.left;
  const right = WIDTH - MARGIN.right;
  const bottom = top + PLOT_HEIGHT;
  const parts: string[] = [];
  const label = escapeHtml(spec.title);
  parts.push(
    `<svg data-chart="${escapeHtml(spec.id)}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" ` +
      `role="img" aria-label="${label}" xmlns="http://www.w3.org/2000/svg" font-size="${FONT}">`,
    `<title>${label}</title>`,
  );

  legend.items.forEach(({ text, series: s, x, y }) => {
    const mid = MARGIN.top + y + LEGEND_ROW / 2 - 4;
    parts.push(
      `<g class="legend-item"><line x1="${round(x)}" y1="${mid}" x2="${round(x + 24)}" y2="${mid}" stroke="${s.color}" stroke-width="2.5"${dashAttribute(s)}/>` +
        `<text x="${round(x + 30)}" y="${mid + 4}">${escapeHtml(text)}</text></g>`,
    );
  });

  if (finite.length === 0) {
    parts.push(
      `<rect x="${left}" y="${top}" width="${right - left}" height="${PLOT_HEIGHT}" class="frame"/>`,
      `<text x="${(left + right) / 2}" y="${top + PLOT_HEIGHT / 2}" text-anchor="middle" class="empty">no data</text>`,
      '</svg>',
    );
    return parts.join('');
  }

  // Steps of gaps count too, so a series that ends in nulls still shows how far the run went.
  const [firstStep, lastStep] = extent(spec.series.flatMap((s) => s.points.map((p) => p[0])));
  const xAxis = niceAxis(firstStep, lastStep, 6, true);
  const [low, high] = extent(finite.map((p) => p[1]).concat(spec.yDomain ?? []));
  const yAxis = niceAxis(low, high, 5, false);
  const sx = (x: number) => round(left + ((x - xAxis.min) / (xAxis.max - xAxis.min)) * (right - left));
  const sy = (y: number) => round(bottom - ((y - yAxis.min) / (yAxis.max - yAxis.min)) * PLOT_HEIGHT);

  const grid: string[] = [];
  for (const tick of yAxis.ticks) {
    const y = sy(tick);
    grid.push(
      `<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" class="${Math.abs(tick) < yAxis.step * 1e-9 ? 'zero' : 'grid'}"/>`,
      `<text x="${left - 6}" y="${y + 4}" text-anchor="end">${formatTick(tick, yAxis.step)}</text>`,
    );
  }
  for (const tick of xAxis.ticks) {
    const x = sx(tick);
    grid.push(
      `<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 4}" class="axis"/>`,
      `<text x="${x}" y="${bottom + 16}" text-anchor="middle">${formatTick(tick, xAxis.step)}</text>`,
    );
  }
  parts.push(
    ...grid,
    `<rect x="${left}" y="${top}" width="${right - left}" height="${PLOT_HEIGHT}" class="frame"/>`,
    `<text x="${(left + right) / 2}" y="${height - 6}" text-anchor="middle" class="axis-label">${escapeHtml(spec.xLabel ?? 'step')}</text>`,
    `<text transform="translate(14 ${top + PLOT_HEIGHT / 2}) rotate(-90)" text-anchor="middle" class="axis-label">${escapeHtml(spec.yLabel)}</text>`,
  );

  for (const s of spec.series) {
    const runs = segments(s.points);
    const count = runs.reduce((n, run) => n + run.length, 0);
    if (count === 0) continue;
    const bucket = Math.ceil(count / (MAX_POINTS / 2));
    // A one-point run is drawn as a zero-length subpath ("h0"), which round caps render as a dot.
    const d = runs
      .map((run) => {
        const kept = decimate(run, bucket).map(([x, y]) => `${sx(x)} ${sy(y)}`);
        return kept.length === 1 ? `M${kept[0]}h0` : `M${kept.join('L')}`;
      })
      .join('');
    parts.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"${dashAttribute(s)}>` +
        `<title>${escapeHtml(s.label)}</title></path>`,
    );
    if (count <= MARKER_LIMIT) {
      for (const [x, y] of runs.flat())
        parts.push(
          `<circle cx="${sx(x)}" cy="${sy(y)}" r="2.5" fill="${s.color}"><title>${escapeHtml(s.label)} at step ${x}: ${formatValue(y)}</title></circle>`,
        );
    }
  }
  parts.push('</svg>');
  return parts.join('');
}
