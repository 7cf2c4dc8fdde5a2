// Hostile programs in the JavaScript sandbox: each is contained with a structured invalid result, and the pool
// keeps serving afterwards.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { JsPool } from '../plugins/javascript/pool.ts';
import { validateJs, validateJsOne } from '../plugins/javascript/validate.ts';
import type { ProposalVerdict } from '../src/wire/index.ts';
import { verifyJsOne } from '../plugins/javascript/verify.ts';

// One worker, so that consecutive jobs share a worker (and its QuickJS runtime) and any leak would show.
const pool = new JsPool({ size: 1, limits: { timeoutMs: 2000 } });
after(() => pool.close());

const SHORT = { timeoutMs: 400 };

async function check(code: string, input = '', timeoutMs = SHORT.timeoutMs): Promise<ProposalVerdict> {
  return validateJsOne(pool, { code, input }, { timeoutMs });
}

async function assertServing(): Promise<void> {
  const result = await check('function f(x) { return [x, typeof globalThis.x]; }', "'ok'", 2000);
  assert.equal(result.reason, null);
  assert.equal(result.output, '["ok","undefined"]');
}

function assertInvalid(result: ProposalVerdict, errorType: string | RegExp): void {
  assert.equal(result.valid, false);
  assert.equal(result.output, null);
  assert.equal(typeof result.reason, 'string');
  if (typeof errorType === 'string') assert.equal(result.errorType, errorType, result.reason ?? '');
  else assert.match(result.errorType ?? '', errorType, result.reason ?? '');
}

describe('JavaScript sandbox: hostile programs', () => {
  test('infinite loops stop at the CPU deadline, without killing the worker', async () => {
    const timeouts = pool.timeouts;
    // The in-VM deadline is 80 % of the wall deadline: 480 ms of 600.
    const check = (code: string) => validateJsOne(pool, { code, input: '' }, { timeoutMs: 600 });
    assertInvalid(await check('function f() { while (true) {} }'), 'Timeout');
    assertInvalid(
      await check('function f() { for (;;) { try { while (true) {} } catch (e) {} } }'),
      'Timeout',
    );
    assertInvalid(await check('while (true) {}\nfunction f() { return 1; }'), 'Timeout');
    assertInvalid(await check("function f() { return /(a+)+$/.test('a'.repeat(40) + 'b'); }"), 'Timeout');
    assert.equal(pool.timeouts, timeouts, 'no worker was terminated');
    await assertServing();
  });

  test('a long built-in call is stopped by terminating its worker', async () => {
    const timeouts = pool.timeouts;
    const replaced = new Promise((resolve) => pool.once('workerReplaced', resolve));
    // One sort call of 2e6 elements runs for seconds inside QuickJS's C code, where its interrupt handler is never
    // asked; everything before it is quick, so the in-VM deadline cannot fire first on a slow machine either.
    const result = await check('function f() { return Array(2e6).fill(0).sort().length; }');
    assertInvalid(result, 'Timeout');
    assert.match(result.reason!, /worker was terminated/);
    await replaced;
    assert.equal(pool.timeouts, timeouts + 1);
    await assertServing();
  });

  test('huge allocations by built-ins hit the heap limit', async () => {
    assertInvalid(await check("function f() { return 'x'.repeat(2 ** 28).length; }"), /MemoryError|Timeout/);
    assertInvalid(
      await check('function f() { return Array(1e8).fill(0).sort().length; }'),
      /MemoryError|Timeout/,
    );
    await assertServing();
  });

  test('memory bombs hit the heap limit', async () => {
    assertInvalid(
      await check("function f() { const a = []; for (;;) a.push('x'.repeat(1000) + a.length); }", '', 2000),
      /MemoryError|Timeout/,
    );
    assertInvalid(
      await check('function f() { let s = "ab"; for (;;) s = s + s; }', '', 2000),
      /MemoryError|Timeout/,
    );
    assertInvalid(
      await check('function f() { return new ArrayBuffer(2 ** 30).byteLength; }', '', 2000),
      /MemoryError|RangeError/,
    );
    await assertServing();
  });

  test('deep recursion hits the stack limit', async () => {
    assertInvalid(await check('function f(n) { return f(n + 1) + 1; }', '0', 2000), 'RecursionError');
    assertInvalid(
      await check(
        'function g(n) { return h(n) } function h(n) { return [g(n + 1)] }\nfunction f() { return g(0); }',
        '',
        2000,
      ),
      'RecursionError',
    );
    assertInvalid(
      await check(
        'function f() { const a = []; let c = a; for (let i = 0; i < 1e5; i++) { c[0] = []; c = c[0]; } return JSON.stringify(a).length; }',
        '',
        // JSON.stringify's cycle check is quadratic in the depth: reaching the stack limit takes ~2 s on a slow
        // 2-core machine, so this case gets a deadline that only a broken limit could reach.
        8000,
      ),
      /RecursionError|InternalError|RangeError/,
    );
    assertInvalid(
      await check(
        'function f() { const o = {}; let c = o; for (let i = 0; i < 1000; i++) { c.a = {}; c = c.a; } return o; }',
        '',
        2000,
      ),
      'NotPlainData',
    );
    await assertServing();
  });

  test('the host is out of reach: process, require, globalThis, import(), eval and Function tricks', async () => {
    const probes: [code: string, output: string][] = [
      [
        'function f() { return [typeof process, typeof require, typeof module, typeof Buffer, typeof console, typeof setTimeout, typeof fetch]; }',
        '["undefined","undefined","undefined","undefined","undefined","undefined","undefined"]',
      ],
      [
        'function f() { return Object.getOwnPropertyNames(globalThis).filter((n) => /process|require|import|std|os|Deno|Bun|node/i.test(n)); }',
        '[]',
      ],
      ["function f() { return typeof Function('return this')().process; }", '"undefined"'],
      ["function f() { return (0, eval)('typeof process + typeof require'); }", '"undefinedundefined"'],
      ["function f() { return f.constructor('return typeof globalThis.process')(); }", '"undefined"'],
      ["function f() { return ({}).constructor.constructor('return typeof require')(); }", '"undefined"'],
      ['function f() { return typeof WebAssembly + typeof importScripts; }', '"undefinedundefined"'],
    ];
    const results = await validateJs(
      pool,
      probes.map(([code]) => ({ code, input: '' })),
      SHORT,
    );
    results.forEach((result, index) => {
      assert.equal(result.reason, null, probes[index]![0]);
      assert.equal(result.output, probes[index]![1], probes[index]![0]);
    });
    assertInvalid(
      await check("function f() { return require('fs').readFileSync('/etc/passwd', 'utf8'); }"),
      'ReferenceError',
    );
    assertInvalid(await check('function f() { return process.exit(1); }'), 'ReferenceError');
    assertInvalid(await check("import fs from 'fs';\nfunction f() { return 1; }"), 'SyntaxError');
    assertInvalid(await check("function f() { return import('fs'); }"), 'NotPlainData');
    assertInvalid(
      await check("async function f() { return (await import('node:child_process')).execSync('id'); }"),
      'NotPlainData',
    );
    assertInvalid(
      await check("function f() { return globalThis.constructor.constructor('return process')().pid; }"),
      'ReferenceError',
    );
    await assertServing();
  });

  test('prototype pollution and replaced built-ins do not leak into the next job', async () => {
    const polluter = `Object.prototype.x = 1;
Array.prototype.polluted = true;
Object.prototype.toJSON = function () { return "forged"; };
JSON.stringify = () => "forged";
JSON.parse = () => ["forged"];
Array.prototype.sort = function () { return this; };
Set.prototype.has = () => false;
Reflect.apply = () => "forged";
Object.getPrototypeOf = () => null;
globalThis.leak = 42;
function f(o) { return { b: o.a, a: [1, 2], x: ({}).x }; }`;
    const first = await check(polluter, '{a: "in"}', 2000);
    // The polluted job's own output is still read by the trusted serializer, not the replaced built-ins.
    assert.equal(first.reason, null);
    assert.equal(first.output, '{"a":[1,2],"b":"in","x":1}');
    const second = await check(
      'function f() { return [({}).x ?? null, [].polluted ?? null, typeof globalThis.leak, JSON.stringify({ a: 1 }), [2, 1].sort()]; }',
      '',
      2000,
    );
    assert.equal(second.reason, null);
    assert.equal(second.output, '[null,null,"undefined","{\\"a\\":1}",[1,2]]');
    assertInvalid(
      await check(
        'Object.defineProperty(Object.prototype, "get", { value: () => 1 });\nfunction f() { return { a: 1 }; }'.replace(
          'return { a: 1 }',
          'return Object.create({ inherited: 1 })',
        ),
      ),
      'NotPlainData',
    );
    await assertServing();
  });

  test('thrown non-Error values are described, never crash the sandbox', async () => {
    const cases: [code: string, errorType: string | RegExp][] = [
      ['function f() { throw 42; }', 'ThrownValue'],
      ['function f() { throw null; }', 'ThrownValue'],
      ['function f() { throw undefined; }', 'ThrownValue'],
      ["function f() { throw 'a string'; }", 'ThrownValue'],
      ["function f() { throw Symbol('s'); }", 'ThrownValue'],
      ['function f() { throw { toString() { while (true) {} } }; }', 'ThrownValue'],
      [
        'function f() { throw new Proxy({}, { get() { throw 1; }, getPrototypeOf() { throw 2; } }); }',
        'ThrownValue',
      ],
      [
        'function f() { const e = new Error("x"); Object.defineProperty(e, "name", { get() { while (true) {} } }); throw e; }',
        'Timeout',
      ],
      [
        'function f() { const e = new TypeError("m"); e.name = { toString() { return "Evil"; } }; throw e; }',
        'Error',
      ],
      ['function f() { throw Object.create(Error.prototype); }', 'Error'],
      ['function f() { throw function g() {}; }', 'ThrownValue'],
    ];
    for (const [code, errorType] of cases) assertInvalid(await check(code), errorType);
    await assertServing();
  });

  test('functions, symbols, cyclic objects and exotic values are not plain data', async () => {
    const cases = [
      'function f() { return function () {}; }',
      'function f() { return Symbol("s"); }',
      'function f() { return [1, Symbol.iterator]; }',
      'function f() { const a = { b: {} }; a.b.c = a; return a; }',
      'function f() { const a = []; a.push(a); return a; }',
      'function f() { return { [Symbol("k")]: 1 }; }',
      'function f() { return new (class P {})(); }',
      'function f() { return new Proxy({}, {}); }'.replace(
        'new Proxy({}, {})',
        'new Proxy([], { getPrototypeOf() { return Object.prototype; } })',
      ),
      'function f() { return NaN; }',
      'function f() { return [undefined]; }',
      'function f() { return new Uint8Array(3); }',
      'function f() { return Object.defineProperty({}, "a", { value: 1, enumerable: false }); }',
      'function f() { return JSON.parse(\'{"__proto__": 1}\'); }',
      'function f() { return Promise.resolve(1); }',
      'function f() { return new Error("e"); }',
    ];
    const results = await validateJs(
      pool,
      cases.map((code) => ({ code, input: '' })),
      SHORT,
    );
    for (const result of results) assertInvalid(result, /NotPlainData/);
    assert.ok(results.every((r) => r.reason!.length <= 400));
    await assertServing();
  });

  test('gigantic outputs are refused early', async () => {
    const cases = [
      "function f() { return 'x'.repeat(1e7); }",
      'function f() { return Array(1e6).fill(0); }',
      'function f() { const o = {}; for (let i = 0; i < 1e5; i++) o["k" + i] = i; return o; }',
      'function f() { return Array.from({ length: 100 }, () => "x".repeat(100)); }',
    ];
    for (const code of cases) assertInvalid(await check(code, '', 2000), 'OutputTooLong');
    const abduction = await verifyJsOne(pool, {
      type: 'abduction',
      code: "function f(n) { return 'x'.repeat(n); }",
      output: '"xx"',
      answer: '10000000',
    });
    assert.equal(abduction.correct, false);
    assert.equal(abduction.malformed, false);
    await assertServing();
  });

  test('verification contains hostile answers the same way', async () => {
    const abduction = await verifyJsOne(
      pool,
      { type: 'abduction', code: 'function f(x) { while (true) {} }', output: '1', answer: '1' },
      SHORT,
    );
    assert.deepEqual(
      [abduction.correct, abduction.malformed, abduction.errorType],
      [false, false, 'Timeout'],
    );
    const induction = await verifyJsOne(
      pool,
      {
        type: 'induction',
        inputs: ['1'],
        outputs: ['1'],
        answer: 'function f() { return Array(2e6).fill(0).map((_, i) => (i * 7919) % 2e6).sort().length; }',
      },
      SHORT,
    );
    assert.deepEqual(
      [induction.correct, induction.malformed, induction.errorType],
      [false, false, 'Timeout'],
    );
    const deduction = await verifyJsOne(pool, {
      type: 'deduction',
      output: '1',
      answer: '['.repeat(100000) + ']'.repeat(100000),
    });
    assert.deepEqual([deduction.correct, deduction.malformed], [false, true]);
    await assertServing();
  });

  test('a job on a terminated worker does not hold up the jobs beside it', async () => {
    const wide = new JsPool({ size: 2, limits: { timeoutMs: 2000 } });
    try {
      const slow = validateJsOne(
        wide,
        {
          code: 'function f() { return Array(2e6).fill(0).map((_, i) => (i * 7919) % 2e6).sort().length; }',
          input: '',
        },
        SHORT,
      );
      const quick = await validateJs(
        wide,
        Array.from({ length: 20 }, (_, i) => ({ code: 'function f(n) { return n * 2; }', input: String(i) })),
      );
      assert.ok(quick.every((r, i) => r.valid && r.output === String(i * 2)));
      assertInvalid(await slow, 'Timeout');
      const again = await validateJsOne(wide, { code: 'function f() { return 1; }', input: '' });
      assert.equal(again.output, '1');
    } finally {
      await wide.close();
    }
  });
});
