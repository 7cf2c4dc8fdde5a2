import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validator } from '../actors/validator.ts';
import { createSystem, MessageRejectedError } from '../src/runtime/index.ts';

for (const host of ['inline', 'thread'] as const) {
  test(`validator actor (${host}): validates proposals and verifies answers through its pool`, async (t) => {
    const system = createSystem();
    t.after(() => system.stop());
    const ref = system.spawn(validator, { host, options: { poolSize: 1, sandbox: 'bwrap' } });
    const { results } = await ref.ask(
      {
        type: 'validate',
        proposals: [
          { code: 'def f(x):\n    return x[::-1]', input: "'abc'" },
          { code: 'import os\ndef f(x):\n    return x', input: '1' },
          { code: 'def f(x):\n    return x +', input: '1' },
        ],
      },
      { timeoutMs: 20_000 },
    );
    assert.deepEqual(
      results.map((r) => [r.valid, r.output]),
      [
        [true, "'cba'"],
        [false, null],
        [false, null],
      ],
    );
    assert.equal(results[1]!.errorType, 'BannedImport');
    const { results: verdicts } = await ref.ask(
      {
        type: 'verify',
        answers: [
          { type: 'deduction', output: "'cba'", answer: "'cba'" },
          { type: 'abduction', code: 'def f(x):\n    return x * 2', output: '8', answer: '4' },
          { type: 'deduction', output: "'cba'", answer: 'cba(' },
        ],
      },
      { timeoutMs: 20_000 },
    );
    assert.deepEqual(
      verdicts.map((v) => [v.correct, v.malformed]),
      [
        [true, false],
        [true, false],
        [false, true],
      ],
    );
    await assert.rejects(
      ref.ask({ type: 'validate', proposals: [{ code: 1 }] } as never),
      MessageRejectedError,
    );
  });
}

test('validator actor: inputs are Python expressions by default, literals only with expressions: literals', async (t) => {
  const system = createSystem();
  t.after(() => system.stop());
  const proposal = { code: 'def f(r):\n    return sum(r)', input: 'range(5)' };
  const answer = { type: 'deduction' as const, output: '4', answer: '2**2' };
  const outcomes = [];
  for (const expressions of [undefined, 'literals'] as const) {
    const ref = system.spawn(validator, {
      name: `validator-${expressions ?? 'default'}`,
      options: { poolSize: 1, sandbox: 'bwrap', ...(expressions && { expressions }) },
    });
    const { results } = await ref.ask({ type: 'validate', proposals: [proposal] }, { timeoutMs: 20_000 });
    const { results: verdicts } = await ref.ask({ type: 'verify', answers: [answer] }, { timeoutMs: 20_000 });
    outcomes.push([results[0]!.output, results[0]!.errorType, verdicts[0]!.correct]);
  }
  assert.deepEqual(outcomes, [
    ['10', null, true],
    [null, 'MalformedInput', false],
  ]);
});
