// One page comparing runs (a run and its ablations, or seeds): the held-out table of each, and each held-out mode's
// accuracy against steps, wall time and the mode's new tasks seen — the learning curve against data, which steps
// and minutes hide when runs differ in speed (docs/report.md).
import { basename } from 'node:path';
import { averagedMode, groupKey, modeKey, WALL_TIME } from '../selfplay/metrics.ts';
import { escapeHtml } from './escape.ts';
import {
  color,
  formatCell,
  formatDuration,
  htmlTable,
  type RenderOptions,
  renderSection,
  STYLE,
  type Section,
} from './html.ts';
import {
  groupMembers,
  type Point,
  ReportError,
  type RunData,
  runName,
  type StepRow,
  series,
} from './metrics.ts';
import { lineChart, standaloneSvg } from './svg.ts';

/**
 * A run's steps mapped to the running total (× `scale`) of a per-step figure up to and including each; 0 before
 * the first step (the held-out score before training).
 */
function runningTotal(
  rows: readonly StepRow[],
  key: string,
  scale = 1,
): (step: number) => number | undefined {
  const totals = new Map<number, number>();
  let total = 0;
  for (const row of rows) {
    total += (row.values.get(key) ?? 0) * scale;
    totals.set(row.step, total);
  }
  return (step) => (step <= 0 ? 0 : totals.get(step));
}

/** What a comparison plots held-out accuracy against. */
export type ComparisonAxis = 'step' | 'minutes' | 'tasks';

const AXIS_LABELS: Record<ComparisonAxis, string> = {
  step: 'step',
  minutes: 'wall minutes',
  tasks: 'new tasks of the mode seen',
};

/**
 * Held-out accuracy of `mode` in `run` against the step, the wall minutes so far, or the mode's new tasks so far
 * (for `ema.<mode>`, the averaged weights' score, those of `<mode>`).
 */
export function heldoutAgainst(run: RunData, mode: string, axis: ComparisonAxis): Point[] {
  const { rows } = run.metrics;
  const points = series(rows, groupKey('heldout', mode));
  if (axis === 'step') return points;
  const total =
    axis === 'minutes'
      ? runningTotal(rows, groupKey('time', WALL_TIME), 1 / 60_000)
      : runningTotal(rows, modeKey(averagedMode(mode) ?? mode, 'newTasks'));
  return points.flatMap(([step, value]) => {
    const x = total(step);
    return x === undefined ? [] : [[x, value] as const];
  });
}

function summaryTable(runs: readonly RunData[], labels: readonly string[], modes: readonly string[]): string {
  const head = ['run', 'steps', 'wall time', ...modes.flatMap((m) => [`${m} before`, `${m} after`])];
  const body = runs.map((run, i) => [
    escapeHtml(labels[i]!),
    formatCell(run.summary?.steps ?? run.metrics.rows.at(-1)?.step),
    run.summary?.wallMs === undefined ? '—' : formatDuration(run.summary.wallMs),
    ...modes.flatMap((mode) => {
      const entry = run.summary?.heldout.get(mode);
      return [formatCell(entry?.before), formatCell(entry?.after)];
    }),
  ]);
  return htmlTable(
    head.map((h) => escapeHtml(h)),
    body,
    'held-out accuracy before and after training (summary.json)',
  );
}

/**
 * Each run's label: its name, and where runs share one (seeds of a config), its directory's name too, e.g.
 * `tiny-zero (seed-2)`.
 */
export function runLabels(runs: readonly RunData[]): string[] {
  const names = runs.map(runName);
  return runs.map((run, i) =>
    names.indexOf(names[i]!) === names.lastIndexOf(names[i]!)
      ? names[i]!
      : `${names[i]} (${basename(run.runDir)})`,
  );
}

/**
 * Each run's line: its colour and legend. Runs of several configs, some with several seeds: a colour per name,
 * listed once in the legend (the spread of seeds shows as a band of one colour); else a colour per run.
 */
function runLines(runs: readonly RunData[]): { color: string; legend?: string }[] {
  const names = runs.map(runName);
  const distinct = [...new Set(names)];
  if (distinct.length === 1 || distinct.length === names.length)
    return runs.map((_, i) => ({ color: color(i) }));
  return names.map((name) => {
    const seeds = names.filter((n) => n === name).length;
    return { color: color(distinct.indexOf(name)), legend: seeds > 1 ? `${name} (${seeds} runs)` : name };
  });
}

/** The held-out modes of `runs`, with their charts: one per axis, one line per run, in the order given. */
function comparisonSections(runs: readonly RunData[]): { modes: string[]; sections: Section[] } {
  const modes = [...new Set(runs.flatMap((run) => groupMembers(run.metrics.rows, 'heldout')))];
  const labels = runLabels(runs);
  const lines = runLines(runs);
  const sections = modes.map((mode) => ({
    title: `Held-out ${mode}`,
    charts: (Object.keys(AXIS_LABELS) as ComparisonAxis[]).map((axis) => ({
      id: `heldout-${mode}-${axis}`,
      title: `Held-out ${mode} accuracy against ${AXIS_LABELS[axis]}`,
      xLabel: AXIS_LABELS[axis],
      yLabel: 'accuracy',
      series: runs.map((run, i) => ({
        label: labels[i]!,
        points: heldoutAgainst(run, mode, axis),
        ...lines[i]!,
      })),
    })),
  }));
  return { modes, sections };
}

/**
 * One chart of the comparison (`heldout-<mode>-<axis>`) as a standalone SVG file's text, for a README or a paper;
 * throws ReportError, listing the charts there are, when `runs` have no chart `id`.
 */
export function renderComparisonChart(runs: readonly RunData[], id: string): string {
  const charts = comparisonSections(runs).sections.flatMap((section) => section.charts);
  const chart = charts.find((c) => c.id === id);
  if (!chart)
    throw new ReportError(
      `no chart ${id} in these runs; there are: ${charts.map((c) => c.id).join(', ') || 'none (no held-out scores)'}`,
    );
  return standaloneSvg(lineChart(chart));
}

/** The comparison page of `runs`, in the order given (each run's colour is its place, or its config's: runLines). */
export function renderComparison(runs: readonly RunData[], options: RenderOptions = {}): string {
  const { modes, sections } = comparisonSections(runs);
  const labels = runLabels(runs);
  const title = `azr comparison: ${labels.join(', ')}`;
  const dirs = runs.map((run, i) => `<li>${escapeHtml(labels[i]!)}: ${escapeHtml(run.runDir)}</li>`).join('');
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style></head><body><main>`,
    `<h1>${escapeHtml(title)}</h1>`,
    `<p>generated ${escapeHtml((options.generatedAt ?? new Date()).toISOString())}</p><ul>${dirs}</ul>`,
    summaryTable(runs, labels, modes),
    modes.length === 0 ? '<p class="none">no run has a held-out evaluation</p>' : '',
    ...sections.map(renderSection),
    '</main></body></html>',
  ].join('\n');
}
