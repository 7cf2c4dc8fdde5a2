import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { azr } from './helpers/azr.ts';
import { checkpointState as state, metricsLines, withoutTimes } from './helpers/run-dir.ts';

const overlap = 'tests/fixtures/selfplay-overlap.yaml';
const supervisedOnly = 'tests/fixtures/selfplay-supervised-only.yaml';

/**
 * Runs the overlap fixture `stop` steps, resumes it to `last` (the `--set` flags carried by run.json) and checks
 * that the last checkpoint's learner and every metrics line equal those of the run in `uninterrupted`.
 */
async function assertResumeEquals(uninterrupted: string, stop: number, last: number, set: string[] = []) {
  const resumed = await mkdtemp(join(tmpdir(), 'azr-overlap-resume-'));
  assert.equal((await azr('run', overlap, '--out', resumed, '--steps', String(stop), ...set)).code, 0);
  const { code, stderr } = await azr('run', overlap, '--resume', resumed, '--steps', String(last));
  assert.equal(code, 0, stderr);
  assert.deepEqual(
    (await state(resumed, last)).learner.tensors,
    (await state(uninterrupted, last)).learner.tensors,
  );
  assert.deepEqual(
    (await metricsLines(resumed)).map(withoutTimes),
    (await metricsLines(uninterrupted)).map(withoutTimes),
  );
}

describe('overlap: the learner learns step t−1 while step t is generated', () => {
  let uninterrupted: string;

  test("each step learns the previous batch; a checkpoint learns the last one and keeps the generators' weights", async () => {
    uninterrupted = await mkdtemp(join(tmpdir(), 'azr-overlap-'));
    const { code, stderr } = await azr('run', overlap, '--out', uninterrupted);
    assert.equal(code, 0, stderr);
    const lines = (await metricsLines(uninterrupted)).filter((l) => l.step > 0 && 'deduction.validRate' in l);
    assert.deepEqual(
      lines.map((l) => l.version),
      [undefined, 1, 2],
      'no update in step 1; step t learns batch t−1',
    );
    assert.ok(lines[1]!['learner.supervisedTokens'] > 0, 'the gold answers reach the learner');
    const last = await state(uninterrupted, 3);
    assert.equal(last.learner.version, 3, "a checkpoint holds nothing in flight: step 3's batch is learned");
    assert.equal(last.coordinator.version, 2, 'the generators hold version 2');
    assert.deepEqual(
      last.coordinator.pipeline.weights.map((w: { version: number }) => w.version),
      [2],
      'the checkpoint keeps the weights the generators use next',
    );
    assert.deepEqual(
      last.coordinator.pipeline.updates.map((u: { version: number }) => u.version),
      [3],
      "update 3's figures wait for step 4's line",
    );
  });

  test('stop after step 2 and resume: step 3 equals the uninterrupted one', async () => {
    await assertResumeEquals(uninterrupted, 2, 3);
  });
});

describe('maxStaleness 2: generation two versions ahead of the learner', () => {
  const s2 = ['--set', 'actors.coordinator.options.maxStaleness=2'];
  let uninterrupted: string;

  test('step t generates with version t − 3; updates learn batches two versions old', async () => {
    uninterrupted = await mkdtemp(join(tmpdir(), 'azr-staleness-'));
    const { code, stderr } = await azr('run', overlap, '--out', uninterrupted, '--steps', '5', ...s2);
    assert.equal(code, 0, stderr);
    const lines = (await metricsLines(uninterrupted)).filter((l) => l.step > 0 && 'deduction.validRate' in l);
    assert.deepEqual(
      lines.map((l) => l.version),
      [undefined, undefined, 1, 2, 3],
      'step t reports the update whose weights step t + 1 uses: version t − 2',
    );
    assert.equal(lines[4]!['learner.staleness.2'] > 0, true, 'update 3 learns batch 3, made with version 0');
    assert.equal(lines[4]!['learner.droppedSamples'], 0);
    assert.equal(typeof lines[4]!['time.generatorIdle'], 'number');
    assert.equal(typeof lines[4]!['time.learnerIdle'], 'number');
  });

  test('stop after step 4 and resume: step 5 equals the uninterrupted one', async () => {
    // Step 4 scores the held-out set either way (every 2): the lines can be compared whole.
    await assertResumeEquals(uninterrupted, 4, 5, s2);
  });
});

test('reinforce: [] with supervised: the learner trains on gold answers only', async () => {
  const runDir = await mkdtemp(join(tmpdir(), 'azr-supervised-'));
  const { code, stderr } = await azr('run', supervisedOnly, '--out', runDir, '--steps', '1');
  assert.equal(code, 0, stderr);
  const line = (await metricsLines(runDir)).find((l) => l.step === 1 && 'version' in l)!;
  assert.equal(line['learner.responseTokens'], 0, 'no policy-gradient samples');
  assert.ok(line['learner.supervisedTokens'] > 0);
  assert.ok(line['learner.supervisedLoss'] > 0);
});

test('--max-minutes ends the run at the step expected to cross the budget, with the held-out set scored in it', async () => {
  const runDir = await mkdtemp(join(tmpdir(), 'azr-budget-'));
  const { code, stderr, stdout } = await azr(
    'run',
    'tests/fixtures/selfplay-tiny.yaml',
    '--out',
    runDir,
    '--steps',
    '50',
    '--max-minutes',
    '0.0001',
  );
  assert.equal(code, 0, stderr);
  assert.match(stderr, /budget allows no further step: stopping after step 1/);
  assert.match(stdout, /done after step 1/);
  const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8'));
  assert.equal(summary.steps, 1);
  assert.equal(typeof summary.heldout.deduction.after, 'number', 'scored at the last step');
  const steps = (await metricsLines(runDir)).map((l) => l.step);
  assert.deepEqual(steps, [0, 1], 'one line per step: the held-out score is part of the last one');
  const bad = await azr('run', 'tests/fixtures/selfplay-tiny.yaml', '--max-minutes', 'soon');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--max-minutes must be a number > 0, got "soon"/);
});
