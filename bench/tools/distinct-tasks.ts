// Distinct valid tasks per minute of self-play on a topology: seed, run some steps, then count the distinct
// (program, input) tasks the steps added to each mode's buffer (docs/azr.md §6's dedup key), per minute of the
// steps' wall time. Used by bench/selfplay.ts.
import type { bufferProtocol } from '../../actors/buffer.ts';
import type { coordinatorProtocol } from '../../actors/coordinator.ts';
import { loadTopology } from '../../src/run/load.ts';
import { dedupKey } from '../../src/selfplay/index.ts';
import { buildTopology } from '../../src/topology/index.ts';

export interface DistinctTasks {
  /** Distinct new valid tasks per minute, by mode. */
  perMinute: Record<string, number>;
  steps: number;
  wallMs: number;
}

/** The topology of `config` (changed by `set`, as `--set` does) started and seeded; stop it when done. */
export async function seededSystem(config: string, set: readonly string[] = []) {
  const system = buildTopology(await loadTopology(config, { set }));
  const coordinator = system.lookup<typeof coordinatorProtocol.spec>('coordinator');
  const timeout = { timeoutMs: 3_600_000 };
  try {
    await system.whileRunning(coordinator.ask({ type: 'seed' }, timeout));
  } catch (error) {
    await system.stop();
    throw error;
  }
  return { system, coordinator, timeout };
}

/** Runs `config` (changed by `set`, as `--set` does) for `steps` steps after seeding; counts what they added. */
export async function distinctTasksPerMinute(
  config: string,
  steps: number,
  set: readonly string[] = [],
): Promise<DistinctTasks> {
  const { system, coordinator, timeout } = await seededSystem(config, set);
  try {
    const started = performance.now();
    let modes: string[] = [];
    for (let step = 1; step <= steps; step++) {
      const line = await system.whileRunning(coordinator.ask({ type: 'step', step }, timeout));
      modes = Object.keys(line)
        .filter((key) => key.endsWith('.bufferSize'))
        .map((key) => key.slice(0, -'.bufferSize'.length));
    }
    const wallMs = performance.now() - started;
    const perMinute: Record<string, number> = {};
    for (const mode of modes) {
      const held = await system
        .lookup<typeof bufferProtocol.spec>(`buffer-${mode}`)
        .ask({ type: 'all' }, timeout);
      const distinct = new Set(held.filter((task) => task.step >= 1).map(dedupKey));
      perMinute[mode] = (distinct.size * 60_000) / wallMs;
    }
    return { perMinute, steps, wallMs };
  } finally {
    await system.stop();
  }
}
