// Reads a run directory (metrics.jsonl + summary.json) into the series the report draws.
// metrics.jsonl holds one flat JSON object per step: `step`, `version`, `<mode>.<metric>`, `learner.<metric>`,
// `time.<phase>`, `reward.<mode>.<role>.<shaper>` (each reward shaper's mean term), `faults.<part>` and
// `faultMessage.<part>` (plugin faults: count and first message), and on some steps `heldout.<mode>`; the names are
// src/selfplay/metrics.ts's, shared with the coordinator that writes them. Task modes are discovered from the keys.
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  groupKey,
  groupMember,
  METRIC_GROUPS,
  type MetricGroup,
  parseRewardTerm,
} from '../selfplay/metrics.ts';
import { AzrError } from '../errors.ts';

/** One value of a step: a number, or null where the run recorded no usable number (null, NaN, ±Infinity). */
export type MetricValue = number | null;
export type StepRow = {
  step: number;
  values: Map<string, MetricValue>;
  /** The line's string values (fault messages). */
  texts: Map<string, string>;
};

/** A point of a series; y null is a gap (the line breaks there). */
export type Point = readonly [step: number, value: MetricValue];

export interface SkippedLine {
  line: number;
  reason: string;
}

export interface ParsedMetrics {
  /** One row per step, sorted by step; where a step appears twice (a resumed run), the later line wins. */
  rows: StepRow[];
  skipped: SkippedLine[];
  /** Lines that were read but superseded by a later line for the same step. */
  duplicateSteps: number[];
}

export interface HeldoutSummary {
  before?: number;
  after?: number;
  baselines: Record<string, number>;
}

/** The parts of summary.json the report shows; every field is optional because the file may be partial. */
export interface RunSummary {
  name?: string;
  steps?: number;
  wallMs?: number;
  interrupted?: boolean;
  heldout: Map<string, HeldoutSummary>;
}

export interface RunData {
  runDir: string;
  metrics: ParsedMetrics;
  summary: RunSummary | null;
  /** Problems with summary.json that did not stop the report (unreadable, not JSON). */
  notes: string[];
}

/** Key groups that are not task modes. */
const NON_MODE_GROUPS: ReadonlySet<string> = new Set(METRIC_GROUPS);

/** A directory that holds no run to report on. */
export class ReportError extends AzrError {
  constructor(message: string) {
    super('RUN_DIR_INVALID', message);
  }
}

// Python's json.dumps and some loggers write bare NaN/Infinity, which JSON.parse rejects; such a line is
// still a good line whose value is missing, so it is read with those tokens as null.
const NON_FINITE_TOKEN = /(:\s*)(-?Infinity|NaN)(\s*[,}])/g;

function parseLine(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const lenient = text.replace(NON_FINITE_TOKEN, '$1null$3');
    if (lenient === text) throw error;
    return JSON.parse(lenient);
  }
}

export function parseMetrics(text: string): ParsedMetrics {
  const byStep = new Map<number, StepRow>();
  const skipped: SkippedLine[] = [];
  const duplicateSteps: number[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let record: unknown;
    try {
      record = parseLine(raw);
    } catch (error) {
      skipped.push({ line, reason: `not valid JSON (${(error as Error).message})` });
      return;
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      skipped.push({ line, reason: 'not a JSON object' });
      return;
    }
    const { step } = record as { step?: unknown };
    if (typeof step !== 'number' || !Number.isFinite(step)) {
      skipped.push({ line, reason: 'no numeric "step"' });
      return;
    }
    const values = new Map<string, MetricValue>();
    const texts = new Map<string, string>();
    for (const [key, value] of Object.entries(record)) {
      if (key === 'step') continue;
      if (value === null) values.set(key, null);
      else if (typeof value === 'number') values.set(key, Number.isFinite(value) ? value : null);
      else if (typeof value === 'string') texts.set(key, value);
      // Booleans and nested objects are neither plotted nor listed; they are left out.
    }
    if (byStep.has(step)) duplicateSteps.push(step);
    byStep.set(step, { step, values, texts });
  });
  const rows = [...byStep.values()].sort((a, b) => a.step - b.step);
  return { rows, skipped, duplicateSteps };
}

/** Every key that occurs in any row, in order of first occurrence. */
export function metricKeys(rows: readonly StepRow[]): string[] {
  const keys = new Set<string>();
  for (const row of rows) for (const key of row.values.keys()) keys.add(key);
  return [...keys];
}

/** The task modes of a run: the prefixes of `<mode>.<metric>` keys, in order of first occurrence. */
export function taskModes(rows: readonly StepRow[]): string[] {
  const modes = new Set<string>();
  for (const key of metricKeys(rows)) {
    const dot = key.indexOf('.');
    if (dot <= 0) continue;
    const group = key.slice(0, dot);
    if (!NON_MODE_GROUPS.has(group)) modes.add(group);
  }
  return [...modes];
}

/** The suffixes of the keys that start with `prefix.`, in order of first occurrence. */
function members(rows: readonly StepRow[], prefix: string): string[] {
  return metricKeys(rows).flatMap((key) =>
    key.startsWith(`${prefix}.`) ? [key.slice(prefix.length + 1)] : [],
  );
}

/** The members of a key group: `heldout` → the modes with held-out accuracy, `learner` → its statistics. */
export const groupMembers = (rows: readonly StepRow[], group: MetricGroup): string[] => members(rows, group);

/** The metrics of a task mode: `deduction` → `validRate`, `solveRate`, …. */
export const modeMetricNames = (rows: readonly StepRow[], mode: string): string[] => members(rows, mode);

/** Each reward shaper's terms: `reward.<mode>.<role>.<shaper>` keys as (mode, role, shaper), in order. */
export function shaperTerms(
  rows: readonly StepRow[],
): { key: string; mode: string; role: string; shaper: string }[] {
  return groupMembers(rows, 'reward').flatMap((member) => {
    const term = parseRewardTerm(member);
    return term ? [{ key: groupKey('reward', member), ...term }] : [];
  });
}

export interface PluginFault {
  part: string;
  /** Faults over the whole run. */
  count: number;
  /** Steps with at least one fault of this part. */
  steps: number;
  /** Each distinct first-of-a-step message, with the first step it was seen at. */
  messages: { step: number; message: string }[];
}

/** Plugin faults over the run, by plugin part, from `faults.<part>` counts and `faultMessage.<part>` messages. */
export function pluginFaults(rows: readonly StepRow[]): PluginFault[] {
  const byPart = new Map<string, PluginFault>();
  for (const row of rows) {
    for (const [key, value] of row.values) {
      const part = groupMember(key, 'faults');
      if (part === undefined || !value) continue;
      const fault = byPart.get(part) ?? { part, count: 0, steps: 0, messages: [] };
      fault.count += value;
      fault.steps++;
      const message = row.texts.get(groupKey('faultMessage', part));
      if (message !== undefined && !fault.messages.some((m) => m.message === message))
        fault.messages.push({ step: row.step, message });
      byPart.set(part, fault);
    }
  }
  return [...byPart.values()];
}

/** A key's values over steps. Steps without the key are left out (the line joins across them); null stays a gap. */
export function series(rows: readonly StepRow[], key: string): Point[] {
  const points: Point[] = [];
  for (const row of rows) if (row.values.has(key)) points.push([row.step, row.values.get(key) ?? null]);
  return points;
}

/** A series transformed point by point (null stays null). */
export function mapSeries(points: readonly Point[], transform: (value: number) => number): Point[] {
  return points.map(([step, value]) => [step, value === null ? null : transform(value)]);
}

const finiteNumber = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

function parseHeldout(value: unknown): Map<string, HeldoutSummary> {
  const heldout = new Map<string, HeldoutSummary>();
  if (typeof value !== 'object' || value === null) return heldout;
  for (const [mode, entry] of Object.entries(value)) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { before, after, baselines } = entry as Record<string, unknown>;
    const baselineValues: Record<string, number> = {};
    if (typeof baselines === 'object' && baselines !== null) {
      for (const [name, score] of Object.entries(baselines)) {
        const n = finiteNumber(score);
        if (n !== undefined) baselineValues[name] = n;
      }
    }
    heldout.set(mode, {
      before: finiteNumber(before),
      after: finiteNumber(after),
      baselines: baselineValues,
    });
  }
  return heldout;
}

export function parseSummary(text: string): RunSummary {
  const record = JSON.parse(text) as unknown;
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    throw new ReportError('not a JSON object');
  const { name, steps, wallMs, interrupted, heldout } = record as Record<string, unknown>;
  return {
    name: typeof name === 'string' ? name : undefined,
    steps: finiteNumber(steps),
    wallMs: finiteNumber(wallMs),
    interrupted: typeof interrupted === 'boolean' ? interrupted : undefined,
    heldout: parseHeldout(heldout),
  };
}

const runHint = 'run `azr run CONFIG --out DIR` first, then `azr report DIR`';

/** Reads a run directory; throws ReportError when there is nothing to report on. */
export async function loadRun(runDir: string): Promise<RunData> {
  const dir = resolve(runDir);
  const info = await stat(dir).catch(() => null);
  if (!info) throw new ReportError(`${dir}: no such directory; ${runHint}`);
  if (!info.isDirectory()) throw new ReportError(`${dir}: not a directory; ${runHint}`);
  const metricsFile = join(dir, 'metrics.jsonl');
  const metricsText = await readFile(metricsFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT')
      throw new ReportError(`${metricsFile}: not found, so ${dir} is not a run directory; ${runHint}`);
    throw new ReportError(`${metricsFile}: cannot be read (${error.message})`);
  });
  const notes: string[] = [];
  let summary: RunSummary | null = null;
  const summaryFile = join(dir, 'summary.json');
  const summaryText = await readFile(summaryFile, 'utf8').catch(() => null);
  if (summaryText === null) notes.push('summary.json not found (the run may still be going, or was cut off)');
  else {
    try {
      summary = parseSummary(summaryText);
    } catch (error) {
      notes.push(`summary.json ignored: ${(error as Error).message}`);
    }
  }
  return { runDir: dir, metrics: parseMetrics(metricsText), summary, notes };
}

/** The name shown for a run: summary.json's name, else the directory's name. */
export const runName = (run: RunData): string => run.summary?.name ?? basename(run.runDir);
