import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ActorStoppedError,
  type ActorSystem,
  createSystem,
  type HostKind,
  hostKinds,
} from '../src/runtime/index.ts';
import { counter } from './fixtures/counter-actor.ts';

function system(): ActorSystem {
  return createSystem({
    seed: 7,
    supervision: { maxRestarts: 10, withinMs: 10_000, backoff: { initialMs: 1, factor: 2, maxMs: 10 } },
  });
}

async function crashAndRestart(sys: ActorSystem, name: string, crash: () => Promise<unknown>) {
  const restarted = sys.events.next('started', (e) => e.actor === name);
  await crash();
  await restarted;
}

describe('one actor definition on every host', () => {
  for (const host of hostKinds) {
    test(`${host}: state, replies, typed arrays, refs to peers, crash and restart, snapshot and restore`, async () => {
      const sys = system();
      sys.spawn(counter, { name: 'peer' });
      const ref = sys.spawn(counter, { name: 'c', host, options: { start: 5 } });
      await ref.tell({ type: 'add', n: 2 });
      assert.equal(await ref.ask({ type: 'get' }), 7);
      const echoed = await ref.ask({ type: 'echo', data: { w: new Float32Array([0.5, 2]) } });
      assert.ok(echoed.w instanceof Float32Array, 'typed arrays survive the boundary');
      assert.equal(
        await ref.ask({ type: 'forward', to: 'peer', n: 3 }),
        3,
        'ctx.ref reaches a peer from any host',
      );
      const pid = await ref.ask({ type: 'pid' });
      assert.equal(pid === process.pid, host !== 'process');
      assert.deepEqual(await sys.snapshot(), { peer: { n: 3 }, c: { n: 7 } });

      await assert.rejects(
        ref.ask({ type: 'fail', reason: 'kaput' }),
        /actor "c" crashed while handling the message: kaput/,
      );
      await sys.events.next('started', (e) => e.actor === 'c');
      assert.equal(await ref.ask({ type: 'get' }), 5, 'restarted from init');
      await assert.rejects(ref.ask({ type: 'add', n: 1.5 } as never), /\/n must be integer/);
      await sys.stop();

      const restored = system();
      const again = restored.spawn(counter, { name: 'c', host, snapshot: { n: 7 } });
      assert.equal(await again.ask({ type: 'get' }), 7, 'restored from the snapshot instead of init');
      await restored.stop();
    });
  }
});

describe('a host that dies mid-conversation is replaced and later messages are delivered', () => {
  const remoteHosts: HostKind[] = ['thread', 'process'];
  for (const host of remoteHosts) {
    test(`${host}: process.exit inside the handler`, async () => {
      const sys = system();
      const ref = sys.spawn(counter, { name: 'c', host });
      await ref.tell({ type: 'add', n: 1 });
      const crashed = sys.events.next('crashed');
      await crashAndRestart(sys, 'c', async () => {
        await ref.tell({ type: 'exit', code: 3 });
        for (let i = 0; i < 5; i++) await ref.tell({ type: 'add', n: 10 });
      });
      assert.match((await crashed).error.message, /exited with code 3/);
      assert.equal(
        await ref.ask({ type: 'get' }),
        50,
        'the messages sent after the fatal one were delivered',
      );
      await sys.stop();
    });
  }

  test('process: kill -9 from outside while a message is in flight', async () => {
    const sys = system();
    const ref = sys.spawn(counter, { name: 'c', host: 'process' });
    const pid = await ref.ask({ type: 'pid' });
    const inFlight = ref.ask({ type: 'block' } as never);
    const crashed = sys.events.next('crashed');
    const retried = sys.events.next('retried');
    const restarted = sys.events.next('started', (e) => e.actor === 'c');
    process.kill(pid, 'SIGKILL');
    assert.match((await crashed).error.message, /killed by SIGKILL/);
    assert.equal((await retried).messageType, 'block', 'the message in hand is retried, not failed');
    await restarted;
    assert.equal(sys.stats('c').retried, 1);
    await sys.stop();
    await assert.rejects(inFlight, (e: unknown) => e instanceof ActorStoppedError);
  });
});
