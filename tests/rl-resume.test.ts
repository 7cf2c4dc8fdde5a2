import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { loadCheckpoint, saveCheckpoint } from '../src/model/checkpoint.ts';
import { Rng } from '../src/model/rng.ts';
import { sample } from '../src/model/sampling.ts';
import { Transformer } from '../src/model/transformer.ts';
import { Learner, type RolloutSample } from '../src/rl/learner.ts';
import { modelTestFolder } from './helpers/model.ts';

const root = modelTestFolder('wasm', 'azr-resume-');

/** One self-play-like step: sample with `rng`, reward the count of token 3, update. */
function trainStep(model: Transformer, learner: Learner, rng: Rng) {
  const prompts = Array.from({ length: 8 }, (_, i) => [1 + (i % 3), 2]);
  const { tokens, logprobs } = sample(model, prompts, { maxTokens: 5, rng });
  const batch: RolloutSample[] = tokens.map((responseIds, i) => ({
    promptIds: prompts[i],
    responseIds,
    samplingLogprobs: logprobs[i],
    reward: responseIds.filter((t) => t === 3).length,
    group: i % 2 ? 'deduction/solver' : 'abduction/solver',
  }));
  return learner.step(batch);
}

test('exact resume: the step after a resume gives the same loss and weights as the uninterrupted run', async () => {
  const config = {
    vocabSize: 11,
    dModel: 16,
    nLayers: 2,
    nHeads: 4,
    nKvHeads: 2,
    ffnHidden: 32,
    maxSeqLen: 16,
  };
  const model = new Transformer(config, 3);
  const learner = new Learner(model, { lr: 1e-2, microBatchSize: 3 });
  const rng = new Rng(77);
  trainStep(model, learner, rng);
  trainStep(model, learner, rng);
  const dir = path.join(root, 'ckpt');
  await saveCheckpoint(dir, { model, learner, rng, extra: { step: 2 } });
  const uninterrupted = [trainStep(model, learner, rng), trainStep(model, learner, rng)];

  const loaded = await loadCheckpoint(dir);
  const resumedLearner = Learner.fromCheckpoint(loaded.model, loaded.learner!);
  assert.equal(resumedLearner.stepCount, 2);
  assert.equal(resumedLearner.options.lr, 1e-2);
  const resumedRng = loaded.rng as Rng;
  const resumed = [
    trainStep(loaded.model, resumedLearner, resumedRng),
    trainStep(loaded.model, resumedLearner, resumedRng),
  ];
  for (const i of [0, 1]) {
    assert.equal(resumed[i].loss, uninterrupted[i].loss, `loss of step ${3 + i}`);
    assert.equal(resumed[i].gradNorm, uninterrupted[i].gradNorm);
  }
  for (const [name, w] of model.weights()) assert.deepEqual(loaded.model.weights().get(name), w, name);
  learner.dispose();
  resumedLearner.dispose();
  model.dispose();
  loaded.model.dispose();
});
