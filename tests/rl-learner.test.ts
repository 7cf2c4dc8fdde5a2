import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/model/backend.ts';
import { Rng } from '../src/model/rng.ts';
import { sample } from '../src/model/sampling.ts';
import { CharTokenizer } from '../src/model/tokenizer.ts';
import { Transformer, type TransformerConfig } from '../src/model/transformer.ts';
import { Learner, type RolloutSample } from '../src/rl/learner.ts';

const tokenizer = new CharTokenizer('abcd', ['<a>', '<b>']);
const config: TransformerConfig = {
  vocabSize: tokenizer.vocabSize,
  dModel: 32,
  nLayers: 1,
  nHeads: 2,
  ffnHidden: 64,
  maxSeqLen: 16,
};
// Reward for emitting the target string (fraction of matching characters); two prompts, each its own advantage group.
const tasks = [
  { group: 'a/solver', prompt: tokenizer.encode('<a>'), target: 'cabd' },
  { group: 'b/proposer', prompt: tokenizer.encode('<b>'), target: 'cabd' },
];
const reward = (response: number[], target: string) => {
  const text = tokenizer.decode(response);
  let matches = 0;
  for (let i = 0; i < target.length; i++) if (text[i] === target[i]) matches++;
  return matches / target.length;
};

const STEPS = 40;

function rollouts(model: Transformer, rng: Rng, perTask: number): RolloutSample[] {
  const prompts = tasks.flatMap((t) => Array.from({ length: perTask }, () => t.prompt));
  const { tokens, logprobs } = sample(model, prompts, { maxTokens: 4, temperature: 1, rng });
  return tokens.map((responseIds, i) => {
    const task = tasks[Math.floor(i / perTask)];
    return {
      promptIds: task.prompt,
      responseIds,
      samplingLogprobs: logprobs[i],
      reward: reward(responseIds, task.target),
      group: task.group,
    };
  });
}

before(async () => {
  await initBackend('wasm', { log: null });
});
after(() => tf.disposeVariables());

test('toy RL task: mean reward rises over a few dozen TRR++ updates, memory stays bounded', () => {
  const model = new Transformer(config, 1);
  const learner = new Learner(model, { lr: 5e-3, microBatchSize: 16 });
  const rng = new Rng(2024);
  const rewards: number[] = [];
  let tensorsAfterFirst = 0;
  for (let step = 0; step < STEPS; step++) {
    const batch = rollouts(model, rng, 16);
    const stats = learner.step(batch);
    rewards.push(stats.meanReward);
    assert.ok(Number.isFinite(stats.loss) && Number.isFinite(stats.gradNorm));
    assert.equal(stats.responseTokens, 32 * 4);
    if (step === 0) {
      tensorsAfterFirst = tf.memory().numTensors;
      // First update after sampling with the same weights: ratio is 1 up to float error.
      assert.ok(Math.abs(stats.meanRatio - 1) < 1e-4, `ratio ${stats.meanRatio}`);
      assert.equal(stats.clipFraction, 0);
      assert.ok(Math.abs(stats.entropy - Math.log(config.vocabSize)) < 0.1);
    }
  }
  assert.equal(tf.memory().numTensors, tensorsAfterFirst, 'no tensors accumulate across steps');
  const first = (rewards[0] + rewards[1] + rewards[2]) / 3;
  const last = (rewards[STEPS - 3] + rewards[STEPS - 2] + rewards[STEPS - 1]) / 3;
  console.log(`toy RL mean reward per step: ${rewards.map((r) => r.toFixed(2)).join(' ')}`);
  assert.ok(first < 0.3 && last > 0.7, `mean reward ${first.toFixed(3)} → ${last.toFixed(3)}`);
  learner.dispose();
  model.dispose();
});

test('micro-batching gives the same gradients and statistics as one big batch', () => {
  const model = new Transformer(config, 1);
  const batch = rollouts(model, new Rng(5), 6);
  const [whole, micro] = [12, 5].map((microBatchSize) =>
    new Learner(model, { microBatchSize }).gradients(batch),
  );
  assert.ok(Math.abs(whole.stats.loss - micro.stats.loss) < 1e-6);
  assert.ok(Math.abs(whole.stats.gradNorm - micro.stats.gradNorm) < 1e-5 * whole.stats.gradNorm);
  for (const [name, g] of whole.grads) {
    const a = g.dataSync();
    const b = micro.grads.get(name)!.dataSync();
    const scale = Math.max(...a.map(Math.abs));
    assert.ok(
      a.every((x, i) => Math.abs(x - b[i]) <= 1e-5 * scale),
      name,
    );
  }
  tf.dispose([...whole.grads.values(), ...micro.grads.values()]);
  model.dispose();
});

test('PPO clipping: no gradient from tokens whose ratio left the trust region', () => {
  const model = new Transformer(config, 1);
  const learner = new Learner(model, { lr: 1e-2, entropyCoef: 0 });
  const batch = rollouts(model, new Rng(8), 4).map((s) => ({
    ...s,
    // Pretend sampling was far more likely than now: ratio ≈ e^-3, below 1 − ε for every token.
    samplingLogprobs: s.samplingLogprobs.map((lp) => lp + 3),
  }));
  const positive = batch.map((s, i) => ({ ...s, reward: i % 2 }));
  const stats = learner.step(positive);
  assert.equal(stats.clipFraction, 1);
  // Positive-advantage tokens are clipped (no gradient); negative-advantage ones still push down: norm > 0.
  assert.ok(stats.gradNorm > 0);
  learner.dispose();
  model.dispose();
});

test('dual clip: a negative-advantage token far above the trust region adds −c·A to the loss and no gradient', () => {
  const model = new Transformer(config, 1);
  const batch = rollouts(model, new Rng(8), 4).map((s, i) => ({
    ...s,
    reward: i % 2,
    // Pretend sampling was far less likely than now: ratio ≈ e^3 ≈ 20, above 1 + ε and above c = 3.
    samplingLogprobs: s.samplingLogprobs.map((lp) => lp - 3),
  }));
  const norm = (dualClip: number) => {
    const learner = new Learner(model, { entropyCoef: 0, dualClip });
    const { grads, stats } = learner.gradients(batch, []);
    for (const g of grads.values()) g.dispose();
    learner.dispose();
    return stats;
  };
  const capped = norm(3);
  const plain = norm(0);
  // Positive advantages: clipped at 1 + ε (no gradient either way); negative ones: ρ·|A| without, 3·|A| with.
  assert.equal(capped.gradNorm, 0);
  assert.ok(plain.gradNorm > 0);
  assert.ok(plain.pgLoss > capped.pgLoss, `${plain.pgLoss} > ${capped.pgLoss}`);
  model.dispose();
});

test('a supervised sample longer than the context is cut from the left of its prompt; a target too long is skipped', () => {
  const model = new Transformer(config, 3);
  const learner = new Learner(model, { supervisedWeight: 1 });
  const long = { promptIds: tokenizer.encode('abcabcabcabcabcabc'), targetIds: tokenizer.encode('abca') };
  assert.ok(long.promptIds.length + long.targetIds.length > config.maxSeqLen);
  const tooLong = { promptIds: [1], targetIds: tokenizer.encode('abcabcabcabcabcabc') };
  const { grads, stats } = learner.gradients([], [long, tooLong]);
  for (const g of grads.values()) g.dispose();
  assert.equal(
    stats.supervisedTokens,
    4,
    'the long-prompt sample trains on its whole target; the other is skipped',
  );
  assert.ok(Number.isFinite(stats.supervisedLoss));
  learner.dispose();
  model.dispose();
});

test('supervised term: executor-supervised targets are learned with weight > 0, ignored at weight 0', () => {
  const target = tokenizer.encode('abca');
  const supervised = [{ promptIds: tasks[0].prompt, targetIds: target }];
  const model = new Transformer(config, 3);
  const learner = new Learner(model, { lr: 1e-2, supervisedWeight: 1 });
  const losses: number[] = [];
  for (let i = 0; i < 15; i++) losses.push(learner.step([], supervised).supervisedLoss);
  assert.ok(losses[14] < losses[0] / 4, `supervised loss ${losses[0]} → ${losses[14]}`);
  const greedy = sample(model, [tasks[0].prompt], { maxTokens: 4, temperature: 0 });
  assert.equal(tokenizer.decode(greedy.tokens[0]), 'abca');
  const off = new Learner(new Transformer(config, 3), { supervisedWeight: 0 });
  assert.throws(() => off.step([], supervised), /no tokens/);
  off.dispose();
  learner.dispose();
  model.dispose();
});

test('miniBatches m: m optimiser steps per update, each on every m-th sequence (supervised: the same as m updates)', () => {
  const supervised = ['abca', 'bcd', 'cab', 'dabc', 'aab'].map((t, i) => ({
    promptIds: tasks[i % 2]!.prompt,
    targetIds: tokenizer.encode(t),
  }));
  const dealt = new Learner(new Transformer(config, 5), { lr: 1e-2, supervisedWeight: 1, miniBatches: 2 });
  const stats = dealt.step([], supervised);
  assert.equal(stats.step, 2, 'two AdamW steps');
  assert.equal(stats.supervisedTokens, 17, 'every target token, once');

  // Supervised sequences have no advantages to share: two mini-batches are two updates on the dealt halves.
  const manual = new Learner(new Transformer(config, 5), { lr: 1e-2, supervisedWeight: 1 });
  manual.step(
    [],
    supervised.filter((_, i) => i % 2 === 0),
  );
  manual.step(
    [],
    supervised.filter((_, i) => i % 2 === 1),
  );
  const a = dealt.model.weights();
  for (const [name, w] of manual.model.weights()) {
    const got = a.get(name)!;
    for (let i = 0; i < w.length; i++) assert.ok(Math.abs(got[i]! - w[i]!) < 1e-6, `${name}[${i}]`);
  }

  const capped = new Learner(new Transformer(config, 5), { supervisedWeight: 1, miniBatches: 8 });
  assert.equal(capped.step([], supervised.slice(0, 3)).step, 3, 'at most one mini-batch per sequence');
  for (const learner of [dealt, manual, capped]) {
    learner.dispose();
    learner.model.dispose();
  }
});

test('supervisedBatchSize N: the RL step, then the supervised sequences in steps of at most N of their own', () => {
  const supervised = ['abca', 'bcd', 'cab', 'dabc', 'aab'].map((t, i) => ({
    promptIds: tasks[i % 2]!.prompt,
    targetIds: tokenizer.encode(t),
  }));
  const samples = tasks.slice(0, 2).map((t, i) => ({
    promptIds: t.prompt,
    responseIds: tokenizer.encode('ab'),
    samplingLogprobs: [-1, -1],
    reward: i,
    group: 'g',
  }));
  const split = new Learner(new Transformer(config, 5), {
    lr: 1e-2,
    supervisedWeight: 1,
    supervisedBatchSize: 2,
  });
  const stats = split.step(samples, supervised);
  assert.equal(stats.step, 4, 'one RL step and ⌈5 / 2⌉ supervised ones');
  assert.equal(stats.supervisedTokens, 17, 'every target token, once');
  assert.equal(stats.responseTokens, 4);

  // The same as an RL-only update followed by three supervised-only updates on the dealt thirds.
  const manual = new Learner(new Transformer(config, 5), { lr: 1e-2, supervisedWeight: 1 });
  manual.step(samples, []);
  for (let k = 0; k < 3; k++)
    manual.step(
      [],
      supervised.filter((_, i) => i % 3 === k),
    );
  const a = split.model.weights();
  for (const [name, w] of manual.model.weights()) {
    const got = a.get(name)!;
    for (let i = 0; i < w.length; i++) assert.ok(Math.abs(got[i]! - w[i]!) < 1e-5, `${name}[${i}]`);
  }
  // The supervised loss is the supervised steps' mean, not diluted by the RL step's zero.
  const shared = new Learner(new Transformer(config, 5), { supervisedWeight: 1, supervisedBatchSize: 8 });
  const one = shared.step(samples, supervised);
  assert.equal(one.step, 2);
  assert.ok(one.supervisedLoss > 1, `supervised loss ${one.supervisedLoss} (≈ ln vocabulary at the start)`);
  for (const learner of [split, manual, shared]) {
    learner.dispose();
    learner.model.dispose();
  }
});

test('a token sampled far below what the model now gives it (log-ratio ≫ 20): loss, gradients and weights stay finite', () => {
  const model = new Transformer(config, 5);
  const learner = new Learner(model, { lr: 1e-3 });
  const far = (reward: number): RolloutSample => ({
    promptIds: tokenizer.encode('<a>'),
    responseIds: tokenizer.encode('ca'),
    samplingLogprobs: [-200, -1],
    reward,
    group: 'a/solver',
  });
  const stats = learner.step([far(1), far(0), far(-1)]);
  assert.ok(Number.isFinite(stats.loss), `loss ${stats.loss}`);
  assert.ok(Number.isFinite(stats.gradNorm), `gradient norm ${stats.gradNorm}`);
  assert.equal(stats.skippedSteps, 0);
  for (const [name, w] of model.weights()) assert.ok(w.every(Number.isFinite), `${name} finite`);
  learner.dispose();
  model.dispose();
});

test('a step whose gradient is not finite is skipped and counted: the weights keep their values', () => {
  const model = new Transformer(config, 6);
  const learner = new Learner(model, { lr: 1e-3 });
  const before = model.weights();
  const nan: RolloutSample = {
    promptIds: tokenizer.encode('<a>'),
    responseIds: tokenizer.encode('ca'),
    samplingLogprobs: [-1, -1],
    reward: Number.NaN,
    group: 'a/solver',
  };
  const stats = learner.step([nan, { ...nan, reward: 1 }]);
  assert.equal(stats.skippedSteps, 1);
  assert.equal(learner.stepCount, 0, 'no optimiser step');
  for (const [name, w] of model.weights()) assert.deepEqual(w, before.get(name), name);
  learner.dispose();
  model.dispose();
});

test('oldLogprobs recomputed: the ratio is against the weights the update starts from, whatever the sampler recorded', () => {
  const batch = rollouts(new Transformer(config, 3), new Rng(9), 6);
  const options = { lr: 1e-2, miniBatches: 2, microBatchSize: 5 };
  // The sampler's log-probabilities of the weights being trained (the weights the batch was sampled with), and the
  // same batch as if sampled by weights several steps older.
  const stale = batch.map((s) => ({ ...s, samplingLogprobs: s.samplingLogprobs.map((l) => l - 3) }));
  const run = (samples: RolloutSample[], oldLogprobs: 'sampling' | 'recomputed') => {
    const learner = new Learner(new Transformer(config, 3), { ...options, oldLogprobs });
    const stats = learner.step(samples);
    const weights = learner.model.weights();
    learner.dispose();
    learner.model.dispose();
    return { stats, weights };
  };
  const fresh = run(batch, 'sampling');
  const recomputed = run(stale, 'recomputed');
  const sampling = run(stale, 'sampling');
  assert.ok(Math.abs(recomputed.stats.clipFraction - fresh.stats.clipFraction) < 1e-6);
  assert.ok(Math.abs(recomputed.stats.meanRatio - fresh.stats.meanRatio) < 1e-4);
  assert.ok(
    sampling.stats.clipFraction > 0.9,
    `the stale ratios e³ are clipped: ${sampling.stats.clipFraction}`,
  );
  const maxDiff = (a: Map<string, Float32Array>, b: Map<string, Float32Array>) =>
    Math.max(...[...a].map(([name, w]) => Math.max(...w.map((x, i) => Math.abs(x - b.get(name)![i]!)))));
  // Float error only: the sampler's cached decoding and the learner's full forward agree to ~10⁻⁶, which AdamW's first
  // step (≈ lr · sign(g)) can carry to ~10⁻⁵ on near-zero gradients.
  assert.ok(maxDiff(recomputed.weights, fresh.weights) < 2e-4, 'recomputed = sampled by the weights trained');
  assert.ok(maxDiff(sampling.weights, fresh.weights) > 1e-3, 'the stale ratios change the update');
});
