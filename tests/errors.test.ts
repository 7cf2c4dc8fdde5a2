// One error family: codes with a kind, the exit code they give, and no plain Error raised by the shipped code.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { AzrError, errorCodes, exitCodeOf, isAzrError } from '../src/errors.ts';
import { AskTimeoutError } from '../src/runtime/errors.ts';
import { ConfigError } from '../src/topology/load.ts';

test('an AzrError carries its code, its kind and the exit code commands give it', () => {
  const input = new AzrError('CONFIG_INVALID', 'bad');
  assert.equal(input.kind, 'input');
  assert.equal(exitCodeOf(input), 2);
  const failure = new AskTimeoutError('solver', 'solve', 10);
  assert.equal(failure.code, 'ASK_TIMEOUT');
  assert.equal(failure.name, 'AskTimeoutError');
  assert.equal(exitCodeOf(failure), 1);
  assert.equal(exitCodeOf(new Error('a bug')), 1, 'anything else is a failure');
  assert.equal(exitCodeOf(new ConfigError('x.yaml', [{ pointer: '/name', message: 'missing' }])), 2);
  assert.ok(isAzrError(failure, 'ASK_TIMEOUT'));
  assert.ok(!isAzrError(failure, 'CONFIG_INVALID'));
  assert.ok(!isAzrError(new Error('x')));
});

test('docs/errors.md lists every code with its exit code', async () => {
  const page = await readFile('docs/errors.md', 'utf8');
  for (const [code, { kind }] of Object.entries(errorCodes))
    assert.match(page, new RegExp(`\\| \`${code}\` \\| ${kind === 'input' ? 2 : 1} \\|`), code);
});

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name))
    .filter((file) => !file.includes('/build/'));
}

// Errors that never leave the function that throws them: control flow inside one worker job or one parser.
const localControlFlow = new Set(['JobError', 'LiteralError']);

test('the shipped code raises AzrErrors: no plain Error, no error class outside the family', async () => {
  const problems: string[] = [];
  for (const file of (await Promise.all(['src', 'actors', 'plugins'].map(sourceFiles))).flat()) {
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines.forEach((line, i) => {
      if (/throw new Error\(|reject\(new Error\(/.test(line))
        problems.push(`${file}:${i + 1}: ${line.trim()}`);
      const own = /class (\w+) extends Error\b/.exec(line);
      if (own && !localControlFlow.has(own[1]!) && file !== join('src', 'errors.ts'))
        problems.push(`${file}:${i + 1}: ${own[1]} extends Error, not AzrError`);
    });
  }
  assert.deepEqual(problems, []);
});
