// Finding 1 of issue 19: a second fresh run of the same config on the same NATS server hung before seeding (its
// weights payload, removed from the object store by the first run, was never uploaded again).
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
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
