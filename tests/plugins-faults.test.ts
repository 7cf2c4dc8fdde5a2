import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { faultLines } from '../src/cli/progress.ts';
import { guard, mergeFaults, type Faults, totalReward } from '../src/plugins/index.ts';
import { azrOk } from './helpers/azr.ts';

test('a plugin that throws at run time is contained, counted and its first message shown; the run goes on', async () => {
  const runDir = await mkdtemp(join(tmpdir(), 'azr-faulty-'));
  const { stdout, stderr } = await azrOk(
    'run',
    'tests/fixtures/plugins/faulty.yaml',
    '--steps',
    '2',
    '--out',
    runDir,
  );
  assert.match(stdout, /done after step 2/);
  const lines = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  for (const line of lines) {
    assert.ok(line['faults.shaper:explosive'] > 0, 'the throwing reward shaper was counted');
    assert.equal(line['faultMessage.shaper:explosive'], 'Error: boom');
    assert.equal(line['faults.mode:flaky.prompt'], 1, 'one of the two prompts failed');
    assert.equal(line['faultMessage.mode:flaky.prompt'], 'Error: no prompt today');
    assert.equal(
      line['faults.mode:flaky.parse'],
      2,
      'the surviving proposal and the solver answer failed to parse (the backfill draws the one buffered task once)',
    );
    assert.equal(line['flaky.validRate'], 0);
    assert.equal(line['flaky.bufferSize'], 1, 'the added buffer holds the seed task');
    assert.ok(Number.isFinite(line['deduction.proposerReward']), 'the healthy mode still played');
  }
  // On the console: each faulting part once per step, with its count and first message.
  for (const step of [1, 2]) {
    const shown = stderr.split('\n').filter((l) => l.startsWith(`step ${step}: plugin fault in `));
    assert.deepEqual(
      shown.map((l) => l.replace(/ \(\d+×\)/, '')),
      [
        `step ${step}: plugin fault in shaper:explosive: Error: boom`,
        `step ${step}: plugin fault in mode:flaky.prompt: Error: no prompt today`,
        `step ${step}: plugin fault in mode:flaky.parse: Error: cannot parse`,
      ],
    );
  }
});

test("each shaper's term per mode and role is in the metrics and the terms add up to the role's reward", async () => {
  const runDir = await mkdtemp(join(tmpdir(), 'azr-terms-'));
  await azrOk('run', 'tests/fixtures/selfplay-tiny.yaml', '--steps', '1', '--out', runDir);
  const line = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .find((l) => l.step === 1);
  for (const mode of ['deduction', 'abduction', 'induction']) {
    for (const role of ['proposer', 'solver']) {
      const terms = ['learnability', 'correctness', 'format'].map((shaper) => {
        const value = line[`reward.${mode}.${role}.${shaper}`];
        assert.equal(typeof value, 'number', `reward.${mode}.${role}.${shaper}`);
        return value as number;
      });
      const total = terms.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - line[`${mode}.${role}Reward`]) < 1e-9, `${mode} ${role}: ${terms} vs total`);
    }
    // The roles' own rewards: correctness never pays the proposer, learnability never the solver.
    assert.equal(line[`reward.${mode}.proposer.correctness`], 0);
    assert.equal(line[`reward.${mode}.solver.learnability`], 0);
  }
});

test('guard keeps the first message of a part and counts the rest; merging keeps the earlier message', () => {
  const faults: Faults = {};
  for (const text of ['first', 'second'])
    guard(
      faults,
      'mode:x.parse',
      () => {
        throw new TypeError(text);
      },
      () => null,
    );
  assert.deepEqual(faults, { 'mode:x.parse': { count: 2, first: 'TypeError: first' } });
  mergeFaults(faults, {
    'mode:x.parse': { count: 3, first: 'Error: later' },
    'shaper:y': { count: 1, first: 'E' },
  });
  assert.deepEqual(faults, {
    'mode:x.parse': { count: 5, first: 'TypeError: first' },
    'shaper:y': { count: 1, first: 'E' },
  });
  const shapers = [
    { name: 'nan', reward: () => Number.NaN },
    { name: 'one', reward: () => 1 },
  ];
  const rollout = { role: 'solver' as const, mode: 'x', completion: '', formatOk: true };
  const result = totalReward(shapers, rollout, { step: 1, buffer: [] }, faults);
  assert.deepEqual(result, { reward: 1, terms: { one: 1 } });
  assert.equal((faults as Faults)['shaper:nan']?.first, 'Error: returned NaN, not a finite number');
});

test('the console shows one line per faulting part of a step', () => {
  assert.deepEqual(
    faultLines(4, {
      step: 4,
      'faults.shaper:y': 3,
      'faultMessage.shaper:y': 'Error: boom',
      'deduction.validRate': 0.5,
    }),
    ['step 4: plugin fault in shaper:y (3×): Error: boom'],
  );
  assert.deepEqual(faultLines(5, { step: 5, 'deduction.validRate': 0.5 }), []);
});
