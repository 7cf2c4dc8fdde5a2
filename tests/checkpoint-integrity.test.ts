import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CheckpointError, latestCheckpoint, writeCheckpoint } from '../src/run/run-dir.ts';
import { azr, azrOk } from './helpers/azr.ts';

const config = 'tests/fixtures/selfplay-tiny.yaml';
const manifest = { kind: 'azr-checkpoint' as const, step: 1, name: 'x', fingerprint: 'f', writtenAt: '' };

/** Flips 16 bytes in the middle of a checkpoint's state.msgpack, as a bad disk or a stray write would. */
function flipBytes(checkpointDir: string) {
  const file = join(checkpointDir, 'state.msgpack');
  const bytes = readFileSync(file);
  const middle = Math.floor(bytes.length / 2);
  for (let i = middle; i < middle + 16; i++) bytes[i] ^= 0xff;
  writeFileSync(file, bytes);
}

test('a checkpoint corrupted by flipped bytes is refused; --resume reports it and uses the previous one', async () => {
  const runDir = join(mkdtempSync(join(tmpdir(), 'azr-integrity-')), 'run');
  await azrOk('run', config, '--steps', '2', '--out', runDir);
  const manifestOf = (step: number) =>
    JSON.parse(readFileSync(join(runDir, 'checkpoints', `step-${step}`, 'manifest.json'), 'utf8'));
  assert.match(manifestOf(2).sha256['state.msgpack'], /^[0-9a-f]{64}$/);
  flipBytes(join(runDir, 'checkpoints', 'step-2'));

  await assert.rejects(latestCheckpoint(runDir), (error: Error) => {
    assert.ok(error instanceof CheckpointError);
    assert.match(
      error.message,
      /step-2: the checkpoint is corrupt: state\.msgpack does not match the SHA-256/,
    );
    return true;
  });
  const resumed = await azr('run', config, '--resume', runDir, '--steps', '3');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /step-2: the checkpoint is corrupt: .*; trying the previous checkpoint/);
  assert.match(resumed.stderr, /resumed .* after step 1/);
  assert.match(resumed.stdout, /done after step 3/);
  // Step 2 was replayed and written again, intact.
  assert.equal((await latestCheckpoint(runDir)).manifest.step, 3);
  assert.deepEqual(readdirSync(join(runDir, 'checkpoints')).sort(), ['step-1', 'step-2', 'step-3']);
  const steps = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line).step);
  assert.deepEqual(steps, [0, 1, 2, 3], 'the replayed step is recorded once');
});

test('--resume with every checkpoint corrupt is exit 2 and names each', async () => {
  const runDir = join(mkdtempSync(join(tmpdir(), 'azr-integrity-')), 'run');
  await azrOk('run', config, '--steps', '2', '--out', runDir);
  for (const step of [1, 2]) flipBytes(join(runDir, 'checkpoints', `step-${step}`));
  const resumed = await azr('run', config, '--resume', runDir, '--steps', '3');
  assert.equal(resumed.code, 2);
  assert.match(resumed.stderr, /step-2: the checkpoint is corrupt/);
  assert.match(resumed.stderr, /step-1: the checkpoint is corrupt/);
  assert.match(resumed.stderr, /every checkpoint is corrupt/);
});

test('retention keeps the checkpoint just written, even when newer corrupt ones remain', async () => {
  const runDir = mkdtempSync(join(tmpdir(), 'azr-integrity-'));
  for (const step of [1, 2, 3]) await writeCheckpoint(runDir, { ...manifest, step }, { step }, 5);
  flipBytes(join(runDir, 'checkpoints', 'step-2'));
  flipBytes(join(runDir, 'checkpoints', 'step-3'));
  const skipped: string[] = [];
  const intact = await latestCheckpoint(runDir, (problem) => skipped.push(problem.message));
  assert.equal(intact.manifest.step, 1);
  assert.equal(skipped.length, 2);
  // A run resumed from step 1 writes step 2 again; with keep 1 only that one of the older-or-equal ones stays.
  await writeCheckpoint(runDir, { ...manifest, step: 2 }, { step: 2 }, 1);
  assert.deepEqual(readdirSync(join(runDir, 'checkpoints')).sort(), ['step-2', 'step-3']);
  assert.equal((await latestCheckpoint(runDir, () => {})).manifest.step, 2);
});
