// Proposer penalty for asking what the buffer already asks too often: −weight × the share of the mode's last
// `window` buffered tasks whose output equals the new task's. Learnability alone lets a small proposer settle on the
// outputs an untrained solver guesses (`0`, `''`, `False`): docs/learning.md measures that collapse. Off unless a
// config names it.
import { Type } from '@sinclair/typebox';
import { definePlugin, type Task } from '../../src/plugins/index.ts';

/** The share of `tasks` with output `output` (0 for none). */
export function outputShare(output: string, tasks: readonly Task[]): number {
  if (tasks.length === 0) return 0;
  let same = 0;
  for (const task of tasks) if (task.output === output) same++;
  return same / tasks.length;
}

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
  rewardShapers: (o) => [
    {
      name: 'outputBalance',
      needsBuffer: true,
      reward: (rollout, context) => {
        if (rollout.role !== 'proposer' || !rollout.valid || !rollout.task) return 0;
        const share = outputShare(rollout.task.output, context.buffer.slice(-o.window));
        return share > 0 ? -o.weight * share : 0;
      },
    },
  ],
});
