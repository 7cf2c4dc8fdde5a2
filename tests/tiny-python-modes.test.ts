import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import tinyPython from '../plugins/tiny-python/index.ts';
import { PythonPool, validate, verify } from '../src/executor/index.ts';
import { completedProposals, parsedProposals, validTasks } from '../src/selfplay/index.ts';
import {
  type BuiltinCheck,
  type Faults,
  loadPlugins,
  type Task,
  type TaskMode,
  type TextConstraint,
} from '../src/plugins/index.ts';

const pool = new PythonPool({ size: 1 });
after(() => pool.close());

async function modes(): Promise<Map<string, TaskMode>> {
  const uses = [{ use: 'tiny-python', options: { references: 1 } }];
  return (await loadPlugins(uses, { builtins: { 'tiny-python': tinyPython } })).modes;
}

/** The text must be allowed char by char and end exactly there. */
function allowedExactly(constraint: TextConstraint, text: string): boolean {
  for (let i = 0; i < text.length; i++)
    if (!constraint.allowedNext(text.slice(0, i)).includes(text[i]!)) return false;
  return constraint.allowedNext(text).length === 0;
}

const tasks: Task[] = [
  {
    id: 't1',
    mode: 'x',
    code: "def f(x):\n    return x[::-1].upper() + 'a'",
    input: "'abc'",
    output: "'CBAa'",
    step: 1,
  },
  {
    id: 't2',
    mode: 'x',
    code: 'def f(x):\n    if x % 2 == 0:\n        return x // 2\n    return x * 3 + 1',
    input: '7',
    output: '22',
    step: 1,
  },
  {
    id: 't3',
    mode: 'x',
    code: 'def f(x):\n    return sorted([e * 2 for e in x if e > 1])',
    input: '[3, 1, 2]',
    output: '[4, 6]',
    step: 1,
  },
  {
    id: 't4',
    mode: 'x',
    code: 'def f(x):\n    y = 0\n    for e in x:\n        y = y + e * e\n    return y > 9',
    input: '[1, 2, 3]',
    output: 'True',
    step: 1,
  },
];

test('both modes exist under the built-in names, with the identity seed, bare prompts and grammar constraints', async () => {
  const all = await modes();
  assert.deepEqual([...all.keys()].sort(), ['abduction', 'deduction']);
  for (const mode of all.values()) {
    const [seed] = mode.seedTasks();
    assert.equal(seed!.code, 'def f(x):\n    return x');
    assert.equal(seed!.input, "'Hello World'");
    const prompt = mode.proposerPrompt([seed!]);
    assert.ok(prompt.text.endsWith('# input\n') && prompt.text.includes(seed!.code));
    assert.ok(mode.constraint!('proposer'));
    assert.ok(mode.constraint!('solver', seed));
  }
});

test("solver prompts put the program first (the paper order): one program's tasks share their prompt up to the task", async () => {
  const all = await modes();
  const sibling: Task = { ...tasks[0]!, id: 't1b', input: "'xyz'", output: "'ZYXa'" };
  assert.equal(
    all.get('deduction')!.solverPrompt(tasks[0]!).text,
    `# program\n${tasks[0]!.code}\n# input\n'abc'\n# output\n`,
  );
  for (const mode of all.values()) {
    const [a, b] = [mode.solverPrompt(tasks[0]!).text, mode.solverPrompt(sibling).text];
    assert.ok(
      a.startsWith(`# program\n${tasks[0]!.code}\n`) && b.startsWith(`# program\n${tasks[0]!.code}\n`),
    );
    assert.notEqual(a, b);
  }
});

for (const name of ['deduction', 'abduction']) {
  test(`${name}: a perfect completion is a valid proposal, the gold answer is allowed by the grammar and verified correct`, async () => {
    const mode = (await modes()).get(name)!;
    for (const task of tasks) {
      const completion = `${task.input}\n# program\n${task.code}\n`;
      assert.ok(allowedExactly(mode.constraint!('proposer')!, `${completion}# output`), task.code);
      const parsed = mode.parseProposal(completion);
      assert.ok(parsed.ok, JSON.stringify(parsed));
      const [validation] = await validate(pool, [parsed.value]);
      assert.ok(validation!.valid, JSON.stringify(validation));
      assert.equal(validation!.output, task.output);
      const made = mode.toTask(
        { proposal: parsed.value, output: validation!.output, outputs: null },
        { id: 'x', step: 2 },
      );
      assert.ok(made, 'the mode keeps a valid task');
      assert.equal(made.mode, name);
      const prompt = mode.solverPrompt(made);
      assert.ok(prompt.text.endsWith(name === 'deduction' ? '# output\n' : '# input\n'));
      const gold = mode.goldAnswer!(made);
      assert.ok(allowedExactly(mode.constraint!('solver', made)!, `${gold}\n`), `${name} answer ${gold}`);
      const answer = mode.parseAnswer(gold);
      assert.ok(answer.ok);
      const [verdict] = await verify(pool, [mode.check(made, answer.value) as BuiltinCheck]);
      assert.equal(verdict!.correct, true, JSON.stringify(verdict));
    }
  });
}

test('malformed completions are format errors with a reason', async () => {
  for (const mode of (await modes()).values()) {
    for (const bad of [
      '',
      '\n',
      "'abc'",
      "'abc'\n# program\n",
      "'abc'\n# program\n   \n",
      "'a\nb'\n# program\nx",
    ]) {
      const parsed = mode.parseProposal(bad);
      assert.equal(parsed.ok, false, JSON.stringify(bad));
      assert.ok(!parsed.ok && parsed.reason.length > 0);
    }
    for (const bad of ['', '   ', '\n5']) assert.equal(mode.parseAnswer(bad).ok, false, JSON.stringify(bad));
  }
});

test('a program that never reads x is refused as a constant task, unless requireInputUse is off', async () => {
  const constant = "5\n# program\ndef f(x):\n    return 'x'.upper() + str(len('y'))\n";
  const reading = "5\n# program\ndef f(x):\n    if x > 2:\n        return 'x'\n    return 'y'\n";
  for (const mode of (await modes()).values()) {
    const refused = mode.parseProposal(constant);
    assert.equal(refused.ok, false);
    assert.match(!refused.ok ? refused.reason : '', /never reads x/);
    assert.equal(mode.parseProposal(reading).ok, true);
  }
  const lenient = await loadPlugins([{ use: 'tiny-python', options: { requireInputUse: false } }], {
    builtins: { 'tiny-python': tinyPython },
  });
  assert.equal(lenient.modes.get('deduction')!.parseProposal(constant).ok, true);
});

test('rejectConstant: a program whose result never depends on x is refused, however it mentions x', async () => {
  const loop = (update: string, result: string) =>
    `[1]\n# program\ndef f(x):\n    y = 0\n    for e in x:\n        y = ${update}\n    return ${result}\n`;
  const cases: [string, boolean][] = [
    [loop('0', '0'), false],
    [loop('y', 'y'), false],
    [loop('e', '0'), false],
    [loop('y + e', 'y'), true],
    [loop('e', 'y * 2'), true],
    ["[1]\n# program\ndef f(x):\n    y = len(x)\n    return len('x')\n", false],
    ['[1]\n# program\ndef f(x):\n    y = len(x)\n    return y * 2\n', true],
    ['[1]\n# program\ndef f(x):\n    if len(x) > 2:\n        return 1\n    return 0\n', true],
    ['[1]\n# program\ndef f(x):\n    return [e for e in x]\n', true],
  ];
  const strict = await loadPlugins([{ use: 'tiny-python', options: { rejectConstant: true } }], {
    builtins: { 'tiny-python': tinyPython },
  });
  const lenient = await modes();
  for (const name of ['deduction', 'abduction'])
    for (const [completion, kept] of cases) {
      const parsed = strict.modes.get(name)!.parseProposal(completion);
      assert.equal(parsed.ok, kept, completion);
      if (!parsed.ok) assert.match(parsed.reason, /never depends on x/);
      assert.equal(lenient.get(name)!.parseProposal(completion).ok, true, `off by default: ${completion}`);
    }
});

test('tasks outside the subset are answered unconstrained in abduction (several arguments)', async () => {
  const abduction = (await modes()).get('abduction')!;
  const foreign: Task = {
    id: 'f',
    mode: 'abduction',
    code: 'def f(a, b):\n    return a',
    input: '1, 2',
    output: '1',
    step: 1,
  };
  assert.equal(abduction.constraint!('solver', foreign), undefined);
});

test('rejectIdentity: a pair whose output is its input makes no task, so a program that is the identity on every input is invalid', async () => {
  const uses = [
    { use: 'tiny-python', options: { references: 1, inputsPerProposal: 2, rejectIdentity: true } },
  ];
  const loaded = (await loadPlugins(uses, { builtins: { 'tiny-python': tinyPython } })).modes;
  for (const name of ['deduction', 'abduction']) {
    const mode = loaded.get(name)!;
    const code = 'def f(x):\n    return x * 1';
    const pair = (input: string) => ({ code, input });
    assert.equal(
      mode.toTask({ proposal: pair('3'), output: '3', outputs: null }, { id: 'a', step: 1 }),
      undefined,
    );
    assert.equal(
      mode.toTask({ proposal: pair("'ab'"), output: "'ab'", outputs: null }, { id: 'b', step: 1 }),
      undefined,
    );
    const kept = mode.toTask({ proposal: pair('3'), output: '4', outputs: null }, { id: 'd', step: 1 });
    assert.equal(kept?.output, '4');

    const proposals = [
      { proposal: { code, inputs: ['1', '2'], message: '' } },
      { proposal: { code, inputs: ['1', "'a'"], message: '' } },
    ];
    const faults: Faults = {};
    const toValidate = completedProposals(mode, parsedProposals(proposals), [[], []], faults);
    const verdict = (output: string) => ({ valid: true, output, outputs: null });
    const tasks = validTasks(
      mode,
      toValidate,
      [verdict('1'), verdict('2'), verdict('5'), verdict("'a'")],
      3,
      faults,
    );
    assert.deepEqual(faults, {});
    assert.deepEqual(tasks.proposals(), [1], 'the identity on both inputs: invalid');
    assert.deepEqual(
      tasks.of(1).map((t) => [t.input, t.output]),
      [['1', '5']],
    );
  }
  const [off] = [...(await modes()).values()];
  const identity = off!.toTask(
    { proposal: { code: 'def f(x):\n    return x', input: '3' }, output: '3', outputs: null },
    { id: 'e', step: 1 },
  );
  assert.equal(identity?.output, '3', 'off by default');
});
