// Builds the native kernels (cc/*.cc) into build/azr_native.node with g++ and Node's own headers. No node-gyp
// (it would try to download headers) and no BLAS headers or link flags: the addon opens the BLAS with dlopen.
// Idempotent: a binary newer than its source and this file is reused. Never throws; a failure comes back as a reason to print.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
export const nativeSourceDir = path.join(here, 'cc');
export const nativeBinary = path.join(here, 'build', 'azr_native.node');

export type BuildResult = { ok: true; path: string } | { ok: false; reason: string };

/** Node's C headers: `<prefix>/include/node` next to the running node binary (Debian: /usr/include/node). */
export function nodeHeaderDir(): string {
  return path.resolve(path.dirname(process.execPath), '..', 'include', 'node');
}

export async function buildNative(opts: { log?: (line: string) => void } = {}): Promise<BuildResult> {
  const log = opts.log ?? (() => {});
  const files = readdirSync(nativeSourceDir).map((f) => path.join(nativeSourceDir, f));
  const sources = files.filter((f) => f.endsWith('.cc'));
  const inputs = [...files, fileURLToPath(import.meta.url)]; // the sources, the header, and the flags below
  if (
    existsSync(nativeBinary) &&
    inputs.every((f) => statSync(nativeBinary).mtimeMs >= statSync(f).mtimeMs)
  ) {
    return { ok: true, path: nativeBinary };
  }
  const headers = nodeHeaderDir();
  if (!existsSync(path.join(headers, 'node_api.h'))) {
    return { ok: false, reason: `Node's headers are missing (no ${headers}/node_api.h)` };
  }
  mkdirSync(path.dirname(nativeBinary), { recursive: true });
  // Written beside the target and renamed, so a process loading the addon never sees half a file.
  const partial = `${nativeBinary}.${process.pid}.tmp`;
  // -fopenmp-simd: the `#pragma omp simd` loops (no OpenMP runtime); -fno-trapping-math lets GCC vectorize their
  // compares and clamps (nothing here reads floating-point exception flags).
  const args = [
    '-O3',
    '-fopenmp-simd',
    '-fno-trapping-math',
    '-std=c++17',
    '-shared',
    '-fPIC',
    `-I${headers}`,
    '-o',
    partial,
    ...sources,
    '-ldl',
  ];
  log(`[azr/native] g++ ${args.join(' ')}`);
  try {
    await promisify(execFile)('g++', args, { timeout: 120_000 });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    const reason =
      e.code === 'ENOENT'
        ? 'g++ not found (apt-get install -y g++)'
        : `g++ failed: ${(e.stderr || e.message).trim().split('\n').slice(0, 5).join(' | ')}`;
    return { ok: false, reason };
  }
  renameSync(partial, nativeBinary);
  log(`[azr/native] built ${nativeBinary}`);
  return { ok: true, path: nativeBinary };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await buildNative({ log: (line) => console.log(line) });
  console.log(result.ok ? `[azr/native] ready: ${result.path}` : `[azr/native] not built: ${result.reason}`);
  process.exitCode = result.ok ? 0 : 1;
}
