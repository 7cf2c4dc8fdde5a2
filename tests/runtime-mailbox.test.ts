import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createSystem,
  MailboxFullError,
  MessageDroppedError,
  type OverflowPolicy,
  SimulatedClock,
} from '../src/runtime/index.ts';
import { BoundedMailbox } from '../src/runtime/mailbox.ts';
import { gate, probe } from './fixtures/probe-actor.ts';

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A probe whose handler is held on a gate, with `capacity` more messages allowed to wait. */
async function blockedProbe(overflow: OverflowPolicy, capacity: number, gateName: string) {
  const system = createSystem({ clock: new SimulatedClock() });
  const ref = system.spawn(probe, { name: 'p', mailbox: { capacity, overflow } });
  const open = gate(gateName);
  await ref.tell({ type: 'wait', gate: gateName });
  await turn();
  return { system, ref, open };
}

test('backpressure: a tell to a full mailbox waits until there is room, and order is kept', async () => {
  const { system, ref, open } = await blockedProbe('backpressure', 2, 'bp');
  await ref.tell({ type: 'note', value: 1 });
  await ref.tell({ type: 'note', value: 2 });
  let thirdAccepted = false;
  const third = ref.tell({ type: 'note', value: 3 }).then(() => {
    thirdAccepted = true;
  });
  for (let i = 0; i < 5; i++) await turn();
  assert.equal(thirdAccepted, false, 'the sender is still blocked while the mailbox is full');
  open();
  await third;
  assert.equal(thirdAccepted, true);
  assert.deepEqual(await ref.ask({ type: 'notes' }), [1, 2, 3]);
  assert.equal(system.stats('p').dropped, 0);
  await system.stop();
});

test('drop-oldest: a full mailbox pushes out its oldest message, whose ask fails', async () => {
  const { system, ref, open } = await blockedProbe('drop-oldest', 2, 'drop');
  const firstAsk = ref.ask({ type: 'note', value: 1 });
  await ref.tell({ type: 'note', value: 2 });
  await ref.tell({ type: 'note', value: 3 });
  await ref.tell({ type: 'note', value: 4 });
  await assert.rejects(firstAsk, MessageDroppedError);
  open();
  await system.drain();
  assert.deepEqual(await ref.ask({ type: 'notes' }), [3, 4]);
  assert.equal(system.stats('p').dropped, 2);
  await system.stop();
});

test('reject: a tell or ask to a full mailbox fails at once', async () => {
  const { system, ref, open } = await blockedProbe('reject', 1, 'rej');
  await ref.tell({ type: 'note', value: 1 });
  await assert.rejects(ref.tell({ type: 'note', value: 2 }), MailboxFullError);
  await assert.rejects(ref.ask({ type: 'notes' }), /mailbox of actor "p" is full/);
  open();
  await system.drain();
  assert.deepEqual(await ref.ask({ type: 'notes' }), [1]);
  await system.stop();
});

test('a mailbox refuses a capacity that is not a positive integer', () => {
  assert.throws(
    () => new BoundedMailbox('m', { capacity: 0, overflow: 'reject' }),
    /capacity of "m" must be an integer ≥ 1/,
  );
  assert.throws(() => new BoundedMailbox('m', { capacity: 1.5, overflow: 'reject' }), RangeError);
});

test('drain resolves once every message has been handled', async () => {
  const { system, ref, open } = await blockedProbe('backpressure', 10, 'drain');
  for (let i = 0; i < 5; i++) await ref.tell({ type: 'note', value: i });
  let drained = false;
  const draining = system.drain().then(() => {
    drained = true;
  });
  await turn();
  assert.equal(drained, false);
  open();
  await draining;
  assert.equal(system.stats('p').processed, 6);
  await system.stop();
});
