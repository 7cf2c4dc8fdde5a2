// docs/plugins.md works as written: its `sh step` blocks and `file=NAME` blocks, in document order, run in a
// temporary folder (with /path/to/azr this repository); then the task mode it writes is judged by a real executor.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { before, describe, test } from 'node:test';
import { validator } from '../actors/validator.ts';
import { PythonPool, validate, verify } from '../src/executor/index.ts';
import type { AnswerCheck, Executor, Plugin, Proposal } from '../src/plugins/index.ts';
import { createSystem } from '../src/runtime/index.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const doc = join(repo, 'docs/plugins.md');

/** The walk-through as one bash script: shell steps as they are, files written with a quoted here-document. */
function walkthroughScript(markdown: string, azrPath: string): string {
  const fence = /^( *)```(\w+)([^\n]*)\n([\s\S]*?)^\1```$/gm;
  const parts: string[] = [];
  for (const [, indent, , info, body] of markdown.matchAll(fence)) {
    const text = body!
      .split('\n')
      .map((line) => line.slice(indent!.length))
      .join('\n');
    const file = /\bfile=(\S+)/.exec(info!)?.[1];
    if (file) parts.push(`cat > ${file} <<'AZR_WALKTHROUGH_EOF'\n${text}AZR_WALKTHROUGH_EOF`);
    else if (/\bstep\b/.test(info!)) parts.push(text.replaceAll('/path/to/azr', azrPath));
  }
  return parts.join('\n');
}

function bash(script: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-euo', 'pipefail', '-c', script],
      { cwd, maxBuffer: 1 << 24 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('docs/plugins.md walk-through', () => {
  let folder: string;
  let result: { code: number; stdout: string; stderr: string };
  before(async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'azr-walkthrough-'));
    const script = walkthroughScript(await readFile(doc, 'utf8'), repo);
    result = await bash(script, scratch);
    folder = join(scratch, 'my-plugin');
  });

  test('runs as written: install by path, topology check, one step of self-play', async () => {
    assert.equal(result.code, 0, result.stderr);
    const manifest = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8'));
    assert.match(manifest.dependencies.azr, /^file:/, 'azr comes from the local clone');
    assert.match(result.stdout, /my\.yaml: ok/);
    assert.match(result.stdout, /buffer-type-of \[buffer\] inline/, 'the builder added the mode’s buffer');
    assert.match(result.stdout, /done after step 1/);
    const [line] = (await readFile(join(folder, 'run/metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      Object.keys(line).filter((k) => k.startsWith('fault')),
      [],
      'no plugin faults',
    );
    assert.equal(typeof line['type-of.solveRate'], 'number');
    assert.equal(typeof line['reward.type-of.proposer.brevity'], 'number');
    // The solver can only spell a type name, so every answer is well-formed and judged: no format penalty.
    assert.equal(line['reward.type-of.solver.format'], 0);
    // Two answers, each correct (1) or wrong (-0.5): never a format error's 0.
    const correctness = line['reward.type-of.solver.correctness'];
    assert.ok([1, 0.25, -0.5].includes(correctness), String(correctness));
  });

  test("the mode's judge decides its custom checks with the executor's help, through the validator actor", async (t) => {
    const file = join(folder, 'type-of.ts');
    const plugin = (await import(pathToFileURL(file).href)).default as Plugin;
    const [mode] = plugin.taskModes!({});
    const task = {
      id: 't',
      mode: 'type-of',
      code: 'def f(x):\n    return [x]',
      input: '1',
      output: '[1]',
      step: 1,
    };
    assert.deepEqual(mode!.check(task, 'list'), { type: 'custom', answer: 'list', data: { output: '[1]' } });

    const pool = new PythonPool({ size: 1 });
    t.after(() => pool.close());
    const executor: Executor = {
      validate: (proposals: readonly Proposal[]) => validate(pool, proposals as never),
      verify: (checks) => verify(pool, checks as never),
      close: async () => {},
    };
    const judged = await Promise.all(
      [
        ['[1]', 'list'],
        ["{'a': 1.5}", 'dict'],
        ['3', 'str'],
      ].map(([output, answer]) =>
        mode!.judge!({ type: 'custom', answer: answer!, data: { output } }, executor),
      ),
    );
    assert.deepEqual(
      judged.map((v) => v.correct),
      [true, true, false],
    );

    // Through the validator's message schema, next to a built-in check; a mode without a judge is a fault.
    const system = createSystem();
    t.after(() => system.stop());
    const ref = system.spawn(validator, {
      options: { poolSize: 1, plugins: [{ use: file }, { use: 'deduction' }] },
    });
    const answers: AnswerCheck[] = [
      { type: 'custom', answer: 'int', data: { output: '7' } },
      { type: 'deduction', output: '7', answer: '7' },
      { type: 'custom', answer: 'int', data: { output: '"7"' } },
    ];
    const judgedHere = await ref.ask({ type: 'verify', answers, mode: 'type-of' }, { timeoutMs: 30_000 });
    assert.deepEqual(
      judgedHere.results.map((r) => r.correct),
      [true, true, false],
    );
    assert.deepEqual(judgedHere.faults, {});
    const unjudged = await ref.ask({ type: 'verify', answers, mode: 'deduction' }, { timeoutMs: 30_000 });
    assert.deepEqual(
      unjudged.results.map((r) => [r.correct, r.errorType]),
      [
        [false, 'NoJudge'],
        [true, null],
        [false, 'NoJudge'],
      ],
    );
    assert.deepEqual(unjudged.faults['mode:deduction.judge'], {
      count: 2,
      first: 'Error: task mode "deduction" returns custom checks but has no judge',
    });
  });
});
