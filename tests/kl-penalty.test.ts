// The KL penalty towards a frozen reference model (the learner's `klCoef`, the learner actor's `proposer.klCoef`,
// docs/azr.md §5): zero and gradient-free at the reference, a pull back towards it away from it, and a reference that
// stays frozen, is checkpointed and is restored.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { learner } from '../actors/learner.ts';
import { initBackend } from '../src/model/backend.ts';
import { Rng } from '../src/model/rng.ts';
import { sample } from '../src/model/sampling.ts';
import { Transformer, type TransformerConfig } from '../src/model/transformer.ts';
import { Learner, type RolloutSample } from '../src/rl/learner.ts';
import { createSystem } from '../src/runtime/index.ts';
import { azr } from './helpers/azr.ts';
import { askTimeout, rolloutSample, tinyModel } from './helpers/learner-samples.ts';

const config: TransformerConfig = {
  vocabSize: 8,
  dModel: 16,
  nLayers: 1,
  nHeads: 2,
  ffnHidden: 32,
  maxSeqLen: 16,
};

/** Rollouts of `model` on two prompts, rewards alternating (so advantages are not all zero). */
function rollouts(model: Transformer, rewards: (i: number) => number): RolloutSample[] {
  const prompts = [
    [1, 2],
    [1, 2],
    [3, 4],
    [3, 4],
  ];
  const { tokens, logprobs } = sample(model, prompts, { maxTokens: 5, temperature: 1, rng: new Rng(7) });
  return tokens.map((responseIds, i) => ({
    promptIds: prompts[i]!,
    responseIds,
    samplingLogprobs: logprobs[i]!,
    reward: rewards(i),
    group: `g${i >> 1}/proposer`,
  }));
}

const flat = (grads: Map<string, tf.Tensor>) =>
  [...grads.entries()].map(([n, g]) => [n, g.dataSync()] as const);

before(async () => {
  await initBackend('wasm', { log: null });
});
after(() => tf.disposeVariables());

describe('Learner klCoef', () => {
  test('at the reference the estimate is 0 and the gradients are those without it', () => {
    const model = new Transformer(config, 1);
    const reference = new Transformer(config, new Map(model.weights()));
    const batch = rollouts(model, (i) => i % 2);
    const without = new Learner(model, { entropyCoef: 0 }).gradients(batch);
    const withKl = new Learner(model, { entropyCoef: 0, klCoef: 0.5 }, reference).gradients(batch);
    assert.ok(Math.abs(withKl.stats.kl) < 1e-6, `kl = ${withKl.stats.kl}`);
    assert.ok(without.stats.gradNorm > 0);
    const a = flat(without.grads);
    const b = new Map(flat(withKl.grads));
    for (const [name, g] of a)
      assert.ok(
        g.every((x, i) => Math.abs(x - b.get(name)![i]!) < 1e-6),
        `${name}: the gradients differ`,
      );
    tf.dispose([...without.grads.values(), ...withKl.grads.values()]);
    model.dispose();
    reference.dispose();
  });

  test('away from the reference it is positive, and its gradient alone walks the policy back', () => {
    const model = new Transformer(config, 1);
    const reference = new Transformer(config, 2);
    // Equal rewards: every advantage is 0, so the only gradient is the KL term's.
    const batch = rollouts(model, () => 1);
    const learner = new Learner(model, { lr: 1e-2, entropyCoef: 0, klCoef: 1 }, reference);
    const kls = Array.from({ length: 8 }, () => learner.step(batch).kl);
    assert.ok(kls[0]! > 1e-3, `kl at the start = ${kls[0]}`);
    assert.ok(kls.at(-1)! < kls[0]! / 2, `kl: ${kls.map((k) => k.toFixed(4)).join(' ')}`);
    learner.dispose();
    model.dispose();
    reference.dispose();
  });

  test('without a reference model it refuses', () => {
    const model = new Transformer(config, 1);
    assert.throws(() => new Learner(model, { klCoef: 0.1 }), /needs a reference model/);
    model.dispose();
  });
});

describe('the learner actor with proposer.klCoef', () => {
  const options = (proposer: Record<string, unknown>) => ({
    backend: 'cpu' as const,
    model: tinyModel,
    lr: 1e-2,
    proposer,
  });
  const own = { weights: 'own', klCoef: 0.1 };
  const samples = [rolloutSample('proposer', 1), rolloutSample('proposer', -1)];

  test('the reference stays at the initial weights, is in the snapshot, and is restored', async (t) => {
    const system = createSystem();
    t.after(() => system.stop());
    const ref = system.spawn(learner, { name: 'learner', options: options(own) });
    const start = (await ref.ask({ type: 'weights' }, askTimeout)).payload.proposerTensors!;
    const first = await ref.ask({ type: 'update', samples }, askTimeout);
    assert.equal(first.stats['proposer.kl'], 0, 'the first update starts at the reference');
    const second = await ref.ask({ type: 'update', samples }, askTimeout);
    const moved = second.stats['proposer.kl'] as number;
    assert.ok(moved > 0, 'then the proposer has moved off it');

    const { learner: snapshot } = (await system.snapshot()) as {
      learner: {
        proposer: { tensors: Record<string, Float32Array>; reference: Record<string, Float32Array> };
      };
    };
    assert.deepEqual(snapshot.proposer.reference, start, 'the reference is the initial proposer');
    assert.notDeepEqual(snapshot.proposer.tensors, start);

    const restored = createSystem();
    t.after(() => restored.stop());
    const again = restored.spawn(learner, { name: 'learner', options: options(own), snapshot });
    const third = await again.ask({ type: 'update', samples }, askTimeout);
    const fresh = system.spawn(learner, { name: 'fresh', options: options(own) });
    const unrestored = await fresh.ask({ type: 'update', samples }, askTimeout);
    assert.ok((third.stats['proposer.kl'] as number) > 0, 'measured against the restored reference');
    assert.equal(unrestored.stats['proposer.kl'], 0);
  });

  test('with one shared model the run stops with what to set', async () => {
    const out = await mkdtemp(join(tmpdir(), 'azr-kl-'));
    const set = ['--set', 'actors.learner.options.proposer.klCoef=0.1'];
    const run = await azr('run', 'tests/fixtures/selfplay-tiny.yaml', '--steps', '1', '--out', out, ...set);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /set \/proposer\/weights to own, or \/proposer\/klCoef to 0/);
  });
});
