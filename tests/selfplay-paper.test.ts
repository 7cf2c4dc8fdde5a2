// The paper's rules the step follows (docs/azr.md §2, §4, §6), on plain values: distinct references, the backfill
// without replacement, the shared seed set, induction given a program. No actors, no processes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { builtinPlugins } from '../plugins/index.ts';
import { type Faults, loadPlugins, type Task, type TaskMode } from '../src/plugins/index.ts';
import { createRng } from '../src/runtime/index.ts';
import {
  completedProposals,
  countsPerSource,
  dedupKey,
  distinctIndices,
  drawDistinct,
  drawTasks,
  interleave,
  parsedProposals,
  referenceBuffers,
  referenceSources,
  SeedSet,
  seedCopies,
  seedingOrder,
  splitBy,
  validTasks,
} from '../src/selfplay/index.ts';

const task = (id: string, fields: Partial<Task> = {}): Task => ({
  id,
  mode: 'deduction',
  code: `def f(x):\n    return x  # ${id}`,
  input: `'${id}'`,
  output: `'${id}'`,
  step: 1,
  ...fields,
});

const ids = (tasks: readonly Task[]) => tasks.map((t) => t.id);

describe('references drawn without replacement (docs/azr.md §6)', () => {
  test('a buffer of 3 asked for K = 6 gives the 3, distinct; a larger one K distinct', () => {
    const rng = createRng('k6');
    const three = [task('a'), task('b'), task('c')];
    for (const refs of drawDistinct(three, [6, 6, 6], new Set(), rng))
      assert.deepEqual(ids(refs).sort(), ['a', 'b', 'c']);
    const many = Array.from({ length: 20 }, (_, i) => task(`t${i}`));
    for (const refs of drawDistinct(many, Array(50).fill(6), new Set(), rng))
      assert.equal(new Set(ids(refs)).size, 6);
  });

  test('distinct indices are uniform, seeded, and reproducible', () => {
    const counts = Array(10).fill(0);
    const rng = createRng('uniform');
    for (let r = 0; r < 2000; r++) for (const i of distinctIndices(10, 3, rng)) counts[i]++;
    for (const c of counts) assert.ok(c > 500 && c < 700, `uniform: ${counts}`);
    assert.deepEqual(distinctIndices(100, 6, createRng(7)), distinctIndices(100, 6, createRng(7)));
    assert.deepEqual(distinctIndices(0, 6, createRng(7)), []);
  });

  test("the solver's backfill: distinct, never this step's new tasks, fewer when the buffer is short", () => {
    const held = ['a', 'b', 'c', 'd', 'e'].map((id) => task(id));
    const rng = createRng('backfill');
    for (let r = 0; r < 50; r++) {
      const [drawn] = drawDistinct(held, [3], new Set(['d', 'e']), rng);
      assert.deepEqual(ids(drawn!).sort(), ['a', 'b', 'c']);
    }
    const [short] = drawDistinct(held, [8], new Set(['a']), rng);
    assert.deepEqual(ids(short!).sort(), ['b', 'c', 'd', 'e']);
  });

  test('with replacement (option withReplacement) a prompt gets K references from a smaller set', () => {
    const [refs] = drawTasks([task('a'), task('b')], [6], true, createRng(1));
    assert.equal(refs!.length, 6);
    assert.deepEqual(drawTasks([], [6], true, createRng(1)), [[]]);
  });

  test('references from several buffers: one concatenated set, min(K, total) draws, none past a size', () => {
    const rng = createRng('sources');
    const hits = [0, 0];
    for (let r = 0; r < 1000; r++) {
      const order = referenceSources([1, 3], 3, false, rng);
      assert.equal(order.length, 3);
      assert.ok(order.filter((s) => s === 0).length <= 1, 'source 0 holds one task');
      for (const s of referenceSources([30, 10], 1, false, rng)) hits[s]!++;
    }
    assert.ok(hits[0]! > 680 && hits[0]! < 820, `proportional to size: ${hits}`);
    assert.deepEqual(referenceSources([1, 1], 6, false, rng).sort(), [0, 1]);
    assert.equal(referenceSources([1, 1], 6, true, rng).length, 6);
    assert.deepEqual(referenceSources([0, 0], 2, false, rng), []);
  });

  test("each prompt's references are assembled in the drawn order of their sources", () => {
    const order = [
      [1, 0, 1],
      [0, 0],
    ];
    const counts = countsPerSource(order, 2);
    assert.deepEqual(counts, [
      [1, 2],
      [2, 0],
    ]);
    const fromA = [[task('a1')], [task('a2'), task('a3')]];
    const fromB = splitBy([task('b1'), task('b2')], counts[1]!);
    assert.deepEqual(interleave(order, [fromA, fromB]).map(ids), [
      ['b1', 'a1', 'b2'],
      ['a2', 'a3'],
    ]);
  });
});

describe('seeding (docs/azr.md §6)', () => {
  test('the seed set keeps each program and input once, comments and spacing aside', () => {
    const set = new SeedSet();
    assert.equal(set.add([task('a'), task('b')]), 2);
    const sameAsA = { ...task('a'), id: 'x', code: 'def f(x):\n    return   x', mode: 'abduction' };
    assert.equal(dedupKey(sameAsA), dedupKey(task('a')));
    assert.equal(set.add([sameAsA, task('c')]), 1);
    assert.deepEqual(ids(set.tasks), ['a', 'b', 'c']);
  });

  test('both buffers get the same first seedSize tasks, each as its own mode', () => {
    const set = [task('a'), task('b', { mode: 'abduction' }), task('c')];
    const deduction = seedCopies(set, 'deduction', 2);
    const abduction = seedCopies(set, 'abduction', 2);
    assert.deepEqual(ids(deduction), ['deduction-seed-0', 'deduction-seed-1']);
    assert.deepEqual(
      abduction.map((t) => t.mode),
      ['abduction', 'abduction'],
    );
    assert.deepEqual(deduction.map(dedupKey), abduction.map(dedupKey), 'the same programs and inputs');
  });

  test('the shared modes seed together; modes drawing from other buffers seed last', () => {
    const mode = (name: string, referenceModes?: string[]) =>
      ({ name, references: 1, referenceModes }) as unknown as TaskMode;
    const modes = [
      mode('induction', ['deduction', 'abduction']),
      mode('deduction'),
      mode('abduction'),
      mode('x'),
    ];
    const plan = seedingOrder(modes, ['deduction', 'abduction']);
    assert.deepEqual(
      plan.shared.map((m) => m.name),
      ['deduction', 'abduction'],
    );
    assert.deepEqual(
      plan.own.map((m) => m.name),
      ['x', 'induction'],
    );
    assert.deepEqual(seedingOrder(modes, []).shared, []);
    assert.deepEqual(referenceBuffers(modes[0]!, ['deduction', 'induction']), ['deduction']);
    assert.deepEqual(referenceBuffers(modes[3]!, ['x']), ['x']);
  });
});

describe('induction as in the paper: given a program (docs/azr.md §2)', () => {
  const given = task('g', { code: 'def f(n):\n    return n * n', input: '3', output: '9' });
  const inputs = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
  const load = async (options: Record<string, unknown>) =>
    (await loadPlugins([{ use: 'induction', options }], { builtins: builtinPlugins })).modes.get(
      'induction',
    )!;

  for (const format of ['bare', 'think-answer'] as const) {
    test(`${format}: the proposer sees the program, writes inputs and a message; the task keeps the program`, async () => {
      const mode = await load({ format });
      assert.equal(mode.references, 1);
      assert.deepEqual(mode.referenceModes, ['deduction', 'abduction']);
      const prompt = mode.proposerPrompt([given]);
      assert.ok(prompt.text.includes(given.code), 'the given program is in the prompt');
      const body = `Squares.\n${inputs.map((i) => `# input\n${i}\n`).join('')}`;
      const completion =
        format === 'bare' ? body : `<think>Cover small n.</think>\n<answer>\n# message\n${body}`;
      const parsed = mode.parseProposal(completion);
      assert.ok(parsed.ok, JSON.stringify(parsed));

      const faults = {};
      const proposals = [{ proposal: parsed.value }, { proposal: null }];
      const [done] = completedProposals(mode, parsedProposals(proposals), [[given], []], faults);
      assert.deepEqual(done!.proposal, { code: given.code, inputs, message: 'Squares.' });
      const outputs = inputs.map((i) => String(Number(i) ** 2));
      const tasks = validTasks(mode, [done!], [{ valid: true, output: outputs[0]!, outputs }], 4, faults);
      const made = tasks.of(0)[0]!;
      assert.equal(made.code, given.code, "the task's program is the given one");
      assert.deepEqual(made.outputs, outputs);
      assert.equal(made.id, 'induction-4-0');
      assert.deepEqual(faults, {});
    });
  }

  test("think-answer: the reference's fenced blocks: the last N ```input blocks, the first ```message block", async () => {
    const mode = await load({ format: 'think-answer', inputs: 2 });
    const blocks = (xs: string[]) => xs.map((x) => `\`\`\`input\n${x}\n\`\`\``).join('\n');
    const completion =
      'I try a few.\n```input\n99\n```\n</think>\n<answer>\n' +
      `${blocks(['0', '1', "'a', 2"])}\n\`\`\`message\nSquares.\n\`\`\`\n\`\`\`message\nnot this\n\`\`\``;
    const parsed = mode.parseProposal(completion);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.deepEqual(parsed.value, { code: '', inputs: ['1', "'a', 2"], message: 'Squares.' });
    assert.equal(mode.parseProposal(`x</think><answer>${blocks(['0'])}\n\`\`\`message\nm\n\`\`\``).ok, false);
    assert.equal(
      mode.parseProposal(`<answer>${blocks(['0', '1'])}\n\`\`\`message\nm\n\`\`\``).ok,
      false,
      'no </think> before <answer>: a format error (think: prefill)',
    );
  });

  test('bare: the proposer prompt names the task type first', async () => {
    const mode = await load({ format: 'bare' });
    assert.match(mode.proposerPrompt([given]).text, /^# task: induction\n# program\n/);
  });

  test('a proposal without its given program is a fault, not a task', async () => {
    const mode = await load({ format: 'bare' });
    const parsed = mode.parseProposal(`m\n${inputs.map((i) => `# input\n${i}\n`).join('')}`);
    assert.ok(parsed.ok);
    const faults: Faults = {};
    assert.deepEqual(completedProposals(mode, [{ i: 0, proposal: parsed.value }], [[]], faults), []);
    assert.equal(faults['mode:induction.completeProposal']?.count, 1);
  });

  test('program: written keeps the proposer writing the program, references from its own buffer', async () => {
    const mode = await load({ format: 'bare', program: 'written', references: 2 });
    assert.equal(mode.references, 2);
    assert.equal(mode.referenceModes, undefined);
    assert.equal(mode.completeProposal, undefined);
    const parsed = mode.parseProposal(
      `Squares.\n# program\n${given.code}\n${inputs.map((i) => `# input\n${i}\n`).join('')}`,
    );
    assert.ok(parsed.ok && parsed.value.code === given.code, JSON.stringify(parsed));
  });
});
