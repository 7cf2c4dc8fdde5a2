import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'azr-js-cli-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const azr = fileURLToPath(new URL('../bin/azr.js', import.meta.url));

function azrValidate(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [azr, 'validate', ...args], (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(stdin);
  });
}

const lines = (stdout: string) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));

describe('azr validate --mode js', () => {
  test('one {id, valid, output, reason} line per input line, same order', async () => {
    const file = join(dir, 'input.jsonl');
    writeFileSync(
      file,
      [
        { id: 'a', code: "function f(s) { return s.split('').reverse().join(''); }", input: "'abc'" },
        '',
        { id: 7, code: 'function f() { return Date.now(); }', input: '' },
        { id: 'c', code: 'const f = (o) => ({ b: o.a + 1, a: o.a });', input: '{a: 41}' },
        { id: 'd', code: 'function f() { while (true) {} }', input: '' },
      ]
        .map((line) => (typeof line === 'string' ? line : JSON.stringify(line)))
        .join('\n'),
    );
    const { code, stdout, stderr } = await azrValidate([
      file,
      '--mode',
      'js',
      '--workers',
      '2',
      '--timeout',
      '500',
    ]);
    assert.equal(code, 0, stderr);
    assert.deepEqual(lines(stdout), [
      { id: 'a', valid: true, output: '"cba"', reason: null },
      {
        id: 7,
        valid: false,
        output: null,
        reason: 'Date.now is not available: programs must be deterministic',
      },
      { id: 'c', valid: true, output: '{"a":41,"b":42}', reason: null },
      { id: 'd', valid: false, output: null, reason: 'CPU time limit exceeded' },
    ]);
  });

  test('reads stdin for "-" and validates induction lines', async () => {
    const inputs = Array.from({ length: 10 }, (_, i) => String(i));
    const stdin = `${JSON.stringify({ id: 1, code: 'function f(n) { return -n; }', inputs, message: 'negate' })}\n`;
    const { code, stdout, stderr } = await azrValidate(['-', '--mode=js', '--workers', '1'], stdin);
    assert.equal(code, 0, stderr);
    const [line] = lines(stdout);
    assert.equal(line.valid, true);
    assert.deepEqual(line.outputs, ['0', '-1', '-2', '-3', '-4', '-5', '-6', '-7', '-8', '-9']);
  });

  test('bad input exits 2 and says what and where; unknown modes are refused', async () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(
      file,
      `${JSON.stringify({ id: 1, code: 'function f() {}', input: '' })}\n{"id": 2, "input": "1"}\n`,
    );
    const missing = await azrValidate([file, '--mode', 'js']);
    assert.equal(missing.code, 2);
    assert.match(missing.stdout, /bad\.jsonl:2: missing \\"code\\"/);
    assert.match(missing.stderr, /1 of 2 line\(s\) could not be read/);
    const mode = await azrValidate([file, '--mode', 'ruby']);
    assert.equal(mode.code, 2);
    assert.match(mode.stderr, /--mode must be python or js/);
  });
});
