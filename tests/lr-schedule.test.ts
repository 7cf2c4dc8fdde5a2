// The learning-rate schedule (the learner's `lrSchedule`, docs/azr.md §5): linear warm-up, cosine decay to a floor,
// counted in learner updates; the proposer's lr follows it; a restored learner continues it where it stopped.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { learner } from '../actors/learner.ts';
import { initBackend } from '../src/model/backend.ts';
import { Transformer } from '../src/model/transformer.ts';
import { Learner, lrFactor } from '../src/rl/index.ts';
import { createSystem } from '../src/runtime/index.ts';
import { askTimeout, rolloutSample, supervisedPair, tinyModel } from './helpers/learner-samples.ts';

const model = tinyModel;
const timeout = askTimeout;
const sample = rolloutSample;
const samples = [sample('proposer', 1), sample('proposer', -1), sample('solver', 1), sample('solver', -1)];
const supervised = [supervisedPair];
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

describe('lrFactor', () => {
  const schedule = { warmup: 4, decay: 10, floor: 0.1 };

  test('warm-up from lr / warmup to lr, cosine to the floor, the floor after', () => {
    const factors = Array.from({ length: 12 }, (_, update) => lrFactor(schedule, update));
    assert.deepEqual(factors.slice(0, 5), [0.25, 0.5, 0.75, 1, 1]);
    assert.ok(close(factors[7]!, 0.1 + 0.9 * 0.5), `halfway through the decay: ${factors[7]}`);
    for (let u = 5; u < 10; u++) assert.ok(factors[u]! < factors[u - 1]!, `decreasing at ${u}`);
    assert.deepEqual(factors.slice(10), [0.1, 0.1]);
  });

  test('no schedule, no decay: the configured lr', () => {
    assert.equal(lrFactor(undefined, 7), 1);
    assert.equal(lrFactor({ warmup: 2, decay: 0, floor: 0.1 }, 1), 1);
    assert.equal(lrFactor({ warmup: 2, decay: 0, floor: 0.1 }, 500), 1);
  });
});

describe('a scheduled step', () => {
  test('a step at factor f is a step at lr · f', async () => {
    await initBackend('cpu', { log: null });
    const weightsAfterStep = (lr: number, factor: number) => {
      const net = new Transformer(
        { vocabSize: 8, dModel: 16, nLayers: 1, nHeads: 2, ffnHidden: 32, maxSeqLen: 32 },
        3,
      );
      const trainer = new Learner(net, { lr, supervisedWeight: 1 });
      const stats = trainer.step([sample('solver', 1), sample('solver', -1)], supervised, factor);
      const weights = net.weights();
      trainer.dispose();
      net.dispose();
      return { weights, lr: stats.lr };
    };
    const scheduled = weightsAfterStep(1e-2, 0.25);
    const plain = weightsAfterStep(2.5e-3, 1);
    assert.equal(scheduled.lr, 2.5e-3);
    let moved = 0;
    for (const [name, w] of plain.weights) {
      const s = scheduled.weights.get(name)!;
      for (let i = 0; i < w.length; i++) assert.ok(Math.abs(s[i]! - w[i]!) <= 1e-6, `${name}[${i}]`);
      moved += w.length;
    }
    assert.ok(moved > 0);
  });
});

describe('the learner actor on a schedule', () => {
  const lrSchedule = { warmup: 2, decay: 4, floor: 0.5 };
  const expected = [0.5, 1, 1, 0.75, 0.5, 0.5].map((f) => f * 1e-2);
  const options = {
    backend: 'cpu' as const,
    model,
    supervisedWeight: 1,
    lr: 1e-2,
    lrSchedule,
    proposer: { weights: 'own' as const, lr: 2e-3 },
  };

  test("each update's lr, the proposer's too, and a restored learner goes on from its version", async (t) => {
    const system = createSystem();
    t.after(() => system.stop());
    const ref = system.spawn(learner, { name: 'learner', options });
    const lrs: number[] = [];
    const proposerLrs: number[] = [];
    const update = async (target: typeof ref) => {
      const { stats } = await target.ask({ type: 'update', samples, supervised }, timeout);
      lrs.push(stats.lr as number);
      proposerLrs.push(stats['proposer.lr'] as number);
    };
    for (let i = 0; i < 3; i++) await update(ref);
    const { learner: snapshot } = await system.snapshot();

    const second = createSystem();
    t.after(() => second.stop());
    const restored = second.spawn(learner, { name: 'learner', options, snapshot });
    for (let i = 0; i < 3; i++) await update(restored);
    for (const [i, lr] of lrs.entries())
      assert.ok(close(lr, expected[i]!), `update ${i}: ${lr} vs ${expected[i]}`);
    for (const [i, lr] of proposerLrs.entries())
      assert.ok(close(lr, expected[i]! / 5), `proposer update ${i}: ${lr} vs ${expected[i]! / 5}`);
  });
});
