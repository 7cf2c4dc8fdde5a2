// The prompts and the answer contract (docs/azr.md §1, issue 16 items 2, 3, 9): the proposer is told its task type
// and the requirements, completions are read as the reference writes them (think/answer, fenced blocks), and a
// prompt too long for the context loses references, never its instruction.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeTokenizer, type Policy } from '../actors/policy.ts';
import { generateWithMode } from '../actors/generator.ts';
import { proposerCalls } from '../actors/proposer.ts';
import { builtinPlugins } from '../plugins/index.ts';
import { fencedBlocks, loadPlugins, type Task, type TaskMode, thinkAnswer } from '../src/plugins/index.ts';
import { randomCharPolicy } from './helpers/policy.ts';

async function mode(name: string, options: Record<string, unknown> = {}): Promise<TaskMode> {
  const { modes } = await loadPlugins([{ use: name, options }], { builtins: builtinPlugins });
  return modes.get(name)!;
}

const reference = (k: number): Task => ({
  id: `r${k}`,
  mode: 'deduction',
  code: `def f(x):\n    return x + ${k}`,
  input: String(k),
  output: String(2 * k),
  step: 0,
});

describe('the proposer knows its task type (item 2)', () => {
  for (const name of ['deduction', 'abduction']) {
    test(`${name}: a bare prompt names its type in a header line`, async () => {
      const prompt = (await mode(name, { format: 'bare' })).proposerPrompt([reference(1)]).text;
      assert.ok(prompt.startsWith(`# task: ${name}\n`), prompt);
      assert.ok(prompt.endsWith('# program\n'));
      const plain = (await mode(name, { format: 'bare', taskHeader: false })).proposerPrompt([reference(1)]);
      assert.ok(plain.text.startsWith('# program\n'), 'taskHeader: false restores the old prompt');
    });

    test(`${name}: a think-answer prompt lists the requirements and what makes it hard`, async () => {
      const m = await mode(name, { bannedModules: ['random', 'time'] });
      const prompt = m.proposerPrompt([reference(1)]).text;
      assert.ok(prompt.startsWith(`Task: ${name}.`), prompt);
      for (const need of [
        'at least one parameter',
        'returns a value',
        'deterministic',
        'no randomness',
        'no clock',
        'no input or output',
        'no printing',
        'at the top',
        'differs clearly from the reference tasks',
        'Do not import these modules: random, time.',
        'A good task is hard',
        '```python',
        '```input',
      ])
        assert.ok(prompt.includes(need), `missing "${need}"`);
      assert.ok(prompt.endsWith('<think>'), 'the default think rule (prefill) opens <think>');
    });
  }
});

describe('the reference answer contract (item 3)', () => {
  test('fencedBlocks and thinkAnswer read the reference layout', () => {
    const text = '<think>plan</think>\n<answer>\n```python\ndef f(a):\n    return a\n```\n```input\n1\n```';
    assert.deepEqual(fencedBlocks(text), [
      { lang: 'python', body: 'def f(a):\n    return a' },
      { lang: 'input', body: '1' },
    ]);
    const read = thinkAnswer(text, 'require');
    assert.ok(read.ok && read.value.think === 'plan' && read.value.answer.startsWith('```python'));
  });

  test('a proposal in fenced blocks parses: the first python block and the first input block', async () => {
    const m = await mode('deduction');
    const parsed = m.parseProposal(
      'I will nest loops.</think>\n<answer>\nFirst:\n```python\ndef f(a, b):\n    return a * b\n```\n' +
        '```input\n3, 4\n```\nand a spare:\n```python\ndef g():\n    pass\n```\n```input\n9\n```',
    );
    assert.deepEqual(parsed, { ok: true, value: { code: 'def f(a, b):\n    return a * b', input: '3, 4' } });
    const sections = m.parseProposal(
      'Plan.</think><answer>\n# program\ndef f(a):\n    return a\n# input\n5\n',
    );
    assert.deepEqual(sections, { ok: true, value: { code: 'def f(a):\n    return a', input: '5' } });
    const mixed = m.parseProposal(
      '.</think><answer>\n# program\n```python\ndef f(a):\n    return a\n```\n# input\n5',
    );
    assert.deepEqual(mixed, { ok: true, value: { code: 'def f(a):\n    return a', input: '5' } });
  });

  test("a solver answer's last fenced block of its kind is the answer", async () => {
    const deduction = await mode('deduction');
    const answer = deduction.parseAnswer(
      'It doubles.</think><answer>```output\n3\n``` no, ```output\n[1, 2]\n```',
    );
    assert.deepEqual(answer, { ok: true, value: '[1, 2]' });
    const abduction = await mode('abduction');
    assert.deepEqual(abduction.parseAnswer("x</think> <answer>\n```input\n'ab', 3\n```\n"), {
      ok: true,
      value: "'ab', 3",
    });
  });

  test('under prefill and require a completion without <think>…</think> before <answer> is a format error', async () => {
    const prefill = await mode('deduction');
    assert.equal(prefill.parseAnswer('<answer>\n# output\n4\n').ok, false);
    assert.equal(prefill.parseAnswer('4 it is.</think>\n<answer>\n# output\n4\n').ok, true);
    const require = await mode('deduction', { think: 'require' });
    assert.ok(!require.solverPrompt(reference(1)).text.endsWith('<think>'));
    assert.equal(require.parseAnswer('4 it is.</think>\n<answer>4').ok, false);
    assert.equal(require.parseAnswer('<think>4 it is.</think>\n<answer>4').ok, true);
    const optional = await mode('deduction', { think: 'optional' });
    assert.deepEqual(optional.parseAnswer('<answer>4'), { ok: true, value: '4' });
  });
});

describe('a prompt too long for the context loses references, not its instruction (item 9)', () => {
  let policy: Policy;
  before(async () => {
    const shape = { dModel: 16, nLayers: 1, nHeads: 2, ffnHidden: 32, maxSeqLen: 256, tieEmbeddings: true };
    policy = await randomCharPolicy('cpu', shape, 5);
  });
  after(() => policy.dispose());

  const propose = (m: TaskMode, references: Task[][]) => {
    const state = {
      modes: new Map([[m.name, m]]),
      sampling: { temperature: 1, topP: 1, maxTokens: 16 },
      policy,
    };
    const run = { samples: 1, sampling: state.sampling, seed: 3 };
    return generateWithMode(state as never, 'proposer', m.name, references, proposerCalls, run);
  };

  test('the proposer drops references until the prompt fits', async () => {
    const m = await mode('deduction', { format: 'bare' });
    const references = Array.from({ length: 6 }, (_, k) => reference(k + 1));
    assert.ok(m.proposerPrompt(references).text.length > 240, 'six references do not fit in 256 − 16');
    const { generated, faults } = propose(m, [references]);
    const tokenizer = await makeTokenizer({ type: 'char' });
    const prompt = tokenizer.decode(generated[0]!.promptIds);
    assert.ok(prompt.startsWith('# task: deduction\n'), prompt);
    assert.ok(prompt.length <= 240);
    const kept = prompt.split('# end').length - 1;
    assert.ok(kept > 0 && kept < 6, `${kept} references kept`);
    assert.equal(prompt, m.proposerPrompt(references.slice(0, kept)).text);
    assert.deepEqual(faults, {});
  });

  test('a prompt that does not fit even without references is cut, and counted as a fault', async () => {
    const m = await mode('deduction');
    const { generated, faults } = propose(m, [[reference(1)]]);
    assert.equal(generated[0]!.promptIds.length, 240);
    assert.equal(faults['mode:deduction.promptCut']?.count, 1);
  });
});
