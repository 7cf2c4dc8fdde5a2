// `azr setup`: finds missing system parts, installs them with apt-get when it can, otherwise stops with the exact
// command; `azr run` checks its sandbox once before starting actors. The real-machine cases hide binaries in a
// private mount namespace (unshare), so nothing on the machine changes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type SetupEnvironment, setup } from '../src/cli/setup.ts';
import {
  onPath,
  pythonLibrariesPart,
  SANDBOX_LIBRARIES,
  type SystemPart,
  systemParts,
} from '../src/cli/system-parts.ts';
import { DEFAULT_BWRAP, DEFAULT_LIMITS, DEFAULT_PYTHON } from '../src/executor/index.ts';
import { azr } from './helpers/azr.ts';

const folder = mkdtempSync(join(tmpdir(), 'azr-setup-'));

const markers = new Map<SystemPart, string>();
const markerOf = (part: SystemPart) => markers.get(part)!;
let parts = 0;

/** A part that is there when its marker file exists; the fake apt-get "installs" it by writing the file. */
function filePart(name: string, extra: Partial<SystemPart> = {}): SystemPart {
  const marker = join(folder, `${name}-${parts++}`);
  const part: SystemPart = {
    name,
    why: `${name} things`,
    packages: [`${name}-pkg`],
    neededFor: ['run'],
    problem: () => (existsSync(marker) ? null : `${marker} not found`),
    ...extra,
  };
  markers.set(part, marker);
  return part;
}

function fakeEnvironment(parts: SystemPart[], overrides: Partial<SetupEnvironment> = {}) {
  const calls: string[][] = [];
  const lines: string[] = [];
  const env: SetupEnvironment = {
    parts,
    isRoot: true,
    aptGet: '/usr/bin/apt-get',
    exec: (command, args) => {
      calls.push([command, ...args]);
      if (args.includes('install'))
        for (const part of parts) if (args.includes(part.packages[0]!)) writeFileSync(markerOf(part), '');
      return 0;
    },
    log: (line) => lines.push(line),
    ...overrides,
  };
  return { env, calls, lines };
}

test('as root with apt-get: installs the missing parts, says what and why, and checks them again', async () => {
  const there = filePart('present');
  writeFileSync(markerOf(there), '');
  const missing = filePart('widget');
  const { env, calls, lines } = fakeEnvironment([there, missing]);
  const result = await setup(env, { purpose: 'run' });
  assert.equal(result.ok, true);
  assert.deepEqual(result.installed, ['widget']);
  assert.equal(calls.length, 2, 'apt-get update, then one install');
  assert.ok(calls[0]!.includes('update'));
  assert.deepEqual(calls[1]!.slice(-2), ['--no-install-recommends', 'widget-pkg']);
  assert.ok(calls[1]!.includes('-y'), 'non-interactive');
  assert.match(lines.join('\n'), /installing widget-pkg \(widget things\) with apt-get/);
});

test('nothing missing: no installer runs', async () => {
  const there = filePart('present');
  writeFileSync(markerOf(there), '');
  const { env, calls } = fakeEnvironment([there]);
  assert.deepEqual(await setup(env, { purpose: 'test' }), {
    ok: true,
    installed: [],
    warnings: [],
    failures: [],
  });
  assert.equal(calls.length, 0);
});

test('not root: nothing is run, the failure names each part and the exact command with sudo', async () => {
  const missing = [filePart('widget'), filePart('gadget')];
  const { env, calls } = fakeEnvironment(missing, { isRoot: false });
  const result = await setup(env, { purpose: 'run' });
  assert.equal(result.ok, false);
  assert.equal(calls.length, 0);
  const [failure] = result.failures;
  assert.match(failure!, /widget \(widget things\): .* not found/);
  assert.match(failure!, /sudo apt-get update && sudo apt-get install -y widget-pkg gadget-pkg/);
});

test('no apt-get: says which packages to install with the system package manager', async () => {
  const { env } = fakeEnvironment([filePart('widget')], { aptGet: null });
  const result = await setup(env, { purpose: 'run' });
  assert.equal(result.ok, false);
  assert.match(result.failures[0]!, /system's package manager \(Debian\/Ubuntu packages: widget-pkg\)/);
});

test('a failed apt-get leaves the parts missing, with the command to retry', async () => {
  const { env } = fakeEnvironment([filePart('widget')], { exec: () => 100 });
  const result = await setup(env, { purpose: 'run' });
  assert.equal(result.ok, false);
  assert.match(result.failures[0]!, /apt-get update && apt-get install -y widget-pkg/);
});

test('parts are checked for their purpose; optional ones warn; unfixable ones say what to do', async () => {
  const testOnly = filePart('server', { neededFor: ['test'] });
  const optional = filePart('speedup', { optionalFor: ['run'] });
  const broken = filePart('namespaces', {
    problem: () => 'cannot create the sandbox',
    unfixable: () => 'turn user namespaces on',
  });
  const { env, calls } = fakeEnvironment([testOnly, optional, broken], { exec: () => 100 });
  const forRun = await setup(env, { purpose: 'run' });
  assert.equal(forRun.ok, false);
  assert.equal(forRun.failures.length, 1);
  assert.match(forRun.failures[0]!, /namespaces: cannot create the sandbox\. turn user namespaces on/);
  assert.match(forRun.warnings.join('\n'), /speedup missing/);
  assert.ok(
    calls.every((call) => !call.includes('server-pkg')),
    'a test-only part is not installed for run',
  );
  const forTest = await setup(env, { purpose: 'test' });
  assert.match(forTest.failures.join('\n'), /server \(server things\)/);
  assert.match(
    forTest.failures.join('\n'),
    /speedup \(speedup things\)/,
    'optional for run, needed for test',
  );
});

test('the build step runs, and its failure is a warning', async () => {
  const there = filePart('present');
  writeFileSync(markerOf(there), '');
  let builds = 0;
  const { env } = fakeEnvironment([there], {
    build: async () => {
      builds++;
      return { ok: false, reason: 'native products not built: g++ failed' };
    },
  });
  const result = await setup(env, { purpose: 'run' });
  assert.equal(builds, 1);
  assert.equal(result.ok, true);
  assert.deepEqual(result.warnings, ['native products not built: g++ failed']);
});

test('this machine is ready for the tests, and says so in one line', async () => {
  const result = await azr('setup', '--for', 'test', '--check');
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /^azr setup: ready for test \(\d+ ms\)$/m);
});

const sandbox = {
  mode: 'bwrap' as const,
  bwrapPath: DEFAULT_BWRAP,
  pythonPath: DEFAULT_PYTHON,
  limits: DEFAULT_LIMITS,
};

test('numpy and sympy: Debian packages, needed for test, optional for run, importable in the sandbox here', () => {
  const part = systemParts.find((p) => p.name === 'numpy and sympy');
  assert.ok(part, 'setup checks the sandbox libraries');
  assert.deepEqual(SANDBOX_LIBRARIES, ['numpy', 'sympy']);
  assert.deepEqual(part.packages, ['python3-numpy', 'python3-sympy']);
  assert.deepEqual(part.neededFor, ['run', 'test']);
  assert.deepEqual(part.optionalFor, ['run']);
  assert.equal(part.problem(), null, 'azr setup --for test installs them');
});

test('a library the sandbox cannot import is reported from a real sandbox start, with its package', () => {
  const part = pythonLibrariesPart(['numpy', 'azr_no_such_module'], sandbox);
  assert.deepEqual(part.packages, ['python3-numpy', 'python3-azr_no_such_module']);
  assert.match(
    part.problem() ?? '',
    /cannot import numpy, azr_no_such_module in the sandbox \(exit 1: ModuleNotFoundError: No module named 'azr_no_such_module'\)/,
  );
});

test('without a working sandbox the libraries are checked with the bare interpreter', () => {
  const broken = { ...sandbox, bwrapPath: '/nonexistent/bwrap' };
  assert.equal(pythonLibrariesPart(['numpy'], broken).problem(), null);
  assert.match(
    pythonLibrariesPart(['azr_no_such_module'], broken).problem() ?? '',
    /\/usr\/bin\/python3 cannot import azr_no_such_module/,
  );
});

const bin = fileURLToPath(new URL('../bin/azr.js', import.meta.url));
const tinyZero = fileURLToPath(new URL('../examples/tiny-zero.yaml', import.meta.url));

/** Runs `azr ARGS` in a private mount namespace where these binaries are replaced by /dev/null. */
function azrWithout(hidden: string[], ...args: string[]) {
  const mounts = hidden.map((path) => `mount --bind /dev/null ${path}`).join(' && ');
  const command = `${mounts} && exec "${process.execPath}" "${bin}" "$@"`;
  return new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(
      'unshare',
      ['--user', '--map-root-user', '--mount', 'sh', '-c', command, 'sh', ...args],
      (error, _out, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
    );
  });
}

test('bubblewrap and nats-server hidden: setup --check exits 1 with the exact apt-get command', async () => {
  const nats = onPath('nats-server');
  assert.ok(nats, 'nats-server must be installed for this test (azr setup installs it)');
  const result = await azrWithout(['/usr/bin/bwrap', nats], 'setup', '--check');
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /bubblewrap \(the sandbox around every Python program the model writes\)/);
  assert.match(result.stderr, /apt-get update && apt-get install -y bubblewrap nats-server/);
});

test('bubblewrap hidden: azr run stops before starting any actor, in one line', async () => {
  const result = await azrWithout(
    ['/usr/bin/bwrap'],
    'run',
    tinyZero,
    '--steps',
    '1',
    '--out',
    join(folder, 'run'),
  );
  assert.equal(result.code, 1);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(
    lines[0]!,
    /^azr run: the Python sandbox cannot start here \(bubblewrap: .*\); install it: apt-get update && apt-get install -y bubblewrap$/,
  );
  assert.equal(existsSync(join(folder, 'run')), false, 'no run directory was made');
});
