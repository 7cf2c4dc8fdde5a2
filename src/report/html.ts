// The report page: a header with the run's facts, the problems met while reading it, the last step's figures
// per task mode, and the charts (self-play per mode, each reward shaper's terms, held-out accuracy, learner, step
// time), and the plugin faults with their messages. One file, inline CSS and SVG, nothing fetched.
import { groupKey, type ModeMetric, modeKey, WALL_TIME } from '../selfplay/metrics.ts';
import { escapeHtml } from './escape.ts';
import {
  groupMembers,
  type MetricValue,
  mapSeries,
  modeMetricNames,
  type Point,
  pluginFaults,
  type RunData,
  runName,
  type StepRow,
  series,
  shaperTerms,
  taskModes,
} from './metrics.ts';
import { CHART_STYLE, formatValue, type LineChartSpec, type LineSeries, lineChart, PALETTE } from './svg.ts';

export interface RenderOptions {
  /** Written in the header; defaults to now. */
  generatedAt?: Date;
}

export interface Section {
  title: string;
  /** HTML shown under the title before the charts (already escaped). */
  intro?: string;
  charts: (LineChartSpec & { note?: string })[];
}

/** The per-mode metrics with a chart of their own, in page order; other `<mode>.*` metrics are charted after. */
const MODE_CHARTS: {
  metric: ModeMetric;
  id: string;
  title: string;
  yLabel: string;
  yDomain?: [number, number];
}[] = [
  {
    metric: 'validRate',
    id: 'valid-rate',
    title: 'Valid-proposal rate per mode',
    yLabel: 'valid / proposed',
    yDomain: [0, 1],
  },
  { metric: 'solveRate', id: 'solve-rate', title: 'Solve rate per mode', yLabel: 'solved', yDomain: [0, 1] },
  { metric: 'programChars', id: 'program-chars', title: 'Program length per mode', yLabel: 'characters' },
  {
    metric: 'topOutputShare',
    id: 'top-output-share',
    title: "Most common output's share of the new tasks per mode",
    yLabel: 'share',
    yDomain: [0, 1],
  },
];
const REWARD_ROLES: { metric: ModeMetric; role: string; dashed: boolean }[] = [
  { metric: 'proposerReward', role: 'proposer', dashed: false },
  { metric: 'solverReward', role: 'solver', dashed: true },
];
const LEARNER_CHARTS: { id: string; title: string; yLabel: string; metrics: string[] }[] = [
  {
    id: 'learner-loss',
    title: 'Learner loss',
    yLabel: 'loss',
    metrics: ['loss', 'pgLoss', 'supervisedLoss', 'proposer.loss', 'proposer.pgLoss'],
  },
  // `proposer.*`: the proposer's own model, where it has one (docs/azr.md §5).
  {
    id: 'learner-entropy',
    title: 'Policy entropy',
    yLabel: 'nats',
    metrics: ['entropy', 'proposer.entropy'],
  },
  {
    id: 'learner-grad-norm',
    title: 'Gradient norm',
    yLabel: 'L2 norm',
    metrics: ['gradNorm', 'proposer.gradNorm'],
  },
  {
    id: 'learner-tokens',
    title: 'Tokens per update',
    yLabel: 'tokens',
    metrics: ['responseTokens', 'supervisedTokens', 'proposer.responseTokens'],
  },
];

export const color = (index: number) => PALETTE[index % PALETTE.length]!;

/** Splits camelCase for people: `formatErrorRate` → `format error rate`. */
export const words = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

export function formatDuration(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

export const formatCell = (value: MetricValue | undefined) =>
  value === undefined || value === null ? '—' : formatValue(value);

function selfPlaySection(rows: StepRow[], modes: string[]): Section {
  const modeSeries = (metric: string, extra: Partial<LineSeries> = {}) =>
    modes.map((mode, i) => ({
      label: mode,
      points: series(rows, modeKey(mode, metric)),
      color: color(i),
      ...extra,
    }));
  const rewards: LineSeries[] = modes.flatMap((mode, i) =>
    REWARD_ROLES.map(({ metric, role, dashed }) => ({
      label: `${mode} ${role}`,
      points: series(rows, modeKey(mode, metric)),
      color: color(i),
      dashed,
    })),
  );
  const charted = new Set<string>([...REWARD_ROLES, ...MODE_CHARTS].map((c) => c.metric));
  const otherMetrics = [...new Set(modes.flatMap((mode) => modeMetricNames(rows, mode)))].filter(
    (metric) => !charted.has(metric),
  );
  return {
    title: 'Self-play per task mode',
    charts: [
      {
        id: 'reward',
        title: 'Reward per mode and role',
        yLabel: 'mean reward',
        yDomain: [-1, 1],
        series: rewards,
        note: 'solid: proposer, dashed: solver',
      },
      ...MODE_CHARTS.map(({ metric, ...chart }) => ({ ...chart, series: modeSeries(metric) })),
      ...otherMetrics.map((metric) => ({
        id: `mode-${metric}`,
        title: `${words(metric)[0]!.toUpperCase()}${words(metric).slice(1)} per mode`,
        yLabel: words(metric),
        series: modeSeries(metric),
      })),
    ],
  };
}

/** One chart per task mode: each reward shaper's mean term per role (they add up to the mode's reward). */
function rewardTermsSection(rows: StepRow[], modes: string[]): Section {
  const terms = shaperTerms(rows);
  const shapers = [...new Set(terms.map((t) => t.shaper))];
  const section: Section = { title: 'Reward terms per shaper', charts: [] };
  if (terms.length === 0) {
    section.intro = '<p class="none">no reward terms recorded (metrics.jsonl has no reward.* keys)</p>';
    return section;
  }
  for (const [i, mode] of modes.entries()) {
    const own = terms.filter((t) => t.mode === mode);
    if (own.length === 0) continue;
    section.charts.push({
      id: `reward-terms-${i}`,
      title: `Reward terms: ${mode}`,
      yLabel: 'mean term',
      series: own.map((t) => ({
        label: `${t.shaper} ${t.role}`,
        points: series(rows, t.key),
        color: color(shapers.indexOf(t.shaper)),
        dashed: t.role === 'solver',
      })),
      note: 'solid: proposer, dashed: solver; per role, the terms add up to the mode’s mean reward',
    });
  }
  return section;
}

/** Plugin parts that threw and runtime faults: how often, and the first message of each step (each distinct once). */
function faultsSection(rows: StepRow[]): Section {
  const faults = pluginFaults(rows);
  const section: Section = { title: 'Faults', charts: [] };
  if (faults.length === 0) {
    section.intro = '<p class="none">no plugin or runtime faults</p>';
    return section;
  }
  const body = faults.map((fault) => [
    escapeHtml(fault.part),
    String(fault.count),
    String(fault.steps),
    fault.messages.map((m) => `step ${m.step}: ${escapeHtml(m.message)}`).join('<br>') || '—',
  ]);
  section.intro = htmlTable(
    ['part', 'faults', 'steps', 'first message (each distinct one, from the step it first appeared)'],
    body,
    'calls into plugins that threw (contained: the run went on); actor crashes, restarts, retried messages, dead letters and lost nodes (actor:…, node:…)',
  );
  return section;
}

function heldoutSection(run: RunData): Section {
  const { rows } = run.metrics;
  const evaluated = groupMembers(rows, 'heldout');
  const table = run.summary?.heldout ?? new Map();
  const section: Section = { title: 'Held-out accuracy', charts: [] };
  if (evaluated.length === 0 && table.size === 0) {
    section.intro = '<p class="none">no held-out evaluation in this run</p>';
    return section;
  }
  if (evaluated.length > 0) {
    section.charts.push({
      id: 'heldout',
      title: 'Held-out accuracy per mode',
      yLabel: 'accuracy',
      yDomain: [0, 1],
      series: evaluated.map((mode, i) => ({
        label: mode,
        points: series(rows, groupKey('heldout', mode)),
        color: color(i),
      })),
    });
  }
  if (table.size > 0) {
    const baselines = [...new Set([...table.values()].flatMap((entry) => Object.keys(entry.baselines)))];
    const head = ['mode', 'before', 'after', 'change', ...baselines.map((b) => `baseline: ${words(b)}`)];
    const body = [...table].map(([mode, entry]) => {
      const change =
        entry.before !== undefined && entry.after !== undefined
          ? `${entry.after >= entry.before ? '+' : ''}${formatValue(entry.after - entry.before)}`
          : '—';
      return [
        escapeHtml(mode),
        formatCell(entry.before),
        formatCell(entry.after),
        change,
        ...baselines.map((b) => formatCell(entry.baselines[b])),
      ];
    });
    section.intro = htmlTable(
      head.map((h) => escapeHtml(h)),
      body,
      'held-out accuracy before and after training, and of the baselines',
    );
  }
  return section;
}

function learnerSection(rows: StepRow[]): Section {
  const present = new Set(groupMembers(rows, 'learner'));
  const learnerChart = (id: string, title: string, yLabel: string, metrics: string[]) => ({
    id,
    title,
    yLabel,
    series: metrics
      .filter((m) => present.has(m))
      .map((m, i) => ({ label: words(m), points: series(rows, groupKey('learner', m)), color: color(i) })),
  });
  const charted = new Set(LEARNER_CHARTS.flatMap((c) => c.metrics));
  const others = [...present].filter((m) => !charted.has(m));
  const charts = LEARNER_CHARTS.map((c) => learnerChart(c.id, c.title, c.yLabel, c.metrics));
  charts.push(learnerChart('learner-other', 'Other learner statistics', 'value', others));
  return { title: 'Learner', charts: charts.filter((c) => c.series.length > 0) };
}

function timeSection(rows: StepRow[]): Section {
  const phases = groupMembers(rows, 'time').filter((p) => p !== WALL_TIME);
  const toSeconds = (points: Point[]) => mapSeries(points, (ms) => ms / 1000);
  const lines: LineSeries[] = phases.map((phase, i) => ({
    label: words(phase),
    points: toSeconds(series(rows, groupKey('time', phase))),
    color: color(i),
  }));
  if (groupMembers(rows, 'time').includes(WALL_TIME))
    lines.push({
      label: 'whole step',
      points: toSeconds(series(rows, groupKey('time', WALL_TIME))),
      color: '#222',
      dashed: true,
    });
  return {
    title: 'Time',
    charts:
      lines.length === 0
        ? []
        : [{ id: 'step-time', title: 'Step time by phase', yLabel: 'seconds', series: lines }],
  };
}

/** A table from cells that are already escaped HTML. */
export function htmlTable(head: string[], body: string[][], caption: string): string {
  const row = (cells: string[], tag: 'th' | 'td') =>
    `<tr>${cells.map((c, i) => `<${i === 0 ? 'th' : tag}>${c}</${i === 0 ? 'th' : tag}>`).join('')}</tr>`;
  return (
    `<table><caption>${escapeHtml(caption)}</caption><thead>${row(head, 'th')}</thead>` +
    `<tbody>${body.map((cells) => row(cells, 'td')).join('')}</tbody></table>`
  );
}

function lastStepTable(rows: StepRow[], modes: string[]): string {
  const last = rows.at(-1);
  if (!last || modes.length === 0) return '';
  const metrics = [...new Set(modes.flatMap((mode) => modeMetricNames([last], mode)))];
  const body = modes.map((mode) => [
    escapeHtml(mode),
    ...metrics.map((m) => formatCell(last.values.get(modeKey(mode, m)))),
  ]);
  return htmlTable(
    ['mode', ...metrics.map((m) => escapeHtml(words(m)))],
    body,
    `step ${last.step}, the last one recorded`,
  );
}

function problems(run: RunData): string[] {
  const { skipped, duplicateSteps } = run.metrics;
  return [
    ...skipped.map((s) => `metrics.jsonl line ${s.line} skipped: ${s.reason}`),
    ...(duplicateSteps.length > 0
      ? [
          `metrics.jsonl records step(s) ${[...new Set(duplicateSteps)].join(', ')} more than once (a resumed run?); the later line is used`,
        ]
      : []),
    ...run.notes,
  ];
}

export function renderSection(section: Section): string {
  const figures = section.charts.map(
    ({ note, ...chart }) =>
      `<figure><figcaption>${escapeHtml(chart.title)}</figcaption>${lineChart(chart)}` +
      `${note ? `<p class="note">${escapeHtml(note)}</p>` : ''}</figure>`,
  );
  return (
    `<section><h2>${escapeHtml(section.title)}</h2>${section.intro ?? ''}` +
    `${figures.length > 0 ? `<div class="charts">${figures.join('')}</div>` : ''}</section>`
  );
}

export const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 0; background: #f6f7f9; }
main { max-width: 1240px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 8px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 28px 0 10px; border-bottom: 1px solid #d8dce2; padding-bottom: 4px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
dt { color: #666; } dd { margin: 0; overflow-wrap: anywhere; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; }
figure { margin: 0; background: #fff; border: 1px solid #e1e4e8; border-radius: 6px; padding: 10px 12px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
figure svg { width: 100%; height: auto; display: block; }
svg text { fill: #333; font-family: inherit; }${CHART_STYLE}.note { color: #666; font-size: 12px; margin: 4px 0 0; }
.problems { background: #fff4e5; border: 1px solid #f0c36d; border-radius: 6px; padding: 8px 14px; }
.problems h2 { margin-top: 4px; }
.problems ul { margin: 4px 0; padding-left: 20px; }
.none { color: #666; font-style: italic; }
table { border-collapse: collapse; background: #fff; margin: 6px 0 14px; }
caption { text-align: left; color: #666; padding-bottom: 4px; }
th, td { border: 1px solid #e1e4e8; padding: 4px 10px; text-align: right; font-variant-numeric: tabular-nums; }
thead th, tbody th { text-align: left; background: #f0f2f5; }
`;

export function renderReport(run: RunData, options: RenderOptions = {}): string {
  const { rows } = run.metrics;
  const modes = taskModes(rows);
  const name = runName(run);
  const { summary } = run;
  const first = rows.at(0)?.step;
  const last = rows.at(-1)?.step;
  const facts: [string, string][] = [
    ['run directory', run.runDir],
    [
      'steps',
      rows.length === 0
        ? 'none recorded'
        : `${summary?.steps ?? rows.length} (metrics for ${rows.length} step${rows.length === 1 ? '' : 's'}: ${first === last ? first : `${first}–${last}`})`,
    ],
    [
      'wall time',
      summary?.wallMs !== undefined ? formatDuration(summary.wallMs) : 'unknown (no summary.json)',
    ],
    ['task modes', modes.length > 0 ? modes.join(', ') : 'none found'],
    ['generated', (options.generatedAt ?? new Date()).toISOString()],
  ];
  if (summary?.interrupted)
    facts.push(['status', 'interrupted (Ctrl-C); resumable from its last checkpoint']);
  const issues = problems(run);
  const sections =
    rows.length === 0
      ? [{ title: 'Charts', intro: '<p class="none">metrics.jsonl holds no steps yet</p>', charts: [] }]
      : [
          selfPlaySection(rows, modes),
          rewardTermsSection(rows, modes),
          faultsSection(rows),
          heldoutSection(run),
          learnerSection(rows),
          timeSection(rows),
        ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>azr report: ${escapeHtml(name)}</title>`,
    `<style>${STYLE}</style></head><body><main>`,
    `<h1>azr report: ${escapeHtml(name)}</h1>`,
    `<dl>${facts.map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(value)}</dd>`).join('')}</dl>`,
    issues.length > 0
      ? `<section class="problems" data-section="problems"><h2>Problems reading the run</h2><ul>${issues
          .map((issue) => `<li>${escapeHtml(issue)}</li>`)
          .join('')}</ul></section>`
      : '',
    rows.length > 0 && modes.length > 0
      ? `<section><h2>Last step</h2>${lastStepTable(rows, modes)}</section>`
      : '',
    ...sections.map(renderSection),
    '</main></body></html>',
    '',
  ].join('\n');
}
