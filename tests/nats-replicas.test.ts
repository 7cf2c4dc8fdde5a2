// Generation replicas on `host: remote` (docs/distributed.md, "Scaling generation"): a solver entry with
// `count: 2` is two work queues, and the coordinator splits every solve into two shard jobs, so two `azr node`
// processes serving the role share one step's generation; a node killed mid-step leaves its shard to the other.
// Real processes and a real nats-server on 127.0.0.1.
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { spawnAzr } from './helpers/azr.ts';
import { killFirstTaker, natsRun } from './helpers/nats-run.ts';

const config = 'tests/fixtures/distributed-replicas.yaml';

type Entry = {
  event: string;
  job: string;
  actor?: string;
  type?: string;
  node?: string;
  delivery?: number;
  broadcast?: boolean;
};

/** The solve shard jobs of a run, each with the node that answered it and the delivery that did. */
async function solveJobs(runDir: string) {
  const entries = (await readFile(join(runDir, 'jobs.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Entry);
  const answered = new Map(entries.filter((e) => e.event === 'answered').map((e) => [e.job, e]));
  const published = entries.filter((e) => e.event === 'published' && e.type === 'solve');
  return {
    entries,
    jobs: published.map((e) => ({ job: e.job, actor: e.actor!, answer: answered.get(e.job) })),
  };
}

describe('two azr nodes share the shards of a solver with count: 2', () => {
  const nats = natsRun(config);
  const node = (id: string) =>
    spawnAzr(['node', '--config', config, '--roles', 'solver', '--id', id, '--verbose', ...nats.creds()]);

  test('both nodes serve shard jobs, and every shard is answered once', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'azr-replicas-nats-'));
    const head = nats.head(runDir);
    const [a, b] = [node('node-a'), node('node-b')];
    assert.equal(await head.exit, 0, head.stderr());
    assert.equal(await a.exit, 0, a.stderr());
    assert.equal(await b.exit, 0, b.stderr());
    const { entries, jobs } = await solveJobs(runDir);
    assert.ok(jobs.length >= 8, `the solves went out as shard jobs: ${jobs.length}`);
    assert.deepEqual(new Set(jobs.map((j) => j.actor)), new Set(['solver-0', 'solver-1']), 'one per replica');
    assert.ok(
      jobs.every((j) => j.answer),
      'every shard job answered',
    );
    assert.deepEqual(
      new Set(jobs.map((j) => j.answer!.node)),
      new Set(['node-a', 'node-b']),
      'both nodes served shards',
    );
    const shardIds = new Set(jobs.map((j) => j.job));
    assert.equal(
      entries.filter((e) => e.event === 'duplicate' && shardIds.has(e.job)).length,
      0,
      'no shard answered twice',
    );
    const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8'));
    assert.equal(summary.steps, 2);
    assert.equal(summary.distributed.answered, summary.distributed.published);
  });

  test('kill -9 of a node holding a shard: the other node answers it and the run completes', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'azr-replicas-nats-'));
    const head = nats.head(runDir);
    const { victim, survivor, victimId, job } = await killFirstTaker(
      node,
      ['node-a', 'node-b'],
      /\[solver-\d\] took job \S+ \(solve,/,
    );
    assert.equal(await head.exit, 0, head.stderr());
    assert.equal(await survivor.exit, 0, survivor.stderr());
    assert.equal(await victim.exit, null, 'killed by the signal');
    const { jobs } = await solveJobs(runDir);
    assert.ok(
      jobs.every((j) => j.answer),
      'every shard job answered',
    );
    const held = jobs.find((j) => j.job === job)!;
    assert.ok(held.answer!.delivery! >= 2, `the held shard ${job} was redelivered`);
    assert.notEqual(held.answer!.node, victimId, 'and answered by the surviving node');
    const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8'));
    assert.equal(summary.steps, 2);
    assert.equal(summary.distributed.answered, summary.distributed.published);
    assert.equal(summary.distributed.deadLettered, 0);
  });
});
