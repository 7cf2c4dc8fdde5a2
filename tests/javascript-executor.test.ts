import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { canonical, parseArguments, parseLiteral, plainEqual } from '../plugins/javascript/literal.ts';
import { JsPool } from '../plugins/javascript/pool.ts';
import { validateJs, validateJsOne } from '../plugins/javascript/validate.ts';
import { verifyJs } from '../plugins/javascript/verify.ts';
import type { BuiltinCheck } from '../src/wire/index.ts';
import {
  assertMalformedAnswered,
  assertVerdicts,
  type ProgramFixture,
  readFixture,
} from './helpers/executor.ts';

const pool = new JsPool({ size: 2 });
after(() => pool.close());

/** Hand-written programs with the canonical output (JSON, keys sorted) of f on the input. */
const programs = readFixture<ProgramFixture>('javascript/programs.jsonl');
/** Programs that are not valid tasks, with the reason's error type. */
const invalid = readFixture<{ code: string; input: string; errorType: string }>('javascript/invalid.jsonl');

describe('JavaScript validation: hand-written programs', () => {
  test(`${programs.length} programs give their known outputs`, async () => {
    assert.ok(programs.length >= 20);
    const results = await validateJs(pool, programs);
    results.forEach((result, index) => {
      const { id: name, output } = programs[index]!;
      assert.equal(result.reason, null, `${name}: ${result.reason}`);
      assert.equal(result.valid, true, name);
      assert.equal(result.output, output, name);
      assert.equal(result.outputs, null);
      assert.equal(result.errorType, null);
      assert.ok(result.durationMs >= 0);
    });
  });

  test('induction proposals: every input, in order', async () => {
    const inputs = Array.from({ length: 10 }, (_, i) => `${i}, 'x'`);
    const result = await validateJsOne(pool, {
      code: 'function f(n, s) { return s.repeat(n); }',
      inputs,
      message: 'repeat',
    });
    assert.equal(result.valid, true, result.reason ?? '');
    assert.equal(result.output, null);
    assert.deepEqual(
      result.outputs,
      inputs.map((_, i) => JSON.stringify('x'.repeat(i))),
    );
    const short = await validateJsOne(pool, {
      code: 'function f(n) { return n; }',
      inputs: ['1'],
      message: 'm',
    });
    assert.equal(short.errorType, 'WrongInputCount');
    const noMessage = await validateJsOne(pool, {
      code: 'function f(n) { return n; }',
      inputs: inputs.map(String),
      message: ' ',
    });
    assert.equal(noMessage.errorType, 'MissingMessage');
  });

  test('programs that are not valid tasks', async () => {
    const results = await validateJs(pool, invalid);
    results.forEach((result, index) => {
      const { code, input, errorType } = invalid[index]!;
      assert.equal(result.valid, false, code);
      assert.equal(result.errorType, errorType, `${code} on ${input}: ${result.reason}`);
      assert.equal(typeof result.reason, 'string');
      assert.equal(result.output, null);
    });
  });

  test('an output of exactly 400 chars is accepted, 401 rejected', async () => {
    const [at, over] = await validateJs(pool, [
      { code: 'function f(n) { return "y".repeat(n); }', input: '398' },
      { code: 'function f(n) { return "y".repeat(n); }', input: '399' },
    ]);
    assert.equal(at!.valid, true);
    assert.equal(at!.output!.length, 400);
    assert.equal(over!.errorType, 'OutputTooLong');
  });
});

describe('JavaScript validation: determinism', () => {
  test('Math.random and the clock make a proposal invalid', async () => {
    const results = await validateJs(pool, [
      { code: 'function f() { return Math.random(); }', input: '' },
      { code: 'function f() { return Date.now() % 2; }', input: '' },
      { code: 'function f() { return new Date().getFullYear(); }', input: '' },
      { code: 'function f() { return Date(); }', input: '' },
      { code: 'function f() { try { Math.random(); } catch {} return 1; }', input: '' },
      { code: 'const seed = Date.now();\nfunction f() { return 1; }', input: '' },
    ]);
    for (const result of results) {
      assert.equal(result.valid, false);
      assert.equal(result.errorType, 'Nondeterministic', result.reason ?? '');
      assert.match(result.reason!, /not available: programs must be deterministic/);
    }
  });

  test('state kept across runs cannot make two runs differ (fresh contexts)', async () => {
    const result = await validateJsOne(pool, {
      code: 'globalThis.n = (globalThis.n || 0) + 1;\nfunction f() { return globalThis.n; }',
      input: '',
    });
    assert.equal(result.valid, true);
    assert.equal(result.output, '1');
  });
});

describe('JavaScript verification: the three answer kinds', () => {
  const check = (batch: BuiltinCheck[]) => verifyJs(pool, batch);

  test('deduction compares values: 1.0 equals 1, key order and quotes do not matter', async () => {
    const gold = '{"a":[1,"x"],"b":null}';
    const deduction = (answer: string, output = gold): BuiltinCheck => ({
      type: 'deduction',
      output,
      answer,
    });
    await assertVerdicts(check, [
      [deduction("{b: null, a: [1.0, 'x']}"), true, false],
      [deduction('1.0', '1'), true, false],
      [deduction('{"a":[1,"x"],"b":0}'), false, false, null],
      [deduction('1', '"1"'), false, false],
      [deduction('{a: [1, x]}'), false, true, 'MalformedAnswer'],
      [deduction('f(1)'), false, true],
    ]);
  });

  test('abduction re-runs f on the proposed input; any input that works counts', async () => {
    const abduction = (
      answer: string,
      output = '{"sum":5}',
      code = 'function f(a, b) { return { sum: a + b }; }',
    ): BuiltinCheck => ({ type: 'abduction', code, output, answer });
    await assertVerdicts(check, [
      [abduction('2, 3'), true, false, null],
      [abduction('5, 0'), true, false, null],
      [abduction('1, 1'), false, false, null],
      [abduction('2; 3'), false, true, 'MalformedAnswer'],
      [abduction('5', '3', 'function f(s) { return s.length; }'), false, false, 'NotPlainData'],
      [abduction('100000', '"zz"', 'function f(n) { return "z".repeat(n); }'), false, false, null],
    ]);
  });

  test('induction checks every hidden pair', async () => {
    const hidden = { inputs: ['1', '2', '3'], outputs: ['2', '4', '6'] };
    const induction = (answer: string): BuiltinCheck => ({ type: 'induction', ...hidden, answer });
    const results = await assertVerdicts(check, [
      [induction('function f(x) { return x * 2; }'), true, false],
      [induction('function f(x) { return x === 3 ? 7 : x * 2; }'), false, false],
      [induction('function f(x) { return x * 2'), false, true],
      [induction('function g(x) { return x * 2; }'), false, true],
      [induction('function f(x) { throw new Error("no"); }'), false, false],
    ]);
    assert.match(results[1]!.reason!, /input 3: got 7, expected 6/);
    assert.match(results[2]!.reason!, /^candidate program: SyntaxError/);
  });

  test('malformed proposals and answer checks are answered, never thrown', async () => {
    await assertMalformedAnswered(
      (batch) => validateJs(pool, batch),
      (batch) => verifyJs(pool, batch),
    );
  });
});

describe('JavaScript literals', () => {
  test('parse, canonical text and value equality', () => {
    const parsed = parseArguments(" 'a\\'b', -1.50, {z: [true, null], 'y': \"q\", 3: 0x10}, ");
    assert.ok(parsed.ok);
    assert.equal(canonical(parsed.value), '["a\'b",-1.5,{"3":16,"y":"q","z":[true,null]}]');
    assert.deepEqual(parseArguments(''), { ok: true, value: [] });
    for (const bad of [
      '1 2',
      '[1',
      '{a}',
      'a',
      '-',
      '01',
      '1e999',
      "'a\nb'",
      '"\\1"',
      '['.repeat(100) + ']'.repeat(100),
    ]) {
      assert.equal(parseLiteral(bad).ok, false, bad);
    }
    const a = parseLiteral('{a: 1, b: [1, {c: 2}]}');
    const b = parseLiteral('{"b": [1.0, {"c": 2e0}], "a": 1}');
    assert.ok(a.ok && b.ok && plainEqual(a.value, b.value));
    const c = parseLiteral('{"b": [1, {"c": 2}, 3], "a": 1}');
    assert.ok(a.ok && c.ok && !plainEqual(a.value, c.value));
  });
});
