// A proposer with weights of its own (the learner's `proposer.weights: own`, docs/azr.md §5): the proposer's samples
// train only its model, the solver's samples and the supervised term only the solver's; the weights payload carries
// both, the coordinator gives each generator its role's; checkpoints keep both and resume to the same weights.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { learner } from '../actors/learner.ts';
import { createSystem } from '../src/runtime/index.ts';
import { azr } from './helpers/azr.ts';
import { checkpointState, metricsLines } from './helpers/run-dir.ts';
import { askTimeout, rolloutSample, supervisedPair, tinyModel } from './helpers/learner-samples.ts';

const model = tinyModel;
const timeout = askTimeout;
const sample = rolloutSample;
const rollouts = (role: 'proposer' | 'solver') => [sample(role, 1), sample(role, -1)];
const supervised = [supervisedPair];

function spawnLearner(t: { after(fn: () => unknown): void }, proposer?: Record<string, unknown>) {
  const system = createSystem();
  t.after(() => system.stop());
  return system.spawn(learner, {
    options: { backend: 'cpu', model, supervisedWeight: 1, lr: 1e-2, ...(proposer && { proposer }) },
  });
}

type Ref = ReturnType<typeof spawnLearner>;
const weightsOf = async (ref: Ref) => (await ref.ask({ type: 'weights' }, timeout)).payload;
const equal = (a: Record<string, Float32Array>, b: Record<string, Float32Array>) =>
  Object.keys(a).every((name) => a[name]!.every((x, i) => x === b[name]![i]));

describe('the learner with a proposer of its own', () => {
  test('both start from the same weights; each role trains only its own', async (t) => {
    const ref = spawnLearner(t, { weights: 'own' });
    const start = await weightsOf(ref);
    assert.ok(start.proposerTensors, 'the payload carries the proposer weights');
    assert.ok(equal(start.tensors, start.proposerTensors), 'the same initial weights');

    const afterProposer = await ref.ask({ type: 'update', samples: rollouts('proposer') }, timeout);
    const one = await weightsOf(ref);
    assert.ok(equal(one.tensors, start.tensors), "the proposer's samples leave the solver's weights alone");
    assert.ok(!equal(one.proposerTensors!, start.proposerTensors), 'and train the proposer');
    assert.equal(afterProposer.stats['proposer.responseTokens'], 4);

    const afterSolver = await ref.ask({ type: 'update', samples: rollouts('solver'), supervised }, timeout);
    const two = await weightsOf(ref);
    assert.ok(
      equal(two.proposerTensors!, one.proposerTensors!),
      "the solver's samples leave the proposer alone",
    );
    assert.ok(!equal(two.tensors, one.tensors), "and train the solver's weights");
    assert.equal(afterSolver.stats.responseTokens, 4);
    assert.equal(afterSolver.stats.supervisedTokens, 2);
    assert.equal(
      afterSolver.stats['proposer.responseTokens'],
      undefined,
      'no proposer step without its samples',
    );
    assert.deepEqual([afterProposer.version, afterSolver.version], [1, 2]);
  });

  test('a mixed batch: one step each, the figures of both', async (t) => {
    const ref = spawnLearner(t, { weights: 'own', entropyCoef: 0.5 });
    const { stats } = await ref.ask(
      { type: 'update', samples: [...rollouts('proposer'), ...rollouts('solver')] },
      timeout,
    );
    assert.equal(stats.responseTokens, 4);
    assert.equal(stats['proposer.responseTokens'], 4);
    const groups = stats.groups as Record<string, unknown>;
    assert.deepEqual(Object.keys(groups).sort(), ['deduction/proposer', 'deduction/solver']);
    // The proposer's loss has its own entropy bonus: pgLoss − 0.5 · entropy.
    const loss = stats['proposer.loss'] as number;
    const expected = (stats['proposer.pgLoss'] as number) - 0.5 * (stats['proposer.entropy'] as number);
    assert.ok(Math.abs(loss - expected) < 1e-6, `${loss} vs ${expected}`);
  });

  test('shared (the default): one model, the payload has no proposer weights', async (t) => {
    const ref = spawnLearner(t);
    const start = await weightsOf(ref);
    assert.equal(start.proposerTensors, undefined);
    await ref.ask({ type: 'update', samples: rollouts('proposer') }, timeout);
    assert.ok(
      !equal((await weightsOf(ref)).tensors, start.tensors),
      "the proposer's samples train the one model",
    );
  });
});

describe('self-play with a proposer of its own (real actors, tiny model)', () => {
  const own = ['--set', 'actors.learner.options.proposer.weights=own'];
  const config = 'tests/fixtures/selfplay-tiny.yaml';

  test('the two models part, the checkpoint keeps both, and a resumed run reaches the same weights', async () => {
    const whole = await mkdtemp(join(tmpdir(), 'azr-own-'));
    const run = await azr('run', config, '--steps', '2', '--out', whole, ...own);
    assert.equal(run.code, 0, run.stderr);
    const lines = await metricsLines(whole);
    assert.ok(lines.slice(1).every((line) => line['learner.proposer.responseTokens'] > 0));
    // Each generator sampled with its role's weights: at step 2 (sampled with version 1, where the models differ)
    // the ratio of each model's log-probabilities to the sampling ones is 1 up to rounding (~10⁻⁶; with the
    // roles' weights swapped, ~5·10⁻⁴).
    const step2 = lines.find((line) => line.step === 2)!;
    for (const key of ['learner.meanRatio', 'learner.proposer.meanRatio'])
      assert.ok(Math.abs(step2[key] - 1) < 1e-4, `${key} = ${step2[key]}`);
    const last = await checkpointState(whole, 2);
    assert.ok(last.learner.proposer, 'the checkpoint has the proposer model');
    assert.ok(!equal(last.learner.tensors, last.learner.proposer.tensors), 'the two models differ');

    const cut = await mkdtemp(join(tmpdir(), 'azr-own-cut-'));
    assert.equal((await azr('run', config, '--steps', '1', '--out', cut, ...own)).code, 0);
    const resumed = await azr('run', config, '--resume', cut, '--steps', '2');
    assert.equal(resumed.code, 0, resumed.stderr);
    const again = await checkpointState(cut, 2);
    assert.deepEqual(again.learner.proposer, last.learner.proposer, "the proposer's weights and optimiser");
    assert.deepEqual(again.learner.tensors, last.learner.tensors, "the solver's weights");
  });
});
