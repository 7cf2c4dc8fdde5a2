// Proposer reward for a valid task: 1 − r̄ when the solver sometimes succeeds (0 < r̄ < 1), else `unlearnableReward`
// (paper: 0; reference code: −0.5), or `unsolvedReward` when it never does (r̄ = 0).
import { Type } from '@sinclair/typebox';
import { definePlugin } from '../../src/plugins/index.ts';

export default definePlugin({
  name: 'learnability',
  description: 'Rewards proposals the solver solves sometimes, but not always.',
  options: Type.Object({
    unlearnableReward: Type.Number({
      default: 0,
      description: 'Reward when r̄ is 0 or 1 (reference code: -0.5).',
    }),
    unsolvedReward: Type.Optional(
      Type.Number({
        description:
          'Reward when r̄ is 0 (default: `unlearnableReward`). 1 makes the reward 1 − r̄ for every r̄ < 1: with ' +
          'executor-supervised learning the solver learns from the tasks it never solves too (not in the paper; ' +
          'docs/azr.md §4).',
      }),
    ),
  }),
  rewardShapers: (o) => [
    {
      name: 'learnability',
      reward: (rollout) => {
        if (rollout.role !== 'proposer' || !rollout.valid || rollout.solveRate === undefined) return 0;
        const rate = rollout.solveRate;
        if (rate === 0) return o.unsolvedReward ?? o.unlearnableReward;
        return rate < 1 ? 1 - rate : o.unlearnableReward;
      },
    },
  ],
});
