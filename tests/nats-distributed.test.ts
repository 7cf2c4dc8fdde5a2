import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { azr } from './helpers/azr.ts';
import { killFirstTaker, natsRun } from './helpers/nats-run.ts';

const config = 'tests/fixtures/distributed.yaml';

type Entry = { event: string; job: string; node?: string; delivery?: number; broadcast?: boolean };

describe('a run whose validator and solver live on two azr node processes over NATS JetStream', () => {
  const nats = natsRun(config);

  test('kill -9 of a node holding a job: the run completes and every job is counted exactly once', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'azr-distributed-'));
    const head = nats.head(runDir);
    // The slow validator holds each job 250 ms: the node that takes the first one is killed while it holds it.
    const { victim, survivor, victimId, job } = await killFirstTaker(
      (id) => nats.node(id, '--verbose'),
      ['node-a', 'node-b'],
      /\[validator\] took job/,
    );
    assert.equal(await head.exit, 0, head.stderr());
    assert.equal(await survivor.exit, 0, survivor.stderr());
    assert.equal(await victim.exit, null, 'killed by the signal');
    assert.match(head.stderr(), new RegExp(`node ${victimId} lost: no heartbeat`));

    const entries = (await readFile(join(runDir, 'jobs.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Entry);
    const published = entries.filter((e) => e.event === 'published');
    const answered = entries.filter((e) => e.event === 'answered');
    assert.ok(published.filter((e) => !e.broadcast).length >= 4, 'validator and solver jobs went over NATS');
    assert.deepEqual(
      answered.map((e) => e.job).sort(),
      published.map((e) => e.job).sort(),
      'every job answered exactly once',
    );
    const retried = answered.find((e) => e.job === job)!;
    assert.ok(retried.delivery! >= 2, `the held job ${job} was redelivered`);
    assert.notEqual(retried.node, victimId, 'and answered by the surviving node');
    const summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8'));
    assert.equal(summary.steps, 2);
    assert.equal(summary.distributed.answered, summary.distributed.published);
    assert.equal(summary.distributed.nodesLost, 1);
    assert.equal(summary.distributed.deadLettered, 0);
  });

  test('a node with wrong credentials is refused with a clear message', async () => {
    const user = 'azr-distributed-tiny-validator';
    const { code, stderr } = await azr(
      'node',
      ...['--config', config, '--roles', 'validator', '--nats', nats.server().url],
      ...['--nats-user', user, '--nats-pass', 'not-the-password'],
    );
    assert.equal(code, 2, stderr);
    assert.match(
      stderr,
      new RegExp(
        `NATS refused the credentials for user ${user} at ${nats.server().url}: authorization violation; check --nats-user/--nats-pass`,
      ),
    );
  });

  test("a node started with another run's configuration is refused", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'azr-other-run-'));
    const text = (await readFile(config, 'utf8'))
      .replace('./slow-validator.ts', resolve('tests/fixtures/slow-validator.ts'))
      .replace('../../examples/', `${resolve('examples')}/`);
    const user = 'azr-distributed-tiny-validator';
    /** A validator node started with `file` is refused: exit 2 with `message`. */
    const refused = async (file: string, message: RegExp) => {
      // Generated passwords are hex: one starting with '-' would read as an option after --nats-pass (a flake, once).
      assert.match(nats.server().passwords[user]!, /^[0-9a-f]{48}$/);
      const login = ['--nats-user', user, '--nats-pass', nats.server().passwords[user]!];
      const { code, stderr } = await azr(
        'node',
        ...['--config', file, '--roles', 'validator', '--nats', nats.server().url, ...login],
      );
      assert.equal(code, 2, stderr);
      assert.match(stderr, message);
    };

    const otherName = join(dir, 'other-name.yaml');
    await writeFile(otherName, text.replace('name: distributed-tiny', 'name: other-run'));
    await refused(otherName, /NATS denied user azr-distributed-tiny-validator .* access to run "other-run"/);

    const head = nats.head(await mkdtemp(join(tmpdir(), 'azr-head-')));
    await head.line(/waiting for nodes/);
    const otherConfig = join(dir, 'other-config.yaml');
    await writeFile(otherConfig, text.replace('delayMs: 250', 'delayMs: 1'));
    await refused(
      otherConfig,
      /run "distributed-tiny" \(run id \w+\) was started from another configuration/,
    );
    head.child.kill('SIGKILL');
    await head.exit;
  });
});
