import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { azr } from './helpers/azr.ts';
import { checkpointState as state, metricsLines, withoutTimes } from './helpers/run-dir.ts';

const config = 'tests/fixtures/selfplay-tiny.yaml';

describe('self-play through the real actors, tiny model, real executor', () => {
  let uninterrupted: string;

  test('three full steps: seeding, propose, validate, solve, learn; metrics, checkpoints, summary', async () => {
    uninterrupted = await mkdtemp(join(tmpdir(), 'azr-run-'));
    const { code, stderr, stdout } = await azr('run', config, '--out', uninterrupted);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /seeded buffers in 0 round\(s\): deduction 1, abduction 1, induction 1/);
    assert.match(stdout, /done after step 3/);
    const [heldoutBefore, ...lines] = await metricsLines(uninterrupted);
    assert.deepEqual(Object.keys(heldoutBefore).sort(), ['heldout.abduction', 'heldout.deduction', 'step']);
    assert.equal(heldoutBefore.step, 0, 'the held-out set is scored before the first step');
    assert.deepEqual(
      lines.map((l) => l.step),
      [1, 2, 3],
    );
    assert.deepEqual(
      lines.map((l) => 'heldout.deduction' in l),
      [false, true, true],
      'every 2 steps and at the end',
    );
    for (const line of lines) {
      for (const mode of ['deduction', 'abduction', 'induction']) {
        for (const key of ['proposerReward', 'solverReward']) {
          const value = line[`${mode}.${key}`];
          assert.ok(value >= -1 && value <= 1, `${mode}.${key} = ${value}`);
        }
        assert.ok(line[`${mode}.validRate`] >= 0 && line[`${mode}.validRate`] <= 1);
      }
      assert.equal(line['learner.responseTokens'] > 0, true, 'the learner trained on the rollouts');
      assert.ok(Number.isFinite(line['learner.loss']));
    }
    assert.deepEqual(
      lines.map((l) => l.version),
      [1, 2, 3],
      'one update per step',
    );
    const first = await state(uninterrupted, 1);
    const last = await state(uninterrupted, 3);
    assert.equal(last.learner.version, 3);
    const name = Object.keys(first.learner.tensors)[0]!;
    assert.notDeepEqual(
      [...last.learner.tensors[name]],
      [...first.learner.tensors[name]],
      'the weights changed',
    );
    assert.ok(last['buffer-deduction'].tasks.length >= 1);
    const summary = JSON.parse(await readFile(join(uninterrupted, 'summary.json'), 'utf8'));
    assert.equal(summary.steps, 3);
    for (const mode of ['deduction', 'abduction']) {
      const { before, after, baselines } = summary.heldout[mode];
      for (const x of [before, after, baselines.mostCommon, baselines.identity])
        assert.ok(x >= 0 && x <= 1, mode);
    }
    // examples/cruxeval-mini.jsonl: 1 of 12 outputs is the most common one; 4 of 12 functions map the output to itself.
    assert.equal(summary.heldout.deduction.baselines.mostCommon, 1 / 12);
    assert.equal(summary.heldout.abduction.baselines.identity, 4 / 12);
    assert.match(
      stdout,
      /held-out deduction: \d+\.\d% → \d+\.\d% \(baselines: most common 8\.3%, identity 0\.0%\)/,
    );
  });

  test('stop after step 2 and resume: buffers and weights equal the uninterrupted run, and so does step 3', async () => {
    const resumed = await mkdtemp(join(tmpdir(), 'azr-resume-'));
    assert.equal((await azr('run', config, '--out', resumed, '--steps', '2')).code, 0);
    const [a2, b2] = [await state(uninterrupted, 2), await state(resumed, 2)];
    assert.deepEqual(b2.learner.tensors, a2.learner.tensors, 'weights at step 2');
    assert.deepEqual(b2.learner.optimizer, a2.learner.optimizer, 'optimiser state at step 2');
    for (const mode of ['deduction', 'abduction', 'induction'])
      assert.deepEqual(b2[`buffer-${mode}`], a2[`buffer-${mode}`]);

    const { code, stderr } = await azr('run', config, '--resume', resumed, '--steps', '3');
    assert.equal(code, 0, stderr);
    assert.match(stderr, /resumed .* after step 2/);
    const [a3, b3] = [await state(uninterrupted, 3), await state(resumed, 3)];
    assert.deepEqual(
      b3.learner.tensors,
      a3.learner.tensors,
      'the step after a resume equals the uninterrupted step',
    );
    assert.deepEqual(
      (await metricsLines(resumed)).map(withoutTimes),
      (await metricsLines(uninterrupted)).map(withoutTimes),
    );
  });

  test('resume refuses a run directory without a checkpoint, or from another configuration', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'azr-empty-'));
    const none = await azr('run', config, '--resume', empty);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no checkpoint to resume from/);
    const other = await azr('run', config, '--resume', uninterrupted, '--seed', '99');
    assert.equal(other.code, 2);
    assert.match(other.stderr, /written by another configuration/);
    assert.ok(
      (await readdir(join(uninterrupted, 'checkpoints'))).includes('step-3'),
      'nothing was overwritten',
    );
  });
});
