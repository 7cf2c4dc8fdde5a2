import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { validator } from '../actors/validator.ts';
import { createSystem } from '../src/runtime/index.ts';
import { azrOk } from './helpers/azr.ts';

test('the validator routes each mode to the executor its plugin brings (javascript), python by default', async (t) => {
  const system = createSystem({ supervision: { maxRestarts: 0 } });
  t.after(() => system.stop());
  const ref = system.spawn(validator, { options: { poolSize: 1, plugins: [{ use: 'javascript' }] } });
  const cases: [executor: string | undefined, code: string, output: string][] = [
    ['javascript', 'function f(x) {\n  return x.map((v) => v * 2);\n}', '[2,4]'],
    [undefined, 'def f(x):\n    return x * 2', '[1, 2, 1, 2]'],
  ];
  for (const [executor, code, output] of cases) {
    const { results } = await ref.ask({ type: 'validate', executor, proposals: [{ code, input: '[1, 2]' }] });
    assert.deepEqual(
      results.map((r) => [r.valid, r.output]),
      [[true, output]],
      executor ?? 'python',
    );
  }
  const verdicts = await ref.ask({
    type: 'verify',
    executor: 'javascript',
    answers: [
      { type: 'abduction', code: 'function f(a, b) {\n  return a + b;\n}', output: '5', answer: '2, 3' },
    ],
  });
  assert.equal(verdicts.results[0]!.correct, true);
});

test('an unknown executor is a clear error', async () => {
  const system = createSystem({ supervision: { maxRestarts: 0 } });
  const ref = system.spawn(validator, { options: { poolSize: 1 } });
  await assert.rejects(
    ref.ask({ type: 'validate', executor: 'cobol', proposals: [] }),
    /no executor "cobol" \(known: python\)/,
  );
  await system.stopped;
});

test('self-play over JavaScript tasks runs with no change to the core (azr run … --steps 1)', async () => {
  const runDir = await mkdtemp(join(tmpdir(), 'azr-js-'));
  const { stdout } = await azrOk('run', 'tests/fixtures/selfplay-js.yaml', '--steps', '1', '--out', runDir);
  assert.match(stdout, /done after step 1/);
  const [line] = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  for (const mode of ['js-deduction', 'js-abduction'])
    assert.ok(Number.isFinite(line[`${mode}.solverReward`]), mode);
});
