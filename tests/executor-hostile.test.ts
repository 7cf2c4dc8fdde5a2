// Hostile programs: each must end as a structured result, the pool must keep serving, and nothing
// outside the sandbox may change (a canary file in a host temp dir is watched).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { PythonPool, validate, validateOne, verify } from '../src/executor/index.ts';
import { withPool } from './helpers/executor.ts';
import type { ProposalVerdict } from '../src/wire/index.ts';

const canaryDir = mkdtempSync(join(tmpdir(), 'azr-canary-'));
const canaryPath = join(canaryDir, 'canary.txt');
const canaryText = `canary ${process.pid} ${Date.now()}\n`;
writeFileSync(canaryPath, canaryText);
const canaryMtime = statSync(canaryPath).mtimeMs;
const repoFile = fileURLToPath(new URL('../package.json', import.meta.url));

/** The os module, reached without any import statement (the AST check cannot see this). */
const OS =
  "[c for c in ().__class__.__mro__[1].__subclasses__() if c.__name__ == '_wrap_close'][0].__init__.__globals__";

type Expectation =
  | { valid: false; errorType: string | RegExp; reason?: RegExp }
  | { valid: true; output: string }
  | { structured: true };

interface Hostile {
  name: string;
  body: string;
  expect: Expectation;
}

const invalid = (errorType: string | RegExp, reason?: RegExp): Expectation => ({
  valid: false,
  errorType,
  reason,
});

const HOSTILE: Hostile[] = [
  { name: 'infinite loop', body: 'while True:\n    pass', expect: invalid('Timeout') },
  {
    name: 'infinite loop that swallows every exception',
    body: 'while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass',
    expect: invalid('Timeout'),
  },
  {
    name: 'huge pow (C-level hang)',
    body: 'return 7 ** (10 ** 8)',
    expect: invalid(/^(Timeout|MemoryError)$/),
  },
  {
    name: 'catastrophic regex (C-level hang)',
    body: "import re\nreturn re.match(r'(a+)+$', 'a' * 64 + 'b')",
    expect: invalid('Timeout'),
  },
  { name: 'memory bomb, one allocation', body: 'return [0] * (10 ** 10)', expect: invalid('MemoryError') },
  {
    name: 'memory bomb, gradual',
    body: 'chunks = []\nwhile True:\n    chunks.append(bytearray(10 ** 6))',
    expect: invalid('MemoryError'),
  },
  {
    name: 'fork bomb',
    body: `os = ${OS}\nwhile True:\n    os['fork']()`,
    expect: invalid(/^(BlockingIOError|InterpreterModified|Timeout)$/),
  },
  {
    name: 'forked child left running',
    body: `os = ${OS}\nif os['fork']() == 0:\n    while True:\n        pass\nreturn 1`,
    expect: invalid('InterpreterModified', /processes/),
  },
  { name: 'deep recursion', body: 'return f(x + 1)', expect: invalid('RecursionError') },
  {
    name: 'deeply nested result',
    body: 'r = []\nfor _ in range(100000):\n    r = [r]\nreturn r',
    expect: invalid('UnreprableOutput', /RecursionError/),
  },
  { name: 'gigantic output', body: "return 'x' * (10 ** 7)", expect: invalid('OutputTooLong') },
  {
    name: 'printing to stdout',
    body: "print('noise ' * 100000)\nreturn 'quiet'",
    expect: { valid: true, output: "'quiet'" },
  },
  {
    name: 'writing to fds 1 and 2 directly',
    body: `os = ${OS}\nos['write'](1, b'\\x00\\x00\\x00\\x02{}')\nos['write'](2, b'\\xff' * 100000)\nreturn 'quiet'`,
    expect: { valid: true, output: "'quiet'" },
  },
  { name: 'reading stdin with input()', body: 'return input()', expect: invalid('EOFError') },
  {
    name: 'reading fd 0 (cannot see the protocol)',
    body: `os = ${OS}\nreturn os['read'](0, 4096)`,
    expect: { valid: true, output: "b''" },
  },
  // open(0) closes fd 0 when the file object dies, so the determinism run finds it closed.
  { name: 'closing stdin', body: 'return open(0).read()', expect: invalid('OSError', /Bad file descriptor/) },
  {
    name: 'forging protocol frames on every fd',
    body: `os = ${OS}\nfor fd in range(3, 16):\n    try:\n        os['write'](fd, b'\\x00\\x00\\x00\\x02{}')\n    except OSError:\n        pass\nreturn 1`,
    expect: invalid('WorkerCrashed', /protocol/),
  },
  {
    name: 'writing outside /tmp',
    body: "open('/usr/azr-escape', 'w').write('x')",
    expect: invalid(/Error$/),
  },
  {
    name: 'overwriting the canary',
    body: `open(${JSON.stringify(canaryPath)}, 'w').write('pwned')`,
    expect: invalid('FileNotFoundError'),
  },
  {
    name: 'deleting the canary through os',
    body: `os = ${OS}\nos['unlink'](${JSON.stringify(canaryPath)})`,
    expect: invalid('FileNotFoundError'),
  },
  {
    name: 'reading /etc/passwd',
    body: "return open('/etc/passwd').read()",
    expect: invalid('FileNotFoundError'),
  },
  {
    name: 'reading the project',
    body: `return open(${JSON.stringify(repoFile)}).read()`,
    expect: invalid('FileNotFoundError'),
  },
  {
    name: 'listing the root directory shows only the sandbox',
    body: `os = ${OS}\nreturn sorted(os['listdir']('/'))`,
    expect: { valid: true, output: "['bin', 'dev', 'etc', 'lib', 'lib64', 'proc', 'tmp', 'usr']" },
  },
  {
    name: 'network',
    body: "import urllib.request\nreturn urllib.request.urlopen('http://1.1.1.1', timeout=2).read()",
    expect: invalid('URLError', /unreachable/i),
  },
  { name: 'importing socket', body: 'import socket\nreturn 1', expect: invalid('ImportError') },
  {
    name: 'SIGKILL to the parent',
    body: `os = ${OS}\nos['kill'](os['getppid'](), 9)\ntry:\n    os['kill'](-1, 9)\nexcept ProcessLookupError:\n    pass\nreturn 'alive'`,
    expect: { valid: true, output: "'alive'" },
  },
  {
    name: 'SIGKILL to its own process group',
    body: `os = ${OS}\nos['killpg'](0, 9)`,
    expect: invalid('WorkerCrashed', /SIGKILL|exit/),
  },
  { name: 'os._exit', body: `os = ${OS}\nos['_exit'](0)`, expect: invalid('WorkerCrashed', /exit code 0/) },
  { name: 'sys.exit', body: 'import sys\nsys.exit(1)', expect: invalid('BannedImport') },
  { name: 'raise SystemExit', body: 'raise SystemExit(0)', expect: invalid('SystemExit') },
  {
    name: 'raise BaseException',
    body: "raise BaseException('boom')",
    expect: invalid('BaseException', /boom/),
  },
  { name: 'raise KeyboardInterrupt', body: 'raise KeyboardInterrupt', expect: invalid('KeyboardInterrupt') },
  {
    name: 'non-UTF-8 bytes result',
    body: "return b'\\xff\\xfe' + bytes(range(3))",
    expect: { valid: true, output: "b'\\xff\\xfe\\x00\\x01\\x02'" },
  },
  { name: 'lone surrogate result', body: "return '\\udcff'", expect: { valid: true, output: "'\\udcff'" } },
  {
    name: 'printing unencodable text',
    body: "print('\\ud800\\udcff')\nreturn 1",
    expect: { structured: true },
  },
  {
    name: 'repr that raises',
    body: "class Bad:\n    def __repr__(self):\n        raise ValueError('no')\nreturn Bad()",
    expect: invalid('UnreprableOutput'),
  },
  {
    name: 'repr that never returns',
    body: 'class Slow:\n    def __repr__(self):\n        while True:\n            pass\nreturn Slow()',
    expect: invalid('Timeout'),
  },
  { name: 'self-referencing list', body: 'r = []\nr.append(r)\nreturn r', expect: invalid('NotALiteral') },
  {
    name: 'introspection: all subclasses of object',
    body: 'return ().__class__.__mro__[1].__subclasses__()[:3]',
    expect: invalid('NotALiteral'),
  },
  {
    name: 'poisoning the real builtins through introspection',
    body: `os = ${OS}\nos['__builtins__']['repr'] = lambda value: '1'\nreturn 1`,
    expect: invalid('InterpreterModified', /builtins/),
  },
  { name: 'ctypes', body: 'import ctypes\nreturn 1', expect: invalid('ImportError') },
  { name: 'raising its own rlimits', body: 'import resource\nreturn 1', expect: invalid('ImportError') },
  {
    name: 'dynamic import of os',
    body: "return getattr(__builtins__, '__imp' + 'ort__')('o' + 's').getpid()",
    expect: invalid(/Error$/),
  },
];

const program = (body: string) => `def f(x):\n${body.replace(/^/gm, '    ')}`;

function assertExpectation(result: ProposalVerdict, expect: Expectation): void {
  const shown = JSON.stringify(result);
  assert.equal(typeof result.valid, 'boolean', shown);
  assert.equal(typeof result.durationMs, 'number', shown);
  if ('structured' in expect) {
    if (!result.valid) assert.equal(typeof result.reason, 'string', shown);
    return;
  }
  assert.equal(result.valid, expect.valid, shown);
  if (expect.valid) {
    assert.equal(result.output, expect.output, shown);
    return;
  }
  assert.equal(result.output, null, shown);
  assert.equal(typeof result.reason, 'string', shown);
  if (typeof expect.errorType === 'string') assert.equal(result.errorType, expect.errorType, shown);
  else assert.match(result.errorType ?? '', expect.errorType, shown);
  if (expect.reason) assert.match(result.reason ?? '', expect.reason, shown);
}

describe('hostile programs', () => {
  const pool = new PythonPool({ size: 3, limits: { timeoutMs: 1500 } });
  let results: ProposalVerdict[] = [];
  const exits: string[] = [];
  pool.on('workerExit', (info) => exits.push(info.cause));

  before(async () => {
    assert.ok(HOSTILE.length >= 25);
    results = await validate(
      pool,
      HOSTILE.map((hostile) => ({ code: program(hostile.body), input: '1' })),
    );
  });

  after(async () => {
    await pool.close();
    rmSync(canaryDir, { recursive: true, force: true });
  });

  for (const [index, hostile] of HOSTILE.entries()) {
    test(hostile.name, () => assertExpectation(results[index], hostile.expect));
  }

  test('the pool keeps serving on every worker afterwards', async () => {
    const outcomes = await validate(
      pool,
      Array.from({ length: 12 }, (_, i) => ({ code: 'def f(x):\n    return x * 3', input: String(i) })),
    );
    assert.deepEqual(
      outcomes.map((outcome) => outcome.output),
      Array.from({ length: 12 }, (_, i) => String(i * 3)),
    );
    assert.equal(pool.workerPids.length, 3);
    assert.ok(exits.includes('timeout') && exits.includes('died') && exits.includes('retired'), exits.join());
  });

  test('the canary outside the sandbox is untouched', () => {
    assert.equal(readFileSync(canaryPath, 'utf8'), canaryText);
    assert.equal(statSync(canaryPath).mtimeMs, canaryMtime);
    assert.deepEqual(readdirSync(canaryDir), ['canary.txt']);
  });

  test('hostile answers to check are incorrect results too', async () => {
    const hidden = { inputs: ['1', '2'], outputs: ['2', '4'] };
    const checked = await verify(
      pool,
      [
        { type: 'induction', ...hidden, answer: program(`os = ${OS}\nos['_exit'](0)`) },
        { type: 'induction', ...hidden, answer: program('while True:\n    pass') },
        { type: 'deduction', output: '1', answer: '['.repeat(100_000) },
        { type: 'abduction', code: 'def f(x):\n    return x', output: '1', answer: "__import__('os')" },
      ],
      { timeoutMs: 500 },
    );
    assert.deepEqual(
      checked.map((result) => [result.correct, result.errorType]),
      [
        [false, 'WorkerCrashed'],
        [false, 'Timeout'],
        [false, 'MalformedAnswer'],
        [false, 'MalformedAnswer'],
      ],
    );
  });
});

describe('isolation between jobs on one worker', () => {
  test('files left in /tmp and closed std fds do not reach the next job', async () => {
    await withPool(async (pool) => {
      const written = await validateOne(pool, {
        code: "def f(x):\n    open('/tmp/leak', 'w').write(x)\n    return open('/tmp/leak').read()",
        input: "'secret'",
      });
      assert.equal(written.output, "'secret'");
      const read = await validateOne(pool, {
        code: "def f(x):\n    return open('/tmp/leak').read()",
        input: '1',
      });
      assert.equal(read.errorType, 'FileNotFoundError');
      const closer = await validateOne(pool, {
        code: 'def f(x):\n    open(0).close()\n    return 1',
        input: '1',
      });
      assert.equal(closer.errorType, 'OSError', 'the second run finds fd 0 closed by the first');
      const stdin = await validateOne(pool, { code: 'def f(x):\n    return input()', input: '1' });
      assert.equal(stdin.errorType, 'EOFError', 'fd 0 closed by the earlier job is /dev/null again');
    });
  });

  test('a job that poisons builtins retires its worker; the next job runs on a fresh one', async () => {
    await withPool(async (pool) => {
      const [first] = pool.workerPids;
      const poison = await validateOne(pool, {
        code: program(`os = ${OS}\nos['__builtins__']['sorted'] = lambda *a, **k: [0]\nreturn 1`),
        input: '1',
      });
      assert.equal(poison.errorType, 'InterpreterModified');
      const next = await validateOne(pool, { code: 'def f(x):\n    return sorted(x)', input: '[3, 1, 2]' });
      assert.equal(next.output, '[1, 2, 3]');
      assert.notEqual(pool.workerPids[0], first);
    });
  });
});
