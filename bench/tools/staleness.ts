// Bounded staleness on examples/tiny-zero.yaml as shipped (learner on a worker thread), for several maxStaleness:
// steps per minute after seeding, and the held-out accuracy once every batch is learned (the same number of updates
// for each s). Used by bench/selfplay.ts; run alone: node --import tsx bench/tools/staleness.ts.
import type { learnerProtocol } from '../../actors/learner.ts';
import type { solverProtocol } from '../../actors/solver.ts';
import { seededSystem } from './distinct-tasks.ts';

export interface StalenessFigures {
  steps: number;
  /** Steps per minute (wall time of the steps after seeding), by s. */
  stepsPerMinute: Record<string, number>;
  /** Mean held-out accuracy over the held-out modes after all `steps` batches are learned, by s. */
  heldoutAccuracy: Record<string, number>;
}

async function measureOne(s: number, steps: number) {
  const { system, coordinator, timeout } = await seededSystem('examples/tiny-zero.yaml', [
    `actors.coordinator.options.maxStaleness=${s}`,
  ]);
  try {
    const started = performance.now();
    for (let step = 1; step <= steps; step++)
      await system.whileRunning(coordinator.ask({ type: 'step', step }, timeout));
    const wallMs = performance.now() - started;
    // Every batch learned: the same number of updates for each s; the solver takes the last weights.
    await system.whileRunning(coordinator.ask({ type: 'settle' }, timeout));
    const { payload } = await system
      .lookup<typeof learnerProtocol.spec>('learner')
      .ask({ type: 'weights' }, timeout);
    await system.lookup<typeof solverProtocol.spec>('solver').ask({ type: 'setWeights', payload }, timeout);
    const { accuracy } = await system.whileRunning(coordinator.ask({ type: 'heldout' }, timeout));
    const values = Object.values(accuracy);
    return {
      stepsPerMinute: (steps * 60_000) / wallMs,
      heldout: values.reduce((a, b) => a + b, 0) / Math.max(1, values.length),
    };
  } finally {
    await system.stop();
  }
}

/** Runs tiny-zero for `steps` steps with each s in turn, printing a line per s. */
export async function measureStaleness(values = [1, 2, 4], steps = 10): Promise<StalenessFigures> {
  const figures: StalenessFigures = { steps, stepsPerMinute: {}, heldoutAccuracy: {} };
  for (const s of values) {
    const { stepsPerMinute, heldout } = await measureOne(s, steps);
    figures.stepsPerMinute[s] = stepsPerMinute;
    figures.heldoutAccuracy[s] = heldout;
    console.log(
      `maxStaleness ${s}: ${stepsPerMinute.toFixed(2)} steps/min over ${steps} steps; ` +
        `held-out accuracy after ${steps} updates ${heldout.toFixed(3)}`,
    );
  }
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify({ bench: 'staleness', ...(await measureStaleness()) }));
}
