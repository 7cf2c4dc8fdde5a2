import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { azr, azrOk, spawnAzr } from './helpers/azr.ts';
import { metricsLines } from './helpers/run-dir.ts';

const config = 'tests/fixtures/selfplay-tiny.yaml';
const newRunDir = () => join(mkdtempSync(join(tmpdir(), 'azr-writes-')), 'run');

test('an unwritable metrics file stops the run at once: exit 1 with the path, no "done"', async () => {
  const runDir = newRunDir();
  mkdirSync(join(runDir, 'metrics.jsonl'), { recursive: true }); // a directory where the file goes
  const result = await azr('run', config, '--steps', '2', '--out', runDir);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, new RegExp(`cannot write ${join(runDir, 'metrics.jsonl')}: it is a directory`));
  assert.doesNotMatch(result.stderr, /seeded buffers/, 'stopped before any work');
  assert.doesNotMatch(result.stdout, /done/);
});

test('a metrics write failing mid-run stops the run after that step: exit 1 with the path', async () => {
  const runDir = newRunDir();
  const run = spawnAzr(['run', config, '--steps', '50', '--out', runDir]);
  await run.line(/step 1\/50/);
  const file = join(runDir, 'metrics.jsonl');
  rmSync(file);
  mkdirSync(file);
  assert.equal(await run.exit, 1, run.stderr());
  assert.match(run.stderr(), new RegExp(`azr run: cannot write ${file}: it is a directory`));
  assert.doesNotMatch(run.stdout(), /done/);
});

/**
 * Runs `azr run` with its --out on a tmpfs of `size` (100k: a full disk at the first checkpoint, whose state is
 * ~165 kB), `filled` bytes of it taken by another file.
 */
function runOnSmallDisk(
  size: string,
  filled: number,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const mount = mkdtempSync(join(tmpdir(), 'azr-full-'));
  // The tmpfs lives in a private mount namespace, so the listing after the run is taken inside it.
  const script =
    `mount -t tmpfs -o size=${size} tmpfs ${mount} && head -c ${filled} /dev/zero > ${mount}/other && ` +
    `${process.execPath} bin/azr.js run ${args.join(' ')} ` +
    `--out ${mount}/run; code=$?; echo "listing:"; find ${mount} | sort; exit $code`;
  return new Promise((resolve) =>
    execFile(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', script],
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stdout: stdout.replaceAll(mount, 'MOUNT'), stderr }),
    ),
  );
}

test('a full disk during a checkpoint: exit 1 naming the file and what to do, no half-written folder left', async () => {
  const result = await runOnSmallDisk('100k', 0, config, '--steps', '2');
  assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
  assert.match(
    result.stderr,
    /cannot write \S+\/run\/checkpoints\/step-1\.partial-\d+\/state\.msgpack: the disk is full \(ENOSPC\); free space on it .*--resume/,
  );
  assert.match(result.stderr, /step 1\/2/);
  assert.doesNotMatch(result.stdout, /done after/);
  const listing = result.stdout.slice(result.stdout.indexOf('listing:'));
  assert.doesNotMatch(listing, /partial|step-1/, listing);
  assert.match(listing, /MOUNT\/run\/checkpoints\n/);
});

test('a full disk when the run starts: exit 1 naming run.json, before any work', async () => {
  const result = await runOnSmallDisk('4k', 4096, config, '--steps', '1');
  assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stderr, /cannot write \S+\/run\/run\.json: the disk is full \(ENOSPC\)/);
  assert.doesNotMatch(result.stderr, /run directory:|seeded/);
});

test('a leftover temporary checkpoint folder is removed at start', async () => {
  const runDir = newRunDir();
  await azrOk('run', config, '--steps', '1', '--out', runDir);
  const leftover = join(runDir, 'checkpoints', 'step-2.partial-999999');
  mkdirSync(leftover);
  writeFileSync(join(leftover, 'state.msgpack'), 'half a file');
  const resumed = await azrOk('run', config, '--resume', runDir, '--steps', '2');
  assert.match(resumed.stderr, /removed \S+step-2\.partial-999999, the unfinished checkpoint/);
  assert.deepEqual(readdirSync(join(runDir, 'checkpoints')).sort(), ['step-1', 'step-2']);
});

test('--resume cuts a cut-off last metrics line and the lines of replayed steps', async () => {
  const runDir = newRunDir();
  await azrOk('run', config, '--steps', '2', '--out', runDir);
  // As if killed after step 2's line but before its checkpoint, while writing step 3's line.
  const file = join(runDir, 'metrics.jsonl');
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, `${text}{"step":3,"deduction.valid":0.`);
  rmSync(join(runDir, 'checkpoints', 'step-2'), { recursive: true });
  const resumed = await azrOk('run', config, '--resume', runDir, '--steps', '3');
  assert.match(resumed.stderr, /metrics\.jsonl: removed a cut-off last line/);
  assert.match(resumed.stderr, /metrics\.jsonl: removed 1 line\(s\) of steps after the checkpoint/);
  assert.deepEqual(
    (await metricsLines(runDir)).map((line) => line.step),
    [0, 1, 2, 3],
  );
});
