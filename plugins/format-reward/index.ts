// Penalty for output that cannot be used: an unparseable completion, or a proposal the executor rejects.
import { Type } from '@sinclair/typebox';
import { definePlugin } from '../../src/plugins/index.ts';

export default definePlugin({
  name: 'format',
  description: 'Penalises completions that do not parse and proposals that are not valid tasks.',
  options: Type.Object({
    formatErrorReward: Type.Number({
      default: -1,
      description: 'Reward of a completion that does not parse.',
    }),
    invalidProposalReward: Type.Number({
      default: -1,
      description: 'Reward of a proposal that parses but the executor rejects (docs/azr.md §3).',
    }),
  }),
  rewardShapers: (o) => [
    {
      name: 'format',
      reward: (rollout) => {
        if (!rollout.formatOk) return o.formatErrorReward;
        return rollout.role === 'proposer' && rollout.valid === false ? o.invalidProposalReward : 0;
      },
    },
  ],
});
