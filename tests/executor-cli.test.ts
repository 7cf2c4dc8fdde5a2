import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { run as runValidate } from '../src/cli/validate.ts';
import { run as runVerify } from '../src/cli/verify.ts';

const dir = mkdtempSync(join(tmpdir(), 'azr-cli-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function jsonlFile(lines: readonly (object | string)[]): string {
  const path = join(dir, `input-${++fileCount}.jsonl`);
  writeFileSync(
    path,
    lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n'),
  );
  return path;
}

type Command = (
  args: string[],
  io: { stdin: PassThrough; stdout: PassThrough; stderr: PassThrough },
) => Promise<number>;

async function call(command: Command, args: string[], stdinText = '') {
  const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
  let stdout = '';
  let stderr = '';
  io.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  io.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  io.stdin.end(stdinText);
  const code = await command([...args, '--workers', '2'], io);
  const lines = stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  return { code, lines, stderr };
}

const reverse = 'def f(s):\n    return s[::-1]';

describe('azr validate', () => {
  test('one {id, valid, output, reason} line per input line, same order', async () => {
    const file = jsonlFile([
      { id: 'a', code: reverse, input: "'abc'" },
      '',
      { id: 7, code: 'import os\ndef f(x):\n    return x', input: '1' },
      { id: 'c', code: 'def f(x):\n    return x + 1', input: '41' },
    ]);
    const { code, lines, stderr } = await call(runValidate, [file]);
    assert.equal(code, 0, stderr);
    assert.deepEqual(lines, [
      { id: 'a', valid: true, output: "'cba'", reason: null },
      { id: 7, valid: false, output: null, reason: 'banned import: os' },
      { id: 'c', valid: true, output: '42', reason: null },
    ]);
  });

  test('reads stdin for "-" and validates induction lines', async () => {
    const inputs = Array.from({ length: 10 }, (_, i) => String(i));
    const stdin = `${JSON.stringify({ id: 1, code: 'def f(n):\n    return -n', inputs, message: 'negate' })}\n`;
    const { code, lines } = await call(runValidate, ['-'], stdin);
    assert.equal(code, 0);
    assert.deepEqual(lines[0].outputs, ['0', '-1', '-2', '-3', '-4', '-5', '-6', '-7', '-8', '-9']);
    assert.equal(lines[0].valid, true);
  });

  test('a bad line is answered in place with its file:line and the rest go on (exit 2); no input is exit 2', async () => {
    const missing = await call(runValidate, [
      jsonlFile([
        { id: 1, code: reverse, input: "'a'" },
        { id: 2, input: '1' },
        { id: 3, code: reverse, input: "'ab'" },
      ]),
    ]);
    assert.equal(missing.code, 2);
    assert.deepEqual(
      missing.lines.map((line) => [line.id, line.valid ?? null]),
      [
        [1, true],
        [2, null],
        [3, true],
      ],
    );
    assert.match(missing.lines[1].error, /input-\d+\.jsonl:2: missing "code"/);
    assert.equal(missing.lines[1].line, 2);
    assert.match(missing.stderr, /1 of 3 line\(s\) could not be read/);
    const broken = await call(runValidate, [
      jsonlFile([{ id: 1, code: reverse, input: "'a'" }, '', '{"id": 3,']),
    ]);
    assert.equal(broken.code, 2);
    assert.match(broken.lines[1].error, /:3: invalid JSON/);
    const notString = await call(runValidate, [jsonlFile([{ id: 1, code: reverse, input: 5 }])]);
    assert.match(notString.lines[0].error, /:1: "input" must be a string/);
    const noFile = await call(runValidate, [join(dir, 'missing.jsonl')]);
    assert.equal(noFile.code, 2);
    assert.match(noFile.stderr, /missing\.jsonl: cannot read \(ENOENT\)/);
    const empty = await call(runValidate, [jsonlFile([''])]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no input lines/);
  });

  test('unknown options and modes are bad input (--mode js has its own tests)', async () => {
    const file = jsonlFile([{ id: 1, code: reverse, input: "'a'" }]);
    assert.equal((await call(runValidate, [file, '--mode=python'])).code, 0);
    assert.equal((await call(runValidate, [file, '--mode', 'ruby'])).code, 2);
    assert.equal((await call(runValidate, [file, '--fast'])).code, 2);
    assert.equal((await call(runValidate, [])).code, 2);
  });
});

describe('azr verify', () => {
  test('one {id, correct, reason} line per answer, all three task types', async () => {
    const file = jsonlFile([
      { id: 'd1', type: 'deduction', code: reverse, input: "'abc'", output: "'cba'", answer: "'cba'" },
      { id: 'd2', type: 'deduction', code: reverse, input: "'abc'", output: "'cba'", answer: "'abc'" },
      { id: 'd3', type: 'deduction', code: reverse, input: "'abc'", output: "'cba'", answer: 'cba' },
      { id: 'a1', type: 'abduction', code: reverse, input: "'abc'", output: "'cba'", answer: "'abc'" },
      {
        id: 'i1',
        type: 'induction',
        code: reverse,
        inputs: ["'ab'", "'xyz'"],
        outputs: ["'ba'", "'zyx'"],
        answer: 'def f(s):\n    return "".join(reversed(s))',
      },
    ]);
    const { code, lines, stderr } = await call(runVerify, [file]);
    assert.equal(code, 0, stderr);
    assert.deepEqual(
      lines.map((line) => [line.id, line.correct]),
      [
        ['d1', true],
        ['d2', false],
        ['d3', false],
        ['a1', true],
        ['i1', true],
      ],
    );
    assert.deepEqual(Object.keys(lines[0]), ['id', 'correct', 'reason']);
    assert.match(lines[2].reason, /NameError: name 'cba' is not defined/);
  });

  test('bad lines are answered in place with file and line (exit 2)', async () => {
    const badType = await call(runVerify, [jsonlFile([{ id: 1, type: 'guess', output: '1', answer: '1' }])]);
    assert.equal(badType.code, 2);
    assert.match(badType.lines[0].error, /:1: "type" must be deduction, abduction or induction/);
    const noAnswer = await call(runVerify, [
      jsonlFile([
        { id: 1, type: 'deduction', output: '1' },
        { id: 2, type: 'deduction', output: '1', answer: '1' },
      ]),
    ]);
    assert.match(noAnswer.lines[0].error, /:1: missing "answer"/);
    assert.deepEqual([noAnswer.lines[1].id, noAnswer.lines[1].correct], [2, true]);
    const noPairs = await call(runVerify, [
      jsonlFile([{ id: 1, type: 'induction', inputs: ['1'], answer: 'x' }]),
    ]);
    assert.match(noPairs.lines[0].error, /:1: missing "outputs"/);
  });
});

describe('azr command line', () => {
  test('azr validate runs through the real entry point', async () => {
    const file = jsonlFile([{ id: 'e2e', code: reverse, input: "'xy'" }]);
    const azr = fileURLToPath(new URL('../bin/azr.js', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [azr, 'validate', file]);
    assert.deepEqual(JSON.parse(stdout), { id: 'e2e', valid: true, output: "'yx'", reason: null });
  });
});
