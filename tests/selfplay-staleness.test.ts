// Bounded staleness (docs/azr.md §2, "Staleness"; §5): the learning pipeline's fixed schedule of versions whatever
// the learner's speed, its snapshot and restore, and the learner's bound on sample age. No processes; the learner
// actor is real (a tiny model inline).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { learner } from '../actors/learner.ts';
import { boundStaleness } from '../src/rl/index.ts';
import { createSystem } from '../src/runtime/index.ts';
import { LearningPipeline, type PipelineSnapshot } from '../src/selfplay/index.ts';

interface Batch {
  step: number;
  /** The weights version that generated it. */
  version: number;
}
interface Update {
  version: number;
  batch: Batch;
  /** Learner version minus the batch's: its staleness at the update. */
  staleness: number;
}
interface Weights {
  version: number;
}

/**
 * A fake learner with the actor's mailbox order: calls are answered one at a time, in the order made; a slow one
 * yields to the event loop several times before each update ends. `asked` lists the calls as they are made.
 */
function fakeLearner(slow = false) {
  let version = 0;
  const learned: Update[] = [];
  const asked: string[] = [];
  let mailbox: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(handle: () => Promise<T>): Promise<T> => {
    const reply = mailbox.then(handle);
    mailbox = reply.catch(() => {});
    return reply;
  };
  const turns = async (n: number) => {
    for (let i = 0; i < n; i++) await new Promise((go) => setImmediate(go));
  };
  return {
    learned,
    asked,
    calls: {
      learn: (batch: Batch): Promise<Update> => {
        asked.push(`learn ${batch.step}`);
        return inTurn(async () => {
          if (slow) await turns(5);
          const update = { version: ++version, batch, staleness: version - 1 - batch.version };
          learned.push(update);
          return update;
        });
      },
      weights: (): Promise<Weights> => {
        asked.push('weights');
        return inTurn(async () => ({ version }));
      },
    },
    get version() {
      return version;
    },
  };
}

/** Steps as the coordinator runs them: generate with the generators' version, push, reach the next step's. */
async function runSteps(
  pipeline: LearningPipeline<Batch, Update, Weights>,
  from: number,
  to: number,
  start: { version: number },
) {
  let generators = start.version;
  const lines: { step: number; generatedWith: number; reported?: number; staleness?: number }[] = [];
  for (let step = from; step <= to; step++) {
    pipeline.push({ step, version: generators });
    const next = pipeline.versionFor(step + 1);
    const line: (typeof lines)[number] = { step, generatedWith: generators };
    if (next > generators) {
      const { update, weights } = await pipeline.reach(next);
      assert.equal(weights.version, next);
      generators = weights.version;
      Object.assign(line, { reported: update.version, staleness: update.staleness });
    }
    lines.push(line);
  }
  return { lines, generators };
}

describe('the learning pipeline', () => {
  test('step t generates with version t − 1 − s, at least 0', () => {
    const versions = (s: number) =>
      [1, 2, 3, 4, 5].map((t) => new LearningPipeline(s, fakeLearner().calls).versionFor(t));
    assert.deepEqual(versions(0), [0, 1, 2, 3, 4]);
    assert.deepEqual(versions(1), [0, 0, 1, 2, 3]);
    assert.deepEqual(versions(2), [0, 0, 0, 1, 2]);
  });

  for (const s of [0, 1, 2, 4]) {
    test(`s = ${s}: the same versions, updates and staleness whether the learner is fast or slow`, async () => {
      const a = await runSteps(new LearningPipeline(s, fakeLearner().calls), 1, 12, { version: 0 });
      const b = await runSteps(new LearningPipeline(s, fakeLearner(true).calls), 1, 12, { version: 0 });
      assert.deepEqual(a.lines, b.lines);
      assert.deepEqual(
        a.lines.map((l) => l.generatedWith),
        Array.from({ length: 12 }, (_, i) => i + 1).map((t) => Math.max(0, t - 1 - s)),
      );
      const staleness = a.lines.flatMap((l) => (l.staleness === undefined ? [] : [l.staleness]));
      assert.ok(
        staleness.every((k) => k <= s),
        `no update learns a batch more than s versions old: ${staleness}`,
      );
      assert.equal(staleness.at(-1), s, 'in the steady state every batch is exactly s versions old');
    });
  }

  test('settle, snapshot, restore: the rest of the run is the uninterrupted one', async () => {
    const s = 2;
    const whole = await runSteps(new LearningPipeline(s, fakeLearner().calls), 1, 12, { version: 0 });

    const first = fakeLearner();
    const before = new LearningPipeline(s, first.calls);
    const head = await runSteps(before, 1, 4, { version: 0 });
    await before.settle();
    assert.equal(first.version, 4, 'settle learns every batch generated');
    const snapshot: PipelineSnapshot<Update, Weights> = structuredClone(before.snapshot(head.generators));
    assert.deepEqual(
      snapshot.weights.map((w) => w.version),
      [2, 3],
      "the generators' version and those after it, not the learner's own",
    );
    assert.deepEqual(
      snapshot.updates.map((u) => u.version),
      [3, 4],
      'updates made and not yet reported',
    );

    // The resumed learner starts where the first one stopped.
    const second = fakeLearner();
    for (let v = 0; v < 4; v++) await second.calls.learn({ step: 0, version: v });
    const after = new LearningPipeline(s, second.calls, snapshot);
    assert.equal((await after.weightsOf(head.generators))?.version, head.generators);
    const tail = await runSteps(after, 5, 12, { version: head.generators });
    assert.deepEqual([...head.lines, ...tail.lines], whole.lines);
  });

  test("a batch's update and weights are asked for at once: the learner never waits for this thread", () => {
    const learner = fakeLearner(true);
    const pipeline = new LearningPipeline(1, learner.calls);
    pipeline.push({ step: 1, version: 0 });
    pipeline.push({ step: 2, version: 0 });
    assert.deepEqual(learner.asked, ['learn 1', 'weights', 'learn 2', 'weights']);
  });

  test('a batch is snapshotted only once learned; a failed update fails the step that needs it', async () => {
    const pipeline = new LearningPipeline(0, fakeLearner(true).calls);
    pipeline.push({ step: 1, version: 0 });
    assert.throws(() => pipeline.snapshot(0), /in flight: settle first/);
    await pipeline.settle();
    assert.deepEqual(pipeline.snapshot(0).updates.length, 1);

    const failing = new LearningPipeline(0, {
      learn: async (): Promise<Update> => {
        throw new Error('learner lost');
      },
      weights: async () => ({ version: 0 }),
    });
    failing.push({ step: 1, version: 0 });
    await assert.rejects(failing.reach(1), /learner lost/);
  });
});

describe('the learner bounds sample staleness', () => {
  test('samples older than the bound are dropped and counted; every sample is in the histogram', () => {
    const samples = [{ version: 5 }, { version: 4 }, { version: 2 }, {}];
    const report = boundStaleness(samples, 5, 2);
    assert.deepEqual(report.kept, [{ version: 5 }, { version: 4 }, {}]);
    assert.equal(report.dropped, 1);
    assert.deepEqual(report.histogram, { 0: 2, 1: 1, 3: 1 });
    assert.throws(() => boundStaleness([{ version: 6 }], 5, 2), /version 6 reached the learner at version 5/);
  });

  test('the learner actor drops them from its update and reports the figures', async (t) => {
    const system = createSystem();
    t.after(() => system.stop());
    const ref = system.spawn(learner, {
      options: { backend: 'cpu', model: { dModel: 16, nLayers: 1, nHeads: 2, ffnHidden: 32, maxSeqLen: 32 } },
    });
    const sample = (version: number, reward: number) => ({
      promptIds: [1, 2, 3],
      responseIds: [4, 5],
      samplingLogprobs: [-1, -1],
      reward,
      group: 'deduction/solver',
      version,
    });
    const timeout = { timeoutMs: 60_000 };
    await ref.ask({ type: 'update', samples: [sample(0, 1), sample(0, -1)] }, timeout);
    await ref.ask({ type: 'update', samples: [sample(1, 1), sample(1, -1)] }, timeout);
    // At version 2: two samples 0 versions old, two 2 versions old; with s = 1 the old ones go.
    const { version, stats } = await ref.ask(
      {
        type: 'update',
        samples: [sample(2, 1), sample(2, -1), sample(0, 1), sample(0, -1)],
        maxStaleness: 1,
      },
      timeout,
    );
    assert.equal(version, 3);
    assert.equal(stats.droppedSamples, 2);
    assert.equal(stats['staleness.0'], 2);
    assert.equal(stats['staleness.2'], 2);
    assert.equal(stats.responseTokens, 4, 'only the kept samples are learned from');
  });
});
