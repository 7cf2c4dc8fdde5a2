// The sandbox's Python sees its site-packages read-only (docs/executor.md, "Libraries"): a proposal importing numpy
// or sympy is a valid task, the banned list and the import guard still apply, and nothing outside the sandbox's
// binds is readable. `npm test`'s pretest (`azr setup --for test`) installs numpy and sympy.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DEFAULT_BWRAP, DEFAULT_LIMITS, DEFAULT_PYTHON, validateOne } from '../src/executor/index.ts';
import { interpreterBinds, workerCommand } from '../src/executor/sandbox.ts';
import { withPool } from './helpers/executor.ts';

/** Why these modules cannot be tested here (printed when a test is skipped), or false when they can. */
function missing(...modules: string[]): string | false {
  const code = modules.map((name) => `import ${name}`).join('; ');
  if (spawnSync(DEFAULT_PYTHON, ['-c', code]).status === 0) return false;
  const reason = `${DEFAULT_PYTHON} cannot import ${modules.join(', ')}: run azr setup --for test`;
  console.log(`# skipped: ${reason}`);
  return reason;
}

const folder = mkdtempSync(join(tmpdir(), 'azr-python-libs-'));
chmodSync(folder, 0o755); // the sandbox runs as nobody when the tests run as root
const secret = join(folder, 'secret.txt');
writeFileSync(secret, 'host secret\n');
after(() => rmSync(folder, { recursive: true, force: true }));

const proposal = (code: string, input: string) => ({ code, input });

describe('libraries in the sandbox', () => {
  test('a proposal importing numpy is a valid task', { skip: missing('numpy') }, () =>
    withPool(async (pool) => {
      const code = 'import numpy as np\n\ndef f(xs):\n    return int(np.cumsum(np.array(xs))[-1])';
      const verdict = await validateOne(pool, proposal(code, '[1, 2, 3, 4]'));
      assert.equal(verdict.reason, null);
      assert.deepEqual([verdict.valid, verdict.output], [true, '10']);
    }),
  );

  test('a proposal importing sympy is a valid task', { skip: missing('sympy') }, () =>
    withPool(async (pool) => {
      const code =
        'from sympy import factor, symbols\n\ndef f(n):\n    x = symbols("x")\n    return str(factor(x**2 - n**2))';
      const verdict = await validateOne(pool, proposal(code, '3'));
      assert.equal(verdict.reason, null);
      assert.deepEqual([verdict.valid, verdict.output], [true, "'(x - 3)*(x + 3)'"]);
    }),
  );

  test('sitePackages: false: the standard library only', { skip: missing('numpy') }, () =>
    withPool(
      async (pool) => {
        const verdict = await validateOne(pool, proposal('import numpy\n\ndef f(x):\n    return x', '1'));
        assert.deepEqual([verdict.valid, verdict.errorType], [false, 'ModuleNotFoundError']);
      },
      { sitePackages: false },
    ),
  );

  test('banned modules are still refused next to a library', { skip: missing('numpy') }, () =>
    withPool(async (pool) => {
      const banned = await validateOne(
        pool,
        proposal('import numpy\nimport random\n\ndef f(x):\n    return x', '1'),
      );
      assert.deepEqual([banned.valid, banned.errorType], [false, 'BannedImport']);
      // The run-time guard: a process-level module reached without an import statement.
      const dodged = "def f(x):\n    return __builtins__['__imp' + 'ort__']('c' + 'types') is not None";
      const guarded = await validateOne(pool, proposal(dodged, '1'));
      assert.deepEqual([guarded.valid, guarded.errorType], [false, 'ImportError']);
    }),
  );

  test('a library cannot read outside the binds', { skip: missing('numpy') }, () =>
    withPool(async (pool) => {
      const code = 'import numpy\n\ndef f(path):\n    return int(numpy.fromfile(path, dtype="uint8").size)';
      for (const path of [secret, '/etc/passwd']) {
        const verdict = await validateOne(pool, proposal(code, JSON.stringify(path)));
        assert.deepEqual([verdict.valid, verdict.errorType], [false, 'FileNotFoundError'], path);
      }
    }),
  );
});

describe('the interpreter', () => {
  const settings = {
    mode: 'bwrap' as const,
    bwrapPath: DEFAULT_BWRAP,
    pythonPath: DEFAULT_PYTHON,
    limits: DEFAULT_LIMITS,
  };

  test('site-packages on by default; sitePackages: false runs python -S', () => {
    const flags = (command: { args: string[] }) => command.args.filter((arg) => /^-[SsB]$/.test(arg));
    assert.deepEqual(flags(workerCommand(settings)), ['-s', '-B']);
    assert.deepEqual(flags(workerCommand({ ...settings, sitePackages: false })), ['-S', '-s', '-B']);
  });

  test('an interpreter under /usr adds no bind; a venv binds its own folder read-only', () => {
    assert.deepEqual(interpreterBinds('/usr/bin/python3'), []);
    assert.deepEqual(interpreterBinds('/bin/python3'), []);
    assert.deepEqual(interpreterBinds('/opt/venv/bin/python'), ['/opt/venv']);
  });

  test('a venv of the system Python is used with its own site-packages', async () => {
    const venv = join(folder, 'venv');
    const made = spawnSync(DEFAULT_PYTHON, ['-m', 'venv', '--without-pip', venv], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const python = join(venv, 'bin', 'python');
    const site = spawnSync(python, ['-c', 'import site; print(site.getsitepackages()[0])'], {
      encoding: 'utf8',
    });
    writeFileSync(join(site.stdout.trim(), 'azr_venv_marker.py'), 'VALUE = 7\n');
    await withPool(
      async (pool) => {
        const code = 'import azr_venv_marker\n\ndef f(x):\n    return x * azr_venv_marker.VALUE';
        const verdict = await validateOne(pool, proposal(code, '6'));
        assert.equal(verdict.reason, null);
        assert.deepEqual([verdict.valid, verdict.output], [true, '42']);
      },
      { pythonPath: python },
    );
  });
});
