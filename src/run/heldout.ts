// The held-out set around a run: when the coordinator scores it, and its before/after figures for summary.json.
import { readFile } from 'node:fs/promises';
import { averagedKey, averagedMode } from '../selfplay/metrics.ts';
import type { LoadedTopology } from '../topology/index.ts';
import type { HeldoutBaselines, RunSummary } from './events.ts';

/** Every how many steps the coordinator's `heldout.every` asks for a scoring (0: at the last step only). */
export function heldoutEvery(loaded: LoadedTopology): number {
  const coordinator = loaded.topology.actors.find((entry) => entry.kind === 'coordinator');
  return Number((coordinator?.options?.heldout as { every?: number } | undefined)?.every ?? 0);
}

/** Accuracy by mode as metrics: `heldout.MODE`. */
export const prefixedHeldout = (accuracy: Record<string, number>) =>
  Object.fromEntries(Object.entries(accuracy).map(([mode, a]) => [`heldout.${mode}`, a]));

/** The accuracy by mode that a step's metrics hold (`heldout.MODE`); empty when the step scored none. */
export const heldoutOf = (metrics: Record<string, unknown>): Record<string, number> =>
  Object.fromEntries(
    Object.entries(metrics)
      .filter(([key, value]) => key.startsWith('heldout.') && typeof value === 'number')
      .map(([key, value]) => [key.slice('heldout.'.length), value as number]),
  );

/** Held-out accuracy before (step 0) and after (the last scored step), from the metrics file. */
export async function heldoutSummary(
  metricsFile: string,
  baselines: HeldoutBaselines,
): Promise<RunSummary['heldout']> {
  const lines = (await readFile(metricsFile, 'utf8').catch(() => ''))
    .split('\n')
    .filter((line) => line.includes('"heldout.'))
    .map((line) => JSON.parse(line) as Record<string, number>);
  const before = lines.find((line) => line.step === 0);
  const after = lines.filter((line) => line.step > 0).at(-1);
  if (!before && !after) return undefined;
  // With the learner's moving average, `ema.<mode>` is scored too, against the mode's baselines.
  const averaged = Object.keys(baselines)
    .map(averagedKey)
    .filter((name) => lines.some((line) => `heldout.${name}` in line));
  return Object.fromEntries(
    [...Object.keys(baselines), ...averaged].map((name) => [
      name,
      {
        before: before?.[`heldout.${name}`] ?? null,
        after: after?.[`heldout.${name}`] ?? null,
        baselines: baselines[averagedMode(name) ?? name]!,
      },
    ]),
  );
}
