import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AskTimeoutError,
  createSystem,
  decode,
  encode,
  MessageRejectedError,
  NoReplyError,
  SimulatedClock,
} from '../src/runtime/index.ts';
import { counter } from './fixtures/counter-actor.ts';
import { gate, probe } from './fixtures/probe-actor.ts';

test('a malformed message is rejected with the JSON pointer of its first problem; the actor keeps running', async () => {
  const system = createSystem();
  const ref = system.spawn(counter, { name: 'c' });
  const rejected = system.events.next('rejected');
  const cases: [unknown, string][] = [
    [{ type: 'add', n: 'seven' }, '/n'],
    [{ type: 'add' }, '/n'],
    [{ type: 'add', n: 1, extra: true }, '/extra'],
    [{ type: 'nope' }, '/type'],
  ];
  for (const [message, pointer] of cases) {
    await assert.rejects(ref.ask(message as never), (error: unknown) => {
      assert.ok(error instanceof MessageRejectedError);
      assert.equal(error.pointer, pointer);
      assert.equal(error.actor, 'c');
      return true;
    });
  }
  await ref.tell({ type: 'add', n: 'x' } as never);
  assert.equal((await rejected).pointer, '/n');
  await ref.tell({ type: 'add', n: 4 });
  assert.equal(await ref.ask({ type: 'get' }), 4);
  assert.equal(system.stats('c').rejected, 5);
  assert.equal(system.stats('c').crashes, 0);
  await system.stop();
});

test('an ask times out on the injected clock', async () => {
  const clock = new SimulatedClock();
  const system = createSystem({ clock });
  const ref = system.spawn(probe, { name: 'p' });
  const open = gate('timeout');
  await ref.tell({ type: 'wait', gate: 'timeout' });
  const asked = ref.ask({ type: 'ping' }, { timeoutMs: 250 });
  clock.increment(249);
  let settled = false;
  void asked.catch(() => {
    settled = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false);
  clock.increment(1);
  await assert.rejects(
    asked,
    (error: unknown) => error instanceof AskTimeoutError && error.timeoutMs === 250,
  );
  open();
  assert.equal(await ref.ask({ type: 'ping' }), 1, 'the late message was still handled');
  await system.stop();
});

test('an ask the handler never answers fails with NoReplyError', async () => {
  const system = createSystem();
  const ref = system.spawn(probe, { name: 'p' });
  await assert.rejects(ref.ask({ type: 'silent' } as never), NoReplyError);
  await system.stop();
});

test('inline messages are copied at send time: the sender cannot mutate what the actor receives', async () => {
  const system = createSystem();
  const ref = system.spawn(probe, { name: 'p' });
  const open = gate('copy');
  await ref.tell({ type: 'wait', gate: 'copy' });
  const value = { list: [1, 2] };
  await ref.tell({ type: 'note', value });
  value.list.push(3);
  open();
  assert.deepEqual(await ref.ask({ type: 'notes' }), [{ list: [1, 2] }]);
  await system.stop();
});

test('the codec keeps typed arrays and nested values', () => {
  const value = {
    weights: new Float32Array([1.5, -2, 3.25]),
    ids: new Int32Array([7, 8]),
    nested: { a: [1, 'x', null] },
  };
  const back = decode<typeof value>(encode(value));
  assert.ok(back.weights instanceof Float32Array);
  assert.deepEqual([...back.weights], [1.5, -2, 3.25]);
  assert.ok(back.ids instanceof Int32Array);
  assert.deepEqual(back.nested, value.nested);
});
