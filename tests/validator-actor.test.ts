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
