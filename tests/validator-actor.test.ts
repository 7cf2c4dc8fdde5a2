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

test('validator actor: a lost sandbox worker is an infrastructure fault in the reply, each time', async (t) => {
  const system = createSystem();
  t.after(() => system.stop());
  const ref = system.spawn(validator, { options: { poolSize: 1, sandbox: 'bwrap' } });
  // os._exit reached without an import ends the worker under the job every time (tests/executor-pool.test.ts).
  const os =
    "[c for c in ().__class__.__mro__[1].__subclasses__() if c.__name__ == '_wrap_close'][0].__init__.__globals__";
  const killer = { code: `def f(x):\n    ${os}['_exit'](0)`, input: '0' };
  const first = await ref.ask({ type: 'validate', proposals: [killer] }, { timeoutMs: 30_000 });
  assert.equal(first.results[0]!.valid, false);
  // Run again on a fresh worker twice (the pool's maxInfraRetries, 2), then a verdict on the program.
  assert.equal(first.faults['executor.workerLost']?.count, 2);
  assert.match(first.faults['executor.workerLost']!.first, /worker died .* run again/);
  const next = await ref.ask(
    { type: 'validate', proposals: [{ code: 'def f(x):\n    return x', input: '1' }] },
    { timeoutMs: 30_000 },
  );
  assert.deepEqual(next.faults, {}, 'each reply carries only its own faults');
});
