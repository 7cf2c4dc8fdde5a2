// One page comparing runs (a run and its ablations, or seeds): the held-out table of each, and each held-out mode's
// accuracy against steps, wall time and the mode's new tasks seen — the learning curve against data, which steps
// and minutes hide when runs differ in speed (docs/report.md).
import { groupKey, modeKey, WALL_TIME } from '../selfplay/metrics.ts';
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
import { groupMembers, type Point, type RunData, runName, type StepRow, series } from './metrics.ts';

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

/** Held-out accuracy of `mode` in `run` against the step, the wall minutes so far, or the mode's new tasks so far. */
export function heldoutAgainst(run: RunData, mode: string, axis: ComparisonAxis): Point[] {
  const { rows } = run.metrics;
  const points = series(rows, groupKey('heldout', mode));
  if (axis === 'step') return points;
  const total =
    axis === 'minutes'
      ? runningTotal(rows, groupKey('time', WALL_TIME), 1 / 60_000)
      : runningTotal(rows, modeKey(mode, 'newTasks'));
  return points.flatMap(([step, value]) => {
    const x = total(step);
    return x === undefined ? [] : [[x, value] as const];
  });
}

function summaryTable(runs: readonly RunData[], modes: readonly string[]): string {
  const head = ['run', 'steps', 'wall time', ...modes.flatMap((m) => [`${m} before`, `${m} after`])];
  const body = runs.map((run) => [
    escapeHtml(runName(run)),
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

/** The comparison page of `runs`, in the order given (each run's colour is its place). */
export function renderComparison(runs: readonly RunData[], options: RenderOptions = {}): string {
  const modes = [...new Set(runs.flatMap((run) => groupMembers(run.metrics.rows, 'heldout')))];
  const sections: Section[] = modes.map((mode) => ({
    title: `Held-out ${mode}`,
    charts: (Object.keys(AXIS_LABELS) as ComparisonAxis[]).map((axis) => ({
      id: `heldout-${mode}-${axis}`,
      title: `Held-out ${mode} accuracy against ${AXIS_LABELS[axis]}`,
      xLabel: AXIS_LABELS[axis],
      yLabel: 'accuracy',
      series: runs.map((run, i) => ({
        label: runName(run),
        points: heldoutAgainst(run, mode, axis),
        color: color(i),
      })),
    })),
  }));
  const title = `azr comparison: ${runs.map(runName).join(', ')}`;
  const dirs = runs.map((run) => `<li>${escapeHtml(runName(run))}: ${escapeHtml(run.runDir)}</li>`).join('');
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style></head><body><main>`,
    `<h1>${escapeHtml(title)}</h1>`,
    `<p>generated ${escapeHtml((options.generatedAt ?? new Date()).toISOString())}</p><ul>${dirs}</ul>`,
    summaryTable(runs, modes),
    modes.length === 0 ? '<p class="none">no run has a held-out evaluation</p>' : '',
    ...sections.map(renderSection),
    '</main></body></html>',
  ].join('\n');
}
