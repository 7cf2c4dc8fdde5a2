import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { canonical, parseArguments, parseLiteral, plainEqual } from '../plugins/javascript/literal.ts';
import { JsPool } from '../plugins/javascript/pool.ts';
import { validateJs, validateJsOne } from '../plugins/javascript/validate.ts';
import { verifyJs } from '../plugins/javascript/verify.ts';

const pool = new JsPool({ size: 2 });
after(() => pool.close());

/** Hand-written programs with the canonical output (JSON, keys sorted) of f on the input. */
const programs: [name: string, code: string, input: string, output: string][] = [
  ['identity', 'function f(x) { return x; }', '"Hello World"', '"Hello World"'],
  ['reverse', "function f(s) { return s.split('').reverse().join(''); }", "'abc'", '"cba"'],
  ['upper', 'function f(s) { return s.toUpperCase() + "!"; }', "'hey'", '"HEY!"'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the program under test uses a template literal
  ['template', 'function f(name, age) { return `${name} is ${age}`; }', "'Ann', 30", '"Ann is 30"'],
  ['sum', 'function f(xs) { return xs.reduce((a, b) => a + b, 0); }', '[1, 2, 3, 4]', '10'],
  ['sort numbers', 'function f(xs) { return [...xs].sort((a, b) => a - b); }', '[3, 1, 2]', '[1,2,3]'],
  [
    'filter map',
    'function f(xs) { return xs.filter((x) => x % 2).map((x) => x * x); }',
    '[1, 2, 3, 4, 5]',
    '[1,9,25]',
  ],
  ['float', 'function f(a, b) { return a / b; }', '1, 4', '0.25'],
  ['negative zero', 'function f() { return -0; }', '', '0'],
  ['boolean', 'function f(s) { return s.includes("a"); }', '"banana"', 'true'],
  ['null', 'function f(o) { return o.missing ?? null; }', '{}', 'null'],
  ['object keys sorted', 'function f(a, b) { return { b: a, a: b }; }', '1, 2', '{"a":2,"b":1}'],
  [
    'counts',
    'function f(s) {\n  const c = {};\n  for (const ch of s) c[ch] = (c[ch] || 0) + 1;\n  return c;\n}',
    "'abca'",
    '{"a":2,"b":1,"c":1}',
  ],
  [
    'nested',
    'function f(o) { return { list: o.items.map((i) => ({ id: i, sq: i * i })), n: o.items.length }; }',
    '{items: [2, 3]}',
    '{"list":[{"id":2,"sq":4},{"id":3,"sq":9}],"n":2}',
  ],
  ['entries', 'function f(o) { return Object.entries(o).sort(); }', '{b: 2, a: 1}', '[["a",1],["b",2]]'],
  ['helper function', 'function sq(x) { return x * x; }\nfunction f(x) { return sq(x) + 1; }', '4', '17'],
  ['arrow const', 'const f = (x, y = 10) => x * y;', '3', '30'],
  [
    'class inside',
    'class P { constructor(x) { this.x = x; } d() { return this.x * 2; } }\nfunction f(x) { return new P(x).d(); }',
    '5',
    '10',
  ],
  ['recursion', 'function f(n) { return n <= 1 ? 1 : n * f(n - 1); }', '10', '3628800'],
  [
    'fibonacci memo',
    'function f(n) { const m = [0, 1]; for (let i = 2; i <= n; i++) m[i] = m[i - 1] + m[i - 2]; return m[n]; }',
    '30',
    '832040',
  ],
  ['string escapes', 'function f(s) { return s + "\\n\\t\\"q\\""; }', "'a'", '"a\\n\\t\\"q\\""'],
  ['unicode', 'function f(s) { return [...s].length; }', "'h\\u00e9\\u{1F600}'", '3'],
  ['regex', 'function f(s) { return s.replace(/[aeiou]/g, "*").match(/\\*/g).length; }', "'education'", '5'],
  [
    'map and set inside',
    'function f(xs) { return [...new Set(xs)].length + new Map([[1, 2]]).get(1); }',
    '[1, 1, 2, 3]',
    '5',
  ],
  [
    'json inside',
    'function f(o) { return JSON.parse(JSON.stringify(o)).a.b; }',
    '{a: {b: [true, null]}}',
    '[true,null]',
  ],
  [
    'fixed date',
    'function f() { return new Date(Date.UTC(2020, 0, 2)).toISOString().slice(0, 10); }',
    '',
    '"2020-01-02"',
  ],
  ['big int number', 'function f() { return 2 ** 60; }', '', '1152921504606847000'],
  ['exponent', 'function f() { return 1e21 * 3; }', '', '3e+21'],
  [
    'nested arrays',
    'function f(m) { return m.map((r) => r.reverse()); }',
    '[[1, 2], [3, 4], []]',
    '[[2,1],[4,3],[]]',
  ],
  ['trailing comma input', 'function f(a, b) { return [a, b]; }', '[1,], {x: 1,},', '[[1],{"x":1}]'],
];

describe('JavaScript validation: hand-written programs', () => {
  test(`${programs.length} programs give their known outputs`, async () => {
    assert.ok(programs.length >= 20);
    const results = await validateJs(
      pool,
      programs.map(([, code, input]) => ({ code, input })),
    );
    results.forEach((result, index) => {
      const [name, , , output] = programs[index]!;
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
    const cases: [code: string, input: string, errorType: string][] = [
      ['function f(x) { return x', '1', 'SyntaxError'],
      ['function g(x) { return x; }', '1', 'MissingFunction'],
      ['var f = 3;', '1', 'MissingFunction'],
      ['function f(x) { return x.y.z; }', '{}', 'TypeError'],
      ['function f(x) { return x; }', 'x + 1', 'MalformedInput'],
      ['function f(x) { return x; }', "'a'.repeat(3)", 'MalformedInput'],
      ['function f(x) { return x; }', 'undefined', 'MalformedInput'],
      ['function f(x) { return x; }', 'NaN', 'MalformedInput'],
      ['function f(x) { return x; }', '[1,,2]', 'MalformedInput'],
      ['function f(x) { return x; }', '{__proto__: {a: 1}}', 'MalformedInput'],
      ['function f(x) { return x; }', "'unterminated", 'MalformedInput'],
      ['function f() {}', '', 'NotPlainData'],
      ['function f() { return 1 / 0; }', '', 'NotPlainData'],
      ['function f() { return [1, , 3]; }', '', 'NotPlainData'],
      ['function f() { return new Map(); }', '', 'NotPlainData'],
      ['function f() { return { get a() { return 1; } }; }', '', 'NotPlainData'],
      ['function f() { return 10n; }', '', 'NotPlainData'],
      ['function f() { return "x".repeat(401); }', '', 'OutputTooLong'],
      ['function f() { return Array(300).fill(1); }', '', 'OutputTooLong'],
      ['function f() { throw new RangeError("no"); }', '', 'RangeError'],
    ];
    const results = await validateJs(
      pool,
      cases.map(([code, input]) => ({ code, input })),
    );
    results.forEach((result, index) => {
      const [code, input, errorType] = cases[index]!;
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
  test('deduction compares values: 1.0 equals 1, key order and quotes do not matter', async () => {
    const gold = '{"a":[1,"x"],"b":null}';
    const results = await verifyJs(pool, [
      { type: 'deduction', output: gold, answer: "{b: null, a: [1.0, 'x']}" },
      { type: 'deduction', output: '1', answer: '1.0' },
      { type: 'deduction', output: gold, answer: '{"a":[1,"x"],"b":0}' },
      { type: 'deduction', output: '"1"', answer: '1' },
      { type: 'deduction', output: gold, answer: '{a: [1, x]}' },
      { type: 'deduction', output: gold, answer: 'f(1)' },
    ]);
    assert.deepEqual(
      results.map((r) => [r.correct, r.malformed]),
      [
        [true, false],
        [true, false],
        [false, false],
        [false, false],
        [false, true],
        [false, true],
      ],
    );
    assert.equal(results[2]!.errorType, null);
    assert.equal(results[4]!.errorType, 'MalformedAnswer');
  });

  test('abduction re-runs f on the proposed input; any input that works counts', async () => {
    const code = 'function f(a, b) { return { sum: a + b }; }';
    const results = await verifyJs(pool, [
      { type: 'abduction', code, output: '{"sum":5}', answer: '2, 3' },
      { type: 'abduction', code, output: '{"sum":5}', answer: '5, 0' },
      { type: 'abduction', code, output: '{"sum":5}', answer: '1, 1' },
      { type: 'abduction', code, output: '{"sum":5}', answer: '2; 3' },
      { type: 'abduction', code: 'function f(s) { return s.length; }', output: '3', answer: '5' },
      {
        type: 'abduction',
        code: 'function f(n) { return "z".repeat(n); }',
        output: '"zz"',
        answer: '100000',
      },
    ]);
    assert.deepEqual(
      results.map((r) => [r.correct, r.malformed, r.errorType]),
      [
        [true, false, null],
        [true, false, null],
        [false, false, null],
        [false, true, 'MalformedAnswer'],
        [false, false, 'NotPlainData'],
        [false, false, null],
      ],
    );
  });

  test('induction checks every hidden pair', async () => {
    const inputs = ['1', '2', '3'];
    const outputs = ['2', '4', '6'];
    const results = await verifyJs(pool, [
      { type: 'induction', inputs, outputs, answer: 'function f(x) { return x * 2; }' },
      { type: 'induction', inputs, outputs, answer: 'function f(x) { return x === 3 ? 7 : x * 2; }' },
      { type: 'induction', inputs, outputs, answer: 'function f(x) { return x * 2' },
      { type: 'induction', inputs, outputs, answer: 'function g(x) { return x * 2; }' },
      { type: 'induction', inputs, outputs, answer: 'function f(x) { throw new Error("no"); }' },
    ]);
    assert.deepEqual(
      results.map((r) => [r.correct, r.malformed]),
      [
        [true, false],
        [false, false],
        [false, true],
        [false, true],
        [false, false],
      ],
    );
    assert.match(results[1]!.reason!, /input 3: got 7, expected 6/);
    assert.match(results[2]!.reason!, /^candidate program: SyntaxError/);
  });

  test('bad items are answered, never thrown', async () => {
    const results = await verifyJs(pool, [
      { type: 'deduction', output: '1', answer: 5 as unknown as string },
      { type: 'nope', answer: '1' } as never,
      { type: 'induction', inputs: ['1'], outputs: [], answer: 'function f() {}' },
    ]);
    assert.deepEqual(
      results.map((r) => [r.correct, r.errorType]),
      [
        [false, 'MalformedAnswer'],
        [false, 'MalformedTask'],
        [false, 'MalformedTask'],
      ],
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
