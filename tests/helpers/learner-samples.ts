// Inputs for tests of the learner actor on a tiny model: its spec, an ask timeout, one rollout sample of a role
// with a reward, and one supervised pair.
export const tinyModel = { dModel: 16, nLayers: 1, nHeads: 2, ffnHidden: 32, maxSeqLen: 32 };
export const askTimeout = { timeoutMs: 60_000 };

export const rolloutSample = (role: 'proposer' | 'solver', reward: number) => ({
  promptIds: [1, 2, 3],
  responseIds: [4, 5],
  samplingLogprobs: [-1, -1],
  reward,
  group: `deduction/${role}`,
});

export const supervisedPair = { promptIds: [1, 2], targetIds: [6, 7] };
