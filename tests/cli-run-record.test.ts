// run.json: a resumed run keeps the flags and --set overrides it was started with, its wall time covers every
// segment, and the report is refreshed at each checkpoint (a live view of a long run).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readRunRecord } from '../src/run/run-record.ts';
import { azr, spawnAzr } from './helpers/azr.ts';

const fixture = 'tests/fixtures/selfplay-tiny.yaml';
const summaryOf = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));

test('--resume keeps --steps, --max-minutes, --seed and --set; wall time adds up over segments', async () => {
  const runDir = join(mkdtempSync(join(tmpdir(), 'azr-record-')), 'run');
  const first = await azr(
    'run',
    fixture,
    '--steps',
    '2',
    '--max-minutes',
    '30',
    '--seed',
    '11',
    '--out',
    runDir,
    '--set',
    'run.keepCheckpoints=1',
    '--set',
    'actors.learner.options.lr=0.001',
  );
  assert.equal(first.code, 0, first.stderr);
  const record = await readRunRecord(runDir);
  assert.deepEqual(record?.flags, {
    steps: 2,
    maxMinutes: 30,
    seed: 11,
    set: ['run.keepCheckpoints=1', 'actors.learner.options.lr=0.001'],
  });
  assert.deepEqual(
    readdirSync(join(runDir, 'checkpoints')),
    ['step-2'],
    'the --set keepCheckpoints took effect',
  );
  const firstWall = summaryOf(runDir).wallMs;

  // No flags: the run is complete at its recorded 2 steps (the fixture's own run.steps is 3).
  const again = await azr('run', fixture, '--resume', runDir);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /done after step 2:/);
  assert.deepEqual(readdirSync(join(runDir, 'checkpoints')), ['step-2']);

  // A flag given now wins; the recorded overrides still apply (the fingerprint of the config matches).
  const longer = await azr('run', fixture, '--resume', runDir, '--steps', '3');
  assert.equal(longer.code, 0, longer.stderr);
  assert.match(longer.stdout, /done after step 3:/);
  assert.deepEqual(readdirSync(join(runDir, 'checkpoints')), ['step-3'], 'keepCheckpoints=1 still applies');
  const final = await readRunRecord(runDir);
  assert.equal(final?.flags.steps, 3);
  assert.equal(final?.segments.length, 3);
  assert.deepEqual(
    final?.segments.map((s) => [s.firstStep, s.lastStep]),
    [
      [1, 2],
      [3, 2],
      [3, 3],
    ],
  );
  const summary = summaryOf(runDir);
  assert.equal(summary.segments, 3);
  assert.deepEqual(summary.faults, {}, 'no actor restarted, retried or dead-lettered');
  assert.equal(
    summary.wallMs,
    final!.segments.reduce((sum, s) => sum + s.wallMs, 0),
  );
  assert.ok(summary.wallMs > firstWall);
  const lines = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.filter((l) => l.step >= 1).map((l) => l.step),
    [1, 2, 3],
  );
});

test('--resume and --out together are refused; --resume of a folder without checkpoints is exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'azr-record-'));
  const both = await azr('run', fixture, '--resume', dir, '--out', dir);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--resume DIR or --out DIR, not both/);
  const empty = await azr('run', fixture, '--resume', dir);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /no checkpoint to resume from/);
});

test('the report is written at each checkpoint, so a run killed later still has it', async () => {
  const runDir = join(mkdtempSync(join(tmpdir(), 'azr-record-')), 'run');
  const run = spawnAzr(['run', fixture, '--steps', '50', '--out', runDir]);
  await run.line(/checkpoint: .*step-1\b/);
  run.child.kill('SIGKILL');
  await run.exit;
  const report = readFileSync(join(runDir, 'report.html'), 'utf8');
  assert.match(report, /step 1, the last one recorded/);
  assert.equal(existsSync(join(runDir, 'summary.json')), false, 'the run never reached its end');
});
