// `azr setup [--for run|test] [--check] [--warn-only]`: checks the system parts azr needs (system-parts.ts),
// installs the missing ones with apt-get when it runs as root, and otherwise stops with the exact command to run.
// npm runs it from the project's install (--warn-only), prestart (--for run) and pretest (--for test) hooks, so
// `npm install && npm start` and `npm test` need nothing else on a fresh machine. Quick when everything is there.
import { spawnSync } from 'node:child_process';
import { parseCommand } from './args.ts';
import { installCommand, onPath, type Purpose, type SystemPart, systemParts } from './system-parts.ts';

export interface SetupEnvironment {
  parts: SystemPart[];
  /** Whether this process may install system packages (root). */
  isRoot: boolean;
  /** apt-get's path, or null where there is none. */
  aptGet: string | null;
  /** Runs an installer command with its output shown; returns its exit status. */
  exec(command: string, args: string[], env: Record<string, string>): number;
  /** Builds what azr compiles on this machine (the native products); its failure is a warning, never a stop. */
  build?: () => Promise<{ ok: true } | { ok: false; reason: string }>;
  log(line: string): void;
}

export interface SetupOptions {
  purpose: Purpose;
  /** Install what is missing when possible (default true). */
  install?: boolean;
}

export interface SetupResult {
  ok: boolean;
  installed: string[];
  /** Missing parts the purpose can do without. */
  warnings: string[];
  /** What stops the purpose, each with the command that fixes it. */
  failures: string[];
}

const needed = (part: SystemPart, purpose: Purpose) =>
  part.neededFor.includes(purpose) || (purpose === 'test' && part.neededFor.includes('run'));

function aptInstall(env: SetupEnvironment, packages: string[]): boolean {
  const apt = env.aptGet!;
  const aptEnv = { DEBIAN_FRONTEND: 'noninteractive' };
  // Another apt-get may hold the lock (a second install running): wait for it rather than fail.
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  if (env.exec(apt, [...lock, 'update', '-qq'], aptEnv) !== 0) return false;
  return (
    env.exec(apt, [...lock, 'install', '-y', '-qq', '--no-install-recommends', ...packages], aptEnv) === 0
  );
}

export async function setup(env: SetupEnvironment, options: SetupOptions): Promise<SetupResult> {
  const { purpose, install = true } = options;
  const result: SetupResult = { ok: true, installed: [], warnings: [], failures: [] };
  const parts = env.parts.filter((part) => needed(part, purpose));
  const problems = new Map<SystemPart, string>();
  for (const part of parts) {
    const problem = part.problem();
    if (problem !== null) problems.set(part, problem);
  }

  const fixable = [...problems].filter(([part, problem]) => !part.unfixable?.(problem)).map(([part]) => part);
  if (fixable.length > 0 && install && env.isRoot && env.aptGet) {
    const packages = [...new Set(fixable.flatMap((part) => part.packages))];
    env.log(
      `azr setup: installing ${fixable.map((p) => `${p.packages.join(' ')} (${p.why})`).join(', ')} with apt-get`,
    );
    if (aptInstall(env, packages)) {
      for (const part of fixable) {
        const problem = part.problem();
        if (problem === null) {
          problems.delete(part);
          result.installed.push(part.name);
        } else problems.set(part, problem);
      }
    }
  }

  const stillFixable: SystemPart[] = [];
  for (const [part, problem] of problems) {
    const optional = part.optionalFor?.includes(purpose) ?? false;
    const cannot = part.unfixable?.(problem);
    if (cannot) {
      (optional ? result.warnings : result.failures).push(`${part.name}: ${problem}. ${cannot}`);
    } else if (optional) {
      result.warnings.push(
        `${part.name} missing (${part.why}): ${problem}; to add it: ${installCommand(part.packages, env.isRoot)}`,
      );
    } else stillFixable.push(part);
  }
  if (stillFixable.length > 0) {
    const packages = [...new Set(stillFixable.flatMap((p) => p.packages))];
    const how = env.aptGet
      ? `To install them, run:\n    ${installCommand(packages, env.isRoot)}`
      : `Install them with your system's package manager (Debian/Ubuntu packages: ${packages.join(' ')}).`;
    result.failures.push(
      [
        `missing for ${purpose}:`,
        ...stillFixable.map((p) => `    ${p.name} (${p.why}): ${problems.get(p)}`),
        `  ${how}`,
      ].join('\n'),
    );
  }

  if (env.build) {
    const built = await env.build();
    if (!built.ok) result.warnings.push(built.reason);
  }
  result.ok = result.failures.length === 0;
  return result;
}

/** The real machine: these parts, apt-get when present, output of installers shown on stderr. */
export function systemEnvironment(log: (line: string) => void): SetupEnvironment {
  return {
    parts: systemParts,
    isRoot: process.getuid?.() === 0,
    aptGet: onPath('apt-get'),
    exec: (command, args, env) =>
      spawnSync(command, args, { stdio: ['ignore', 2, 2], env: { ...process.env, ...env } }).status ?? 1,
    // Imported only here: the rest of setup must work before anything is compiled.
    build: async () => (await import('../model/native/build.ts')).buildNative({ log }),
    log,
  };
}

const usage = `usage: azr setup [--for run|test] [--check] [--warn-only]

Checks what azr needs besides npm packages — python3, bubblewrap (with working user namespaces), OpenBLAS,
nats-server (tests only), numpy and sympy in the sandbox (optional for run) — and installs what is missing with apt-get when run as root; otherwise it prints the
exact command to run and exits 1. Then it compiles the native matrix products (src/model/native, g++ against
Node's headers; quick when up to date; a failure only warns: the wasm backend's own kernels are used).
  --for run|test  what to check for (default: test, which includes run)
  --check         only check, install nothing
  --warn-only     report problems but exit 0 (npm's install hook uses it, so npm install stays green)
Set AZR_SETUP=check in the environment to never install from npm's hooks.`;

export async function run(args: string[]): Promise<number> {
  const parsed = parseCommand(
    'setup',
    usage,
    {
      args,
      options: {
        for: { type: 'string' },
        check: { type: 'boolean' },
        'warn-only': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    usage,
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const purpose = values.for ?? 'test';
  if (purpose !== 'run' && purpose !== 'test') {
    console.error(`azr setup: --for must be run or test, got "${purpose}"\n${usage}`);
    return 2;
  }
  const started = performance.now();
  const log = (line: string) => console.error(line);
  const result = await setup(systemEnvironment(log), {
    purpose,
    install: !values.check && process.env.AZR_SETUP !== 'check',
  });
  for (const warning of result.warnings) log(`azr setup: warning: ${warning}`);
  for (const failure of result.failures) log(`azr setup: ${failure}`);
  if (result.ok) {
    const installed = result.installed.length > 0 ? `; installed ${result.installed.join(', ')}` : '';
    log(`azr setup: ready for ${purpose} (${Math.round(performance.now() - started)} ms${installed})`);
    return 0;
  }
  return values['warn-only'] ? 0 : 1;
}
