// Proposer penalty for asking what the buffer already asks too often: −weight × the share of the mode's last
// `window` buffered tasks whose output equals the new task's. Learnability alone lets a small proposer settle on the
// outputs an untrained solver guesses (`0`, `''`, `False`): docs/learning.md measures that collapse. Off unless a
// config names it.
import { Type } from '@sinclair/typebox';
import { definePlugin, type Task } from '../../src/plugins/index.ts';

/** Each output's share of the last `window` tasks. */
function outputShares(tasks: readonly Task[], window: number): Map<string, number> {
  const recent = tasks.slice(-window);
  const counts = new Map<string, number>();
  for (const task of recent) counts.set(task.output, (counts.get(task.output) ?? 0) + 1);
  for (const [output, count] of counts) counts.set(output, count / recent.length);
  return counts;
}

/** The share of `tasks` with output `output` (0 for none). */
export const outputShare = (output: string, tasks: readonly Task[]): number =>
  outputShares(tasks, tasks.length).get(output) ?? 0;

export default definePlugin({
  name: 'output-balance',
  description: "Penalises proposals whose output is already common among the mode's recent buffered tasks.",
  options: Type.Object({
    weight: Type.Number({
      minimum: 0,
      default: 1,
      description: 'Penalty for an output every recent buffered task has (scaled by its share).',
    }),
    window: Type.Integer({
      minimum: 1,
      default: 2000,
      description: 'Most recent buffered tasks of the mode compared against.',
    }),
  }),
  rewardShapers: (o) => {
    const byBuffer = new WeakMap<readonly Task[], Map<string, number>>();
    return [
      {
        name: 'outputBalance',
        needsBuffer: true,
        reward: (rollout, { buffer }) => {
          if (rollout.role !== 'proposer' || !rollout.valid || !rollout.task) return 0;
          // Counted once per step's buffer, read for every proposal.
          const shares = byBuffer.get(buffer) ?? outputShares(buffer, o.window);
          byBuffer.set(buffer, shares);
          const share = shares.get(rollout.task.output) ?? 0;
          return share > 0 ? -o.weight * share : 0;
        },
      },
    ];
  },
});
