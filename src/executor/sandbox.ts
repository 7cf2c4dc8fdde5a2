// How a worker process is started: the bubblewrap command line, and whether bubblewrap works here.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionLimits, SandboxMode } from './types.ts';
import { AzrError } from '../errors.ts';

export const DEFAULT_PYTHON = '/usr/bin/python3';
export const DEFAULT_BWRAP = '/usr/bin/bwrap';
/** uid/gid `nobody`: used when we run as root, because the kernel does not apply RLIMIT_NPROC to root. */
const NOBODY = 65534;

export const HARNESS_PATH = fileURLToPath(new URL('./harness.py', import.meta.url));

let harnessSource: string | undefined;
/**
 * The harness travels as `python -c SOURCE`: nothing of the host file system has to be visible (or
 * readable by the sandbox's unprivileged user) inside the sandbox.
 */
function harnessCode(): string {
  harnessSource ??= readFileSync(HARNESS_PATH, 'utf8');
  return harnessSource;
}

export class SandboxUnavailableError extends AzrError {
  constructor(message: string) {
    super('SANDBOX_UNAVAILABLE', message);
  }
}

export interface SandboxSettings {
  mode: SandboxMode;
  pythonPath: string;
  /**
   * Whether the interpreter's site-packages are on its path (docs/executor.md, "Libraries"); default true.
   * False runs it with -S: the standard library only.
   */
  sitePackages?: boolean;
  bwrapPath: string;
  limits: ExecutionLimits;
}

export interface WorkerCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
  uid?: number;
  gid?: number;
}

// -s: no user site; -B: no .pyc writing; -S (site-packages off): no site module at all.
// Not -I/-E: they would make Python ignore PYTHONHASHSEED.
function pythonFlags(settings: SandboxSettings): string[] {
  return settings.sitePackages === false ? ['-S', '-s', '-B'] : ['-s', '-B'];
}

// One BLAS/OpenMP thread: a job keeps to one core, and numpy's thread pool would otherwise count against the
// worker's process and address-space limits.
const ENV = {
  PYTHONHASHSEED: '0',
  OPENBLAS_NUM_THREADS: '1',
  OMP_NUM_THREADS: '1',
  MKL_NUM_THREADS: '1',
};

/** Paths the sandbox shows anyway: /usr, and /bin, /lib, /lib64, which are links into it there. */
const SHOWN = ['/usr/', '/bin/', '/lib/', '/lib64/'];

/**
 * The folders an interpreter outside /usr needs, bound read-only: the prefix above its `bin/` (a venv's
 * pyvenv.cfg and site-packages), and that of the file its link points at, when elsewhere still.
 */
export function interpreterBinds(pythonPath: string): string[] {
  let resolved = pythonPath;
  try {
    resolved = realpathSync(pythonPath);
  } catch {} // a missing interpreter is reported by sandboxProblem
  const prefixes = [pythonPath, resolved]
    .filter((path) => !SHOWN.some((shown) => path.startsWith(shown)))
    .map((path) => dirname(dirname(path)))
    .filter((prefix) => prefix !== '/');
  return [...new Set(prefixes)];
}

/**
 * Mounts and namespaces: /usr and the interpreter's own prefix (read-only), /etc/alternatives (Debian's links
 * to libraries such as libblas.so.3, which numpy loads), fresh /proc, minimal /dev, a private size-capped /tmp.
 */
export function bwrapArgs(settings: SandboxSettings): string[] {
  const args = [
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--ro-bind',
    '/usr',
    '/usr',
    '--symlink',
    'usr/lib',
    '/lib',
    '--symlink',
    'usr/lib64',
    '/lib64',
    '--symlink',
    'usr/bin',
    '/bin',
    '--ro-bind-try',
    '/etc/alternatives',
    '/etc/alternatives',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--size',
    String(settings.limits.tmpfsBytes),
    '--tmpfs',
    '/tmp',
    // After /tmp: an interpreter may live under it.
    ...interpreterBinds(settings.pythonPath).flatMap((prefix) => ['--ro-bind', prefix, prefix]),
  ];
  args.push('--chdir', '/tmp', '--clearenv');
  for (const [name, value] of Object.entries(ENV)) args.push('--setenv', name, value);
  return args;
}

function dropPrivileges(): { uid?: number; gid?: number } {
  return process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
}

/** The command line of one worker: harness.py under bubblewrap, or bare python for `sandbox: "none"`. */
export function workerCommand(settings: SandboxSettings): WorkerCommand {
  const harnessConfig = JSON.stringify({
    memoryBytes: settings.limits.memoryBytes,
    cpuSeconds: settings.limits.cpuSeconds,
    processes: settings.limits.processes,
    fileBytes: settings.limits.fileBytes,
    openFiles: settings.limits.openFiles,
    inSandbox: settings.mode === 'bwrap',
  });
  if (settings.mode === 'none') {
    return {
      command: settings.pythonPath,
      args: [...pythonFlags(settings), '-c', harnessCode(), harnessConfig],
      env: { ...ENV },
      ...dropPrivileges(),
    };
  }
  return {
    command: settings.bwrapPath,
    args: [
      ...bwrapArgs(settings),
      settings.pythonPath,
      ...pythonFlags(settings),
      '-c',
      harnessCode(),
      harnessConfig,
    ],
    env: {},
    ...dropPrivileges(),
  };
}

/** Runs `code` once in the sandbox, as a worker would start; its stdout, or why it failed. */
function runInSandbox(settings: SandboxSettings, code: string): { stdout: string } | { problem: string } {
  const probe = spawnSync(
    settings.bwrapPath,
    [...bwrapArgs(settings), settings.pythonPath, ...pythonFlags(settings), '-c', code],
    { env: {}, cwd: '/', encoding: 'utf8', timeout: 20_000, ...dropPrivileges() },
  );
  if (probe.error) return { problem: `${settings.bwrapPath} failed to start: ${probe.error.message}` };
  if (probe.status !== 0) {
    const said = probe.stderr.trim().split('\n').at(-1)?.slice(0, 300);
    return { problem: `exit ${probe.status}: ${said}` };
  }
  return { stdout: probe.stdout };
}

const probeCache = new Map<string, string | null>();

/**
 * Why bubblewrap cannot run Python here (missing binary, no user namespaces, ...), or null when it can.
 * Runs the sandbox once with the pool's own flags; the answer is cached per process.
 */
export function sandboxProblem(settings: SandboxSettings): string | null {
  const key = `${settings.bwrapPath}\0${settings.pythonPath}\0${settings.sitePackages !== false}`;
  const cached = probeCache.get(key);
  if (cached !== undefined) return cached;
  let problem: string | null = null;
  try {
    accessSync(settings.bwrapPath, constants.X_OK);
    accessSync(settings.pythonPath, constants.X_OK);
    accessSync(HARNESS_PATH, constants.R_OK);
  } catch (error) {
    problem = `not found or not usable: ${(error as Error).message}`;
  }
  if (problem === null) {
    const probe = runInSandbox(settings, 'print(42)');
    if ('problem' in probe) problem = `${settings.bwrapPath} cannot create the sandbox (${probe.problem})`;
    else if (probe.stdout.trim() !== '42') problem = `${settings.bwrapPath} cannot create the sandbox`;
  }
  probeCache.set(key, problem);
  return problem;
}

/**
 * Why these modules cannot be imported by a program in the sandbox, or null when they can: one sandbox start,
 * under the workers' address-space limit, as a proposal would import them.
 */
export function sandboxImportProblem(settings: SandboxSettings, modules: readonly string[]): string | null {
  const limit = settings.limits.memoryBytes;
  const code = [
    'import resource',
    `resource.setrlimit(resource.RLIMIT_AS, (${limit}, ${limit}))`,
    ...modules.map((name) => `import ${name}`),
  ].join('\n');
  const probe = runInSandbox(settings, code);
  return 'problem' in probe ? `cannot import ${modules.join(', ')} in the sandbox (${probe.problem})` : null;
}

let warnedNoSandbox = false;

/** Printed once per process when a pool runs untrusted code with `sandbox: "none"`. */
export function warnNoSandbox(): void {
  if (warnedNoSandbox) return;
  warnedNoSandbox = true;
  process.stderr.write(
    '\n*** WARNING: azr executor running with sandbox: "none" ***\n' +
      "*** Untrusted Python runs with your user's full access to files and network (rlimits only). ***\n\n",
  );
}
