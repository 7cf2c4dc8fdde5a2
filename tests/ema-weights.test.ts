// A moving average of the solver's weights for scoring the held-out set (the learner's `emaDecay`, docs/azr.md §5):
// the learner keeps it and sends it with the weights; the coordinator scores the held-out set with it too
// (`heldout.ema.<mode>`) and loads the solver's own weights back, so training is untouched; checkpoints keep it.
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { learner } from '../actors/learner.ts';
import { createSystem } from '../src/runtime/index.ts';
import { azr } from './helpers/azr.ts';
import { checkpointState, metricsLines, withoutTimes } from './helpers/run-dir.ts';

const model = { dModel: 16, nLayers: 1, nHeads: 2, ffnHidden: 32, maxSeqLen: 32 };
const timeout = { timeoutMs: 60_000 };
const samples = [1, -1].map((reward) => ({
  promptIds: [1, 2, 3],
  responseIds: [4, 5],
  samplingLogprobs: [-1, -1],
  reward,
  group: 'deduction/solver',
}));
const supervised = [{ promptIds: [1, 2], targetIds: [6, 7] }];

function spawnLearner(t: { after(fn: () => unknown): void }, emaDecay?: number) {
  const system = createSystem();
  t.after(() => system.stop());
  return system.spawn(learner, {
    options: { backend: 'cpu', model, supervisedWeight: 1, lr: 1e-2, ...(emaDecay && { emaDecay }) },
  });
}

describe("the learner's moving average", () => {
  test('after each update: decay · average + (1 − decay) · weights, from the initial weights', async (t) => {
    const ref = spawnLearner(t, 0.5);
    const weights = async () => (await ref.ask({ type: 'weights' }, timeout)).payload;
    const w0 = await weights();
    assert.deepEqual(w0.emaTensors, w0.tensors, 'it starts at the initial weights');
    await ref.ask({ type: 'update', samples, supervised }, timeout);
    const w1 = await weights();
    await ref.ask({ type: 'update', samples, supervised }, timeout);
    const w2 = await weights();
    let moved = 0;
    for (const name of Object.keys(w2.tensors)) {
      const [a, b, c, ema] = [w0.tensors, w1.tensors, w2.tensors, w2.emaTensors!].map((w) => w[name]!);
      for (let i = 0; i < c.length; i++) {
        const expected = 0.25 * a[i]! + 0.25 * b[i]! + 0.5 * c[i]!;
        assert.ok(Math.abs(ema[i]! - expected) <= 1e-6 * (1 + Math.abs(expected)), `${name}[${i}]`);
        if (ema[i] !== c[i]) moved++;
      }
    }
    assert.ok(moved > 0, 'the average is not the live weights');
  });

  test('off by default: no average in the payload', async (t) => {
    const ref = spawnLearner(t);
    assert.equal((await ref.ask({ type: 'weights' }, timeout)).payload.emaTensors, undefined);
  });
});

describe('self-play scoring the held-out set with the average (real actors, tiny model)', () => {
  const config = 'tests/fixtures/selfplay-tiny.yaml';
  const ema = ['--set', 'actors.learner.options.emaDecay=0.5'];
  const heldoutEvery = ['--set', 'actors.coordinator.options.heldout.every=1'];
  const training = (line: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(withoutTimes(line)).filter(([key]) => !key.startsWith('heldout.ema.')));

  test('both scores each time, training untouched, and the checkpoint resumes to the same average', async () => {
    const plain = await mkdtemp(join(tmpdir(), 'azr-plain-'));
    const averaged = await mkdtemp(join(tmpdir(), 'azr-ema-'));
    assert.equal((await azr('run', config, '--steps', '2', '--out', plain, ...heldoutEvery)).code, 0);
    const run = await azr('run', config, '--steps', '2', '--out', averaged, ...heldoutEvery, ...ema);
    assert.equal(run.code, 0, run.stderr);

    const lines = await metricsLines(averaged);
    const scored = lines.filter((line) => 'heldout.deduction' in line);
    assert.deepEqual(
      scored.map((line) => line.step),
      [0, 1, 2],
    );
    for (const line of scored)
      assert.equal(typeof line['heldout.ema.deduction'], 'number', `step ${line.step}`);
    assert.equal(
      scored[0]!['heldout.ema.deduction'],
      scored[0]!['heldout.deduction'],
      'version 0: the same weights',
    );
    assert.deepEqual(
      lines.map(training),
      (await metricsLines(plain)).map(training),
      "scoring with the average leaves the solver's training as it was",
    );
    const summary = JSON.parse(await readFile(join(averaged, 'summary.json'), 'utf8'));
    assert.deepEqual(summary.heldout['ema.deduction'].baselines, summary.heldout.deduction.baselines);
    assert.match(
      run.stdout + run.stderr,
      /held-out deduction, moving average of the weights: \d+\.\d% → \d+\.\d%/,
    );

    const last = await checkpointState(averaged, 2);
    assert.ok(last.learner.ema, 'the checkpoint keeps the average');
    const cut = await mkdtemp(join(tmpdir(), 'azr-ema-cut-'));
    assert.equal((await azr('run', config, '--steps', '1', '--out', cut, ...heldoutEvery, ...ema)).code, 0);
    assert.equal((await azr('run', config, '--resume', cut, '--steps', '2')).code, 0);
    assert.deepEqual((await checkpointState(cut, 2)).learner.ema, last.learner.ema);
  });
});
