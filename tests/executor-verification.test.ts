import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { PythonPool, verify, verifyOne } from '../src/executor/index.ts';
import type { AnswerVerdict, BuiltinCheck } from '../src/wire/index.ts';
import { type ProgramFixture, readFixture } from './helpers/executor.ts';

const fixtures = readFixture<ProgramFixture>('executor/cruxeval-style.jsonl');

const pool = new PythonPool({ size: 2, limits: { timeoutMs: 2000 } });
after(() => pool.close());

function assertVerdict(result: AnswerVerdict, correct: boolean, malformed: boolean, reason?: RegExp): void {
  assert.equal(result.correct, correct, JSON.stringify(result));
  assert.equal(result.malformed, malformed, JSON.stringify(result));
  if (reason) assert.match(result.reason ?? '', reason);
  if (correct) assert.equal(result.reason, null);
}

const deduction = (output: string, answer: string): BuiltinCheck => ({ type: 'deduction', output, answer });
const reverse = 'def f(s):\n    return s[::-1]';
const abduction = (answer: string, output = "'cba'", code = reverse): BuiltinCheck => ({
  type: 'abduction',
  code,
  output,
  answer,
});
const hidden = { inputs: ['1', '2', '3', '4', '5'], outputs: ['3', '5', '7', '9', '11'] };
const induction = (answer: string): BuiltinCheck => ({ type: 'induction', ...hidden, answer });

describe('deduction', () => {
  test('value equality of literals, not string equality', async () => {
    assertVerdict(await verifyOne(pool, deduction('[1, 2]', '[1,2]')), true, false);
    assertVerdict(await verifyOne(pool, deduction("{'a': 1, 'b': 2}", "  {'b': 2, 'a': 1} ")), true, false);
    assertVerdict(await verifyOne(pool, deduction('{1, 2, 3}', '{3, 2, 1}')), true, false);
    assertVerdict(await verifyOne(pool, deduction('1', '1.0')), true, false);
    assertVerdict(await verifyOne(pool, deduction("'a'", '"a"')), true, false);
  });

  test('wrong answers are well-formed and incorrect', async () => {
    assertVerdict(await verifyOne(pool, deduction('[1, 2]', '(1, 2)')), false, false, /!= expected/);
    assertVerdict(await verifyOne(pool, deduction("'abc'", "'abd'")), false, false);
  });

  test('malformed answers: not an expression, banned, empty, not a string; (literals only) not a literal', async () => {
    assertVerdict(
      await verifyOne(pool, deduction('[1, 2]', '[1, 2')),
      false,
      true,
      /not a Python expression/,
    );
    assertVerdict(await verifyOne(pool, deduction('3', '1 + 2')), true, false);
    const literalsOnly = await verifyOne(pool, deduction('3', '1 + 2'), { expressions: 'literals' });
    assertVerdict(literalsOnly, false, true, /not a Python literal/);
    assertVerdict(await verifyOne(pool, deduction('3', "__import__('os').getpid()")), false, true);
    assertVerdict(await verifyOne(pool, deduction('3', '')), false, true);
    assertVerdict(await verifyOne(pool, { type: 'deduction', output: '3', answer: 3 } as never), false, true);
  });

  test('every CRUXEval-style fixture: the known output is correct, a perturbed one is not', async () => {
    const right = await verify(
      pool,
      fixtures.map((fixture) => deduction(fixture.output, fixture.output)),
    );
    assert.ok(right.every((result) => result.correct));
    const wrong = await verify(
      pool,
      fixtures.map((fixture) => deduction(fixture.output, `[${fixture.output}]`)),
    );
    assert.ok(wrong.every((result) => !result.correct && !result.malformed));
  });
});

describe('abduction', () => {
  test('any input that reproduces the output is correct', async () => {
    assertVerdict(await verifyOne(pool, abduction("'abc'")), true, false);
    const code = 'def f(xs):\n    return sum(xs)';
    assertVerdict(await verifyOne(pool, abduction('[1, 2, 3]', '6', code)), true, false);
    assertVerdict(await verifyOne(pool, abduction('[6]', '6', code)), true, false);
    assertVerdict(await verifyOne(pool, abduction('xs=[4, 2]', '6', code)), true, false);
  });

  test('the gold inputs of every fixture are correct abduction answers', async () => {
    const results = await verify(
      pool,
      fixtures.map((fixture) => abduction(fixture.input, fixture.output, fixture.code)),
    );
    results.forEach((result, index) => {
      assert.equal(result.correct, true, `${fixtures[index].id}: ${result.reason}`);
    });
  });

  test('wrong inputs and inputs that make f fail are incorrect, not malformed', async () => {
    assertVerdict(await verifyOne(pool, abduction("'abd'")), false, false, /expected 'cba'/);
    assertVerdict(await verifyOne(pool, abduction('5')), false, false);
  });

  test('malformed inputs: not an argument list, or (literals only) not literals', async () => {
    assertVerdict(await verifyOne(pool, abduction("'abc'[::-1]")), false, false, /expected 'cba'/);
    assertVerdict(await verifyOne(pool, abduction("'abc'[::-1]"), { expressions: 'literals' }), false, true);
    assertVerdict(await verifyOne(pool, abduction("'abc'), ('x'")), false, true);
    assertVerdict(await verifyOne(pool, abduction('<answer>abc</answer>')), false, true);
  });
});

describe('induction', () => {
  test('a program reproducing every hidden pair is correct', async () => {
    assertVerdict(await verifyOne(pool, induction('def f(x):\n    return 2 * x + 1')), true, false);
    const viaHelper = 'def step(x):\n    return x + x\n\ndef f(x):\n    return step(x) + 1';
    assertVerdict(await verifyOne(pool, induction(viaHelper)), true, false);
  });

  test('a program missing one pair is incorrect and says which', async () => {
    const almost = 'def f(x):\n    return 2 * x + 1 if x < 5 else 0';
    assertVerdict(await verifyOne(pool, induction(almost)), false, false, /input 5: got 0, expected 11/);
  });

  test('a result that claims equality with everything does not pass', async () => {
    const cheat =
      'class Any:\n    def __eq__(self, other):\n        return True\n\ndef f(x):\n    return Any()';
    assertVerdict(await verifyOne(pool, induction(cheat)), false, false, /not a Python literal/);
  });

  test('malformed candidates: syntax error, no f, banned import, not a string', async () => {
    assertVerdict(await verifyOne(pool, induction('def f(x) return x')), false, true, /SyntaxError/);
    assertVerdict(await verifyOne(pool, induction('def g(x):\n    return x')), false, true);
    assertVerdict(
      await verifyOne(pool, induction('import os\ndef f(x):\n    return x')),
      false,
      true,
      /banned/,
    );
    assertVerdict(
      await verifyOne(pool, { type: 'induction', ...hidden, answer: null } as never),
      false,
      true,
    );
  });

  test('a candidate that never returns ends as an incorrect Timeout', async () => {
    const result = await verifyOne(pool, induction('def f(x):\n    while True:\n        pass'), {
      timeoutMs: 300,
    });
    assertVerdict(result, false, false, /timeout/);
    assert.equal(result.errorType, 'Timeout');
  });
});

describe('batch verification', () => {
  test('mixed types keep their order; bad task records are incorrect results', async () => {
    const results = await verify(pool, [
      deduction('1', '1'),
      abduction("'cba'"),
      induction('def f(x):\n    return 2 * x + 1'),
      { type: 'unknown', answer: '1' } as never,
      { type: 'induction', inputs: ['1'], outputs: [], answer: 'def f(x):\n    return x' },
      deduction('1', '2'),
    ]);
    assert.deepEqual(
      results.map((result) => [result.correct, result.errorType]),
      [
        [true, null],
        [false, null],
        [true, null],
        [false, 'MalformedTask'],
        [false, 'MalformedTask'],
        [false, null],
      ],
    );
  });
});
