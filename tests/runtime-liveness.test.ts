// The head's judgement of which nodes are alive: silence counts only while the head could hear.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Liveness } from '../src/runtime/liveness.ts';

const track = () => new Liveness<string>({ sweepMs: 1000, missed: 3 });

test('a node silent for more than three heartbeats is lost, once', () => {
  const nodes = track();
  assert.equal(nodes.heard('a', 'node a', 1000, 0), true);
  assert.equal(nodes.heard('a', 'node a', 1000, 900), false, 'a known node is not new');
  for (let t = 1000; t <= 3900; t += 1000) assert.deepEqual(nodes.sweep(t), []);
  assert.deepEqual(nodes.sweep(4000), [{ id: 'a', value: 'node a', silentMs: 3100 }]);
  assert.deepEqual(nodes.sweep(5000), []);
  assert.equal(nodes.size, 0);
});

test("a node's own slower heartbeat sets its limit", () => {
  const nodes = track();
  nodes.heard('slow', 'slow', 5000, 0);
  for (let t = 1000; t <= 15_000; t += 1000) assert.deepEqual(nodes.sweep(t), [], `at ${t}`);
  assert.equal(nodes.sweep(16_000).length, 1);
});

test('a head that stalled (its sweep came late) credits the stall to every node', () => {
  const nodes = track();
  nodes.heard('a', 'a', 1000, 0);
  assert.deepEqual(nodes.sweep(1000), []);
  // An inline actor held the event loop for 8 s: the next sweep runs at 10 s, before the queued heartbeats.
  assert.deepEqual(nodes.sweep(10_000), [], 'not lost for the time the head could not listen');
  nodes.heard('a', 'a', 1000, 10_001);
  assert.deepEqual(nodes.sweep(11_000), []);
});

test('a node that really stops is still found after a stall', () => {
  const nodes = track();
  nodes.heard('a', 'a', 1000, 0);
  nodes.sweep(1000);
  nodes.sweep(10_000);
  assert.deepEqual(nodes.sweep(11_000), [], '3 s of silence the head could hear: not yet');
  assert.deepEqual(nodes.sweep(12_000), [{ id: 'a', value: 'a', silentMs: 4000 }]);
});

test('no node is lost while the head is cut off from NATS, nor for the outage afterwards', () => {
  const nodes = track();
  nodes.heard('a', 'a', 1000, 0);
  nodes.sweep(1000);
  nodes.deaf(1500);
  for (let t = 2000; t <= 40_000; t += 1000) assert.deepEqual(nodes.sweep(t), [], `at ${t}`);
  nodes.hearing(40_200);
  assert.deepEqual(nodes.sweep(41_000), []);
  const lost = nodes.sweep(42_000);
  assert.equal(lost.length, 1, 'silent before and after the outage for more than 3 s in all: lost');
  assert.equal(lost[0]!.silentMs, 3300);
});

test('a node that leaves is forgotten', () => {
  const nodes = track();
  nodes.heard('a', 'a', 1000, 0);
  assert.equal(nodes.forget('a'), true);
  assert.equal(nodes.forget('a'), false);
  assert.deepEqual(nodes.values(), []);
});
