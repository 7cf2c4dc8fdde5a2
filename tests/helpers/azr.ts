// Runs the real `azr` command in a child process, as a user would; never throws on a non-zero exit.
import { execFile } from 'node:child_process';
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
