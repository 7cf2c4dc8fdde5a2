// `npm run bench -- selfplay`: one self-play step of examples/tiny-zero.yaml broken down into generation,
// execution, learning, buffers, and messaging/codec/supervision overhead (ask wall time beyond the actors' own
// compute). The breakdown needs phases that do not overlap, so it runs the topology sequentially (learner inline,
// `overlap` off). Baseline in the same process: the same with inline messages not copied through msgpack. Then the
// topology as shipped (learner on a worker thread, learning step t−1 while step t is generated): its step time and
// the ratio to the sequential one. Last line: one JSON object with the figures.
import type { coordinatorProtocol } from '../actors/coordinator.ts';
import { loadConfig } from '../src/run/load.ts';
import { buildTopology } from '../src/topology/index.ts';

const STEPS = Number(process.env.BENCH_STEPS ?? 3);
const phases = ['generation', 'execution', 'learning', 'buffers', 'overhead'] as const;

async function measure(encode: boolean, sequential = true) {
  const loaded = await loadConfig('examples/tiny-zero.yaml');
  for (const entry of loaded.topology.actors) {
    entry.encode = encode;
    if (!sequential) continue;
    if (entry.kind === 'learner') entry.host = 'inline';
    if (entry.kind === 'coordinator') entry.options = { ...entry.options, overlap: false };
  }
  const system = buildTopology(loaded);
  const coordinator = system.lookup<typeof coordinatorProtocol.spec>('coordinator');
  const timeout = { timeoutMs: 3_600_000 };
  try {
    await system.whileRunning(coordinator.ask({ type: 'seed' }, timeout));
    await system.whileRunning(coordinator.ask({ type: 'step', step: 1 }, timeout)); // warm-up: JIT, wasm, workers
    const lines: Record<string, unknown>[] = [];
    for (let step = 2; step < 2 + STEPS; step++)
      lines.push(await system.whileRunning(coordinator.ask({ type: 'step', step }, timeout)));
    const mean = (key: string) => lines.reduce((sum, line) => sum + Number(line[key] ?? 0), 0) / lines.length;
    const figures: Record<string, number> = { wallMs: mean('time.wallMs') };
    for (const phase of phases) figures[`${phase}Ms`] = mean(`time.${phase}`);
    figures.coordinatorMs = figures.wallMs - phases.reduce((sum, p) => sum + figures[`${p}Ms`]!, 0);
    figures.overheadShare = figures.overheadMs! / figures.wallMs;
    return figures;
  } finally {
    await system.stop();
  }
}

const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(2)}%`;
function print(label: string, f: Record<string, number>) {
  console.log(`${label}: ${f.wallMs!.toFixed(0)} ms per step (mean of ${STEPS})`);
  for (const phase of [...phases, 'coordinator']) {
    const ms = f[`${phase}Ms`]!;
    console.log(`  ${phase.padEnd(12)} ${ms.toFixed(1).padStart(9)} ms  ${pct(ms, f.wallMs!).padStart(7)}`);
  }
}

const baseline = await measure(false);
print('baseline (inline messages not copied)', baseline);
const copied = await measure(true);
print('default (every message through msgpack)', copied);
console.log(
  `orchestration overhead (messaging, codec, supervision): ${pct(copied.overheadMs!, copied.wallMs!)} of the step; ` +
    `step time ${(copied.wallMs! / baseline.wallMs!).toFixed(3)}× the baseline`,
);
const shipped = await measure(true, false);
console.log(
  `as shipped (learner on a thread, overlap): ${shipped.wallMs!.toFixed(0)} ms per step, ` +
    `${(shipped.wallMs! / copied.wallMs!).toFixed(3)}× the sequential step`,
);
console.log(
  JSON.stringify({
    bench: 'selfplay',
    config: 'examples/tiny-zero.yaml',
    steps: STEPS,
    ...Object.fromEntries(Object.entries(copied).map(([k, v]) => [k, v])),
    baseline,
    ratioToBaseline: copied.wallMs! / baseline.wallMs!,
    overlapWallMs: shipped.wallMs,
    overlapRatio: shipped.wallMs! / copied.wallMs!,
  }),
);
