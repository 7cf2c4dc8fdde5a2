// The parts of the system azr needs beyond npm packages, how to tell whether each works, and how to get it.
// `azr setup` (run by npm's install/prestart/pretest hooks) checks them, installs what is missing with apt-get when
// it can, and otherwise stops with the exact command to run.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { DEFAULT_BWRAP, DEFAULT_LIMITS, DEFAULT_PYTHON, sandboxProblem } from '../executor/index.ts';
import { type SandboxSettings, sandboxImportProblem } from '../executor/sandbox.ts';

/** What a part is needed for: `run` (self-play on this machine) or `test` (the test suite, which also needs `run`). */
export type Purpose = 'run' | 'test';

export interface SystemPart {
  name: string;
  /** Why azr needs it, in a few words (printed when it is installed or missing). */
  why: string;
  /** Debian packages that provide it. */
  packages: string[];
  neededFor: Purpose[];
  /** Without it `run` still works (slower, or a feature off): missing is a warning there, not a stop. */
  optionalFor?: Purpose[];
  /** Why it does not work here, or null when it does. */
  problem(): string | null;
  /** A problem that installing the packages cannot fix (e.g. user namespaces turned off), with what to do. */
  unfixable?(problem: string): string | null;
}

/** The first executable called `name` on PATH, or null. */
export function onPath(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

const LIBRARY_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/lib',
];

/** Where the dynamic loader would find `soname` (ldconfig's cache, then the usual folders), or null. */
export function findLibrary(soname: string): string | null {
  const cache = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  const line = cache.stdout?.split('\n').find((l) => l.trim().startsWith(`${soname} `));
  const cached = line?.split('=>')[1]?.trim();
  if (cached && existsSync(cached)) return cached;
  for (const dir of LIBRARY_DIRS) if (existsSync(join(dir, soname))) return join(dir, soname);
  return null;
}

const python: SystemPart = {
  name: 'python3',
  why: 'the system Python that the sandboxed executor runs',
  packages: ['python3'],
  neededFor: ['run', 'test'],
  problem: () => {
    try {
      accessSync(DEFAULT_PYTHON, constants.X_OK);
      return null;
    } catch {
      return `${DEFAULT_PYTHON} not found`;
    }
  },
};

/** The sandbox a validator with default options runs. */
const defaultSandbox: SandboxSettings = {
  mode: 'bwrap',
  bwrapPath: DEFAULT_BWRAP,
  pythonPath: DEFAULT_PYTHON,
  limits: DEFAULT_LIMITS,
};

const bubblewrap: SystemPart = {
  name: 'bubblewrap',
  why: 'the sandbox around every Python program the model writes',
  packages: ['bubblewrap'],
  neededFor: ['run', 'test'],
  problem: () => {
    if (!existsSync(DEFAULT_BWRAP)) return `${DEFAULT_BWRAP} not found`;
    return sandboxProblem(defaultSandbox);
  },
  unfixable: (problem) =>
    problem.includes('not found')
      ? null
      : 'bubblewrap is installed but cannot create a sandbox here, usually because unprivileged user namespaces ' +
        'are turned off. Turn them on: `sudo sysctl -w kernel.unprivileged_userns_clone=1` (Debian) or ' +
        '`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` (Ubuntu ≥ 23.10); in a container, ' +
        'run it with user namespaces allowed (e.g. docker --security-opt seccomp=unconfined).',
};

const natsServer: SystemPart = {
  name: 'nats-server',
  why: 'the message server of distributed runs; the tests start their own on 127.0.0.1',
  packages: ['nats-server'],
  neededFor: ['test'],
  problem: () => (onPath('nats-server') ? null : 'nats-server not found on PATH'),
};

const openblas: SystemPart = {
  name: 'OpenBLAS',
  why: 'native matrix products under the wasm backend, several times faster',
  packages: ['libopenblas0-pthread'],
  neededFor: ['run', 'test'],
  optionalFor: ['run'],
  problem: () =>
    findLibrary('libopenblas.so.0') ? null : 'libopenblas.so.0 not found by the dynamic loader',
};

/** The libraries proposals import most; docs/executor.md, "Libraries", says how to add others. */
export const SANDBOX_LIBRARIES = ['numpy', 'sympy'];

/** Debian's python3-NAME packages of these libraries, checked by importing them as a proposal would. */
export function pythonLibrariesPart(libraries: string[], sandbox = defaultSandbox): SystemPart {
  return {
    name: libraries.join(' and '),
    why: 'the libraries proposals import most, read-only in the sandbox',
    packages: libraries.map((name) => `python3-${name}`),
    neededFor: ['run', 'test'],
    optionalFor: ['run'],
    // In a real sandbox start; by the bare interpreter while the sandbox itself cannot start (then bubblewrap
    // is the part reported missing).
    problem: () => {
      if (sandboxProblem(sandbox) === null) return sandboxImportProblem(sandbox, libraries);
      const code = libraries.map((name) => `import ${name}`).join('; ');
      const bare = spawnSync(sandbox.pythonPath, ['-c', code], { encoding: 'utf8' });
      return bare.status === 0 ? null : `${sandbox.pythonPath} cannot import ${libraries.join(', ')}`;
    },
  };
}

/** Everything azr checks, in the order it checks them. */
export const systemParts: SystemPart[] = [
  python,
  bubblewrap,
  openblas,
  natsServer,
  pythonLibrariesPart(SANDBOX_LIBRARIES),
];

/**
 * Why the Python executor cannot start on this machine, in one line with the command that fixes it, or null when
 * it can. `azr run` and `azr node` ask this once, before any actor starts.
 */
export function sandboxReadiness(isRoot = process.getuid?.() === 0): string | null {
  for (const part of [python, bubblewrap]) {
    const problem = part.problem();
    if (problem === null) continue;
    const fix = part.unfixable?.(problem) ?? `install it: ${installCommand(part.packages, isRoot)}`;
    return `the Python sandbox cannot start here (${part.name}: ${problem}); ${fix}`;
  }
  return null;
}

/** The command that installs these Debian packages, as the user should type it. */
export function installCommand(packages: string[], isRoot: boolean): string {
  const sudo = isRoot ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(' ')}`;
}

/** Whether an actor entry starts a sandboxed Python executor (a validator not asked to run unsandboxed). */
export function startsSandbox(entry: { kind: string; options?: Record<string, unknown> }): boolean {
  return entry.kind === 'validator' && entry.options?.sandbox !== 'none';
}
