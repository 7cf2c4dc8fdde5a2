// Finding 4 of issue 19: a NATS outage ended the head, and after a SIGKILLed server nodes left as if the run
// were done. Now the head retries through the outage and nodes leave only on the head's word.
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { natsRun } from './helpers/nats-run.ts';

const config = 'tests/fixtures/distributed.yaml';
/** The outage the issue asks the run to live through. */
const outageMs = 30_000;

const nats = natsRun(config);

test('the nats-server SIGKILLed mid-run and back after 30 s on the same port and store: the run completes', {
  timeout: 300_000,
}, async () => {
  const runDir = await mkdtemp(join(tmpdir(), 'azr-outage-'));
  const head = nats.head(runDir);
  const node = nats.node('n1', '--verbose');
  // Right after the node joins, the head publishes the learner's first weights to it (a broadcast, through the
  // object store): the server dies under that publish.
  await head.line(/node n1 joined/);
  await nats.server().kill();
  await sleep(outageMs);
  await nats.server().start();
  assert.equal(await head.exit, 0, head.stderr());
  assert.equal(await node.exit, 0, node.stderr());
  assert.match(node.stderr(), /the run is done/, "the node left on the head's word");
  assert.match(head.stderr(), /NATS unreachable while publishing job/, 'the outage hit a publish');
  const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8'));
  assert.equal(summary.steps, 2);
});
