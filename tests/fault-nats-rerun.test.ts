// Finding 1 of issue 19: a second fresh run of the same config on the same NATS server hung before seeding (its
// weights payload, removed from the object store by the first run, was never uploaded again).
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnAzr } from './helpers/azr.ts';
import { natsRun } from './helpers/nats-run.ts';

const config = 'tests/fixtures/distributed.yaml';

const nats = natsRun(config);

test('two fresh runs of one config in a row on one NATS server both complete', {
  timeout: 240_000,
}, async () => {
  const runIds: string[] = [];
  for (const attempt of [1, 2]) {
    const runDir = await mkdtemp(join(tmpdir(), `azr-rerun-${attempt}-`));
    const head = nats.head(runDir);
    const node = nats.node(`n${attempt}`);
    assert.equal(await head.exit, 0, `run ${attempt}: ${head.stderr()}`);
    assert.equal(await node.exit, 0, `run ${attempt} node: ${node.stderr()}`);
    assert.doesNotMatch(node.stderr(), /not in the object store/);
    const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8'));
    assert.equal(summary.steps, 2);
    assert.equal(summary.distributed.answered, summary.distributed.published);
    runIds.push(summary.distributed.runId);
  }
  assert.notEqual(runIds[0], runIds[1], 'each run has its own run id');
});

test('a distributed run whose head is killed mid-run resumes with --resume: the node that stayed serves the new head', {
  timeout: 240_000,
}, async () => {
  const runDir = await mkdtemp(join(tmpdir(), 'azr-resume-'));
  const steps = ['--set', 'run.steps=4', '--set', 'run.checkpointEvery=1'];
  const node = nats.node('n-resume');
  const first = spawnAzr(['run', config, '--out', runDir, ...steps, ...nats.creds()]);
  await first.line(/checkpoint: .*step-2/);
  first.child.kill('SIGKILL');
  assert.equal(await first.exit, null, 'killed');
  const resumed = spawnAzr(['run', config, '--resume', runDir, ...nats.creds()]);
  assert.equal(await resumed.exit, 0, resumed.stderr());
  assert.match(resumed.stderr(), /resumed .* after step [23]/);
  assert.equal(await node.exit, 0, node.stderr());
  assert.match(node.stderr(), /the run is done/, "the node left on the resumed head's word");
  const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8'));
  assert.equal(summary.steps, 4);
  assert.equal(summary.segments, 2, 'the killed segment and the resumed one');
});
