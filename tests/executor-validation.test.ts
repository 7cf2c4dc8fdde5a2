import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { PythonPool, validate, validateOne, verify } from '../src/executor/index.ts';
import type { ProposalVerdict } from '../src/wire/index.ts';
import { assertMalformedAnswered, type ProgramFixture, readFixture } from './helpers/executor.ts';

const fixtures = readFixture<ProgramFixture>('executor/cruxeval-style.jsonl');

const pool = new PythonPool({ size: 2, limits: { timeoutMs: 2000 } });
after(() => pool.close());

const check = (code: string, input: string) => validateOne(pool, { code, input });

function assertInvalid(result: ProposalVerdict, errorType: string, reason?: RegExp): void {
  assert.equal(result.valid, false, `expected invalid (${errorType}), got ${JSON.stringify(result)}`);
  assert.equal(result.output, null);
  assert.equal(result.errorType, errorType, JSON.stringify(result));
  if (reason) assert.match(result.reason ?? '', reason);
}

describe('validation of CRUXEval-style programs', () => {
  test(`${fixtures.length} programs give their known outputs, in order`, async () => {
    assert.ok(fixtures.length >= 50);
    const results = await validate(pool, fixtures);
    for (const [index, fixture] of fixtures.entries()) {
      const result = results[index];
      assert.equal(result.valid, true, `${fixture.id}: ${result.reason}`);
      assert.equal(result.output, fixture.output, fixture.id);
      assert.equal(result.reason, null);
      assert.ok(result.durationMs >= 0);
    }
  });
});

describe('docs/azr.md §3 checks', () => {
  test('syntax errors, programs without f, and __import__ or importlib wherever they appear are invalid', async () => {
    const cases: [code: string, input: string, errorType: string, reason?: RegExp][] = [
      ['def f(x)\n    return x', '1', 'SyntaxError', /line 1/],
      ['def g(x):\n    return x', '1', 'MissingFunction'],
      ['f = lambda x: x', '1', 'MissingFunction'],
      ['def f(x):\n    return x\nf = 3', '1', 'MissingFunction'],
      ["def f(x):\n    return __import__('math').sqrt(x)", '4', 'BannedImport', /__import__/],
      ["def f(x):\n    return importlib.import_module('math')", '4', 'BannedImport'],
      ["def f(x):\n    return __builtins__.__import__('math')", '4', 'BannedImport'],
    ];
    for (const [code, input, errorType, reason] of cases)
      assertInvalid(await check(code, input), errorType, reason);
  });

  test('helpers: nested and top-level helpers allowed by default; allowHelpers false rejects top-level ones', async () => {
    const program =
      'def double(x):\n    return 2 * x\n\ndef f(x):\n    def inc(y):\n        return y + 1\n    return inc(double(x))';
    assert.equal((await check(program, '4')).output, '9');
    const strict = await validateOne(pool, { code: program, input: '4' }, { allowHelpers: false });
    assertInvalid(strict, 'HelperNotAllowed');
    const nestedOnly = 'def f(x):\n    def inc(y):\n        return y + 1\n    return inc(x)';
    assert.equal(
      (await validateOne(pool, { code: nestedOnly, input: '4' }, { allowHelpers: false })).output,
      '5',
    );
  });

  test('banned imports: every component of dotted names, import os included', async () => {
    const banned = [
      'import os',
      'import os.path',
      'from os import path',
      'from os.path import join',
      'import sys',
      'from sys import exit',
      'import random',
      'import time as clock',
      'from datetime import date',
      'import logging.handlers',
      'import xml.dom, hashlib',
    ];
    for (const header of banned) {
      assertInvalid(await check(`${header}\ndef f(x):\n    return x`, '1'), 'BannedImport', /banned import/);
    }
    const inside = await check('def f(x):\n    import random\n    return random.random()', '1');
    assertInvalid(inside, 'BannedImport');
  });

  test('imports outside the list are allowed; the list is an option', async () => {
    const code =
      'import math\nfrom collections import deque\ndef f(x):\n    return math.floor(x), list(deque([1]))';
    assert.equal((await check(code, '2.5')).output, '(2, [1])');
    const custom = await validateOne(pool, { code, input: '2.5' }, { bannedModules: ['collections'] });
    assertInvalid(custom, 'BannedImport', /collections/);
    const permissive = await validateOne(
      pool,
      { code: 'import random\ndef f(x):\n    return x', input: '1' },
      { bannedModules: [] },
    );
    assert.equal(permissive.output, '1');
  });

  test('runtime errors are invalid with the exception type', async () => {
    assertInvalid(await check('def f(x):\n    return x / 0', '1'), 'ZeroDivisionError', /division by zero/);
    assertInvalid(await check('def f(x):\n    return x[10]', '[1]'), 'IndexError');
    assertInvalid(await check('def f(x, y):\n    return x', '1'), 'TypeError');
  });

  test('determinism: f(i) run twice with fresh globals must agree', async () => {
    // Module objects outlive a run's globals, so state kept on one makes the second run differ.
    const counter =
      'import math\ndef f(x):\n    math.azr_calls = getattr(math, "azr_calls", 0) + 1\n    return math.azr_calls';
    assertInvalid(await check(counter, '0'), 'Nondeterministic');
    // Fresh globals each run: a global counter starts over, so this one is deterministic.
    const globalCounter = 'calls = [0]\ndef f(x):\n    calls[0] += 1\n    return calls[0]';
    assert.equal((await check(globalCounter, '0')).output, '1');
    // Mutating the input does not leak into the second run either (fresh copy of the arguments).
    assert.equal((await check('def f(xs):\n    xs.append(len(xs))\n    return xs', '[7]')).output, '[7, 1]');
  });

  test('output must be a Python literal that round-trips, at most 400 chars (rejected, not truncated)', async () => {
    assertInvalid(await check('def f(x):\n    return object()', '1'), 'Nondeterministic');
    assertInvalid(await check('def f(x):\n    return f', '1'), 'Nondeterministic');
    assertInvalid(await check("def f(x):\n    return float('nan')", '1'), 'NotALiteral');
    assertInvalid(await check('def f(x):\n    return range(x)', '3'), 'NotALiteral');
    assertInvalid(
      await check("def f(x):\n    return 'a' * x", '399'),
      'OutputTooLong',
      /401 chars \(limit 400\)/,
    );
    assert.equal((await check("def f(x):\n    return 'a' * x", '398')).output?.length, 400);
    const longer = await validateOne(
      pool,
      { code: "def f(x):\n    return 'a' * x", input: '399' },
      { maxOutputChars: 500 },
    );
    assert.equal(longer.valid, true);
  });

  test('inputs must be argument lists (positional and keyword), without unpacking', async () => {
    assert.equal((await check('def f(a, b=0):\n    return a - b', '10, b=3')).output, '7');
    assert.equal((await check('def f(a):\n    return a', 'len([1])')).output, '1');
    const literalsOnly = await validateOne(
      pool,
      { code: 'def f(a):\n    return a', input: 'len([1])' },
      { expressions: 'literals' },
    );
    assertInvalid(literalsOnly, 'MalformedInput', /not made of Python literals/);
    assertInvalid(await check('def f(a):\n    return a', '1), (2'), 'MalformedInput');
    assertInvalid(await check('def f(a):\n    return a', '*[1]'), 'MalformedInput');
    assertInvalid(await check('def f(a):\n    return a', '1,,'), 'MalformedInput');
  });

  test('malformed proposals and answer checks are answered, never thrown', async () => {
    await assertMalformedAnswered(
      (batch) => validate(pool, batch),
      (batch) => verify(pool, batch),
    );
  });
});

describe('induction proposals', () => {
  const inputs = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'];
  const code = 'def f(n):\n    return n * n - 1';

  test('N valid inputs and a message give one output per input', async () => {
    const result = await validateOne(pool, { code, inputs, message: 'squares minus one' });
    assert.equal(result.valid, true, result.reason ?? '');
    assert.deepEqual(result.outputs, ['0', '3', '8', '15', '24', '35', '48', '63', '80', '99']);
    assert.equal(result.output, null);
  });

  test('wrong input count, missing message, or one bad input make it invalid', async () => {
    assertInvalid(
      await validateOne(pool, { code, inputs: inputs.slice(1), message: 'm' }),
      'WrongInputCount',
    );
    assert.equal(
      (await validateOne(pool, { code, inputs: ['1', '2'], message: 'm' }, { inductionInputs: 2 })).valid,
      true,
    );
    assertInvalid(await validateOne(pool, { code, inputs, message: '  ' }), 'MissingMessage');
    const bad = [...inputs.slice(0, 9), "'x'"];
    assertInvalid(await validateOne(pool, { code, inputs: bad, message: 'm' }), 'TypeError', /^input 10: /);
  });
});
