import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/model/backend.ts';
import { setNativeEnabled } from '../src/model/native/kernels.ts';
import { NEG_INF } from '../src/model/ops.ts';
import { Transformer, type TransformerConfig } from '../src/model/transformer.ts';
import { Learner, type RolloutSample, type SupervisedSample } from '../src/rl/learner.ts';
import { layoutRows, prefixGroups } from '../src/rl/prefix-rows.ts';

const config: TransformerConfig = {
  vocabSize: 12,
  dModel: 32,
  nLayers: 2,
  nHeads: 4,
  ffnHidden: 48,
  maxSeqLen: 64,
};

before(async () => {
  await initBackend('wasm', { log: null });
});
after(() => tf.disposeVariables());

const seq = (ids: number[], firstTarget: number) => ({ ids, firstTarget });
// Two programs' pairs: an 18-token program, then an input and its answer (the answer is the target).
const programA = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 3, 4, 5, 6, 7, 8];
const programB = [1, 2, 3, 4, 9, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2];
const pair = (program: number[], input: number[], answer: number[]) =>
  seq([...program, ...input, 11, ...answer], program.length + input.length + 1);

test('prefixGroups: sequences sharing a prefix meet, at most maxBranches a group; the rest stand alone', () => {
  const a1 = pair(programA, [3], [4, 4]);
  const a2 = pair(programA, [5, 5], [6]);
  const a3 = pair(programA, [7], [8]);
  const b1 = pair(programB, [2], [2]);
  const lone = seq([5, 5, 5, 5], 2);
  const groups = prefixGroups([a1, b1, lone, a2, a3], 64, 2);
  const sets = groups.map((g) => g.map((s) => [a1, a2, a3, b1, lone].indexOf(s)).sort());
  // a1..a3 share 19 tokens, but a group holds two; A and B share 4 (< 16): not grouped.
  assert.deepEqual(sets.map((s) => s.length).sort(), [1, 1, 1, 2]);
  assert.ok(
    sets.some((s) => s.length === 2 && s.every((i) => i <= 2)),
    JSON.stringify(sets),
  );
  assert.ok(sets.some((s) => s.length === 1 && s[0] === 3) && sets.some((s) => s.length === 1 && s[0] === 4));
  // A row never outgrows the context: a1 + a2 take 18 + 3 + 3 = 24 columns, a third branch 2 more; a2 + a3 take 23.
  assert.deepEqual(
    prefixGroups([a1, a2, a3], 24).map((g) => g.length),
    [2, 1],
  );
  assert.deepEqual(
    prefixGroups([a1, a2, a3], 23).map((g) => g.length),
    [1, 2],
  );
  assert.equal(layoutRows([[a1, a2]]).width, 24);
});

test('layoutRows: the prefix once, then each branch; a branch sees the prefix and itself, at its own positions', () => {
  const a1 = pair(programA, [3], [4, 4]); // 22 tokens
  const a2 = pair(programA, [5, 5], [6]); // 22 tokens
  const lone = seq([5, 6, 7], 1);
  const layout = layoutRows([[a1, a2], [lone]]);
  // Shared: the program, where the inputs differ.
  const shared = programA.length;
  assert.equal(layout.width, shared + (21 - shared) * 2);
  assert.equal(layout.rows, 2);
  const [p1, p2, p3] = layout.placed;
  for (const { sequence, row, column } of [p1!, p2!, p3!])
    for (let t = 0; t < sequence.ids.length - 1; t++) {
      const c = row * layout.width + column(t);
      assert.equal(layout.inputs[c], sequence.ids[t]);
      // The prefix's last column predicts no branch's token: no sequence's target is there (shared < firstTarget).
      if (row === 1 || t !== shared - 1) assert.equal(layout.targets[c], sequence.ids[t + 1]);
      assert.equal(layout.positions[c], t, 'positions continue the prefix');
    }
  assert.equal(p2!.column(shared), shared + 3, 'the second branch follows the first');
  const visible = (row: number, c: number) =>
    Array.from({ length: layout.width }, (_, k) => k).filter(
      (k) => layout.mask![(row * layout.width + c) * layout.width + k] !== NEG_INF,
    );
  const prefix = Array.from({ length: shared }, (_, k) => k);
  assert.deepEqual(visible(0, p2!.column(shared + 1)), [...prefix, shared + 3, shared + 4]);
  assert.deepEqual(visible(0, p1!.column(shared + 2)), [...prefix, shared, shared + 1, shared + 2]);
  assert.deepEqual(visible(0, 4), [0, 1, 2, 3, 4]);
  assert.deepEqual(visible(1, 1), [0, 1], 'a lone sequence is causal');
  assert.equal(layoutRows([[lone], [a1]]).mask, null, 'rows of one sequence need no mask');
});

function batch(): { rollouts: RolloutSample[]; supervised: SupervisedSample[] } {
  const prompt = [...programB, 3, 11];
  const rollouts = [[4], [5, 6], [4, 4], [7]].map((responseIds, i) => ({
    promptIds: prompt,
    responseIds,
    samplingLogprobs: responseIds.map(() => -2),
    reward: i % 2,
    group: 'deduction/solver',
  }));
  const supervised = [
    [programA, [3], [4, 4]],
    [programA, [5, 5], [6]],
    [programA, [7], [8, 1, 2]],
    [programB, [2], [2]],
    [programB, [1, 1, 1], [9]],
    [[6, 5], [4], [3]],
  ].map(([program, input, answer]) => ({ promptIds: [...program!, ...input!, 11], targetIds: answer! }));
  return { rollouts, supervised };
}

for (const path of ['native', 'stock'] as const) {
  test(`${path}: sharing prefixes gives the same loss and gradients as a row per sequence`, () => {
    setNativeEnabled(path === 'native');
    try {
      const { rollouts, supervised } = batch();
      const results = [false, true].map((sharePrefixes) => {
        const model = new Transformer(config, 3);
        const learner = new Learner(model, { supervisedWeight: 1, entropyCoef: 0.01, sharePrefixes });
        const { grads, stats } = learner.gradients(rollouts, supervised);
        const values = new Map([...grads].map(([name, g]) => [name, g.dataSync().slice()]));
        tf.dispose([...grads.values()]);
        learner.dispose();
        model.dispose();
        return { values, stats };
      });
      const [plain, shared] = results as [(typeof results)[0], (typeof results)[0]];
      for (const key of ['loss', 'pgLoss', 'entropy', 'supervisedLoss', 'gradNorm'] as const)
        assert.ok(
          Math.abs(plain.stats[key] - shared.stats[key]) < 1e-5,
          `${key}: ${plain.stats[key]} vs ${shared.stats[key]}`,
        );
      assert.equal(shared.stats.supervisedTokens, plain.stats.supervisedTokens);
      for (const [name, g] of plain.values) {
        const h = shared.values.get(name)!;
        const scale = Math.max(1e-3, ...g.map(Math.abs));
        for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i]! - h[i]!) < 1e-4 * scale, `${name}[${i}]`);
      }
    } finally {
      setNativeEnabled(true);
    }
  });
}

test('supervisedBatchSize with shared prefixes: a program’s pairs are learnt in the same step', () => {
  const { supervised } = batch();
  const model = new Transformer(config, 3);
  const learner = new Learner(model, {
    supervisedWeight: 1,
    supervisedBatchSize: 2,
    sharePrefixes: true,
    lr: 1e-2,
  });
  // Six sequences, three groups (A's three pairs, B's two, the lone one): ⌈6 / 2⌉ = 3 steps, one group each.
  const stats = learner.step([], supervised);
  assert.equal(stats.step, 3);
  assert.equal(stats.supervisedTokens, 9);
  // The same as three plain steps on the groups (AdamW magnifies last-bit gradient differences of near-zero entries,
  // hence a bound and not 1e-6); dealing the sequences apart, as without sharing, lands ~0.06 away.
  const plain = new Learner(new Transformer(config, 3), { supervisedWeight: 1, lr: 1e-2 });
  for (const group of [supervised.slice(0, 3), supervised.slice(3, 5), supervised.slice(5)])
    plain.step([], group);
  const apart = new Learner(new Transformer(config, 3), {
    supervisedWeight: 1,
    supervisedBatchSize: 2,
    lr: 1e-2,
  });
  apart.step([], supervised);
  const farthest = (other: Learner) => {
    const w = learner.model.weights();
    let max = 0;
    for (const [name, v] of other.model.weights())
      for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(w.get(name)![i]! - v[i]!));
    return max;
  };
  const [same, dealtApart] = [farthest(plain), farthest(apart)];
  assert.ok(same < 1e-4, `grouped steps: ${same}`);
  assert.ok(dealtApart > 100 * same, `dealt apart: ${dealtApart}`);
  for (const l of [learner, plain, apart]) {
    l.dispose();
    l.model.dispose();
  }
});
