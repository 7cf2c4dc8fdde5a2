// Runs the real `azr` command in a child process, as a user would; never throws on a non-zero exit.
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/azr.js', import.meta.url));

export interface AzrResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function azr(...args: string[]): Promise<AzrResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `azr`, failing the test with its stderr unless it exits 0. */
export async function azrOk(...args: string[]): Promise<AzrResult> {
  const result = await azr(...args);
  if (result.code !== 0) throw new Error(`azr ${args.join(' ')} exited ${result.code}:\n${result.stderr}`);
  return result;
}

/** A running `azr`, for a test that acts while it runs (signals it, kills it, breaks its files). */
export interface AzrProcess {
  child: ChildProcessWithoutNullStreams;
  /** All it has written so far. */
  stdout(): string;
  stderr(): string;
  /**
   * Resolves with the first stderr line that matches `pattern`, at once if one already has; rejects, with all it
   * wrote to stderr, if it exits without writing one.
   */
  line(pattern: RegExp): Promise<string>;
  /** Its exit code; null when a signal ended it. */
  exit: Promise<number | null>;
}

/**
 * Starts `azr ARGS` without waiting for it. `detached`: as a process group leader, so that `process.kill(-pid)`
 * signals it and the actors it starts, as Ctrl-C at a terminal would.
 */
export function spawnAzr(args: string[], options: { detached?: boolean } = {}): AzrProcess {
  const child = spawn(process.execPath, [bin, ...args], { detached: options.detached ?? false });
  let stdout = '';
  let stderr = '';
  const watchers: { pattern: RegExp; resolve(line: string): void; reject(error: Error): void }[] = [];
  const matching = (pattern: RegExp) => stderr.split('\n').find((line) => pattern.test(line));
  child.stdout.on('data', (data) => {
    stdout += data;
  });
  child.stderr.on('data', (data) => {
    stderr += data;
    for (const watcher of [...watchers]) {
      const line = matching(watcher.pattern);
      if (line === undefined) continue;
      watchers.splice(watchers.indexOf(watcher), 1);
      watcher.resolve(line);
    }
  });
  let closed: string | undefined;
  const noLine = (pattern: RegExp) =>
    new Error(
      `azr ${args.join(' ')} exited (${closed}) without a line matching ${pattern}; stderr:\n${stderr}`,
    );
  child.on('close', (code, signal) => {
    closed = signal ?? String(code);
    for (const watcher of watchers.splice(0)) watcher.reject(noLine(watcher.pattern));
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    line: (pattern) =>
      new Promise((resolve, reject) => {
        const line = matching(pattern);
        if (line !== undefined) resolve(line);
        else if (closed !== undefined) reject(noLine(pattern));
        else watchers.push({ pattern, resolve, reject });
      }),
    exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
}
