// Inputs and answers as Python expressions, evaluated in the sandbox (docs/azr.md §3, issue 16 item 5), the
// literal-only option, and outputs that are faithful reprs without being literals (option outputs: repr).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { PythonPool, validate, validateOne, verify, verifyOne } from '../src/executor/index.ts';
import type { ProposalVerdict } from '../src/wire/index.ts';

const pool = new PythonPool({ size: 2, limits: { timeoutMs: 2000 } });
after(() => pool.close());

const identity = 'def f(x):\n    return x';
const outputOf = async (input: string, code = identity) => {
  const verdict = await validateOne(pool, { code, input });
  assert.equal(verdict.valid, true, JSON.stringify(verdict));
  return verdict.output;
};

function assertInvalid(verdict: ProposalVerdict, errorType: string, reason: RegExp): void {
  assert.equal(verdict.valid, false, JSON.stringify(verdict));
  assert.equal(verdict.errorType, errorType, JSON.stringify(verdict));
  assert.match(verdict.reason ?? '', reason);
}

describe('proposal inputs as expressions', () => {
  test('calls, operators and methods are evaluated, keywords too', async () => {
    assert.equal(await outputOf('range(100, 120)', 'def f(r):\n    return sum(r)'), '2190');
    assert.equal(await outputOf('dict(e=1)'), "{'e': 1}");
    assert.equal(await outputOf("'ab' * 3"), "'ababab'");
    assert.equal(await outputOf('list(range(5))'), '[0, 1, 2, 3, 4]');
    assert.equal(
      await outputOf('[3, 1, 2], key=lambda x: -x', 'def f(xs, key):\n    return sorted(xs, key=key)'),
      '[3, 2, 1]',
    );
  });

  test("names are the program's: a module-level value, an imported class", async () => {
    const code = 'from collections import Counter\nBASE = [1, 2]\n\ndef f(xs, c):\n    return xs + sorted(c)';
    assert.equal(await outputOf("BASE[:], Counter('ba')", code), "[1, 2, 'a', 'b']");
  });

  test('the literal-only option refuses what is not a literal', async () => {
    const verdict = await validateOne(
      pool,
      { code: identity, input: 'range(5)' },
      { expressions: 'literals' },
    );
    assertInvalid(verdict, 'MalformedInput', /not made of Python literals: range\(5\)/);
    const literal = await validateOne(
      pool,
      { code: identity, input: '[1, (2, 3)]' },
      { expressions: 'literals' },
    );
    assert.equal(literal.output, '[1, (2, 3)]');
  });

  test('banned names and attribute tricks are refused with a reason, before anything runs', async () => {
    const cases: [input: string, reason: RegExp][] = [
      ["__import__('os')", /banned name: __import__/],
      ["open('/etc/passwd').read()", /banned name: open/],
      ["lambda: exec('import os')", /banned name: exec/],
      ["[eval('1')]", /banned name: eval/],
      ["getattr(1, 'real')", /banned name: getattr/],
      ['().__class__.__mro__[1].__subclasses__()', /banned attribute: __\w+__/],
      ['(x for x in [1]).gi_frame', /banned attribute: gi_frame/],
      ['print.__self__', /banned attribute: __self__/],
      ['os', /banned name: os/],
    ];
    const verdicts = await validate(
      pool,
      cases.map(([input]) => ({ code: identity, input })),
    );
    cases.forEach(([input, reason], i) => {
      assertInvalid(verdicts[i]!, 'BannedName', reason);
      assert.match(verdicts[i]!.reason ?? '', /^input: /, input);
    });
  });

  test('an expression that fails makes the proposal invalid with its exception', async () => {
    assertInvalid(
      await validateOne(pool, { code: identity, input: 'undefined_name' }),
      'NameError',
      /undefined_name/,
    );
    assertInvalid(
      await validateOne(pool, { code: identity, input: '1 // 0' }),
      'ZeroDivisionError',
      /division/,
    );
  });

  test('a slow expression hits the time limit', async () => {
    const verdict = await validateOne(
      pool,
      { code: identity, input: 'sum(range(10 ** 12))' },
      { timeoutMs: 300 },
    );
    assertInvalid(verdict, 'Timeout', /no result within 300 ms/);
  });

  test('induction inputs are expressions too', async () => {
    const inputs = Array.from({ length: 10 }, (_, i) => `list(range(${i}))`);
    const [verdict] = await validate(pool, [
      { code: 'def f(xs):\n    return len(xs)', inputs, message: 'length' },
    ]);
    assert.deepEqual(verdict!.outputs, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });
});

describe('answers as expressions', () => {
  test('deduction: 2**2 is correct for 4, 2**3 is wrong', async () => {
    const [right, wrong] = await verify(pool, [
      { type: 'deduction', output: '4', answer: '2**2' },
      { type: 'deduction', output: '4', answer: '2**3' },
    ]);
    assert.deepEqual([right!.correct, right!.malformed], [true, false]);
    assert.deepEqual([wrong!.correct, wrong!.malformed], [false, false]);
    assert.match(wrong!.reason ?? '', /answer 8 != expected 4/);
  });

  test('abduction: 1+2 as the argument list', async () => {
    const verdict = await verifyOne(pool, { type: 'abduction', code: identity, output: '3', answer: '1+2' });
    assert.equal(verdict.correct, true, JSON.stringify(verdict));
  });

  test('literal-only answers: 2**2 and 1+2 are malformed', async () => {
    const options = { expressions: 'literals' as const };
    const deduction = await verifyOne(pool, { type: 'deduction', output: '4', answer: '2**2' }, options);
    const abduction = await verifyOne(
      pool,
      { type: 'abduction', code: identity, output: '3', answer: '1+2' },
      options,
    );
    assert.deepEqual([deduction.correct, deduction.malformed], [false, true]);
    assert.deepEqual([abduction.correct, abduction.malformed], [false, true]);
  });

  test('an answer that does not evaluate is wrong, a banned one malformed, a slow one times out', async () => {
    const [raises, banned, slow] = await verify(
      pool,
      [
        { type: 'deduction', output: '4', answer: '1 // 0' },
        { type: 'deduction', output: '4', answer: "__import__('os').getpid()" },
        { type: 'abduction', code: identity, output: '4', answer: '10 ** 10 ** 10' },
      ],
      { timeoutMs: 300 },
    );
    assert.deepEqual(
      [raises!.correct, raises!.malformed, raises!.errorType],
      [false, false, 'ZeroDivisionError'],
    );
    assert.deepEqual([banned!.correct, banned!.malformed], [false, true]);
    assert.match(banned!.reason ?? '', /banned name: __import__/);
    assert.deepEqual([slow!.correct, slow!.errorType], [false, 'Timeout']);
  });

  test('a value that claims equality with everything does not pass', async () => {
    const cheat = "type('Yes', (), {'__eq__': lambda self, other: True, '__hash__': None})()";
    const verdict = await verifyOne(pool, { type: 'deduction', output: '4', answer: cheat });
    assert.deepEqual([verdict.correct, verdict.errorType], [false, 'NotALiteral']);
  });
});

describe('outputs: literal (default) or repr', () => {
  const faithful: [code: string, output: string][] = [
    ["def f(x):\n    return float('inf')", 'inf'],
    ['def f(x):\n    return ...', 'Ellipsis'],
    ["from collections import Counter\n\ndef f(x):\n    return Counter('aab')", "Counter({'a': 2, 'b': 1})"],
    ['from collections import deque\n\ndef f(x):\n    return deque([1, 2])', 'deque([1, 2])'],
  ];

  test('faithful reprs that are not literals are invalid by default, valid with outputs: repr', async () => {
    const proposals = faithful.map(([code]) => ({ code, input: '0' }));
    for (const verdict of await validate(pool, proposals))
      assertInvalid(verdict, 'NotALiteral', /not a Python literal/);
    const verdicts = await validate(pool, proposals, { outputs: 'repr' });
    assert.deepEqual(
      verdicts.map((verdict) => verdict.output),
      faithful.map(([, output]) => output),
    );
  });

  test('with outputs: repr, answers and gold outputs are compared as those values', async () => {
    const options = { outputs: 'repr' as const };
    const [counter, inf, wrong] = await verify(
      pool,
      [
        { type: 'deduction', output: "Counter({'a': 2, 'b': 1})", answer: "Counter('aba')" },
        { type: 'deduction', output: 'inf', answer: "float('inf')" },
        { type: 'deduction', output: 'inf', answer: '1e308' },
      ],
      options,
    );
    assert.deepEqual([counter!.correct, inf!.correct, wrong!.correct], [true, true, false]);
  });

  test('a defaultdict with a factory, an object, and a repr that is code stay invalid with outputs: repr', async () => {
    const hostileRepr =
      'class R:\n    def __repr__(self):\n        return "exec(\'x = 1\')"\n\ndef f(x):\n    return R()';
    const verdicts = await validate(
      pool,
      [
        'from collections import defaultdict\n\ndef f(x):\n    return defaultdict(list)',
        "class P:\n    def __repr__(self):\n        return 'P()'\n\ndef f(x):\n    return P()",
        hostileRepr,
      ].map((code) => ({ code, input: '0' })),
      { outputs: 'repr' },
    );
    for (const verdict of verdicts) assertInvalid(verdict, 'NotALiteral', /not a Python literal/);
  });
});
