// The names of a step's metrics, for the coordinator that writes them to metrics.jsonl and for `src/report` that
// reads them back (docs/report.md). A line is flat: `step`, `version`, `<mode>.<metric>` and `<group>.<member>` keys.
import type { Faults } from '../plugins/index.ts';

/** Key groups that are not task modes: any other `<prefix>.` of a key is a task mode. */
export const METRIC_GROUPS = ['learner', 'time', 'heldout', 'reward', 'faults', 'faultMessage'] as const;
export type MetricGroup = (typeof METRIC_GROUPS)[number];

/** What the coordinator measures for each task mode each step (docs/azr.md §2), in the order it writes them. */
export const MODE_METRICS = [
  'validRate',
  'formatErrorRate',
  'newTasks',
  'tasksPerProposal',
  'bufferSize',
  'learnability',
  'solveRate',
  'proposerReward',
  'solverReward',
  'programChars',
  'topOutputShare',
] as const;
export type ModeMetric = (typeof MODE_METRICS)[number];
/** A mode's figures; the solver's two are undefined on a step it did not answer (`answerEvery`). */
export type ModeFigures = Record<Exclude<ModeMetric, 'solveRate' | 'solverReward'>, number> &
  Record<'solveRate' | 'solverReward', number | undefined>;

/** The member of `time` that holds a step's whole wall time; the other members are phases. */
export const WALL_TIME = 'wallMs';

/** `<mode>.<metric>`, e.g. `deduction.solveRate`. */
export const modeKey = (mode: string, metric: string): string => `${mode}.${metric}`;

/** The `heldout` member scoring the learner's moving average of the weights (`emaDecay`) on `mode`: `ema.<mode>`. */
export const averagedKey = (mode: string): string => `ema.${mode}`;

/** The mode whose averaged-weights score (`ema.<mode>`) the held-out member `name` is, if it is one. */
export const averagedMode = (name: string): string | undefined =>
  name.startsWith('ema.') ? name.slice('ema.'.length) : undefined;

/** `<group>.<member>`, e.g. `heldout.deduction`, `learner.loss`, `time.generation`. */
export const groupKey = (group: MetricGroup, member: string): string => `${group}.${member}`;

/** The member of `group` that `key` names (`learner.loss` in `learner` → `loss`); undefined for a key of another. */
export function groupMember(key: string, group: MetricGroup): string | undefined {
  const prefix = `${group}.`;
  return key.startsWith(prefix) ? key.slice(prefix.length) : undefined;
}

/** `reward.<mode>.<role>.<shaper>`: a reward shaper's mean term over one role's rollouts of a mode. */
export const rewardTermKey = (mode: string, role: string, shaper: string): string =>
  groupKey('reward', `${mode}.${role}.${shaper}`);

/** A `reward` member (`<mode>.<role>.<shaper>`, the shaper's name may hold dots) read back; undefined if not one. */
export function parseRewardTerm(member: string): { mode: string; role: string; shaper: string } | undefined {
  const [mode, role, ...shaper] = member.split('.');
  return role && shaper.length > 0 ? { mode: mode!, role, shaper: shaper.join('.') } : undefined;
}

/** Every value under `<group>.`: `{ loss: 1 }` in group `learner` → `{ 'learner.loss': 1 }`. */
export function inGroup<V>(group: MetricGroup, values: Record<string, V>): Record<string, V> {
  return Object.fromEntries(
    Object.entries(values).map(([member, value]) => [groupKey(group, member), value]),
  );
}

/**
 * One mode's part of a step's line: its figures, then each shaper's mean term per role (`terms[role][shaper]`).
 */
export function modeMetrics(
  mode: string,
  figures: ModeFigures,
  terms: { proposer: Record<string, number>; solver: Record<string, number> },
): Record<string, number> {
  const line: Record<string, number> = {};
  for (const metric of MODE_METRICS) {
    const value = figures[metric];
    if (value !== undefined) line[modeKey(mode, metric)] = value;
  }
  for (const role of ['proposer', 'solver'] as const)
    for (const [shaper, term] of Object.entries(terms[role])) line[rewardTermKey(mode, role, shaper)] = term;
  return line;
}

/** The plugin faults of a step: `faults.<part>` (how many) and `faultMessage.<part>` (the first message). */
export function faultMetrics(faults: Faults): Record<string, number | string> {
  const line: Record<string, number | string> = {};
  for (const [part, { count, first }] of Object.entries(faults)) {
    line[groupKey('faults', part)] = count;
    line[groupKey('faultMessage', part)] = first;
  }
  return line;
}

/** A step's time per phase (ms) and its whole wall time: `time.<phase>`, `time.wallMs`. */
export const timeMetrics = (phases: Record<string, number>, wallMs: number): Record<string, number> => ({
  ...inGroup('time', phases),
  [groupKey('time', WALL_TIME)]: wallMs,
});

/**
 * What a learner update adds to the line: `version`, and its statistics as `learner.<stat>` (without `groups`
 * and the learner's own `step` count, which the line already has as `version`).
 */
export function learnerMetrics(update: {
  version: number;
  stats: Record<string, unknown>;
}): Record<string, unknown> {
  const { groups: _groups, step: _step, ...stats } = update.stats;
  return { version: update.version, ...inGroup('learner', stats) };
}

/** Held-out accuracy per mode: `heldout.<mode>`. */
export const heldoutMetrics = (accuracy: Record<string, number>): Record<string, number> =>
  inGroup('heldout', accuracy);
