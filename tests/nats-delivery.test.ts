import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { connect, headers } from '@nats-io/transport-node';
import { loadConfig } from '../src/run/load.ts';
import { startHead } from '../src/cli/nats.ts';
import type { ActorSystem } from '../src/runtime/index.ts';
import type { NatsHead } from '../src/runtime/nats-head.ts';
import { runNames } from '../src/runtime/nats-subjects.ts';
import { buildTopology } from '../src/topology/index.ts';
import type { remoteProbeProtocol } from './fixtures/remote-probe.ts';
import { type NatsServer, startNats } from './helpers/nats-server.ts';

const config = 'tests/fixtures/remote-probe.yaml';
const names = runNames('remote-probe');
let nats: NatsServer;
let head: NatsHead;
let system: ActorSystem;
const nodes = new Map<string, ChildProcess>();

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

function startNode(id: string): ChildProcess {
  const child = spawn(
    process.execPath,
    ['bin/azr.js', 'node', '--config', config, '--roles', 'probe', '--id', id, '--nats', nats.url],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, AZR_NATS_PASS: nats.passwords[names.user('probe')] },
    },
  );
  nodes.set(id, child);
  return child;
}

function killNode(id: string): Promise<unknown> {
  const child = nodes.get(id)!;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  return exited;
}

before(async () => {
  nats = await startNats(config);
  const loaded = await loadConfig(config);
  head = await startHead(loaded, { nats: nats.url, 'nats-secrets': nats.secrets }, { log: () => {} });
  system = buildTopology(loaded, { hosts: { remote: head.host } });
  head.attach(system);
});

after(async () => {
  await system.stop();
  await head.close();
  for (const child of nodes.values())
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await nats.stop();
});

test('broadcasts reach late nodes, payloads over the limit go by reference, refs reach the head, bad messages are refused, lost jobs are dead-lettered', async () => {
  const probe = system.lookup<typeof remoteProbeProtocol.spec>('probe');
  startNode('first');
  await head.waitForRoles(10_000, () => {});

  const weights = Float32Array.from({ length: 50_000 }, (_, i) => i / 7);
  assert.equal(
    await probe.ask({ type: 'load', version: 1, weights }),
    1,
    'a broadcast is answered by a copy',
  );
  const echoed = await probe.ask({ type: 'echo', data: { weights } });
  assert.ok(echoed.weights instanceof Float32Array && echoed.weights.length === weights.length);
  assert.equal(echoed.weights[49_999], weights[49_999], '200 KB each way through the object store');
  assert.equal(
    await probe.ask({ type: 'forward', to: 'peer' }),
    41,
    'ctx.ref from a node reaches an actor of the head',
  );
  await assert.rejects(
    probe.ask({ type: 'echo' } as never),
    /actor "probe" rejected message "echo": \/data is required/,
  );

  // A node that joins after the broadcast applies it before its first job.
  const late = startNode('late');
  await until(() => head.nodes.size === 2);
  await killNode('first');
  // Until the head has seen it go, the server may still hand a job to the dead node's pending pull.
  await until(() => head.nodes.size === 1);
  const { version, pid } = await probe.ask({ type: 'version' });
  assert.equal(pid, late.pid);
  assert.equal(version, 1, 'the late node had applied the broadcast');

  // A reply with headers no node sends is counted and dropped.
  const nc = await connect({ servers: nats.url, user: names.headUser, pass: nats.passwords[names.headUser] });
  const forged = headers();
  forged.set('Azr-Job', 'no-such-job');
  nc.publish(names.reply('probe'), new Uint8Array([1, 2, 3]));
  nc.publish(names.reply('probe'), new Uint8Array([1, 2, 3]), { headers: forged });
  await nc.flush();
  await until(() => head.stats.malformed >= 2);

  // A job whose node dies while holding it, with maxDeliver 1, is dead-lettered once another node asks for work.
  const failed = assert.rejects(
    probe.ask({ type: 'exit' }),
    /job \S+ \("exit"\) was delivered 1 times and never completed .* dead-letter record on azr\.remote-probe\.dead\.probe/,
  );
  await new Promise((resolve) => late.once('exit', resolve));
  startNode('third');
  await failed;
  assert.equal(head.stats.deadLettered, 1);
  const jsm = await (await import('@nats-io/jetstream')).jetstreamManager(nc);
  const record = await jsm.streams.getMessage(names.deadStream, { last_by_subj: names.dead('probe') });
  assert.equal(JSON.parse(new TextDecoder().decode(record!.data)).type, 'exit');
  assert.deepEqual(await probe.ask({ type: 'version' }).then((r) => r.version), 1, 'and the run goes on');
  assert.equal(head.stats.duplicates, 0);
  await nc.close();
});
