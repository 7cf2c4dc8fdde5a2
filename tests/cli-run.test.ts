import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { latestCheckpoint, writeCheckpoint } from '../src/run/run-dir.ts';
import { azr, spawnAzr } from './helpers/azr.ts';

const config = 'tests/fixtures/selfplay-tiny.yaml';

// The terminal sends Ctrl-C's SIGINT to the whole foreground process group: the test starts azr as a group
// leader and signals the group, so actors in child processes get it too, as they would at a terminal.
for (const [host, topology] of [
  ['inline', config],
  ['process', 'tests/fixtures/selfplay-tiny-process.yaml'],
] as const) {
  test(`Ctrl-C (actors ${host}) finishes the step, saves a checkpoint and exits cleanly; the run resumes`, async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'azr-sigint-'));
    const run = spawnAzr(['run', topology, '--steps', '50', '--out', runDir], { detached: true });
    await run.line(/step 1\/50/);
    process.kill(-run.child.pid!, 'SIGINT');
    assert.equal(await run.exit, 0, run.stderr());
    assert.doesNotMatch(run.stderr(), /crash|restart/i);
    const stdout = run.stdout();
    const step = Number(/interrupted after step (\d+)/.exec(stdout)?.[1]);
    assert.ok(step >= 1 && step < 50, stdout);
    assert.match(stdout, /resume with: azr run .* --resume /);
    assert.equal((await latestCheckpoint(runDir)).manifest.step, step);
    const resumed = await azr('run', topology, '--resume', runDir, '--steps', String(step + 1));
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`done after step ${step + 1}`));
  });
}

test('a checkpoint write cut short never replaces the previous checkpoint', async () => {
  const runDir = await mkdtemp(join(tmpdir(), 'azr-ckpt-'));
  const manifest = { kind: 'azr-checkpoint' as const, step: 1, name: 'x', fingerprint: 'f', writtenAt: '' };
  await writeCheckpoint(runDir, manifest, { learner: { w: new Float32Array([1, 2]) } }, 2);
  // What a write interrupted before its rename leaves behind:
  const partial = join(runDir, 'checkpoints', 'step-2.partial-999');
  await mkdir(partial);
  await writeFile(join(partial, 'state.msgpack'), 'half a file');
  const latest = await latestCheckpoint(runDir);
  assert.equal(latest.manifest.step, 1);
  assert.deepEqual([...(latest.snapshots.learner as { w: Float32Array }).w], [1, 2]);
  await writeCheckpoint(runDir, { ...manifest, step: 2 }, { learner: 2 }, 1);
  assert.deepEqual(
    (await readdir(join(runDir, 'checkpoints'))).filter((n) => !n.includes('partial')),
    ['step-2'],
    'keeps the newest',
  );
});

test('azr eval scores output and input prediction with the executor', async () => {
  const { code, stdout, stderr } = await azr('eval', config, '--bench', 'examples/cruxeval-mini.jsonl');
  assert.equal(code, 0, stderr);
  const figures = JSON.parse(stdout.trim().split('\n').at(-1)!);
  assert.equal(figures.items, 12);
  for (const key of ['outputPrediction', 'inputPrediction'])
    assert.ok(figures[key] >= 0 && figures[key] <= 1, key);
  assert.match(stdout, /output prediction \(deduction\): \d+\/12/);
});

test('azr eval: a mode the config does not play is skipped with a line, not a crash', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'azr-eval-modes-'));
  const deductionOnly = join(dir, 'deduction-only.yaml');
  await writeFile(
    deductionOnly,
    [
      'name: deduction-only',
      'plugins: [{ use: deduction, options: { format: bare, references: 1, maxAnswerTokens: 12 } }, { use: correctness }]',
      'actors:',
      '  - { name: coordinator, kind: coordinator, options: { batchSize: 2, seedSize: 1, maxSeedRounds: 0 } }',
      '  - { name: proposer, kind: proposer }',
      '  - { name: solver, kind: solver }',
      '  - { name: validator, kind: validator, options: { poolSize: 1 } }',
      '  - { name: learner, kind: learner, options: { backend: wasm, model: { dModel: 16, nLayers: 1, nHeads: 2, ffnHidden: 32, maxSeqLen: 256 } } }',
      '',
    ].join('\n'),
  );
  const { code, stdout, stderr } = await azr(
    'eval',
    deductionOnly,
    '--bench',
    'examples/cruxeval-mini.jsonl',
  );
  assert.equal(code, 0, stderr);
  assert.match(stdout, /input prediction \(abduction\): skipped \(the config has no "abduction" mode\)/);
  assert.match(stdout, /output prediction \(deduction\): \d+\/12/);
  assert.doesNotMatch(stderr, /crash|restart/i);
});

test('azr eval: a bad benchmark line or a checkpoint of another model is refused with what and where; its own is scored', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'azr-eval-'));
  const bench = join(dir, 'bad.jsonl');
  await writeFile(
    bench,
    '{"id": 1, "code": "def f(x):\\n    return x", "input": "1", "output": "1"}\n{"id": 2, "code": 5}\n',
  );
  const bad = await azr('eval', config, '--bench', bench);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /bad\.jsonl:2: "code" must be a string/);

  const runDir = join(dir, 'run');
  assert.equal((await azr('run', config, '--steps', '2', '--out', runDir)).code, 0);
  // The run's own config scores the checkpoint: its learner is past version 0, which the generators do not hold.
  const own = await azr('eval', config, '--bench', 'examples/cruxeval-mini.jsonl', '--checkpoint', runDir);
  assert.equal(own.code, 0, own.stderr);
  assert.match(own.stdout, /output prediction \(deduction\): \d+\/12/);
  const other = await azr(
    'eval',
    'examples/tiny-zero.yaml',
    '--bench',
    'examples/cruxeval-mini.jsonl',
    '--checkpoint',
    runDir,
  );
  assert.equal(other.code, 1);
  assert.match(other.stderr, /the checkpoint's model config .* does not match the topology's/);
});
