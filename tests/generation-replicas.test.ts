// Generation replicas that share the work (docs/distributed.md, "Scaling generation"): a proposer or solver entry
// with `count: N` runs N replicas, and the coordinator splits every generation request over them as contiguous
// row ranges, each row with its own random stream, merged in row order. So a run is the same for any N: the same
// tokens, the same metrics. Real actors on real hosts (inline, worker threads), a tiny model, the real executor.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { generatorShards, replicaGroup, replicaNames } from '../actors/replicas.ts';
import type { solverProtocol } from '../actors/solver.ts';
import type { learnerProtocol } from '../actors/learner.ts';
import type { bufferProtocol } from '../actors/buffer.ts';
import type { coordinatorProtocol } from '../actors/coordinator.ts';
import { buildTopology, loadTopology, run } from '../src/index.ts';
import { mergeShardReplies, shardRanges } from '../src/selfplay/shards.ts';
import { fragileSolver } from './fixtures/fragile-solver.ts';

const topology = 'tests/fixtures/selfplay-tiny.yaml';
const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'azr-replicas-'));
  dirs.push(dir);
  return dir;
};

describe('shard arithmetic', () => {
  test('rows split into contiguous, balanced, non-empty ranges in order', () => {
    assert.deepEqual(shardRanges(10, 3), [
      { start: 0, end: 4 },
      { start: 4, end: 7 },
      { start: 7, end: 10 },
    ]);
    assert.deepEqual(shardRanges(2, 3), [
      { start: 0, end: 1 },
      { start: 1, end: 2 },
    ]);
    assert.deepEqual(shardRanges(0, 3), []);
    assert.deepEqual(shardRanges(5, 1), [{ start: 0, end: 5 }]);
    for (let rows = 0; rows < 40; rows++)
      for (let parts = 1; parts < 9; parts++) {
        const ranges = shardRanges(rows, parts);
        assert.equal(ranges.length, Math.min(rows, parts));
        ranges.forEach((r, i) => {
          assert.ok(r.end > r.start);
          assert.equal(r.start, i === 0 ? 0 : ranges[i - 1]!.end);
        });
        if (rows) assert.equal(ranges.at(-1)!.end, rows);
        const sizes = ranges.map((r) => r.end - r.start);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
      }
  });

  test('replies merge in row order: rows concatenated, faults added with the first message in row order', () => {
    const merged = mergeShardReplies('answers', [
      { answers: ['a', 'b'], faults: { 'mode:x.parse': { count: 1, first: 'first' } }, computeMs: 5 },
      {
        answers: ['c'],
        faults: { 'mode:x.parse': { count: 2, first: 'later' }, 'mode:x.prompt': { count: 1, first: 'p' } },
        computeMs: 9,
      },
    ]);
    assert.deepEqual(merged, {
      answers: ['a', 'b', 'c'],
      faults: { 'mode:x.parse': { count: 3, first: 'first' }, 'mode:x.prompt': { count: 1, first: 'p' } },
      computeMs: 9,
    });
  });

  test('replica names follow the topology builder: NAME for one, NAME-i for several', () => {
    assert.deepEqual(replicaNames('solver', 1), ['solver']);
    assert.deepEqual(replicaNames('solver', 3), ['solver-0', 'solver-1', 'solver-2']);
    assert.deepEqual(Object.keys(generatorShards).sort(), ['propose', 'solve']);
  });
});

/** The tiny topology with the proposer and solver as `count` replicas on `host`, and a single solver beside them. */
async function loadWith(count: number, host: 'inline' | 'thread', extra?: (kind: string) => string) {
  const loaded = await loadTopology(topology);
  for (const name of ['proposer', 'solver']) {
    const entry = loaded.topology.actors.find((a) => a.name === name)!;
    Object.assign(entry, { count, host, kind: extra?.(entry.kind) ?? entry.kind });
  }
  return loaded;
}

describe('replicas give the same tokens as one generator', () => {
  for (const host of ['inline', 'thread'] as const) {
    test(`${host}: 3 solver replicas answer a request exactly as one solver`, async () => {
      const loaded = await loadWith(3, host);
      const solverEntry = loaded.topology.actors.find((a) => a.name === 'solver')!;
      loaded.topology.actors.push({ ...solverEntry, name: 'single', count: 1 });
      const system = buildTopology(loaded);
      try {
        const coordinator = system.lookup<typeof coordinatorProtocol.spec>('coordinator');
        await coordinator.ask({ type: 'seed' }); // sends the initial weights to the replicas, seeds the buffers
        const { payload } = await system
          .lookup<typeof learnerProtocol.spec>('learner')
          .ask({ type: 'weights' });
        const single = system.lookup<typeof solverProtocol.spec>('single');
        await single.ask({ type: 'setWeights', payload });
        const seeds = await system
          .lookup<typeof bufferProtocol.spec>('buffer-deduction')
          .ask({ type: 'all' });
        assert.ok(seeds.length > 0);
        const tasks = Array.from({ length: 7 }, (_, i) => ({ ...seeds[i % seeds.length]!, id: `t${i}` }));
        const group = replicaGroup<typeof solverProtocol.spec>(
          { ref: (name) => system.lookup(name) },
          'solver',
          3,
        );
        for (const [samples, temperature] of [
          [3, undefined],
          [1, 0],
        ] as const) {
          const request = {
            type: 'solve',
            mode: 'deduction',
            tasks,
            samples,
            seed: 11,
            temperature,
          } as const;
          const one = await single.ask(request);
          const three = await group.ask(request);
          assert.equal(three.answers.length, tasks.length * samples);
          assert.deepEqual(three.answers, one.answers, 'the same completions, tokens and log-probabilities');
          assert.deepEqual(three.faults, one.faults);
          for (const name of replicaNames('solver', 3))
            assert.ok(system.stats(name).processed > 0, `${name} served a shard`);
        }
      } finally {
        await system.stop();
      }
    });
  }
});

/** The metrics lines of a run, less what depends on timing (time.*) and the runtime's own faults. */
async function metricsOf(dir: string) {
  const lines = (await readFile(join(dir, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return lines.map((line) =>
    Object.fromEntries(
      Object.entries(line).filter(
        ([key]) => !key.startsWith('time.') && !/^fault(s|Message)\.(actor|node):/.test(key),
      ),
    ),
  );
}

describe('a run is the same for any number of replicas', () => {
  let reference: Record<string, unknown>[] | undefined;
  const referenceRun = async () => {
    if (!reference) {
      const dir = await tempDir();
      await run(topology, { out: dir, steps: 2, log: () => {} });
      reference = await metricsOf(dir);
    }
    return reference;
  };

  for (const host of ['inline', 'thread'] as const) {
    test(`${host}: proposer and solver as 3 replicas, 2 steps and a held-out score: the same metrics lines`, async () => {
      const dir = await tempDir();
      await run(await loadWith(3, host), { out: dir, steps: 2, log: () => {} });
      const lines = await metricsOf(dir);
      assert.equal(lines.filter((line) => typeof line.step === 'number' && line.step > 0).length, 2);
      assert.ok(
        lines.some((line) => line.step === 2 && 'heldout.deduction' in line),
        'step 2 scores the held-out set (sharded greedy solves)',
      );
      assert.deepEqual(lines, await referenceRun());
    });
  }

  test('a thread replica that dies mid-shard: its shard is retried on its restart, nothing lost or counted twice', async () => {
    const dir = await tempDir();
    process.env.AZR_TEST_MARKER = join(dir, 'died');
    try {
      const loaded = await loadWith(3, 'thread');
      loaded.kinds.register(fragileSolver);
      Object.assign(loaded.topology.actors.find((a) => a.name === 'solver')!, { kind: 'fragile-solver' });
      await run(loaded, { out: join(dir, 'run'), steps: 2, log: () => {} });
      assert.equal(await readFile(process.env.AZR_TEST_MARKER, 'utf8'), 'died once');
      const raw = (await readFile(join(dir, 'run', 'metrics.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const retried = raw.flatMap((line) =>
        Object.entries(line).filter(([key]) => /^faults\.actor:solver-\d\.retried$/.test(key)),
      );
      assert.equal(retried.length, 1, `one replica's shard was retried: ${JSON.stringify(retried)}`);
      assert.equal(retried[0]![1], 1);
      assert.deepEqual(await metricsOf(join(dir, 'run')), await referenceRun());
    } finally {
      delete process.env.AZR_TEST_MARKER;
    }
  });
});
