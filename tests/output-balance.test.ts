// The output-balance reward shaper (plugins/output-balance): a proposal pays for the share of recent buffered tasks
// that have its output, and nothing else does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinPlugins } from '../plugins/index.ts';
import { outputShare, outputType } from '../plugins/output-balance/index.ts';
import { loadPlugins, type Rollout, type Task } from '../src/plugins/index.ts';

const task = (id: string, output: string): Task => ({
  id,
  mode: 'deduction',
  code: 'def f(x):\n    return x',
  input: '0',
  output,
  step: 1,
});

/** A valid proposer rollout whose task is `task`. */
const validProposal = (task: Task): Rollout => ({
  role: 'proposer',
  mode: 'deduction',
  completion: '',
  formatOk: true,
  valid: true,
  task,
});

test('outputShare: the fraction of tasks with that output', () => {
  const tasks = [task('a', '0'), task('b', '0'), task('c', "''"), task('d', '0')];
  assert.equal(outputShare('0', tasks), 0.75);
  assert.equal(outputShare('1', tasks), 0);
  assert.equal(outputShare('0', []), 0);
});

test('a config names it; valid proposals pay −weight × the share in the window, other rollouts nothing', async () => {
  const { shapers } = await loadPlugins([{ use: 'output-balance', options: { weight: 2, window: 4 } }], {
    builtins: builtinPlugins,
  });
  const [shaper] = shapers;
  assert.equal(shaper!.name, 'outputBalance');
  assert.equal(shaper!.needsBuffer, true);
  assert.equal(shaper!.bufferWindow, 4, 'the coordinator fetches only the window');
  // The window is the last 4: one '0' of them (the two older '0's are outside it).
  const buffer = [
    task('a', '0'),
    task('b', '0'),
    task('c', '1'),
    task('d', '0'),
    task('e', '2'),
    task('f', '3'),
  ];
  const proposal = validProposal(task('new', '0'));
  const context = { step: 2, buffer };
  assert.equal(shaper!.reward(proposal, context), -2 * 0.25);
  assert.equal(shaper!.reward({ ...proposal, task: task('new', '9') }, context), 0);
  assert.equal(shaper!.reward({ ...proposal, valid: false }, context), 0);
  assert.equal(shaper!.reward({ ...proposal, role: 'solver', correct: true }, context), 0);
});

test('by: program balances programs instead: one program on varied inputs pays for its share', async () => {
  const { shapers } = await loadPlugins(
    [{ use: 'output-balance', options: { weight: 1, window: 4, by: 'program' } }],
    { builtins: builtinPlugins },
  );
  const [shaper] = shapers;
  const sorted = (id: string, output: string): Task => ({
    ...task(id, output),
    code: "def f(x):\n    return ''.join(sorted(x))",
  });
  const buffer = [sorted('a', "'ab'"), sorted('b', "'cd'"), sorted('c', "'ef'"), task('d', '0')];
  const proposal = validProposal(sorted('new', "'xy'"));
  assert.equal(shaper!.reward(proposal, { step: 2, buffer }), -0.75, 'a new output, a common program');
  assert.equal(shaper!.reward({ ...proposal, task: task('other', "'ab'") }, { step: 2, buffer }), -0.25);
});

test("outputType: a repr's Python type", () => {
  const cases: [string, string][] = [
    ['True', 'bool'],
    ['None', 'none'],
    ['-12', 'int'],
    ['3.5', 'float'],
    ['1e-05', 'float'],
    ["'ab'", 'str'],
    ['"it\'s"', 'str'],
    ['[1, 2]', 'list'],
    ['(1,)', 'tuple'],
    ["{'a': 1}", 'dict'],
    ['{}', 'dict'],
    ['{1, 2}', 'set'],
    ['Counter()', 'other'],
  ];
  for (const [repr, type] of cases) assert.equal(outputType(repr), type, repr);
});

test("by: type balances kinds of output: an int pays for the ints' share, whatever its value", async () => {
  const { shapers } = await loadPlugins(
    [{ use: 'output-balance', options: { weight: 1, window: 4, by: 'type' } }],
    {
      builtins: builtinPlugins,
    },
  );
  const [shaper] = shapers;
  const buffer = [task('a', '1'), task('b', '2'), task('c', '[3]'), task('d', '4')];
  const context = { step: 2, buffer };
  assert.equal(shaper!.reward(validProposal(task('new', '99')), context), -0.75, 'a new int');
  assert.equal(shaper!.reward(validProposal(task('new', '[]')), context), -0.25, 'a list');
  assert.equal(shaper!.reward(validProposal(task('new', "'s'")), context), 0, 'no string yet');
});

test('by: signature balances input type → output type: a string from a list pays for its kind alone', async () => {
  const { shapers } = await loadPlugins(
    [{ use: 'output-balance', options: { weight: 1, window: 4, by: 'signature' } }],
    {
      builtins: builtinPlugins,
    },
  );
  const [shaper] = shapers;
  const from = (input: string, output: string): Task => ({ ...task(output, output), input });
  const buffer = [from('[1, 2]', "'2'"), from('[3]', "'3'"), from('[4]', "'4'"), from("'ab'", "'AB'")];
  const context = { step: 2, buffer };
  assert.equal(shaper!.reward(validProposal(from('[9]', "'9'")), context), -0.75, 'list -> str');
  assert.equal(shaper!.reward(validProposal(from("'x'", "'X'")), context), -0.25, 'str -> str');
  assert.equal(shaper!.reward(validProposal(from("'x'", '1')), context), 0, 'str -> int: none yet');
});

test("programWeight docks the share of the proposal's program beside the balance by type", async () => {
  const { shapers } = await loadPlugins(
    [{ use: 'output-balance', options: { weight: 2, window: 4, by: 'type', programWeight: 10 } }],
    { builtins: builtinPlugins },
  );
  const [shaper] = shapers;
  const mirrored = (id: string, output: string): Task => ({
    ...task(id, output),
    code: 'def f(x):\n    return x + x[::-1]',
  });
  const buffer = [task('a', '1'), mirrored('b', '[1, 1]'), mirrored('c', "'abba'"), task('d', "'x'")];
  const context = { step: 2, buffer };
  // a list output: type share 1/4; its program: 2 of 4
  assert.equal(shaper!.reward(validProposal(mirrored('new', '[2, 2]')), context), -(2 * 0.25 + 10 * 0.5));
  // a new program with an int output: type share 1/4, program share 0 (task()'s program is `return x`, 2 of 4)
  const fresh = { ...task('n', '5'), code: 'def f(x):\n    return x * 3' };
  assert.equal(shaper!.reward(validProposal(fresh), context), -2 * 0.25);
  const off = (
    await loadPlugins([{ use: 'output-balance', options: { weight: 2, window: 4, by: 'type' } }], {
      builtins: builtinPlugins,
    })
  ).shapers[0]!;
  assert.equal(
    off.reward(validProposal(mirrored('new', '[2, 2]')), context),
    -2 * 0.25,
    'programWeight 0: as before',
  );
});
