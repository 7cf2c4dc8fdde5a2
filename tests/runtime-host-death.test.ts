// Finding 3 of issue 19: a thread or process host that dies while its actor handles a message. The message is
// retried on the replacement (bounded, then dead-lettered), and the last broadcast (the weights) is handed to
// the replacement before anything else.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BroadcastChannel } from 'node:worker_threads';
import { Type } from '@sinclair/typebox';
import { createSystem, defineActor, type HostKind } from '../src/runtime/index.ts';
import { fragile, killChannel, observerProtocol } from './fixtures/fragile-actor.ts';

interface Holding {
  n: number;
  pid: number;
  threadId: number;
}

/** An inline observer: says which `work` attempts hold (the first `holds` ones) and reports each to the test. */
function observer(holds: number, seen: (holding: Holding) => void) {
  let count = 0;
  return defineActor({
    kind: 'observer',
    protocol: observerProtocol,
    options: Type.Object({}),
    init: () => ({}),
    handlers: {
      holding: (state, msg, ctx) => {
        count++;
        ctx.reply(count <= holds);
        seen(msg);
        return state;
      },
    },
  });
}

function kill(host: HostKind, holding: Holding): void {
  if (host === 'process') process.kill(holding.pid, 'SIGKILL');
  else {
    const channel = new BroadcastChannel(killChannel);
    channel.postMessage(holding.threadId);
    channel.close();
  }
}

function setup(holds: number, host: HostKind) {
  const lines: string[] = [];
  const sys = createSystem({
    seed: 1,
    log: (line) => lines.push(line),
    supervision: { maxRestarts: 10, withinMs: 60_000, backoff: { initialMs: 1, factor: 1, maxMs: 1 } },
  });
  // Each attempt that holds is killed as soon as it says so.
  const attempts: Holding[] = [];
  sys.spawn(
    observer(holds, (holding) => {
      attempts.push(holding);
      if (attempts.length <= holds) kill(host, holding);
    }),
    { name: 'observer' },
  );
  const ref = sys.spawn(fragile, { name: 'fragile', host });
  return { sys, ref, attempts, lines };
}

describe('a host that dies mid-message', () => {
  for (const host of ['thread', 'process'] as const) {
    test(`${host}: the message in hand succeeds on the replacement, which has the last weights`, async () => {
      const { sys, ref, attempts, lines } = setup(1, host);
      assert.equal(await ref.ask({ type: 'setWeights', version: 3 }), 3);
      const reply = await ref.ask({ type: 'work', n: 7 });
      assert.equal(reply.n, 7);
      assert.equal(reply.version, 3, 'the replacement got the last broadcast before the retried message');
      assert.equal(attempts.length, 2);
      if (host === 'process') assert.notEqual(reply.pid, attempts[0]!.pid, 'a new child process answered');
      const stats = sys.stats('fragile');
      assert.equal(stats.crashes, 1);
      assert.equal(stats.starts, 2);
      assert.equal(stats.retried, 1);
      assert.equal(stats.deadLettered, 0);
      assert.ok(
        lines.some((l) =>
          /root restarts actor "fragile" in 1 ms .*(worker thread exited|killed by SIGKILL)/.test(l),
        ),
        lines.join('\n'),
      );
      assert.ok(lines.some((l) => l === 'actor "fragile": message "work" retried (attempt 2)'));
      await sys.stop();
    });

    test(`${host}: a message whose host dies on every attempt is dead-lettered, naming actor and type`, async () => {
      const { sys, ref, attempts } = setup(3, host);
      await assert.rejects(
        ref.ask({ type: 'work', n: 1 }),
        /message "work" to actor "fragile" dead-lettered: its host died while handling it 3 time\(s\)/,
      );
      assert.equal(attempts.length, 3);
      assert.equal(sys.stats('fragile').deadLettered, 1);
      assert.equal((await ref.ask({ type: 'work', n: 2 })).n, 2, 'the actor serves later messages');
      await sys.stop();
    });
  }
});
