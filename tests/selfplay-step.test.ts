// The step's arithmetic (src/selfplay) on hand-made replies: no actors, no processes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Faults, RewardShaper, Rollout, Task, TaskMode } from '../src/plugins/index.ts';
import { modeFigures } from '../src/selfplay/figures.ts';
import { baselineAnswers, heldoutTasks } from '../src/selfplay/heldout.ts';
import {
  faultMetrics,
  groupMember,
  heldoutMetrics,
  learnerMetrics,
  modeMetrics,
  parseRewardTerm,
  rewardTermKey,
  timeMetrics,
} from '../src/selfplay/metrics.ts';
import { chunk, ProposedTasks, parsedProposals, validTasks } from '../src/selfplay/propose.ts';
import {
  meanTerms,
  proposerRollouts,
  rewardRollouts,
  solverRollouts,
  supervisedPairs,
  trainingSamples,
} from '../src/selfplay/reward.ts';
import {
  answerChecks,
  backfillCount,
  fractionCorrect,
  judgeAnswers,
  solveRates,
  solverBatch,
} from '../src/selfplay/solve.ts';

const task = (id: string, fields: Partial<Task> = {}): Task => ({
  id,
  mode: 'toy',
  code: 'def f(x):\n  return x',
  input: '1',
  output: '1',
  step: 1,
  ...fields,
});

/** A task mode whose calls throw on the inputs the tests pick. */
const toy: TaskMode = {
  name: 'toy',
  references: 2,
  seedTasks: () => [],
  proposerPrompt: () => ({ text: 'propose', stop: [] }),
  parseProposal: () => ({ ok: false, reason: 'unused' }),
  toTask: ({ proposal, output }, meta) => {
    if (proposal.code === 'boom') throw new Error('toTask failed');
    return {
      ...meta,
      mode: 'toy',
      code: proposal.code,
      input: 'input' in proposal ? proposal.input : '',
      output: output!,
    };
  },
  solverPrompt: (t) => ({ text: `solve ${t.id}`, stop: ['\n', '#'] }),
  parseAnswer: (completion) => ({ ok: true, value: completion }),
  check: (t, answer) => {
    if (answer === 'unreadable') throw new Error('check failed');
    return { type: 'deduction', output: t.output, answer };
  },
  goldAnswer: (t) => {
    if (t.id === 'bad') throw new Error('no gold');
    return t.output;
  },
};

const generation = (completion: string, responseIds: number[] = [1, 2]) => ({
  completion,
  promptIds: [9],
  responseIds,
  logprobs: responseIds.map(() => -0.5),
});

/** Format: −1 unless parsed; learnability: 1 − r̄ for a valid proposal with r̄; correctness: ±1 for answers. */
const shapers: RewardShaper[] = [
  { name: 'format', reward: (r) => (r.formatOk ? 0 : -1) },
  {
    name: 'learnability',
    reward: (r) => (r.role === 'proposer' && r.valid && r.solveRate !== undefined ? 1 - r.solveRate : 0),
  },
  { name: 'correctness', reward: (r) => (r.role === 'solver' ? (r.correct ? 1 : -0.5) : 0) },
];

describe('proposing', () => {
  test('chunk gives each prompt its own references', () => {
    assert.deepEqual(chunk([1, 2, 3, 4, 5, 6], 2, 3), [
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    assert.deepEqual(chunk([1, 2, 3], 2, 3), [[1, 2], [3], []]);
  });

  test('valid proposals become tasks by proposal index; a throwing toTask is a fault', () => {
    const proposals = [
      { proposal: { code: 'a', input: '1' } },
      { proposal: null },
      { proposal: { code: 'boom', input: '2' } },
      { proposal: { code: 'c', input: '3' } },
      { proposal: { code: 'd', input: '4' } },
    ];
    const parsed = parsedProposals(proposals);
    assert.deepEqual(
      parsed.map((p) => p.i),
      [0, 2, 3, 4],
    );
    const verdicts = [
      { valid: true, output: '1', outputs: null },
      { valid: true, output: '2', outputs: null },
      { valid: false, output: null, outputs: null },
      { valid: true, output: '4', outputs: null },
    ];
    const faults: Faults = {};
    const tasks = validTasks(toy, parsed, verdicts, 5, faults);
    assert.deepEqual(tasks.proposals(), [0, 4]);
    assert.equal(tasks.of(4)[0]!.id, 'toy-5-4');
    assert.equal(tasks.of(4)[0]!.output, '4');
    assert.deepEqual(faults, { 'mode:toy.toTask': { count: 1, first: 'Error: toTask failed' } });
  });
});

describe('solving', () => {
  const tasks = [task('t0', { output: '7' }), task('t1', { output: '8' })];
  // Two answers per task, task-major.
  const answers = [
    { answer: '7', ...generation('7') },
    { answer: null, ...generation('?') },
    { answer: 'unreadable', ...generation('unreadable') },
    { answer: '9', ...generation('9') },
  ];

  test('each answer is checked against its own task; a throwing check leaves the answer unchecked', () => {
    const faults: Faults = {};
    const checked = answerChecks(toy, tasks, answers, 2, faults);
    assert.deepEqual(
      checked.checks.map((c) => [c.i, c.check]),
      [
        [0, { type: 'deduction', output: '7', answer: '7' }],
        [3, { type: 'deduction', output: '8', answer: '9' }],
      ],
    );
    assert.deepEqual([...checked.unchecked], [2]);
    assert.equal(faults['mode:toy.check']?.count, 1);
  });

  test('judged answers: unparsed and unchecked answers are format errors; malformed ones are wrong by default', () => {
    const checked = answerChecks(toy, tasks, answers, 2, {});
    const verdicts = [
      { correct: true, malformed: false },
      { correct: false, malformed: true },
    ];
    const judged = (mapping: 'wrong' | 'format-error') =>
      judgeAnswers(answers, tasks, 2, checked, verdicts, mapping).map((a) => [
        a.task.id,
        a.formatOk,
        a.correct,
      ]);
    assert.deepEqual(judged('wrong'), [
      ['t0', true, true],
      ['t0', false, false],
      ['t1', false, false],
      ['t1', true, false],
    ]);
    assert.deepEqual(
      judged('format-error'),
      [
        ['t0', true, true],
        ['t0', false, false],
        ['t1', false, false],
        ['t1', false, false],
      ],
      'malformedAnswers: format-error',
    );
    const [first] = judgeAnswers(answers, tasks, 2, checked, verdicts, 'wrong');
    assert.equal(first!.completion, '7', 'the generation travels with its verdict');
  });

  test('solve rate r̄: the fraction of each task’s rollouts judged correct', () => {
    const rollouts = [true, false, false, false, true, true, true, false].map((correct) => ({ correct }));
    const rates = solveRates([task('a'), task('b')], rollouts, 4);
    assert.deepEqual(
      [...rates],
      [
        ['a', 0.25],
        ['b', 0.75],
      ],
    );
    assert.deepEqual([...solveRates([task('a')], [], 0)], [['a', 0]]);
  });

  test("the solver's batch: new tasks first, then the buffer's", () => {
    assert.equal(backfillCount(4, 1), 3);
    assert.equal(backfillCount(4, 6), 0);
    const fresh = [task('n1'), task('n2'), task('n3')];
    assert.deepEqual(
      solverBatch(2, fresh, []).map((t) => t.id),
      ['n1', 'n2'],
    );
    assert.deepEqual(
      solverBatch(4, fresh, [task('old')]).map((t) => t.id),
      ['n1', 'n2', 'n3', 'old'],
    );
  });
});

describe('rewards', () => {
  const tasks = new ProposedTasks([[1, task('p1')]]);
  const proposals = [
    { proposal: null, ...generation('junk') },
    { proposal: { code: 'x', input: '1' }, ...generation('x') },
    { proposal: { code: 'y', input: '2' }, ...generation('y', []) },
  ];

  test('proposer reward with rollouts: learnability 1 − r̄ for the valid one, −1 for the unparsed one', () => {
    const rollouts = proposerRollouts('toy', proposals, tasks, new Map([['p1', 0.25]]));
    assert.deepEqual(
      rollouts.map((r) => [r.formatOk, r.valid, r.solveRate]),
      [
        [false, false, undefined],
        [true, true, 0.25],
        [true, false, undefined],
      ],
    );
    const { rewards, terms } = rewardRollouts(shapers, rollouts, { step: 1, buffer: [] }, {});
    assert.deepEqual(rewards, [-1, 0.75, 0]);
    assert.deepEqual(terms[1], { format: 0, learnability: 0.75, correctness: 0 });
  });

  test('proposer reward without rollouts: no r̄, so no learnability term', () => {
    const rollouts = proposerRollouts('toy', proposals, tasks);
    assert.equal(rollouts[1]!.solveRate, undefined);
    assert.deepEqual(rewardRollouts(shapers, rollouts, { step: 1, buffer: [] }, {}).rewards, [-1, 0, 0]);
  });

  test('solver rewards; a shaper that throws or gives a non-number adds 0 and is a fault', () => {
    const answers = [
      { ...generation('7'), formatOk: true, correct: true, task: task('a') },
      { ...generation('8'), formatOk: true, correct: false, task: task('a') },
      { ...generation('?'), formatOk: false, correct: false, task: task('b') },
    ];
    const rollouts: Rollout[] = solverRollouts('toy', answers);
    assert.deepEqual(
      rollouts.map((r) => [r.role, r.task?.id]),
      [
        ['solver', 'a'],
        ['solver', 'a'],
        ['solver', 'b'],
      ],
    );
    const faults: Faults = {};
    const explosive: RewardShaper = {
      name: 'explosive',
      reward: (r) => {
        if (!r.formatOk) throw new Error('kaboom');
        return 0.1;
      },
    };
    /** Gives no term at all (not a finite number) for a wrong answer. */
    const broken: RewardShaper = { name: 'broken', reward: (r) => (r.correct ? 0.3 : Number.NaN) };
    const all = [...shapers, explosive, broken];
    const { rewards, terms } = rewardRollouts(all, rollouts, { step: 1, buffer: [] }, faults);
    assert.deepEqual(
      rewards.map((r) => Math.round(r * 1e9) / 1e9),
      [1.4, -0.4, -1.5],
    );
    assert.deepEqual(faults, {
      'shaper:explosive': { count: 1, first: 'Error: kaboom' },
      'shaper:broken': { count: 2, first: 'Error: returned NaN, not a finite number' },
    });
    assert.equal(terms[1]!.broken, undefined);
    // The mean term over the role; a term a shaper did not give counts as 0, as in the sum.
    const means = meanTerms(all, terms);
    assert.deepEqual(Object.keys(means), ['format', 'learnability', 'correctness', 'explosive', 'broken']);
    assert.ok(Math.abs(means.explosive! - 0.2 / 3) < 1e-12);
    assert.ok(Math.abs(means.broken! - 0.1) < 1e-12);
    assert.equal(means.format, -1 / 3);
  });

  test('training samples: one group per mode and role; no response tokens, no sample', () => {
    const samples = trainingSamples(proposals, [-1, 0.75, 0], 'toy', 'proposer');
    assert.deepEqual(samples, [
      {
        promptIds: [9],
        responseIds: [1, 2],
        samplingLogprobs: [-0.5, -0.5],
        reward: -1,
        group: 'toy/proposer',
      },
      {
        promptIds: [9],
        responseIds: [1, 2],
        samplingLogprobs: [-0.5, -0.5],
        reward: 0.75,
        group: 'toy/proposer',
      },
    ]);
  });

  test("supervised pairs: the solver prompt and the gold answer ended by the prompt's first stop", () => {
    const faults: Faults = {};
    const pairs = supervisedPairs(toy, [task('a', { output: "'x'" }), task('bad'), task('c')], faults);
    assert.deepEqual(pairs, [
      { prompt: 'solve a', target: "'x'\n" },
      { prompt: 'solve c', target: '1\n' },
    ]);
    assert.equal(faults['mode:toy.goldAnswer']?.first, 'Error: no gold');
    const { goldAnswer: _none, ...noGold } = toy;
    assert.deepEqual(supervisedPairs(noGold, [task('a')], {}), []);
  });
});

describe('held-out baselines', () => {
  test('most common gold answer (ties: the smallest) and identity (the other value shown)', () => {
    const tasks = [
      task('1', { input: "'a'", output: "'b'" }),
      task('2', { input: '1', output: '2' }),
      task('3', { input: "'a'", output: "'b'" }),
      task('4', { input: '3', output: '2' }),
    ];
    const deduction = baselineAnswers({}, tasks);
    assert.deepEqual(
      deduction.mostCommon,
      ["'b'", "'b'", "'b'", "'b'"],
      "'b' and 2 tie at two; 'b' sorts first",
    );
    assert.deepEqual(deduction.identity, ["'a'", '1', "'a'", '3']);
    // Abduction: the gold answer is the input, so identity answers with the output.
    const abduction = baselineAnswers({ goldAnswer: (t) => t.input }, tasks);
    assert.deepEqual(abduction.mostCommon, ["'a'", "'a'", "'a'", "'a'"]);
    assert.deepEqual(abduction.identity, ["'b'", '2', "'b'", '2']);
  });

  test('held-out items become step-0 tasks of the mode; accuracy is the fraction correct', () => {
    const [t] = heldoutTasks([{ id: '7', code: 'c', input: 'i', output: 'o' }], 'abduction');
    assert.deepEqual(t, { id: 'heldout-7', code: 'c', input: 'i', output: 'o', mode: 'abduction', step: 0 });
    assert.equal(
      fractionCorrect([{ correct: true }, { correct: false }, { correct: true }, { correct: true }]),
      0.75,
    );
    assert.equal(fractionCorrect([]), 0);
  });
});

describe('the metrics line', () => {
  test("a mode's figures and keys, in the order they are written", () => {
    const figures = modeFigures({
      proposals: [{ proposal: null }, { proposal: {} }, { proposal: {} }, { proposal: {} }],
      tasks: new ProposedTasks([
        [1, task('a', { code: 'abcd' })],
        [2, task('b', { code: 'ab', output: '2' })],
      ]),
      solveRates: new Map([
        ['a', 0.5],
        ['b', 1],
      ]),
      answers: [{ correct: true }, { correct: false }],
      proposerRewards: [-1, 0.5, 0, 0.5],
      solverRewards: [1, -0.5],
      bufferSize: 12,
    });
    assert.deepEqual(figures, {
      validRate: 0.5,
      formatErrorRate: 0.25,
      newTasks: 2,
      tasksPerProposal: 1,
      bufferSize: 12,
      learnability: 0.75,
      solveRate: 0.5,
      proposerReward: 0,
      solverReward: 0.25,
      programChars: 3,
      topOutputShare: 0.5,
    });
    const line = modeMetrics('deduction', figures, {
      proposer: { format: -0.25, learnability: 0.25 },
      solver: { format: 0, learnability: 0 },
    });
    assert.deepEqual(Object.keys(line), [
      'deduction.validRate',
      'deduction.formatErrorRate',
      'deduction.newTasks',
      'deduction.tasksPerProposal',
      'deduction.bufferSize',
      'deduction.learnability',
      'deduction.solveRate',
      'deduction.proposerReward',
      'deduction.solverReward',
      'deduction.programChars',
      'deduction.topOutputShare',
      'reward.deduction.proposer.format',
      'reward.deduction.proposer.learnability',
      'reward.deduction.solver.format',
      'reward.deduction.solver.learnability',
    ]);
    assert.equal(line['reward.deduction.proposer.format'], -0.25);
  });

  test('faults, time, learner and held-out keys', () => {
    assert.deepEqual(faultMetrics({ 'shaper:x': { count: 2, first: 'Error: e' } }), {
      'faults.shaper:x': 2,
      'faultMessage.shaper:x': 'Error: e',
    });
    assert.deepEqual(timeMetrics({ generation: 5, overhead: 1 }, 9), {
      'time.generation': 5,
      'time.overhead': 1,
      'time.wallMs': 9,
    });
    assert.deepEqual(learnerMetrics({ version: 3, stats: { loss: 0.5, groups: {}, step: 3, entropy: 2 } }), {
      version: 3,
      'learner.loss': 0.5,
      'learner.entropy': 2,
    });
    assert.deepEqual(heldoutMetrics({ deduction: 0.25 }), { 'heldout.deduction': 0.25 });
  });

  test('the reader takes the keys apart as the writer put them together', () => {
    const key = rewardTermKey('js-deduction', 'solver', 'my.shaper');
    assert.equal(key, 'reward.js-deduction.solver.my.shaper');
    assert.deepEqual(parseRewardTerm(groupMember(key, 'reward')!), {
      mode: 'js-deduction',
      role: 'solver',
      shaper: 'my.shaper',
    });
    assert.equal(parseRewardTerm('deduction.solver'), undefined);
    assert.equal(groupMember('learner.loss', 'faults'), undefined);
    assert.equal(groupMember('faults.mode:x.check', 'faults'), 'mode:x.check');
  });
});
