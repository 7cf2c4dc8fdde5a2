// `npm run bench -- pipeline`: steps per second of the learning pipeline (s = 1) with a learner on a worker thread
// while this thread generates, as the coordinator runs them: generation is synchronous work in chunks (a generator
// call each) with event-loop turns between them. Baseline in this process: the order of asks before 2026-12-04, where
// a batch's weights were asked for only once its update had come back here, and the next update only once those
// weights had. Last line: one JSON object with the figures.
import { performance } from 'node:perf_hooks';
import { setImmediate as turn } from 'node:timers/promises';
import { createSystem } from '../src/runtime/index.ts';
import { LearningPipeline, type PipelineCalls } from '../src/selfplay/index.ts';
import { busy, busyLearner } from './fixtures/busy-learner.ts';

const STEPS = Number(process.env.BENCH_STEPS ?? 40);
/** Generator calls per step's generation (proposer and solver, per mode). */
const CHUNKS = 6;

type Versioned = { version: number };

async function stepsPerSecond(generateMs: number, learnMs: number, order: 'at once' | 'chained') {
  const system = createSystem();
  const learner = system.spawn(busyLearner, { name: 'learner', host: 'thread' });
  await learner.ask({ type: 'weights' });
  const direct: PipelineCalls<number, Versioned, Versioned> = {
    learn: async (ms) => ({ version: await learner.ask({ type: 'update', ms }) }),
    weights: async () => ({ version: await learner.ask({ type: 'weights' }) }),
  };
  // The earlier order: each ask leaves only when the one before it has been answered on this thread.
  let last: Promise<unknown> = Promise.resolve();
  let updated: Promise<unknown> = Promise.resolve();
  const chained: PipelineCalls<number, Versioned, Versioned> = {
    learn: (ms) => {
      const update = last.then(() => direct.learn(ms));
      updated = update;
      return update;
    },
    weights: () => {
      const weights = updated.then(() => direct.weights());
      last = weights;
      return weights;
    },
  };
  const pipeline = new LearningPipeline(1, order === 'at once' ? direct : chained);
  const started = performance.now();
  for (let step = 1; step <= STEPS; step++) {
    for (let chunk = 0; chunk < CHUNKS; chunk++) {
      busy(generateMs / CHUNKS);
      await turn();
    }
    pipeline.push(learnMs);
    const next = pipeline.versionFor(step + 1);
    if (next > 0) await pipeline.reach(next);
  }
  await pipeline.settle();
  const seconds = (performance.now() - started) / 1000;
  await system.stop();
  return STEPS / seconds;
}

const figures: Record<string, number> = {};
console.log(
  `pipeline, s = 1, ${STEPS} steps; generation in ${CHUNKS} synchronous chunks, the learner on a thread`,
);
for (const [name, generateMs, learnMs] of [
  ['learner-bound', 100, 130],
  ['balanced', 100, 100],
  ['generation-bound', 100, 70],
] as const) {
  const chained = await stepsPerSecond(generateMs, learnMs, 'chained');
  const atOnce = await stepsPerSecond(generateMs, learnMs, 'at once');
  const ideal = 1000 / Math.max(generateMs, learnMs);
  figures[`${name}.chained`] = chained;
  figures[`${name}.atOnce`] = atOnce;
  console.log(
    `${name.padEnd(17)} generate ${generateMs} ms, learn ${learnMs} ms: asks at once ${atOnce.toFixed(2)} steps/s, ` +
      `chained ${chained.toFixed(2)} (${(atOnce / chained).toFixed(2)}×); ideal ${ideal.toFixed(2)}`,
  );
}
console.log(JSON.stringify(figures));
