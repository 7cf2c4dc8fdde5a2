import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ActorStoppedError, type ActorSystem, createSystem, SimulatedClock } from '../src/runtime/index.ts';
import { probe } from './fixtures/probe-actor.ts';

function setup(supervision = {}) {
  const clock = new SimulatedClock();
  const system = createSystem({ clock, supervision: { maxRestarts: 100, withinMs: 1000, ...supervision } });
  return { clock, system };
}

/** Crashes the actor and waits until its supervisor has scheduled the restart. */
async function crash(system: ActorSystem, name: string) {
  const restarting = system.events.next('restarting', (e) => e.actor === name);
  await system.lookup<typeof probe.protocol.spec>(name).tell({ type: 'crash' });
  return restarting;
}

async function ping(system: ActorSystem, name: string): Promise<number> {
  return system.lookup<typeof probe.protocol.spec>(name).ask({ type: 'ping' });
}

/** Two probes, a and b, under one supervisor `group` with `strategy`. */
function spawnPair(system: ActorSystem, strategy: 'one-for-one' | 'all-for-one') {
  const group = system.supervisor({ name: 'group', strategy, maxRestarts: 5, withinMs: 1000 });
  system.spawn(probe, { name: 'a', parent: group });
  system.spawn(probe, { name: 'b', parent: group });
}

describe('strategies', () => {
  test('one-for-one restarts only the child that crashed, with fresh state', async () => {
    const { clock, system } = setup();
    spawnPair(system, 'one-for-one');
    assert.equal(await ping(system, 'a'), 0);
    assert.equal(await ping(system, 'b'), 0);
    const restarting = await crash(system, 'a');
    clock.increment(restarting.delayMs);
    assert.equal(await ping(system, 'a'), 0, 'a restarted from init');
    assert.equal(await ping(system, 'b'), 1, 'b kept its state');
    assert.equal(system.stats('a').starts, 2);
    assert.equal(system.stats('b').starts, 1);
    await system.stop();
  });

  test('all-for-one restarts every child of the supervisor', async () => {
    const { clock, system } = setup();
    spawnPair(system, 'all-for-one');
    await ping(system, 'a');
    await ping(system, 'b');
    const restarting = await crash(system, 'a');
    const bStarted = system.events.next('started', (e) => e.actor === 'b');
    clock.increment(restarting.delayMs);
    await bStarted;
    assert.equal(await ping(system, 'a'), 0);
    assert.equal(await ping(system, 'b'), 0, 'b was restarted too');
    assert.equal(system.stats('b').starts, 2);
    await system.stop();
  });
});

/** Spawns probe `name` with `restart`, crashes it, and checks that it came back from init. */
async function crashedAndRestarted(name: string, restart: 'permanent' | 'transient') {
  const { clock, system } = setup();
  const ref = system.spawn(probe, { name, restart });
  clock.increment((await crash(system, name)).delayMs);
  assert.equal(await ping(system, name), 0);
  return { clock, system, ref };
}

describe('restart kinds', () => {
  test('permanent: restarted after a crash and after a normal exit', async () => {
    const { clock, system, ref } = await crashedAndRestarted('p', 'permanent');
    const restarting = system.events.next('restarting', (e) => e.actor === 'p');
    await ref.tell({ type: 'finish' });
    clock.increment((await restarting).delayMs);
    assert.equal(await ping(system, 'p'), 0);
    assert.equal(system.stats('p').starts, 3);
    await system.stop();
  });

  test('transient: restarted after a crash, not after a normal exit', async () => {
    const { system, ref } = await crashedAndRestarted('t', 'transient');
    const terminated = system.events.next('terminated', (e) => e.actor === 't');
    await ref.tell({ type: 'finish' });
    assert.match((await terminated).reason, /exited/);
    await assert.rejects(ref.ask({ type: 'ping' }), ActorStoppedError);
    await system.stop();
  });

  test('temporary: never restarted; a pending ask fails with the reason', async () => {
    const { system } = setup();
    const ref = system.spawn(probe, { name: 'tmp', restart: 'temporary' });
    const terminated = system.events.next('terminated', (e) => e.actor === 'tmp');
    await ref.tell({ type: 'crash' });
    assert.match((await terminated).reason, /crashed \(temporary\): boom/);
    await assert.rejects(ref.ask({ type: 'ping' }), ActorStoppedError);
    assert.equal(system.stats('tmp').starts, 1);
    await system.stop();
  });
});

describe('restart budget and backoff', () => {
  test('backoff grows exponentially between restarts within the window', async () => {
    const { clock, system } = setup();
    const group = system.supervisor({
      name: 'group',
      maxRestarts: 5,
      withinMs: 60_000,
      backoff: { initialMs: 100, factor: 2, maxMs: 300 },
    });
    system.spawn(probe, { name: 'x', parent: group });
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const restarting = await crash(system, 'x');
      delays.push(restarting.delayMs);
      const started = system.events.next('started', (e) => e.actor === 'x');
      clock.increment(restarting.delayMs - 1);
      let startedYet = false;
      void started.then(() => {
        startedYet = true;
      });
      await new Promise((r) => setImmediate(r));
      assert.equal(startedYet, false, 'not restarted before its backoff has passed');
      clock.increment(1);
      await started;
    }
    assert.deepEqual(delays, [100, 200, 300], 'doubles, capped at maxMs');
    await system.stop();
  });

  test('over budget, a supervisor escalates: its parent restarts the whole group', async () => {
    const { clock, system } = setup();
    const group = system.supervisor({ name: 'group', maxRestarts: 2, withinMs: 1000 });
    system.spawn(probe, { name: 'a', parent: group });
    system.spawn(probe, { name: 'b', parent: group });
    await ping(system, 'b');
    clock.increment((await crash(system, 'a')).delayMs);
    clock.increment((await crash(system, 'a')).delayMs);
    const escalated = system.events.next('escalated', (e) => e.actor === 'group');
    const groupRestarting = system.events.next('restarting', (e) => e.actor === 'group');
    await system.lookup<typeof probe.protocol.spec>('a').tell({ type: 'crash' });
    assert.match(
      (await escalated).reason,
      /child "a" exited more than 2 time\(s\) within 1000 ms; last: boom/,
    );
    const bStarted = system.events.next('started', (e) => e.actor === 'b');
    clock.increment((await groupRestarting).delayMs);
    await bStarted;
    assert.equal(await ping(system, 'b'), 0, 'b restarted with its group');
    await system.stop();
  });

  test('restarts outside the window do not count against the budget', async () => {
    const { clock, system } = setup();
    const group = system.supervisor({ name: 'group', maxRestarts: 1, withinMs: 1000 });
    system.spawn(probe, { name: 'a', parent: group });
    let escalations = 0;
    system.events.on((e) => {
      if (e.type === 'escalated') escalations++;
    });
    for (let i = 0; i < 3; i++) {
      clock.increment((await crash(system, 'a')).delayMs);
      await ping(system, 'a');
      clock.increment(1000);
    }
    assert.equal(escalations, 0);
    await system.stop();
  });

  test('the root over budget stops the system with a report', async () => {
    const clock = new SimulatedClock();
    const system = createSystem({ clock, supervision: { maxRestarts: 1, withinMs: 5000 } });
    system.spawn(probe, { name: 'a' });
    clock.increment((await crash(system, 'a')).delayMs);
    await system.lookup<typeof probe.protocol.spec>('a').tell({ type: 'crash' });
    const report = await system.stopped;
    assert.equal(report.reason, 'escalated');
    assert.match(report.error!.message, /supervisor "root": child "a" exited more than 1 time/);
    assert.equal(report.actors.a!.crashes, 2);
    assert.equal(report.events.crashed, 2);
  });
});
