// Runtime faults in the metrics: a solver whose thread dies in the middle of a step is restarted, the message is
// retried on the new incarnation (which has the weights), the step completes, and its metrics line says so.
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTopology, run } from '../src/index.ts';
import { RuntimeFaults } from '../src/run/runtime-faults.ts';
import { EventBus } from '../src/runtime/events.ts';
import { fragileSolver } from './fixtures/fragile-solver.ts';

test('runtime events become per-part fault counts with their first message, taken step by step', () => {
  const bus = new EventBus();
  const faults = new RuntimeFaults(bus);
  bus.emit({ type: 'crashed', actor: 'solver', at: 1, error: { name: 'Error', message: 'boom\nstack' } });
  bus.emit({ type: 'restarting', actor: 'solver', at: 2, delayMs: 1, attempt: 1, supervisor: 'root' });
  bus.emit({ type: 'restarting', actor: 'solver', at: 3, delayMs: 2, attempt: 2, supervisor: 'root' });
  bus.emit({ type: 'started', actor: 'solver', at: 4, host: 'thread' });
  bus.emit({ type: 'node-lost', actor: 'n1', at: 5, reason: 'no heartbeat for 4000 ms' });
  assert.deepEqual(faults.take(), {
    'actor:solver.crashed': { count: 1, first: 'Error: boom' },
    'actor:solver.restarted': { count: 2, first: 'restart 1 in its window' },
    'node:n1.lost': { count: 1, first: 'no heartbeat for 4000 ms' },
  });
  assert.deepEqual(faults.take(), {}, 'taken: the next step starts from nothing');
});

test('a solver thread that dies mid-step: the step completes and its line counts the restart and the retry', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'azr-runtime-faults-'));
  process.env.AZR_TEST_MARKER = join(dir, 'died');
  try {
    const loaded = await loadTopology('tests/fixtures/selfplay-tiny.yaml');
    loaded.kinds.register(fragileSolver);
    const entry = loaded.topology.actors.find((a) => a.name === 'solver')!;
    Object.assign(entry, { kind: 'fragile-solver', host: 'thread' });
    const lines: string[] = [];
    const summary = await run(loaded, { out: join(dir, 'run'), steps: 1, log: (line) => lines.push(line) });
    assert.equal(summary.steps, 1);
    assert.equal(await readFile(process.env.AZR_TEST_MARKER, 'utf8'), 'died once');
    const metrics = (await readFile(join(dir, 'run', 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const step1 = metrics.find((line) => line.step === 1)!;
    assert.equal(step1['faults.actor:solver.restarted'], 1, JSON.stringify(step1));
    assert.equal(step1['faults.actor:solver.retried'], 1);
    assert.match(String(step1['faultMessage.actor:solver.retried']), /"solve"/);
    assert.ok(
      lines.some((line) => /restarts actor "solver"/.test(line)),
      'the restart is logged',
    );
    assert.equal(summary.faults.solver?.restarts, 1);
  } finally {
    delete process.env.AZR_TEST_MARKER;
  }
});
