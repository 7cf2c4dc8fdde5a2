// Parity with the paper's reference code (docs/azr.md §8): completions written as the reference's model writes
// them go through our whole chain — the mode's parser, its check, the real sandbox, the judge, the default reward
// shapers — and get the verdict and reward the reference gives them. The "reference" column is the reference's
// rule for that case: a broken layout −1, a wrong or unusable answer −0.5, a correct one 1; a proposal that parses
// is valid exactly when its program runs deterministically on its input, expressions included.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { builtinPlugins } from '../plugins/index.ts';
import { PythonPool, validate, verify } from '../src/executor/index.ts';
import { type Faults, loadPlugins, type LoadedPlugins, type Task } from '../src/plugins/index.ts';
import {
  answerChecks,
  completedProposals,
  judgeAnswers,
  parsedProposals,
  rewardRollouts,
  solverRollouts,
} from '../src/selfplay/index.ts';

let plugins: LoadedPlugins;
let pool: PythonPool;
before(async () => {
  plugins = await loadPlugins(
    [
      { use: 'deduction' },
      { use: 'abduction' },
      { use: 'induction' },
      { use: 'format' },
      { use: 'correctness' },
      { use: 'learnability' },
    ],
    { builtins: builtinPlugins },
  );
  pool = new PythonPool({ size: 1 });
});
after(() => pool.close());

const square: Task = {
  id: 'sq',
  mode: 'deduction',
  code: 'def f(x):\n    return x * x',
  input: '2',
  output: '4',
  step: 1,
};

const inductionTask: Task = {
  id: 'ind',
  mode: 'induction',
  code: 'def f(a):\n    return a + 1',
  input: '1',
  output: '2',
  inputs: ['1', '2', '3', '4'],
  outputs: ['2', '3', '4', '5'],
  message: 'Add one.',
  step: 1,
};

/** The completion the model wrote after the prompt's prefilled `<think>` (the default `think: prefill`). */
interface SolverCase {
  name: string;
  mode: string;
  task: Task;
  completion: string;
  reference: { formatOk: boolean; correct: boolean; reward: number };
}

const solverCases: SolverCase[] = [
  {
    name: 'deduction: an expression for the output (2**2 for 4) is correct',
    mode: 'deduction',
    task: square,
    completion: 'Two squared.</think>\n<answer>2**2',
    reference: { formatOk: true, correct: true, reward: 1 },
  },
  {
    name: 'deduction: the output in a fenced ```output block is read',
    mode: 'deduction',
    task: square,
    completion: 'Two squared.</think>\n<answer>\n```output\n4\n```\n',
    reference: { formatOk: true, correct: true, reward: 1 },
  },
  {
    name: 'deduction: a wrong value is wrong, not a format error',
    mode: 'deduction',
    task: square,
    completion: 'Hmm.</think>\n<answer>5',
    reference: { formatOk: true, correct: false, reward: -0.5 },
  },
  {
    name: 'deduction: an answer that does not evaluate is wrong, not a format error',
    mode: 'deduction',
    task: square,
    completion: 'Hmm.</think>\n<answer>four(',
    reference: { formatOk: true, correct: false, reward: -0.5 },
  },
  {
    name: 'deduction: no </think> before <answer> is a format error',
    mode: 'deduction',
    task: square,
    completion: '<answer>4',
    reference: { formatOk: false, correct: false, reward: -1 },
  },
  {
    name: 'abduction: an input written as an expression (1+1) is correct',
    mode: 'abduction',
    task: { ...square, mode: 'abduction' },
    completion: 'Something squared is 4.</think>\n<answer>\n```input\n1+1\n```',
    reference: { formatOk: true, correct: true, reward: 1 },
  },
  {
    name: 'abduction: any input that gives the output counts (-2 for 4)',
    mode: 'abduction',
    task: { ...square, mode: 'abduction' },
    completion: 'Negative works too.</think>\n<answer>-2',
    reference: { formatOk: true, correct: true, reward: 1 },
  },
  {
    name: 'induction: a program in a ```python block that reproduces the hidden pairs is correct',
    mode: 'induction',
    task: inductionTask,
    completion: 'It adds one.</think>\n<answer>\n```python\ndef f(a):\n    return 1 + a\n```',
    reference: { formatOk: true, correct: true, reward: 1 },
  },
  {
    name: 'induction: a program that does not compile is wrong, not a format error',
    mode: 'induction',
    task: inductionTask,
    completion: 'It adds one.</think>\n<answer>\n```python\ndef f(a) return a\n```',
    reference: { formatOk: true, correct: false, reward: -0.5 },
  },
];

describe('solver answers: our verdict and reward are the reference’s', () => {
  for (const c of solverCases) {
    test(c.name, async () => {
      const mode = plugins.modes.get(c.mode)!;
      const parsed = mode.parseAnswer(c.completion);
      const answers = [{ completion: c.completion, answer: parsed.ok ? parsed.value : null }];
      const faults: Faults = {};
      const checked = answerChecks(mode, [c.task], answers, 1, faults);
      const builtin = checked.checks.flatMap(({ check }) => (check.type === 'custom' ? [] : [check]));
      const verdicts = await verify(pool, builtin, {});
      const [judged] = judgeAnswers(answers, [c.task], 1, checked, verdicts, 'wrong');
      const { rewards } = rewardRollouts(
        plugins.shapers,
        solverRollouts(c.mode, [judged!]),
        { step: 1, buffer: [] },
        faults,
      );
      assert.deepEqual(
        { formatOk: judged!.formatOk, correct: judged!.correct, reward: rewards[0] },
        c.reference,
      );
      assert.deepEqual(faults, {});
    });
  }
});

interface ProposerCase {
  name: string;
  mode: string;
  completion: string;
  references: Task[];
  reference: { valid: boolean; output?: string; reward: number };
}

const proposerCases: ProposerCase[] = [
  {
    name: 'deduction: a proposal in the reference’s fenced blocks is a valid task',
    mode: 'deduction',
    completion:
      'A loop.</think>\n<answer>\n```python\ndef f(n):\n    return sum(range(n))\n```\n```input\n5\n```\n',
    references: [square],
    reference: { valid: true, output: '10', reward: 0 },
  },
  {
    name: 'abduction: an input that is an expression (list(range(4))) is valid',
    mode: 'abduction',
    completion:
      'Reversal.</think>\n<answer>\n```python\ndef f(xs):\n    return xs[::-1]\n```\n```input\nlist(range(4))\n```',
    references: [square],
    reference: { valid: true, output: '[3, 2, 1, 0]', reward: 0 },
  },
  {
    name: 'deduction: a program importing a banned module is invalid',
    mode: 'deduction',
    completion:
      'Random.</think>\n<answer>\n```python\nimport random\ndef f(n):\n    return random.random() * n\n```\n```input\n5\n```',
    references: [square],
    reference: { valid: false, reward: -1 },
  },
  {
    name: 'induction: the task’s program is the one given, whatever the proposer writes',
    mode: 'induction',
    completion:
      'Small numbers.</think>\n<answer>\n' +
      Array.from({ length: 10 }, (_, i) => `\`\`\`input\n${i}\n\`\`\``).join('\n') +
      '\n```message\nSquares.\n```',
    references: [square],
    reference: { valid: true, output: '0', reward: 0 },
  },
];

describe('proposals: valid as the reference finds them', () => {
  for (const c of proposerCases) {
    test(c.name, async () => {
      const mode = plugins.modes.get(c.mode)!;
      const faults: Faults = {};
      const generations = [{ completion: c.completion, proposal: mode.parseProposal(c.completion) }];
      const proposals = generations.map((g) => ({
        completion: g.completion,
        proposal: g.proposal.ok ? g.proposal.value : null,
        formatError: g.proposal.ok ? null : g.proposal.reason,
      }));
      const parsed = completedProposals(mode, parsedProposals(proposals), [c.references], faults);
      assert.equal(parsed.length, 1, 'the proposal parses');
      const [verdict] = await validate(
        pool,
        parsed.map((p) => p.proposal),
        { inductionInputs: 10 },
      );
      assert.equal(verdict!.valid, c.reference.valid, verdict!.reason ?? '');
      if (c.reference.output !== undefined)
        assert.equal(verdict!.output ?? verdict!.outputs?.[0], c.reference.output);
      if (c.mode === 'induction') assert.equal(parsed[0]!.proposal.code, square.code);
      const rollout = {
        role: 'proposer' as const,
        mode: c.mode,
        completion: c.completion,
        formatOk: true,
        valid: verdict!.valid,
      };
      const { rewards } = rewardRollouts(plugins.shapers, [rollout], { step: 1, buffer: [] }, faults);
      assert.equal(
        rewards[0],
        c.reference.reward,
        'a valid task without rollouts earns 0; an invalid one −1',
      );
    });
  }
});
