// `npm run bench -- selfplay`: one self-play step of examples/tiny-zero.yaml broken down into generation,
// execution, learning, buffers, and messaging/codec/supervision overhead (ask wall time beyond the actors' own
// compute). The breakdown needs phases that do not overlap, so it runs the topology sequentially (learner inline,
// `overlap` off). Baseline in the same process: the same with inline messages not copied through msgpack. Then the
// topology as shipped (learner on a worker thread, learning step t−1 while step t is generated): its step time and
// the ratio to the sequential one. Then generation scaling (docs/distributed.md, "Scaling generation"): generated
// tokens per second of 1 and of 2 solver replicas on worker threads, asked directly for a fixed batch of held-out
// tasks (the learner idle). Then distinct new tasks per minute of tiny-zero as shipped against one input per program
// and one replica, and steps per minute with maxStaleness 1, 2 and 4 with the held-out accuracy after the same
// number of updates. BENCH_ONLY=generationScaling,… measures only those parts. Last line: one JSON object with the
// figures.
import { readFile } from 'node:fs/promises';
import type { coordinatorProtocol } from '../actors/coordinator.ts';
import type { learnerProtocol } from '../actors/learner.ts';
import { replicaGroup } from '../actors/replicas.ts';
import type { solverProtocol } from '../actors/solver.ts';
import { parseBench } from '../src/plugins/index.ts';
import { loadConfig } from '../src/run/load.ts';
import { heldoutTasks } from '../src/selfplay/index.ts';
import { buildTopology } from '../src/topology/index.ts';
import { distinctTasksPerMinute } from './tools/distinct-tasks.ts';
import { measureStaleness } from './tools/staleness.ts';

const STEPS = Number(process.env.BENCH_STEPS ?? 3);
/**
 * Generation scaling: tasks per request, answers per task, warm-up requests, timed requests. Each replica is a V8
 * isolate of its own that compiles the sampler's hot code on V8's helper threads for its first several requests
 * (≈ 20% of its compute on the first requests after the first, ≈ 5% from the eighth: docs/benchmarks.md, "Scale"):
 * one replica gets that compilation free on the idle core, two pay it twice on busy ones, so an unwarmed rate
 * measures JIT warm-up, not the steady generation of a run's long-lived replicas.
 */
const SCALING_TASKS = Number(process.env.BENCH_SCALING_TASKS ?? 64);
const SCALING_SAMPLES = Number(process.env.BENCH_SCALING_SAMPLES ?? 4);
const SCALING_WARMUP = Number(process.env.BENCH_SCALING_WARMUP ?? 8);
const SCALING_ROUNDS = Number(process.env.BENCH_SCALING_ROUNDS ?? 6);
/** Distinct tasks per minute: steps per run. Staleness: steps per value of maxStaleness. */
const DISTINCT_STEPS = Number(process.env.BENCH_DISTINCT_STEPS ?? 8);
const STALENESS_STEPS = Number(process.env.BENCH_STALENESS_STEPS ?? 10);
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

/**
 * Generated tokens per second of `replicas` solver replicas on worker threads, asked as the coordinator asks them
 * (one request split into a shard per replica) for SCALING_TASKS held-out deduction tasks × SCALING_SAMPLES answers;
 * the initial weights, the learner idle. SCALING_WARMUP warm-up requests (JIT, wasm, workers), then the mean over
 * SCALING_ROUNDS requests.
 */
async function generationRate(replicas: number): Promise<number> {
  const loaded = await loadConfig('examples/tiny-zero.yaml');
  const solverEntry = loaded.topology.actors.find((entry) => entry.name === 'solver')!;
  Object.assign(solverEntry, { count: replicas, host: 'thread' });
  const system = buildTopology(loaded);
  const timeout = { timeoutMs: 3_600_000 };
  try {
    const { payload } = await system.whileRunning(
      system.lookup<typeof learnerProtocol.spec>('learner').ask({ type: 'weights' }, timeout),
    );
    const solver = replicaGroup<typeof solverProtocol.spec>(
      { ref: (name) => system.lookup(name) },
      'solver',
      replicas,
    );
    await system.whileRunning(solver.ask({ type: 'setWeights', payload }, timeout));
    const items = parseBench(await readFile('examples/heldout/tiny-python.jsonl', 'utf8'), 'held-out');
    const all = heldoutTasks(items, 'deduction');
    const tasks = Array.from({ length: SCALING_TASKS }, (_, i) => ({
      ...all[i % all.length]!,
      id: `bench-${i}`,
    }));
    const ask = (seed: number) =>
      system.whileRunning(
        solver.ask({ type: 'solve', mode: 'deduction', tasks, samples: SCALING_SAMPLES, seed }, timeout),
      );
    for (let round = 0; round < SCALING_WARMUP; round++) await ask(1000 + round); // warm-up: JIT, wasm, workers
    let tokens = 0;
    const started = performance.now();
    for (let round = 1; round <= SCALING_ROUNDS; round++)
      for (const answer of (await ask(round)).answers) tokens += answer.responseIds.length;
    return tokens / ((performance.now() - started) / 1000);
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

/** `BENCH_ONLY=a,b`: only those parts (step, generationScaling, distinctTasks, staleness); all by default. */
const only = process.env.BENCH_ONLY?.split(',');
const part = (name: string) => !only || only.includes(name);
const figures: Record<string, unknown> = { bench: 'selfplay', config: 'examples/tiny-zero.yaml' };

if (part('step')) {
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
  Object.assign(figures, {
    steps: STEPS,
    ...copied,
    baseline,
    ratioToBaseline: copied.wallMs! / baseline.wallMs!,
    overlapWallMs: shipped.wallMs,
    overlapRatio: shipped.wallMs! / copied.wallMs!,
  });
}

if (part('generationScaling')) {
  const replicas1 = await generationRate(1);
  const replicas2 = await generationRate(2);
  figures.generationScaling = { replicas1, replicas2, ratio: replicas2 / replicas1 };
  console.log(
    `generation scaling (solver replicas on worker threads, ${SCALING_TASKS} tasks × ${SCALING_SAMPLES} answers): ` +
      `1 replica ${replicas1.toFixed(0)} tokens/s, 2 replicas ${replicas2.toFixed(0)} tokens/s, ` +
      `${(replicas2 / replicas1).toFixed(2)}×`,
  );
}

if (part('distinctTasks')) {
  // tiny-zero as shipped against the same with one input per program and one replica of each generator.
  const shipped = await distinctTasksPerMinute('examples/tiny-zero.yaml', DISTINCT_STEPS);
  const baseline = await distinctTasksPerMinute('examples/tiny-zero.yaml', DISTINCT_STEPS, [
    'plugins.0.options.inputsPerProposal=1',
    'plugins.0.options.maxProposalTokens=128',
    'actors.proposer.options.sampling.maxTokens=128',
    'actors.proposer.count=1',
    'actors.solver.count=1',
  ]);

  figures.distinctTasksPerMinute = { ...shipped.perMinute, baseline: baseline.perMinute };
  for (const [mode, d] of Object.entries(shipped.perMinute))
    console.log(
      `distinct new tasks per minute, ${mode}: ${d.toFixed(0)} as shipped, ${baseline.perMinute[mode]!.toFixed(0)} ` +
        `with one input per program and one replica (${(d / baseline.perMinute[mode]!).toFixed(2)}×; ` +
        `${DISTINCT_STEPS} steps each)`,
    );
}

if (part('staleness')) {
  const staleness = await measureStaleness([1, 2, 4], STALENESS_STEPS);
  figures.asyncStepsPerMinute = staleness.stepsPerMinute;
  figures.asyncHeldoutAccuracy = { updates: staleness.steps, ...staleness.heldoutAccuracy };
}

console.log(JSON.stringify(figures));
