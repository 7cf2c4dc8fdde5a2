import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { builtinPlugins, defaultPluginNames } from '../plugins/index.ts';
import { PythonPool, validate, verify } from '../src/executor/index.ts';
import {
  type BuiltinCheck,
  loadPlugins,
  PluginError,
  type PromptFormat,
  type Rollout,
  renderSections,
  type Task,
  totalReward,
} from '../src/plugins/index.ts';

const pool = new PythonPool({ size: 1 });
after(() => pool.close());

async function modes(format: PromptFormat) {
  const uses = ['deduction', 'abduction', 'induction'].map((use) => ({ use, options: { format } }));
  return (await loadPlugins(uses, { builtins: builtinPlugins })).modes;
}

/** What a perfect proposer would write for `task`, in the given format. */
function proposalCompletion(task: Task, format: PromptFormat): string {
  const sections: [string, string][] = task.inputs
    ? [
        ['message', task.message!],
        ['program', task.code],
        ...task.inputs.map((i): [string, string] => ['input', i]),
      ]
    : [
        ['program', task.code],
        ['input', task.input],
      ];
  const text = renderSections(sections);
  if (format === 'think-answer') return `<think>I will reuse an idea.</think>\n<answer>\n${text}`;
  return text.slice(text.indexOf('\n') + 1); // the prompt already began the first section
}

function answerCompletion(mode: string, answer: string, format: PromptFormat): string {
  const name = mode === 'deduction' ? 'output' : mode === 'abduction' ? 'input' : 'program';
  return format === 'think-answer'
    ? `<think>Run it in my head.</think><answer>\n# ${name}\n${answer}\n`
    : answer;
}

const task: Record<string, Task> = {
  deduction: {
    id: 't1',
    mode: 'deduction',
    code: 'def f(s):\n    return s.upper()[::-1]',
    input: "'abc'",
    output: "'CBA'",
    step: 1,
  },
  abduction: {
    id: 't2',
    mode: 'abduction',
    code: 'def f(a, b):\n    return a * b + 1',
    input: '3, 4',
    output: '13',
    step: 1,
  },
  induction: {
    id: 't3',
    mode: 'induction',
    code: 'def f(n):\n    return n * n',
    input: '0',
    output: '0',
    inputs: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    outputs: ['0', '1', '4', '9', '16', '25', '36', '49', '64', '81'],
    message: 'Square it.',
    step: 1,
  },
};

for (const format of ['bare', 'think-answer'] as const) {
  describe(`task modes, ${format} format`, () => {
    for (const name of ['deduction', 'abduction', 'induction']) {
      test(`${name}: a proposal round-trips, the executor validates it, and the gold answer is verified correct`, async () => {
        const mode = (await modes(format)).get(name)!;
        const [seed] = mode.seedTasks();
        const prompt = mode.proposerPrompt([seed!]);
        assert.ok(prompt.text.includes(seed!.code), 'the reference appears in the prompt');
        const parsed = mode.parseProposal(proposalCompletion(task[name]!, format));
        assert.ok(parsed.ok, JSON.stringify(parsed));
        // Induction as in the paper: the program is the one the proposer was given (docs/azr.md §2).
        const proposal = mode.completeProposal?.(parsed.value, [task[name]!]) ?? parsed.value;
        const [validation] = await validate(pool, [proposal]);
        assert.ok(validation!.valid, JSON.stringify(validation));
        const made = mode.toTask(
          { proposal, output: validation!.output, outputs: validation!.outputs },
          { id: 'x', step: 2 },
        );
        assert.ok(made, 'the mode keeps a valid task');
        assert.equal(made.output, task[name]!.output);
        assert.deepEqual(made.outputs, task[name]!.outputs);

        const solverPrompt = mode.solverPrompt(made);
        assert.ok(solverPrompt.text.includes(name === 'induction' ? 'Square it.' : made.code));
        if (name === 'induction')
          assert.ok(!solverPrompt.text.includes('\n81\n'), 'hidden pairs are not shown');
        const answer = mode.parseAnswer(answerCompletion(name, mode.goldAnswer!(made), format));
        assert.ok(answer.ok, JSON.stringify(answer));
        const [verdict] = await verify(pool, [mode.check(made, answer.value) as BuiltinCheck]);
        assert.equal(verdict!.correct, true, JSON.stringify(verdict));
      });
    }

    test('the seeds are valid tasks whose outputs the executor confirms', async () => {
      for (const mode of (await modes(format)).values()) {
        const [seed] = mode.seedTasks();
        const proposal = seed!.inputs
          ? { code: seed!.code, inputs: seed!.inputs, message: seed!.message! }
          : { code: seed!.code, input: seed!.input };
        const [validation] = await validate(pool, [proposal]);
        assert.ok(validation!.valid, `${mode.name}: ${validation!.reason}`);
        assert.deepEqual(validation!.outputs ?? validation!.output, seed!.outputs ?? seed!.output);
      }
    });

    test('empty, truncated and wrongly formatted completions are format errors with a reason', async () => {
      const all = await modes(format);
      for (const mode of all.values()) {
        for (const bad of ['', 'def f(x', '# input\n1\n', '<answer>\n# program\n\n']) {
          const parsed = mode.parseProposal(bad);
          assert.equal(parsed.ok, false, `${mode.name} accepted ${JSON.stringify(bad)}`);
          if (!parsed.ok) assert.ok(parsed.reason.length > 0);
        }
      }
      const multiLine = all.get('deduction')!.parseAnswer(answerCompletion('deduction', '1\n2', format));
      assert.equal(multiLine.ok, false);
      if (format === 'think-answer')
        assert.equal(all.get('abduction')!.parseAnswer('no tags at all').ok, false);
    });
  });
}

describe('reward shapers (docs/azr.md §4)', () => {
  const context = { step: 1, buffer: [] };
  const reward = async (rollout: Rollout, uses = defaultPluginNames.map((use) => ({ use }))) =>
    totalReward((await loadPlugins(uses, { builtins: builtinPlugins })).shapers, rollout, context).reward;
  const proposer = (r: Partial<Rollout>): Rollout => ({
    role: 'proposer',
    mode: 'deduction',
    completion: '',
    formatOk: true,
    ...r,
  });
  const solver = (r: Partial<Rollout>): Rollout => ({
    role: 'solver',
    mode: 'deduction',
    completion: '',
    formatOk: true,
    ...r,
  });

  test('proposer: learnability 1 − r̄ inside (0, 1), 0 at the ends; −1 when invalid or unparseable', async () => {
    assert.equal(await reward(proposer({ valid: true, solveRate: 0.25 })), 0.75);
    assert.equal(await reward(proposer({ valid: true, solveRate: 0 })), 0);
    assert.equal(await reward(proposer({ valid: true, solveRate: 1 })), 0);
    assert.equal(await reward(proposer({ valid: false })), -1);
    assert.equal(await reward(proposer({ formatOk: false })), -1);
  });

  test("proposer: the reference code's −0.5 for unlearnable tasks is an option", async () => {
    const uses = [{ use: 'learnability', options: { unlearnableReward: -0.5 } }, { use: 'format' }];
    assert.equal(await reward(proposer({ valid: true, solveRate: 1 }), uses), -0.5);
    assert.equal(await reward(proposer({ valid: true, solveRate: 0.5 }), uses), 0.5);
    assert.equal(await reward(proposer({ valid: true, solveRate: 0 }), uses), -0.5);
  });

  test('proposer: unsolvedReward 1 pays 1 − r̄ for every r̄ < 1, nothing for a task always solved', async () => {
    const uses = [{ use: 'learnability', options: { unsolvedReward: 1 } }, { use: 'format' }];
    assert.equal(await reward(proposer({ valid: true, solveRate: 0 }), uses), 1);
    assert.equal(await reward(proposer({ valid: true, solveRate: 0.25 }), uses), 0.75);
    assert.equal(await reward(proposer({ valid: true, solveRate: 1 }), uses), 0);
  });

  test('solver: 1 correct, −0.5 wrong, −1 format error', async () => {
    assert.equal(await reward(solver({ correct: true })), 1);
    assert.equal(await reward(solver({ correct: false })), -0.5);
    assert.equal(await reward(solver({ formatOk: false })), -1);
  });
});

describe('plugin loading', () => {
  test('bad options name the plugin and the option path', async () => {
    await assert.rejects(
      loadPlugins([{ use: 'deduction', options: { references: -2 } }], { builtins: builtinPlugins }),
      (error: unknown) =>
        error instanceof PluginError &&
        error.plugin === 'deduction' &&
        error.pointer === '/references' &&
        /must be >= 0/.test(error.message),
    );
    await assert.rejects(
      loadPlugins([{ use: 'induction', options: { format: 'xml' } }], { builtins: builtinPlugins }),
      /plugin "induction": options\/format must be one of: "bare", "think-answer"/,
    );
    await assert.rejects(
      loadPlugins([{ use: 'learnability', options: { unlearnable: 1 } }], { builtins: builtinPlugins }),
      /plugin "learnability": options\/unlearnable is not an option of this plugin/,
    );
  });

  test('a plugin that cannot be found, and a task mode registered twice', async () => {
    await assert.rejects(
      loadPlugins([{ use: './no/such/plugin.ts' }]),
      /plugin "\.\/no\/such\/plugin\.ts": cannot be loaded/,
    );
    await assert.rejects(
      loadPlugins([{ use: 'deduction' }, { use: 'deduction' }], { builtins: builtinPlugins }),
      /task mode "deduction" is already registered/,
    );
  });
});
