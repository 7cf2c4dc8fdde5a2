// Solver reward for a well-formed answer: 1 when the executor judges it correct, `wrongReward` otherwise.
import { Type } from '@sinclair/typebox';
import { definePlugin } from '../../src/plugins/index.ts';

export default definePlugin({
  name: 'correctness',
  description: 'Rewards correct answers, as judged by the executor.',
  options: Type.Object({
    correctReward: Type.Number({
      default: 1,
      description: 'Reward of an answer the executor judges correct.',
    }),
    wrongReward: Type.Number({ default: -0.5, description: 'Reward of a well-formed but wrong answer.' }),
  }),
  rewardShapers: (o) => [
    {
      name: 'correctness',
      reward: (rollout) => {
        if (rollout.role !== 'solver' || !rollout.formatOk) return 0;
        return rollout.correct ? o.correctReward : o.wrongReward;
      },
    },
  ],
});
