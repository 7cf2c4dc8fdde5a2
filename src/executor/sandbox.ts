// How a worker process is started: the bubblewrap command line, and whether bubblewrap works here.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
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

// -S: no site module (no site-packages, no user paths); -s: no user site; -B: no .pyc writing.
// Not -I/-E: they would make Python ignore PYTHONHASHSEED.
const PYTHON_FLAGS = ['-S', '-s', '-B'];
const ENV = { PYTHONHASHSEED: '0' };

/** Mounts and namespaces: only /usr (read-only), fresh /proc, minimal /dev, a private size-capped /tmp. */
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
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--size',
    String(settings.limits.tmpfsBytes),
    '--tmpfs',
    '/tmp',
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
      args: [...PYTHON_FLAGS, '-c', harnessCode(), harnessConfig],
      env: { ...ENV },
      ...dropPrivileges(),
    };
  }
  return {
    command: settings.bwrapPath,
    args: [...bwrapArgs(settings), settings.pythonPath, ...PYTHON_FLAGS, '-c', harnessCode(), harnessConfig],
    env: {},
    ...dropPrivileges(),
  };
}

const probeCache = new Map<string, string | null>();

/**
 * Why bubblewrap cannot run Python here (missing binary, no user namespaces, ...), or null when it can.
 * Runs the sandbox once with the pool's own flags; the answer is cached per process.
 */
export function sandboxProblem(settings: SandboxSettings): string | null {
  const key = `${settings.bwrapPath}\0${settings.pythonPath}`;
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
    const probe = spawnSync(
      settings.bwrapPath,
      [...bwrapArgs(settings), settings.pythonPath, ...PYTHON_FLAGS, '-c', 'print(42)'],
      { env: {}, cwd: '/', encoding: 'utf8', timeout: 20_000, ...dropPrivileges() },
    );
    if (probe.error) problem = `${settings.bwrapPath} failed to start: ${probe.error.message}`;
    else if (probe.status !== 0 || probe.stdout.trim() !== '42') {
      problem = `${settings.bwrapPath} cannot create the sandbox (exit ${probe.status}): ${probe.stderr.trim().slice(0, 300)}`;
    }
  }
  probeCache.set(key, problem);
  return problem;
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
