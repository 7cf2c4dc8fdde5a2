import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { executorCheck, loadHeldout, trivialBaselines } from '../plugins/tiny-python/heldout.ts';
import { tinyPythonModes } from '../plugins/tiny-python/index.ts';
import { PythonPool, verify } from '../src/executor/index.ts';
import type { TextConstraint } from '../src/plugins/index.ts';

const items = loadHeldout(new URL('../examples/heldout/tiny-python.jsonl', import.meta.url));
const pool = new PythonPool({ size: 2 });
after(() => pool.close());

function allowedExactly(constraint: TextConstraint, text: string): string | null {
  for (let i = 0; i < text.length; i++)
    if (!constraint.allowedNext(text.slice(0, i)).includes(text[i]!))
      return `${JSON.stringify(text[i])} not allowed after ${JSON.stringify(text.slice(0, i))}`;
  const after = constraint.allowedNext(text);
  return after.length === 0 ? null : `does not end there (${JSON.stringify(after)} may follow)`;
}

test('the held-out set: ≥ 200 unique programs, graded 1–3, outputs not dominated by one value', () => {
  assert.ok(items.length >= 200, `${items.length} items`);
  assert.equal(new Set(items.map((i) => i.id)).size, items.length);
  assert.equal(new Set(items.map((i) => i.code)).size, items.length);
  for (const level of [1, 2, 3]) assert.ok(items.filter((i) => i.difficulty === level).length >= 50);
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i.output, (counts.get(i.output) ?? 0) + 1);
  assert.ok(Math.max(...counts.values()) / items.length <= 0.05, 'no output over 5%');
  assert.ok(items.every((i) => i.output !== i.input));
});

test('the grammar accepts every held-out program and input (char by char, ending exactly there), and every answer', () => {
  const [deduction, abduction] = tinyPythonModes({
    references: 1,
    maxProposalTokens: 128,
    maxAnswerTokens: 32,
    constrain: true,
    requireInputUse: true,
  });
  const proposer = deduction!.constraint!('proposer')!;
  for (const item of items) {
    const completion = `${item.input}\n# program\n${item.code}\n# output`;
    assert.equal(allowedExactly(proposer, completion), null, `${item.id}: ${completion}`);
    assert.equal(
      allowedExactly(deduction!.constraint!('solver', item as never)!, `${item.output}\n`),
      null,
      item.id,
    );
    assert.equal(
      allowedExactly(abduction!.constraint!('solver', item as never)!, `${item.input}\n`),
      null,
      item.id,
    );
  }
});

test('trivial baselines through a check callback (a fake judge by string equality)', async () => {
  const sample = [
    { id: 'a', code: 'def f(x):\n    return x', input: '1', output: '1', difficulty: 1 },
    { id: 'b', code: 'def f(x):\n    return 0', input: '2', output: '0', difficulty: 1 },
    { id: 'c', code: 'def f(x):\n    return 0', input: '3', output: '0', difficulty: 1 },
    { id: 'd', code: 'def f(x):\n    return x', input: '4', output: '4', difficulty: 1 },
  ];
  const judged: string[] = [];
  const baselines = await trivialBaselines(sample, async (checks) =>
    checks.map((c) => {
      judged.push(c.type);
      if (c.type === 'deduction') return c.answer === c.output;
      if (c.type === 'abduction') return (c.code.endsWith('return x') ? c.answer : '0') === c.output;
      return false;
    }),
  );
  assert.deepEqual(baselines, {
    deduction: { mostCommon: 0.5, identity: 0.5 },
    abduction: { mostCommon: 0.75, identity: 1 },
  });
  assert.equal(judged.length, 16);
});

test('trivial baselines on the held-out set with the real executor', async () => {
  const baselines = await trivialBaselines(items, executorCheck(verify, pool));
  console.log(`# held-out baselines: ${JSON.stringify(baselines)}`);
  assert.ok(baselines.deduction.mostCommon <= 0.05, 'outputs are de-skewed');
  assert.ok(baselines.deduction.identity <= 0.01, 'items do not return their input (but True == 1)');
  for (const b of [baselines.abduction.mostCommon, baselines.abduction.identity]) assert.ok(b >= 0 && b <= 1);
});
