import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buffer } from '../actors/buffer.ts';
import { bufferWindow } from '../actors/coordinator.ts';
import type { Task } from '../src/plugins/index.ts';
import { createSystem, SimulatedClock } from '../src/runtime/index.ts';

const task = (i: number, code = `def f(x):\n    return x + ${i}`): Task => ({
  id: `t${i}`,
  mode: 'deduction',
  code,
  input: '1',
  output: String(1 + i),
  step: i,
});

function start(options: Record<string, unknown>, snapshot?: unknown) {
  const system = createSystem({ seed: 5, clock: new SimulatedClock(), supervision: { maxRestarts: 0 } });
  const ref = system.spawn(buffer, {
    name: 'buffer-deduction',
    options: { mode: 'deduction', ...options },
    snapshot,
  });
  return { system, ref };
}

test('capacity evicts the oldest tasks first', async () => {
  const { system, ref } = start({ capacity: 3 });
  assert.equal(await ref.ask({ type: 'add', tasks: [task(1), task(2), task(3), task(4), task(5)] }), 5);
  assert.deepEqual(
    (await ref.ask({ type: 'all' })).map((t) => t.id),
    ['t3', 't4', 't5'],
  );
  await system.stop();
});

test('dedup skips a task whose program differs only in comments and spacing', async () => {
  const { system, ref } = start({ dedup: true });
  const added = await ref.ask({
    type: 'add',
    tasks: [task(1), { ...task(1, 'def f(x):   # add\n    return x + 1\n\n'), id: 'copy' }, task(2)],
  });
  assert.equal(added, 2);
  assert.equal(await ref.ask({ type: 'size' }), 2);
  await system.stop();
});

test('sampling is uniform over the buffer, seeded, and resumes exactly from a snapshot', async () => {
  const first = start({ fingerprint: 'cfg-1' });
  await first.ref.ask({ type: 'add', tasks: Array.from({ length: 10 }, (_, i) => task(i)) });
  await first.ref.ask({ type: 'sample', count: 7 });
  const [snapshot] = Object.values(await first.system.snapshot());
  const continued = (await first.ref.ask({ type: 'sample', count: 2000 })).map((t) => t.id);
  await first.system.stop();
  const counts = new Map<string, number>();
  for (const id of continued) counts.set(id, (counts.get(id) ?? 0) + 1);
  assert.equal(counts.size, 10);
  for (const count of counts.values())
    assert.ok(count > 140 && count < 260, `uniform: ${[...counts.values()]}`);

  const resumed = start({ fingerprint: 'cfg-1' }, snapshot);
  assert.deepEqual(
    (await resumed.ref.ask({ type: 'sample', count: 2000 })).map((t) => t.id),
    continued,
  );
  await resumed.system.stop();
});

test('a corrupt snapshot or one from another configuration is refused, never replaced by an empty buffer', async () => {
  for (const [snapshot, message] of [
    [{ garbage: true }, /not a buffer snapshot \(corrupt\?\)/],
    [
      { kind: 'azr-buffer', mode: 'deduction', fingerprint: 'other', rng: [1, 2, 3, 4], tasks: [] },
      /from another configuration/,
    ],
    [
      { kind: 'azr-buffer', mode: 'induction', fingerprint: 'cfg-1', rng: [1, 2, 3, 4], tasks: [] },
      /holds "induction" tasks/,
    ],
  ] as const) {
    const { system } = start({ fingerprint: 'cfg-1' }, snapshot);
    const report = await system.stopped;
    assert.equal(report.reason, 'escalated');
    assert.match(report.error!.message, message);
  }
});

test('draw: distinct tasks per group (all 3 of a buffer of 3 for K = 6), excluding ids, resumed exactly', async () => {
  const first = start({ fingerprint: 'cfg-1' });
  await first.ref.ask({ type: 'add', tasks: [task(1), task(2), task(3)] });
  const groups = await first.ref.ask({ type: 'draw', counts: [6, 6, 2, 0] });
  assert.deepEqual(
    groups.map((g) => g.length),
    [3, 3, 2, 0],
  );
  for (const group of groups) assert.equal(new Set(group.map((t) => t.id)).size, group.length);
  const [excluded] = await first.ref.ask({ type: 'draw', counts: [5], exclude: ['t1', 't3'] });
  assert.deepEqual(
    excluded!.map((t) => t.id),
    ['t2'],
  );
  const [snapshot] = Object.values(await first.system.snapshot());
  const continued = await first.ref.ask({ type: 'draw', counts: [2, 2, 2, 2] });
  await first.system.stop();
  const resumed = start({ fingerprint: 'cfg-1' }, snapshot);
  assert.deepEqual(await resumed.ref.ask({ type: 'draw', counts: [2, 2, 2, 2] }), continued);
  await resumed.system.stop();
});

test('recent: the last n tasks added, oldest first; fewer when the buffer holds fewer', async () => {
  const { system, ref } = start({ capacity: 4 });
  await ref.ask({ type: 'add', tasks: [task(1), task(2), task(3), task(4), task(5)] });
  const ids = async (count: number) => (await ref.ask({ type: 'recent', count })).map((t) => t.id);
  assert.deepEqual(await ids(2), ['t4', 't5']);
  assert.deepEqual(await ids(10), ['t2', 't3', 't4', 't5']);
  assert.deepEqual(await ids(0), []);
  await system.stop();
});

test('the coordinator reads the largest window its shapers ask for: all for one without a window, none if none reads', () => {
  const shaper = (needsBuffer?: boolean, bufferWindow?: number) => ({
    name: 's',
    needsBuffer,
    bufferWindow,
    reward: () => 0,
  });
  assert.equal(bufferWindow([shaper(), shaper(false, 50)]), 0);
  assert.equal(bufferWindow([shaper(true, 50), shaper(true, 2000), shaper()]), 2000);
  assert.equal(bufferWindow([shaper(true, 50), shaper(true)]), Infinity);
});
