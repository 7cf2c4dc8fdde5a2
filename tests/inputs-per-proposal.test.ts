// Several inputs per program (docs/azr.md §4, "Several inputs per program"): a deduction or abduction proposal
// with k inputs is parsed, split into k (program, input) proposals validated one by one, each valid pair becomes a
// task, and the proposal's reward is the mean over its valid pairs. Pure parts first, then the coordinator with
// real buffers and a real validator, and a scripted proposer, solver and learner (seconds, no model).
import { scriptedLearner } from './fixtures/scripted-learner.ts';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buffer } from '../actors/buffer.ts';
import { coordinator } from '../actors/coordinator.ts';
import { proposerProtocol } from '../actors/proposer.ts';
import { solverProtocol } from '../actors/solver.ts';
import { validator } from '../actors/validator.ts';
import { builtinPlugins } from '../plugins/index.ts';
import { proposalGrammar } from '../plugins/tiny-python/subset.ts';
import { parseTinyProposal, tinyPythonModes } from '../plugins/tiny-python/index.ts';
import {
  type Faults,
  type LoadedPlugins,
  loadPlugins,
  type Proposal,
  readInputs,
  type Task,
  type TaskMode,
} from '../src/plugins/index.ts';
import { createSystem, defineActor } from '../src/runtime/index.ts';
import type { RolloutSample } from '../src/wire/index.ts';
import {
  completedProposals,
  modeFigures,
  parsedProposals,
  ProposedTasks,
  proposerRollouts,
  rewardRollouts,
  validTasks,
} from '../src/selfplay/index.ts';

const CODE = 'def f(x):\n    return 12 // x';

async function modes(options: Record<string, unknown>): Promise<LoadedPlugins> {
  return loadPlugins(
    [
      { use: 'deduction', options },
      { use: 'abduction', options },
      { use: 'learnability' },
      { use: 'format' },
      { use: 'correctness' },
    ],
    { builtins: builtinPlugins },
  );
}

describe('parsing k inputs', () => {
  test('readInputs: exactly k "# input" sections, or the last k of at least k ```input blocks', () => {
    const sections = '# program\nx\n# input\n1\n# input\n2\n# input\n3\n';
    assert.deepEqual(readInputs('bare', sections, 3), { ok: true, value: ['1', '2', '3'] });
    assert.deepEqual(readInputs('bare', sections, 2), { ok: false, reason: '3 inputs, expected 2' });
    const fenced = '```input\n0\n```\n```input\n1\n```\n```input\n2\n```';
    assert.deepEqual(readInputs('think-answer', fenced, 2), { ok: true, value: ['1', '2'] });
    assert.deepEqual(readInputs('think-answer', fenced, 4), { ok: false, reason: '3 inputs, expected 4' });
    assert.equal(readInputs('bare', '# input\n1\n# input\n\n', 2).ok, false, 'an empty input');
  });

  test('bare: the header asks for k inputs; k sections parse into one program with k inputs', async () => {
    const deduction = (await modes({ format: 'bare', inputsPerProposal: 3 })).modes.get('deduction')!;
    const prompt = deduction.proposerPrompt([]);
    assert.equal(prompt.text, '# task: deduction, 3 inputs\n# program\n');
    const parsed = deduction.parseProposal(`${CODE}\n# input\n1\n# input\n2\n# input\n0\n`);
    assert.deepEqual(parsed, { ok: true, value: { code: CODE, inputs: ['1', '2', '0'], message: '' } });
    assert.deepEqual(deduction.parseProposal(`${CODE}\n# input\n1\n`), {
      ok: false,
      reason: '1 inputs, expected 3',
    });
  });

  test('think-answer: the instruction asks for k inputs; fenced blocks or sections parse', async () => {
    const abduction = (await modes({ format: 'think-answer', inputsPerProposal: 2 })).modes.get('abduction')!;
    const prompt = abduction.proposerPrompt([]).text;
    assert.match(prompt, /Write 2 different inputs for f/);
    assert.match(prompt, /its 2 inputs, each the arguments of one call to f on one line, each in its own/);
    const fenced = `reasons</think>\n<answer>\n\`\`\`python\n${CODE}\n\`\`\`\n\`\`\`input\n3\n\`\`\`\n\`\`\`input\n4\n\`\`\`\n`;
    assert.deepEqual(abduction.parseProposal(fenced), {
      ok: true,
      value: { code: CODE, inputs: ['3', '4'], message: '' },
    });
    const sections = `reasons</think>\n<answer>\n# program\n${CODE}\n# input\n3\n# input\n4\n`;
    assert.deepEqual(abduction.parseProposal(sections), {
      ok: true,
      value: { code: CODE, inputs: ['3', '4'], message: '' },
    });
  });

  test('k = 1 (the default) is the paper: one input, no mention of several', async () => {
    const loaded = await modes({ format: 'think-answer' });
    const deduction = loaded.modes.get('deduction')!;
    assert.doesNotMatch(deduction.proposerPrompt([]).text, /different inputs/);
    const parsed = deduction.parseProposal(`r</think>\n<answer>\n# program\n${CODE}\n# input\n3\n`);
    assert.deepEqual(parsed, { ok: true, value: { code: CODE, input: '3' } });
    const faults: Faults = {};
    const [one, ...rest] = completedProposals(
      deduction,
      [{ i: 0, proposal: (parsed as { value: Proposal }).value }],
      [[]],
      faults,
    );
    assert.deepEqual(rest, []);
    assert.deepEqual(
      one,
      { i: 0, proposal: { code: CODE, input: '3' } },
      'no pair index: the id stays <mode>-<step>-<i>',
    );
  });
});

describe('expanding proposals and merging the verdicts back', () => {
  test('a k-input proposal becomes k pairs (a repeated input once); each valid pair a task of its own id', async () => {
    const deduction = (await modes({ format: 'bare', inputsPerProposal: 4 })).modes.get('deduction')!;
    const proposals: { proposal: Proposal | null }[] = [
      { proposal: null },
      { proposal: { code: CODE, inputs: ['1', '2', '2', '0'], message: '' } },
      { proposal: { code: CODE, inputs: ['0', '0', '0', '0'], message: '' } },
    ];
    const faults: Faults = {};
    const toValidate = completedProposals(deduction, parsedProposals(proposals), [[], [], []], faults);
    assert.deepEqual(
      toValidate.map(({ i, j, proposal }) => [i, j, 'input' in proposal ? proposal.input : null]),
      [
        [1, 0, '1'],
        [1, 1, '2'],
        [1, 2, '0'],
        [2, 0, '0'],
      ],
    );
    const verdict = (output: string | null) => ({ valid: output !== null, output, outputs: null });
    const tasks = validTasks(
      deduction,
      toValidate,
      [verdict('12'), verdict('6'), verdict(null), verdict(null)],
      7,
      faults,
    );
    assert.deepEqual(faults, {});
    assert.deepEqual(tasks.proposals(), [1], 'proposal 2 has no valid pair: invalid');
    assert.deepEqual(
      tasks.of(1).map((t) => [t.id, t.input, t.output]),
      [
        ['deduction-7-1.0', '1', '12'],
        ['deduction-7-1.1', '2', '6'],
      ],
    );
    assert.equal(tasks.size, 2);
    assert.deepEqual(
      tasks.values().map((t) => t.id),
      ['deduction-7-1.0', 'deduction-7-1.1'],
    );
  });

  test('a split that throws is a fault, and the proposal is invalid', () => {
    const mode = {
      name: 'toy',
      splitProposal: () => {
        throw new Error('no split');
      },
    } as unknown as TaskMode;
    const faults: Faults = {};
    assert.deepEqual(
      completedProposals(mode, [{ i: 0, proposal: { code: 'c', input: '1' } }], [[]], faults),
      [],
    );
    assert.equal(faults['mode:toy.splitProposal']?.count, 1);
  });
});

describe("the proposer's reward: the mean over its valid pairs", () => {
  const task = (id: string): Task => ({
    id,
    mode: 'deduction',
    code: CODE,
    input: '1',
    output: '12',
    step: 1,
  });

  test('each pair rewarded as a proposal of its own, then averaged; figures count tasks per valid proposal', async () => {
    const { shapers } = await modes({ format: 'bare' });
    const proposals = [
      { completion: 'a', proposal: {} },
      { completion: 'b', proposal: {} },
      { completion: 'c', proposal: null },
      { completion: 'd', proposal: {} },
    ];
    const tasks = new ProposedTasks([
      [0, [task('p0.0'), task('p0.1'), task('p0.2')]],
      [1, task('p1')],
    ]);
    const rates = new Map([
      ['p0.0', 0.25], // learnability 0.75
      ['p0.1', 1], // unlearnable: 0
      ['p0.2', 0.5], // 0.5
      ['p1', 0.5],
    ]);
    const rollouts = proposerRollouts('deduction', proposals, tasks, rates);
    assert.equal(rollouts[0]!.pairs?.length, 3);
    assert.equal(rollouts[1]!.pairs, undefined, 'one pair: the rollout is the pair');
    const { rewards, terms } = rewardRollouts(shapers, rollouts, { step: 1, buffer: [] }, {});
    assert.deepEqual(rewards, [(0.75 + 0 + 0.5) / 3, 0.5, -1, -1]);
    assert.deepEqual(terms[0], { learnability: (0.75 + 0 + 0.5) / 3, format: 0, correctness: 0 });

    const figures = modeFigures({
      proposals,
      tasks,
      solveRates: rates,
      answers: [],
      proposerRewards: rewards,
      solverRewards: [],
      bufferSize: 4,
    });
    assert.equal(figures.validRate, 0.5, 'valid rate per proposal');
    assert.equal(figures.newTasks, 4);
    assert.equal(figures.tasksPerProposal, 2, 'tasks per valid proposal');
    assert.equal(figures.programChars, CODE.length, 'per program, not per pair');
    assert.equal(figures.topOutputShare, 1, 'every pair has the output 12');
  });

  test('with rolloutPairs, only the pairs that were rolled out (those with a rate) judge the program', async () => {
    const { shapers } = await modes({ format: 'bare' });
    const tasks = new ProposedTasks([[0, [task('p0.0'), task('p0.1'), task('p0.2')]]]);
    assert.deepEqual(
      tasks.values(2).map((t) => t.id),
      ['p0.0', 'p0.1'],
      'the first m pairs of each program',
    );
    const rates = new Map([
      ['p0.0', 0.25], // learnability 0.75
      ['p0.1', 0.5], // 0.5; p0.2 was not rolled out
    ]);
    const rollouts = proposerRollouts('deduction', [{ completion: 'a', proposal: {} }], tasks, rates);
    assert.deepEqual(
      rollouts[0]!.pairs?.map((r) => r.task?.id),
      ['p0.0', 'p0.1'],
    );
    const { rewards } = rewardRollouts(shapers, rollouts, { step: 1, buffer: [] }, {});
    assert.deepEqual(rewards, [(0.75 + 0.5) / 2], 'p0.2 is not counted as unlearnable');
  });
});

describe('tiny-python: the grammar admits k inputs', () => {
  const text = '[1, 2]\n# input\n[3]\n# input\n[5]\n# program\ndef f(x):\n    return sum(x)\n# output';

  test('k inputs of one type, then the program; the grammar of k = 1 refuses it', () => {
    assert.equal(proposalGrammar(3).accepts(text, 128), true);
    assert.equal(proposalGrammar(1).accepts(text, 128), false);
    assert.equal(proposalGrammar(2).accepts(text, 128), false);
    assert.equal(proposalGrammar(3).accepts(text.replace('[3]', "'ab'"), 128), false, 'one type for all');
  });

  test("the proposer's constraint asks for the next input until k are written; the parse splits them", () => {
    const [deduction] = tinyPythonModes({
      references: 1,
      maxProposalTokens: 128,
      maxAnswerTokens: 32,
      constrain: true,
      requireInputUse: true,
      inputsPerProposal: 3,
    });
    const constraint = deduction!.constraint!('proposer')!;
    // Every character of the proposal is allowed in turn.
    for (let n = 0; n < text.length; n++)
      assert.ok(constraint.allowedNext(text.slice(0, n)).includes(text[n]!));
    assert.deepEqual(constraint.allowedNext(text), [], 'complete');
    assert.deepEqual(constraint.allowedNext('[1, 2]\n# '), ['i'], 'a second input, not the program yet');
    const completion = text.slice(0, -'# output'.length);
    const parsed = deduction!.parseProposal(completion);
    assert.ok(parsed.ok);
    assert.deepEqual(deduction!.splitProposal!(parsed.value), [
      { code: 'def f(x):\n    return sum(x)', input: '[1, 2]' },
      { code: 'def f(x):\n    return sum(x)', input: '[3]' },
      { code: 'def f(x):\n    return sum(x)', input: '[5]' },
    ]);
    assert.deepEqual(parseTinyProposal(completion, 2), { ok: false, reason: '3 inputs, expected 2' });
  });
});

// ---- the coordinator with a scripted proposer, solver and learner ----

const generation = (completion: string) => ({ completion, promptIds: [1], responseIds: [2], logprobs: [-1] });
const setWeights = (state: null, _msg: unknown, ctx: { reply(r: unknown): void }) => {
  ctx.reply({ version: 0, computeMs: 0 });
  return state;
};

/** Proposal 0: `12 // x` on 1, 2, 2 (again), 3 and 0 (raises); proposal 1: `12 // 0` on anything (invalid). */
const proposerScript = defineActor({
  kind: 'k-inputs-proposer',
  module: import.meta.url,
  protocol: proposerProtocol,
  init: () => null,
  handlers: {
    setWeights,
    propose: (state, { mode, references }, ctx) => {
      const proposals = [
        {
          code: CODE,
          inputs: mode === 'abduction' ? ['4', '6', '6', '2', '0'] : ['1', '2', '2', '3', '0'],
          message: '',
        },
        { code: 'def f(x):\n    return x // 0', inputs: ['1', '2', '3', '4', '5'], message: '' },
      ];
      ctx.reply({
        proposals: references.map((_, i) => ({
          ...generation('…'),
          proposal: proposals[i % 2]!,
          formatError: null,
        })),
        faults: {},
        computeMs: 0,
      });
      return state;
    },
  },
});

/** The (tasks, samples) of each solve request the scripted solver answered. */
const solveCalls: { tasks: number; samples: number }[] = [];

/** Answers `12`, `6`, `6` in turn to each task (rollouts: 3). */
const solverScript = defineActor({
  kind: 'k-inputs-solver',
  module: import.meta.url,
  protocol: solverProtocol,
  init: () => null,
  handlers: {
    setWeights,
    solve: (state, { tasks, samples }, ctx) => {
      solveCalls.push({ tasks: tasks.length, samples });
      const answers = tasks.flatMap(() =>
        Array.from({ length: samples }, (_, s) => generation(['12', '6', '6'][s % 3]!)),
      );
      ctx.reply({
        answers: answers.map((g) => ({ ...g, answer: g.completion, formatError: null })),
        faults: {},
        computeMs: 0,
      });
      return state;
    },
  },
});

const learned: RolloutSample[][] = [];
/** The number of supervised pairs in each update. */
const taught: number[] = [];
/** The supervised pairs of the last update. */
let taughtPairs: { prompt: string; target: string }[] = [];
const learnerScript = scriptedLearner('k-inputs-learner', (samples, supervised) => {
  learned.push(samples);
  taught.push(supervised.length);
  taughtPairs = supervised as typeof taughtPairs;
});

const plugins = [
  { use: 'deduction', options: { format: 'bare', references: 1, inputsPerProposal: 5 } },
  { use: 'learnability' },
  { use: 'correctness' },
  { use: 'format' },
];

/** The scripted actors with a real buffer and validator, seeded, then step 1 with coordinator `options`. */
/** Steps 1…`steps` of a coordinator; the recorders (learned, taught, solveCalls) and `line` hold the last step's. */
async function oneStep(options: Record<string, unknown>, modes: string[] = ['deduction'], steps = 1) {
  const played = [
    ...modes.map((use) => ({ use, options: plugins[0]!.options })),
    ...plugins.filter((p) => p.use !== 'deduction'),
  ];
  const system = createSystem({ seed: 3, supervision: { maxRestarts: 0 } });
  system.spawn(proposerScript, { name: 'proposer' });
  system.spawn(solverScript, { name: 'solver' });
  system.spawn(learnerScript, { name: 'learner' });
  system.spawn(validator, { name: 'validator', options: { poolSize: 1, plugins: played } });
  const [deductionBuffer] = modes.map((mode) =>
    system.spawn(buffer, { name: `buffer-${mode}`, options: { mode } }),
  );
  const coordinatorRef = system.spawn(coordinator, {
    name: 'coordinator',
    options: {
      plugins: played,
      modes,
      batchSize: 2,
      rollouts: 3,
      seedSize: 1,
      maxSeedRounds: 0,
      ...options,
    },
  });
  await coordinatorRef.ask({ type: 'seed' });
  for (let step = 1; step < steps; step++) await coordinatorRef.ask({ type: 'step', step });
  learned.length = 0;
  taught.length = 0;
  solveCalls.length = 0;
  const line = await coordinatorRef.ask({ type: 'step', step: steps });
  const held = await deductionBuffer!.ask({ type: 'all' });
  return { system, line, held };
}

describe('one step: k tasks from one program enter the buffer', () => {
  let system: Awaited<ReturnType<typeof oneStep>>['system'];
  let line: Record<string, unknown>;
  let held: Task[];
  before(async () => {
    ({ system, line, held } = await oneStep({}));
  });
  after(() => system.stop());

  test('the valid pairs of the program are three tasks with their own ids; the invalid input and program make none', () => {
    const added = held.filter((t) => t.step === 1);
    assert.deepEqual(
      added.map((t) => [t.id, t.code, t.input, t.output]),
      [
        ['deduction-1-0.0', CODE, '1', '12'],
        ['deduction-1-0.1', CODE, '2', '6'],
        ['deduction-1-0.2', CODE, '3', '4'],
      ],
    );
  });

  test('metrics: valid rate per proposal, tasks per valid proposal', () => {
    assert.equal(line['deduction.validRate'], 0.5);
    assert.equal(line['deduction.newTasks'], 3);
    assert.equal(line['deduction.tasksPerProposal'], 3);
  });

  test("one training sample per proposal; the program's reward is its pairs' mean learnability", () => {
    const proposer = learned.flat().filter((s) => s.group === 'deduction/proposer');
    // r̄: 12 → 1/3, 6 → 2/3, 4 → 0 (unlearnable, 0); the program: (2/3 + 1/3 + 0) / 3; the invalid one −1.
    assert.deepEqual(
      proposer.map((s) => s.reward),
      [(2 / 3 + 1 / 3 + 0) / 3, -1],
    );
  });
});

describe('rolloutPairs: learnability rollouts on the first m pairs of each program', () => {
  let system: Awaited<ReturnType<typeof oneStep>>['system'];
  let line: Record<string, unknown>;
  let held: Task[];
  before(async () => {
    ({ system, line, held } = await oneStep({ rolloutPairs: 2 }));
  });
  after(() => system.stop());

  test('every valid pair is still a task; only the first two are rolled out', () => {
    assert.equal(held.filter((t) => t.step === 1).length, 3);
    assert.equal(line['deduction.newTasks'], 3);
    assert.deepEqual(solveCalls[0], { tasks: 2, samples: 3 }, 'the rollouts: 2 tasks × 3');
    assert.deepEqual(solveCalls[1], { tasks: 2, samples: 1 }, "the solver's batch");
  });

  test("the program's reward is the mean learnability of its rolled-out pairs", () => {
    const proposer = learned.flat().filter((s) => s.group === 'deduction/proposer');
    // r̄: 12 → 1/3, 6 → 2/3 (the third pair, 4, is not rolled out); the invalid program −1.
    assert.deepEqual(
      proposer.map((s) => s.reward),
      [(2 / 3 + 1 / 3) / 2, -1],
    );
    assert.equal(line['deduction.learnability'], 0.5);
  });
});

describe('supervisedFresh: the supervised term takes every new pair, not only the solver batch', () => {
  for (const [fresh, pairs] of [
    [false, 2],
    [true, 3],
  ] as const) {
    test(`supervisedFresh ${fresh}: ${pairs} supervised pairs from 3 new tasks and a batch of 2`, async () => {
      const { system } = await oneStep({ supervised: true, supervisedFresh: fresh, overlap: false });
      try {
        assert.deepEqual(solveCalls[1], { tasks: 2, samples: 1 }, "the solver's batch");
        assert.deepEqual(taught, [pairs]);
      } finally {
        await system.stop();
      }
    });
  }
});

describe("supervisedFrom: a mode's supervised term learns the tasks of the modes it names", () => {
  const fresh = { supervised: true, supervisedFresh: true, overlap: false };
  const both = ['deduction', 'abduction'];
  // Step 1's new tasks: deduction's `12 // x` on 1, 2, 3; abduction's on 4, 6, 2 (2 is deduction's too).
  const deduction = (input: string, output: string) => ({
    prompt: `# program\n${CODE}\n# input\n${input}\n# output\n`,
    target: `${output}\n`,
  });
  const abduction = (input: string, output: string) => ({
    prompt: `# program\n${CODE}\n# output\n${output}\n# input\n`,
    target: `${input}\n`,
  });

  test('default: each mode its own tasks', async () => {
    const { system } = await oneStep(fresh, both);
    try {
      assert.deepEqual(taughtPairs, [
        deduction('1', '12'),
        deduction('2', '6'),
        deduction('3', '4'),
        abduction('4', '3'),
        abduction('6', '2'),
        abduction('2', '6'),
      ]);
    } finally {
      await system.stop();
    }
  });

  test('deduction from both (a triplet both have, once), abduction from none', async () => {
    const { system } = await oneStep(
      { ...fresh, supervisedFrom: { deduction: ['deduction', 'abduction'], abduction: [] } },
      both,
    );
    try {
      assert.deepEqual(taughtPairs, [
        deduction('1', '12'),
        deduction('2', '6'),
        deduction('3', '4'),
        deduction('4', '3'),
        deduction('6', '2'),
      ]);
    } finally {
      await system.stop();
    }
  });

  test('a mode not played is refused when the coordinator starts, with the option named', async () => {
    const system = createSystem({ supervision: { maxRestarts: 0 } });
    system.spawn(coordinator, {
      name: 'coordinator',
      options: { plugins, modes: ['deduction'], supervisedFrom: { deduction: ['abduction'] } },
    });
    const report = await system.stopped;
    assert.match(
      report.error?.message ?? '',
      /supervisedFrom\.deduction names the mode "abduction", which is not played \(played: deduction\)/,
    );
  });
});

describe('reinforcedProposals: a seeded subset of the proposals is rolled out and learnt from', () => {
  let system: Awaited<ReturnType<typeof oneStep>>['system'];
  let line: Record<string, unknown>;
  let held: Task[];
  before(async () => {
    ({ system, line, held } = await oneStep({ reinforcedProposals: 1 }));
  });
  after(() => system.stop());

  test('one proposer sample of the two; every valid pair is still a task', () => {
    const proposer = learned.flat().filter((s) => s.group === 'deduction/proposer');
    assert.equal(proposer.length, 1);
    assert.equal(line['deduction.proposerReward'], proposer[0]!.reward, "the metric is the reinforced one's");
    assert.equal(held.filter((t) => t.step === 1).length, 3);
    assert.equal(line['deduction.newTasks'], 3);
    // Either the valid program (its 3 pairs rolled out, 3 samples each) or the invalid one (nothing to roll out).
    const rolledOut = solveCalls.filter((c) => c.samples === 3).reduce((n, c) => n + c.tasks, 0);
    if (proposer[0]!.reward === -1) assert.equal(rolledOut, 0);
    else {
      assert.equal(rolledOut, 3);
      assert.equal(proposer[0]!.reward, (2 / 3 + 1 / 3 + 0) / 3);
    }
  });

  test('the subset follows the seed: the same run chooses the same proposals', async () => {
    const first = learned.flat().filter((s) => s.group === 'deduction/proposer')[0]!.reward;
    const again = await oneStep({ reinforcedProposals: 1 });
    try {
      assert.equal(learned.flat().filter((s) => s.group === 'deduction/proposer')[0]!.reward, first);
    } finally {
      await again.system.stop();
    }
  });
});

describe('proposerEvery: the proposer is rolled out and reinforced on every k-th step only', () => {
  const proposerSamples = () => learned.flat().filter((s) => s.group === 'deduction/proposer');
  const rolledOut = () => solveCalls.filter((c) => c.samples === 3).reduce((n, c) => n + c.tasks, 0);

  test('k = 2, step 1: no rollouts, no proposer samples; its pairs are still tasks, learnt and solved', async () => {
    const { system, line, held } = await oneStep({ proposerEvery: 2 });
    try {
      assert.deepEqual(proposerSamples(), []);
      assert.equal(rolledOut(), 0);
      assert.equal(held.filter((t) => t.step === 1).length, 3);
      assert.equal(line['deduction.newTasks'], 3);
      assert.equal(learned.flat().filter((s) => s.group === 'deduction/solver').length, 2);
    } finally {
      await system.stop();
    }
  });

  test('k = 2, step 2: as every step of the default (both proposals reinforced, the valid one rolled out)', async () => {
    const { system } = await oneStep({ proposerEvery: 2 }, ['deduction'], 2);
    try {
      assert.deepEqual(
        proposerSamples().map((s) => s.reward),
        [(2 / 3 + 1 / 3 + 0) / 3, -1],
      );
      assert.equal(rolledOut(), 3);
    } finally {
      await system.stop();
    }
  });
});

describe('answerEvery: an unreinforced solver answers the batch on every k-th step only', () => {
  const unreinforced = {
    answerEvery: 2,
    reinforce: ['proposer'],
    supervised: true,
    supervisedFresh: true,
    overlap: false,
  };
  const answered = () => solveCalls.filter((c) => c.samples === 1).reduce((n, c) => n + c.tasks, 0);

  test('k = 2, step 1: no answers, no solver metrics; the pairs are still learnt and the proposer rolled out', async () => {
    const { system, line } = await oneStep(unreinforced);
    try {
      assert.equal(answered(), 0);
      assert.equal(line['deduction.solveRate'], undefined);
      assert.equal(line['deduction.solverReward'], undefined);
      assert.equal(line['reward.deduction.solver.correctness'], undefined);
      assert.equal(line['deduction.newTasks'], 3);
      assert.equal(taught[0], 3);
      assert.ok(solveCalls.some((c) => c.samples === 3));
    } finally {
      await system.stop();
    }
  });

  test('k = 2, step 2: the batch is answered and measured', async () => {
    const { system, line } = await oneStep(unreinforced, ['deduction'], 2);
    try {
      assert.ok(answered() > 0);
      assert.equal(typeof line['deduction.solveRate'], 'number');
      assert.equal(typeof line['reward.deduction.solver.correctness'], 'number');
    } finally {
      await system.stop();
    }
  });

  test('a reinforced solver answers every step, whatever k', async () => {
    const { system } = await oneStep({ answerEvery: 2 });
    try {
      assert.ok(answered() > 0);
      assert.ok(learned.flat().some((s) => s.group === 'deduction/solver'));
    } finally {
      await system.stop();
    }
  });
});
