// The coordinator: AZR's self-play loop (docs/azr.md §2). It seeds the buffers, then for each step and each task
// mode: proposes, validates, measures learnability, solves, rewards; then asks the learner for one update and
// sends the new weights to the generators. It never names a task type: it asks the registered modes. It only
// sequences asks: what it computes from their replies (solve rates, rewards, samples, metrics) is src/selfplay's.
import { type Static, Type } from '@sinclair/typebox';
import type { RewardShaper, Task, TaskMode } from '../src/plugins/index.ts';
import type { RolloutSample } from '../src/wire/index.ts';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  type BenchItem,
  type Faults,
  type LoadedPlugins,
  mergeFaults,
  parseBench,
} from '../src/plugins/index.ts';
import {
  type ActorContext,
  type ActorRef,
  createRng,
  defineActor,
  defineProtocol,
  type ReplyOf,
} from '../src/runtime/index.ts';
import {
  answerChecks,
  backfillCount,
  averagedKey,
  baselineAnswers,
  chunk,
  completedProposals,
  countsPerSource,
  distinctIndices,
  drawTasks,
  faultMetrics,
  fractionCorrect,
  heldoutMetrics,
  heldoutTasks,
  interleave,
  judgeAnswers,
  LearningPipeline,
  type PipelineSnapshot,
  learnerMetrics,
  meanTerms,
  modeFigures,
  modeMetrics,
  parsedProposals,
  proposerRollouts,
  type Random,
  referenceBuffers,
  referenceSources,
  rewardRollouts,
  SeedSet,
  seedCopies,
  seedingOrder,
  type SupervisedPair,
  solveRates,
  solverBatch,
  solverRollouts,
  splitBy,
  supervisedPairs,
  timeMetrics,
  trainingSamples,
  validTasks,
} from '../src/selfplay/index.ts';
import type { bufferProtocol } from './buffer.ts';
import { TaskSchema } from './schemas.ts';
import type { learnerProtocol } from './learner.ts';
import { CoordinatorOptions } from './coordinator-options.ts';
import { loadActorPlugins, loadActorPluginsSync } from './plugins.ts';
import { replicaGroup } from './replicas.ts';
import type { proposerProtocol } from './proposer.ts';
import type { solverProtocol } from './solver.ts';
import type { validatorProtocol } from './validator.ts';
import { AzrError } from '../src/errors.ts';

export { CoordinatorOptions };

export const coordinatorProtocol = defineProtocol({
  seed: {
    request: Type.Object({}),
    reply: Type.Object({ rounds: Type.Integer(), sizes: Type.Record(Type.String(), Type.Integer()) }),
  },
  step: {
    request: Type.Object({ step: Type.Integer({ minimum: 1 }), heldout: Type.Optional(Type.Boolean()) }),
    reply: Type.Record(Type.String(), Type.Unknown()),
  },
  /**
   * Sends the generators the weights of the version they use (after a resume), or with `latest` the learner's
   * newest (`azr eval` of a checkpoint); replies the version sent.
   */
  broadcast: { request: Type.Object({ latest: Type.Optional(Type.Boolean()) }), reply: Type.Integer() },
  /**
   * Waits until every generated batch is learned (the run asks before each checkpoint, so that a checkpoint holds
   * nothing in flight); replies the generators' weights version.
   */
  settle: { request: Type.Object({}), reply: Type.Object({ version: Type.Integer() }) },
  /** Greedy accuracy on the held-out set per mode, and the trivial baselines' (empty without a held-out set). */
  heldout: {
    request: Type.Object({}),
    reply: Type.Object({
      accuracy: Type.Record(Type.String(), Type.Number()),
      baselines: Type.Record(
        Type.String(),
        Type.Object({ mostCommon: Type.Number(), identity: Type.Number() }),
      ),
    }),
  },
  /**
   * Greedy answers to fixed tasks of one mode (held-out sets, benchmarks); nothing is trained or stored. A mode the
   * coordinator does not play is answered with `unknownMode` and empty lists, not a crash.
   */
  evaluate: {
    request: Type.Object({ mode: Type.String(), tasks: Type.Array(TaskSchema) }),
    reply: Type.Object({
      correct: Type.Array(Type.Boolean()),
      formatOk: Type.Array(Type.Boolean()),
      answers: Type.Array(Type.Union([Type.String(), Type.Null()])),
      unknownMode: Type.Optional(Type.Literal(true)),
    }),
  },
});

interface Peers {
  proposer: ActorRef<typeof proposerProtocol.spec>;
  solver: ActorRef<typeof solverProtocol.spec>;
  validator: ActorRef<typeof validatorProtocol.spec>;
  learner: ActorRef<typeof learnerProtocol.spec>;
  buffer(mode: string): ActorRef<typeof bufferProtocol.spec>;
}

interface Heldout {
  items: BenchItem[];
  modes: TaskMode[];
  baselines?: Record<string, { mostCommon: number; identity: number }>;
}

interface State {
  modes: TaskMode[];
  shapers: RewardShaper[];
  heldout?: Heldout;
  options: Static<typeof CoordinatorOptions>;
  peers: Peers;
  /** Batches learned in the background, in order, within the staleness bound (docs/azr.md §2, "Staleness"). */
  pipeline: LearningPipeline<Batch, LearnerUpdate, Weights>;
  /** The weights version the generators hold. */
  version: number;
}

/** What one step hands the learner. */
interface Batch {
  samples: RolloutSample[];
  supervised: SupervisedPair[];
}

type LearnerUpdate = ReplyOf<typeof learnerProtocol.spec, 'update'>;
type WeightsReply = ReplyOf<typeof learnerProtocol.spec, 'weights'>;
/** A weights payload as the pipeline keeps it: by version. */
type Weights = WeightsReply & { version: number };

/** Wall time of asks, split into the actors' own compute and the rest (messaging, codec, supervision). */
class Timings {
  /** Plugin calls that threw this step, by plugin part. */
  readonly faults: Faults = {};
  readonly ms: Record<string, number> = { generation: 0, execution: 0, learning: 0, buffers: 0, overhead: 0 };
  async time<T>(phase: string, run: () => Promise<T>, computeMs?: (result: T) => number): Promise<T> {
    const start = performance.now();
    const result = await run();
    const wall = performance.now() - start;
    const compute = computeMs ? Math.min(wall, computeMs(result)) : wall;
    this.ms[phase] = (this.ms[phase] ?? 0) + compute;
    this.ms.overhead = (this.ms.overhead ?? 0) + (wall - compute);
    return result;
  }
}

/** The name of the buffer actor the coordinator asks for a mode's tasks. */
export const bufferName = (mode: string) => `buffer-${mode}`;

type Options = Static<typeof CoordinatorOptions>;

/** The task modes the coordinator plays: those `modes` names, or every mode its plugins bring. */
const playedModes = (options: Options, loaded: LoadedPlugins): string[] =>
  options.modes ?? [...loaded.modes.keys()];

/**
 * The actors the coordinator asks. The proposer and the solver may each be several replicas (`count` in the
 * topology): asked as one, each generation request split over them (docs/distributed.md, "Scaling generation").
 */
function peers(ctx: ActorContext, options: Options): Peers {
  const replicas = (name: string) => options.replicas?.[name] ?? 1;
  return {
    proposer: replicaGroup(ctx, 'proposer', replicas('proposer')),
    solver: replicaGroup(ctx, 'solver', replicas('solver')),
    validator: ctx.ref('validator'),
    learner: ctx.ref('learner'),
    buffer: (mode) => ctx.ref(bufferName(mode)),
  };
}

const seedOf = (ctx: ActorContext, label: string) => ctx.rng.fork(label).int(2 ** 31);

/**
 * `count` prompts' references for `mode` (docs/azr.md §6): K from the buffers its references come from (one
 * concatenated set when several), distinct per prompt unless the run draws with replacement.
 */
async function drawReferences(
  state: State,
  mode: TaskMode,
  count: number,
  seed: number,
  timings: Timings,
): Promise<Task[][]> {
  const k = mode.references;
  if (k === 0) return Array.from({ length: count }, () => []);
  const { withReplacement } = state.options;
  const t = { timeoutMs: state.options.askTimeoutMs };
  const sources = referenceBuffers(
    mode,
    state.modes.map((m) => m.name),
  ).map(state.peers.buffer);
  return timings.time('buffers', async () => {
    if (sources.length === 1) {
      const buffer = sources[0]!;
      return withReplacement
        ? chunk(await buffer.ask({ type: 'sample', count: count * k }, t), k, count)
        : buffer.ask({ type: 'draw', counts: Array.from({ length: count }, () => k) }, t);
    }
    const sizes = await Promise.all(sources.map((b) => b.ask({ type: 'size' }, t)));
    const rng = createRng(`${seed}/references`);
    const order = Array.from({ length: count }, () => referenceSources(sizes, k, withReplacement, rng));
    const counts = countsPerSource(order, sources.length);
    const drawn = await Promise.all(
      sources.map((b, s) =>
        withReplacement
          ? b
              .ask({ type: 'sample', count: counts[s]!.reduce((a, c) => a + c, 0) }, t)
              .then((flat) => splitBy(flat, counts[s]!))
          : b.ask({ type: 'draw', counts: counts[s]! }, t),
      ),
    );
    return interleave(order, drawn);
  });
}

/** Proposes one task per set of references; returns the generations and, for the valid ones, their tasks. */
async function propose(
  state: State,
  mode: TaskMode,
  references: Task[][],
  seed: number,
  step: number,
  timings: Timings,
) {
  const { proposer, validator } = state.peers;
  const t = { timeoutMs: state.options.askTimeoutMs };
  const { proposals, faults } = await timings.time(
    'generation',
    () => proposer.ask({ type: 'propose', mode: mode.name, references, seed }, t),
    (r) => r.computeMs,
  );
  mergeFaults(timings.faults, faults);
  const parsed = completedProposals(mode, parsedProposals(proposals), references, timings.faults);
  const verdicts = parsed.length
    ? await timings
        .time(
          'execution',
          () =>
            validator.ask(
              { type: 'validate', proposals: parsed.map((p) => p.proposal), executor: mode.executor },
              t,
            ),
          (r) => r.computeMs,
        )
        .then((r) => {
          mergeFaults(timings.faults, r.faults);
          return r.results;
        })
    : [];
  return { proposals, tasks: validTasks(mode, parsed, verdicts, step, timings.faults) };
}

/** Solves each task `samples` times; returns each answer's generation and whether it was well-formed and correct. */
async function solve(
  state: State,
  mode: TaskMode,
  tasks: readonly Task[],
  samples: number,
  seed: number,
  timings: Timings,
  /** 0 for greedy evaluation; the solver's own setting when undefined. */
  temperature?: number,
) {
  if (tasks.length === 0) return [];
  const t = { timeoutMs: state.options.askTimeoutMs };
  const { answers, faults } = await timings.time(
    'generation',
    () =>
      state.peers.solver.ask(
        { type: 'solve', mode: mode.name, tasks: [...tasks], samples, seed, temperature },
        t,
      ),
    (r) => r.computeMs,
  );
  mergeFaults(timings.faults, faults);
  const checked = answerChecks(mode, tasks, answers, samples, timings.faults);
  const verdicts = checked.checks.length
    ? await timings
        .time(
          'execution',
          () =>
            state.peers.validator.ask(
              {
                type: 'verify',
                answers: checked.checks.map((c) => c.check),
                executor: mode.executor,
                mode: mode.name,
              },
              t,
            ),
          (r) => r.computeMs,
        )
        .then((r) => {
          mergeFaults(timings.faults, r.faults);
          return r.results;
        })
    : [];
  return judgeAnswers(answers, tasks, samples, checked, verdicts, state.options.malformedAnswers);
}

/**
 * The seeding stage (docs/azr.md §6): the modes of `sharedSeed` grow one deduplicated set by proposing in turn,
 * and each of their buffers gets its first `seedSize` tasks; every other mode grows its own buffer, those whose
 * references come from other modes' buffers last.
 */
async function seedBuffers(state: State, ctx: ActorContext) {
  const sizes: Record<string, number> = {};
  let rounds = 0;
  const timings = new Timings();
  const { shared, own } = seedingOrder(state.modes, state.options.sharedSeed);
  if (shared.length) {
    rounds += await seedShared(state, shared, ctx, timings);
    for (const mode of shared) sizes[mode.name] = await state.peers.buffer(mode.name).ask({ type: 'size' });
  }
  for (const mode of own) {
    const buffer = state.peers.buffer(mode.name);
    if ((await buffer.ask({ type: 'size' })) === 0)
      await buffer.ask({ type: 'add', tasks: mode.seedTasks() });
    let size = await buffer.ask({ type: 'size' });
    for (
      let round = 0;
      size < state.options.seedSize && round < state.options.maxSeedRounds;
      round++, rounds++
    ) {
      const seed = seedOf(ctx, `seed/${mode.name}/${round}`);
      const references = await drawReferences(state, mode, state.options.batchSize, seed, timings);
      const { tasks } = await propose(state, mode, references, seed, 0, timings);
      if (tasks.size) await buffer.ask({ type: 'add', tasks: [...tasks.values()] });
      size = await buffer.ask({ type: 'size' });
    }
    sizes[mode.name] = size;
  }
  return { rounds, sizes };
}

/** Grows the shared seed set (references drawn from it) and copies it into each shared mode's buffer. */
async function seedShared(state: State, modes: readonly TaskMode[], ctx: ActorContext, timings: Timings) {
  const { batchSize, seedSize, maxSeedRounds, withReplacement } = state.options;
  const set = new SeedSet();
  set.add(modes.flatMap((mode) => mode.seedTasks()));
  const rng = ctx.rng.fork('seed/shared/references');
  let batches = 0;
  for (let round = 0; round < maxSeedRounds; round++) {
    for (const mode of modes) {
      if (set.size >= seedSize) break;
      const counts = Array.from({ length: batchSize }, () => mode.references);
      const references = drawTasks(set.tasks, counts, withReplacement, rng);
      const seed = seedOf(ctx, `seed/shared/${round}/${mode.name}`);
      const { tasks } = await propose(state, mode, references, seed, 0, timings);
      set.add([...tasks.values()]);
      batches++;
    }
  }
  for (const mode of modes)
    await state.peers
      .buffer(mode.name)
      .ask({ type: 'add', tasks: seedCopies(set.tasks, mode.name, seedSize) });
  return batches;
}

async function selfPlayStep(state: State, step: number, ctx: ActorContext): Promise<Record<string, unknown>> {
  const started = performance.now();
  const timings = new Timings();
  const line: Record<string, unknown> = { step };
  const { pipeline } = state;
  pipeline.takeIdle();
  const batch = await collect(state, step, ctx, timings, line);
  // Every sample carries the version that generated it; the learner bounds their staleness (docs/azr.md §5).
  batch.samples = batch.samples.map((sample) => ({ ...sample, version: state.version }));
  pipeline.push(batch);
  // The next step's generation uses version t − s, whenever the learner gets there: fixed versions, free timing.
  const next = pipeline.versionFor(step + 1);
  if (next > state.version) {
    const { update, weights } = await pipeline.reach(next);
    timings.ms.learning = (timings.ms.learning ?? 0) + update.computeMs + weights.computeMs;
    await broadcastWeights(state, timings, weights);
    Object.assign(line, learnerMetrics(update));
  }
  const idle = pipeline.takeIdle();
  Object.assign(
    line,
    timeMetrics(
      { ...timings.ms, generatorIdle: idle.generatorIdleMs, learnerIdle: idle.learnerIdleMs },
      performance.now() - started,
    ),
    faultMetrics(timings.faults),
  );
  return line;
}

/** One step's generation, execution and rewards: what the learner trains on, and the step's metrics in `line`. */
async function collect(
  state: State,
  step: number,
  ctx: ActorContext,
  timings: Timings,
  line: Record<string, unknown>,
): Promise<Batch> {
  const { batchSize, rollouts, supervised, supervisedExtra } = state.options;
  const reinforced = new Set(state.options.reinforce);
  const batch: Batch = { samples: [], supervised: [] };
  const readWindow = bufferWindow(state.shapers);
  /** Each mode's tasks for the supervised term this step, posed by the modes `supervisedFrom` names. */
  const taughtBy = new Map<string, Task[]>();

  for (const mode of state.modes) {
    const buffer = state.peers.buffer(mode.name);
    const held =
      readWindow === 0
        ? []
        : await timings.time('buffers', () =>
            buffer.ask(readWindow === Infinity ? { type: 'all' } : { type: 'recent', count: readWindow }),
          );
    const context = { step, buffer: held };
    const seed = seedOf(ctx, `${step}/${mode.name}/propose`);
    const references = await drawReferences(state, mode, batchSize, seed, timings);
    const { proposals, tasks } = await propose(state, mode, references, seed, step, timings);
    const newTasks = [...tasks.values()];
    if (newTasks.length) await timings.time('buffers', () => buffer.ask({ type: 'add', tasks: newTasks }));

    // With `reinforcedProposals` a seeded subset is rolled out and learnt from; off `proposerEvery`'s steps none is
    // (docs/azr.md §2).
    const chosen =
      step % state.options.proposerEvery === 0
        ? reinforcedSubset(
            proposals.length,
            state.options.reinforcedProposals,
            ctx.rng.fork(`${step}/${mode.name}/reinforced`),
          )
        : new Set<number>();
    const measured = rollouts > 0 ? tasks.values(state.options.rolloutPairs, chosen) : [];
    const rollout = await solve(
      state,
      mode,
      measured,
      rollouts,
      seedOf(ctx, `${step}/${mode.name}/rollouts`),
      timings,
    );
    const rates = solveRates(measured, rollout, rollouts);
    const proposer = rewardRollouts(
      state.shapers,
      proposerRollouts(mode.name, proposals, tasks, rollouts > 0 ? rates : undefined),
      context,
      timings.faults,
    );
    const learnt = <T>(items: readonly T[]): readonly T[] =>
      chosen ? items.filter((_, i) => chosen.has(i)) : items;
    if (reinforced.has('proposer'))
      batch.samples.push(
        ...trainingSamples(learnt(proposals), learnt(proposer.rewards), mode.name, 'proposer'),
      );

    const fill = backfillCount(batchSize, newTasks.length);
    const drawn =
      fill > 0 ? await timings.time('buffers', () => backfill(state, buffer, fill, newTasks)) : [];
    const solverTasks = solverBatch(batchSize, newTasks, drawn);
    // An unreinforced solver's answers only feed the metrics: `answerEvery` thins them (docs/azr.md §2).
    const answering = reinforced.has('solver') || step % state.options.answerEvery === 0;
    const answers = answering
      ? await solve(state, mode, solverTasks, 1, seedOf(ctx, `${step}/${mode.name}/solve`), timings)
      : undefined;
    const solver =
      answers && rewardRollouts(state.shapers, solverRollouts(mode.name, answers), context, timings.faults);
    if (reinforced.has('solver') && answers && solver)
      batch.samples.push(...trainingSamples(answers, solver.rewards, mode.name, 'solver'));
    if (supervised && teaches(state, mode.name)) {
      const extra = supervisedExtra
        ? await timings.time('buffers', () => buffer.ask({ type: 'sample', count: supervisedExtra }))
        : [];
      const taught = state.options.supervisedFresh ? [...newTasks, ...drawn] : solverTasks;
      taughtBy.set(mode.name, [...taught, ...extra]);
    }

    const bufferSize = await buffer.ask({ type: 'size' });
    const figures = modeFigures({
      proposals,
      tasks,
      solveRates: rates,
      answers,
      proposerRewards: learnt(proposer.rewards),
      solverRewards: solver?.rewards,
      bufferSize,
    });
    Object.assign(
      line,
      modeMetrics(mode.name, figures, {
        proposer: meanTerms(state.shapers, proposer.terms),
        solver: solver ? meanTerms(state.shapers, solver.terms) : {},
      }),
    );
  }
  for (const mode of state.modes) {
    if (!mode.goldAnswer || !supervised) continue;
    const tasks = acrossModes(
      supervisedSources(state, mode.name).map((name) => taughtBy.get(name) ?? []),
    ).map((task) => (task.mode === mode.name ? task : { ...task, mode: mode.name }));
    batch.supervised.push(...supervisedPairs(mode, tasks, timings.faults));
  }
  return batch;
}

/**
 * How many of a mode's latest buffered tasks the shapers read: the largest `bufferWindow`, all (Infinity) when a
 * shaper that reads the buffer names none, 0 when none reads it.
 */
export function bufferWindow(shapers: readonly RewardShaper[]): number {
  const readers = shapers.filter((s) => s.needsBuffer);
  return readers.length ? Math.max(...readers.map((s) => s.bufferWindow ?? Infinity)) : 0;
}

/** The modes whose tasks `mode`'s supervised term learns (`supervisedFrom`; by default its own). */
const supervisedSources = (state: State, mode: string): readonly string[] =>
  state.options.supervisedFrom?.[mode] ?? [mode];

/** Whether some mode with gold answers learns `source`'s tasks. */
const teaches = (state: State, source: string): boolean =>
  state.modes.some((m) => m.goldAnswer && supervisedSources(state, m.name).includes(source));

/** The sources' tasks in order, less a later source's triplet (program and input) an earlier one already has. */
function acrossModes(sources: readonly Task[][]): Task[] {
  if (sources.length === 1) return sources[0]!;
  const key = (task: Task) => `${task.code}\u0000${task.input}`;
  const seen = new Set<string>();
  return sources.flatMap((tasks) => {
    const fresh = tasks.filter((task) => !seen.has(key(task)));
    for (const task of fresh) seen.add(key(task));
    return fresh;
  });
}

/** The indices of the `count` proposals of `n` that are reinforced, seeded; undefined: all of them. */
function reinforcedSubset(n: number, count: number | undefined, rng: Random): Set<number> | undefined {
  return count === undefined || count >= n ? undefined : new Set(distinctIndices(n, count, rng));
}

/** `count` buffered tasks for the solver's batch: distinct and none of this step's `fresh` ones, unless drawn with replacement. */
async function backfill(
  state: State,
  buffer: ActorRef<typeof bufferProtocol.spec>,
  count: number,
  fresh: readonly Task[],
): Promise<Task[]> {
  const t = { timeoutMs: state.options.askTimeoutMs };
  if (state.options.withReplacement) return buffer.ask({ type: 'sample', count }, t);
  const [drawn] = await buffer.ask(
    { type: 'draw', counts: [count], exclude: fresh.map((task) => task.id) },
    t,
  );
  return drawn ?? [];
}

/** One update from a batch (the pipeline's call): asked at once, with nothing awaited first, so asks stay in order. */
function learn(state: State, { samples, supervised }: Batch): Promise<LearnerUpdate> {
  return state.peers.learner.ask(
    {
      type: 'update',
      samples,
      supervisedTexts: supervised.map(({ prompt, target }) => ({ prompt, target })),
      maxStaleness: state.pipeline.maxStaleness,
    },
    { timeoutMs: state.options.askTimeoutMs },
  );
}

/** The learner's current weights, by version (the pipeline's call after each update). */
async function learnerWeights(state: State): Promise<Weights> {
  const reply = await state.peers.learner.ask({ type: 'weights' }, { timeoutMs: state.options.askTimeoutMs });
  return { ...reply, version: reply.payload.version };
}

/** What one role's generators load: the proposer's own weights where the payload has them, else the shared ones. */
function payloadFor(role: 'proposer' | 'solver', payload: Weights['payload']): Weights['payload'] {
  const { proposerTensors, emaTensors: _ema, ...shared } = payload;
  return role === 'proposer' && proposerTensors ? { ...shared, tensors: proposerTensors } : shared;
}

/**
 * Sends weights to the generators (by default those of the version they hold, e.g. after a resume) and returns
 * their version.
 */
async function broadcastWeights(state: State, timings = new Timings(), weights?: Weights): Promise<number> {
  const t = { timeoutMs: state.options.askTimeoutMs };
  const chosen = weights ?? (await state.pipeline.weightsOf(state.version));
  if (!chosen)
    throw new AzrError(
      'CHECKPOINT_INVALID',
      `coordinator: the checkpoint holds no weights of version ${state.version}, which the generators use next`,
    );
  const { payload } = chosen;
  await timings.time(
    'learning',
    () =>
      Promise.all([
        state.peers.proposer.ask({ type: 'setWeights', payload: payloadFor('proposer', payload) }, t),
        state.peers.solver.ask({ type: 'setWeights', payload: payloadFor('solver', payload) }, t),
      ]),
    // The two generators load in parallel: their compute overlaps, so the longer one counts.
    (replies) => Math.max(...replies.map((r) => r.computeMs)),
  );
  state.version = payload.version;
  return payload.version;
}

/** The fraction of `answers` (one per task) the executor judges correct. */
async function score(
  state: State,
  mode: TaskMode,
  tasks: readonly Task[],
  answers: readonly string[],
): Promise<number> {
  const checks = tasks.map((task, i) => mode.check(task, answers[i]!));
  const { results } = await state.peers.validator.ask(
    { type: 'verify', answers: checks, executor: mode.executor, mode: mode.name },
    { timeoutMs: state.options.askTimeoutMs },
  );
  return fractionCorrect(results);
}

/** The held-out score of a mode's trivial baselines (most common answer, identity). */
async function baselines(state: State, mode: TaskMode, tasks: readonly Task[]) {
  const answers = baselineAnswers(mode, tasks);
  return {
    mostCommon: await score(state, mode, tasks, answers.mostCommon),
    identity: await score(state, mode, tasks, answers.identity),
  };
}

/**
 * Held-out accuracy by mode with the solver's weights; where the learner keeps a moving average of them
 * (`emaDecay`), with the average too, as `ema.<mode>`, and the solver's weights loaded back after.
 */
async function evaluateHeldout(state: State): Promise<Record<string, number>> {
  const scoreModes = async (key: (mode: string) => string) => {
    const accuracy: Record<string, number> = {};
    for (const mode of state.heldout?.modes ?? []) {
      const tasks = heldoutTasks(state.heldout!.items, mode.name);
      accuracy[key(mode.name)] = fractionCorrect(await solve(state, mode, tasks, 1, 0, new Timings(), 0));
    }
    return accuracy;
  };
  const accuracy = await scoreModes((mode) => mode);
  const payload = (await state.pipeline.weightsOf(state.version))?.payload;
  if (payload?.emaTensors) {
    const { emaTensors, proposerTensors: _p, ...shared } = payload;
    const load = (p: Weights['payload']) =>
      state.peers.solver.ask({ type: 'setWeights', payload: p }, { timeoutMs: state.options.askTimeoutMs });
    await load({ ...shared, tensors: emaTensors });
    Object.assign(accuracy, await scoreModes(averagedKey));
    await load(payloadFor('solver', payload));
  }
  return accuracy;
}

/** What is wrong with a held-out file (FILE:LINE and the problem), found when the topology is loaded. */
function heldoutProblem(file: string): string | undefined {
  try {
    parseBench(readFileSync(file, 'utf8'), file);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

interface CoordinatorSnapshot {
  /** The generators' weights version. */
  version: number;
  pipeline: PipelineSnapshot<LearnerUpdate, Weights>;
  /** Before bounded staleness: the batch `overlap` had not learned yet. */
  pending?: Batch | null;
}

/** s: `maxStaleness`, or 1 with `overlap` and 0 without. */
const maxStaleness = (options: Options) => options.maxStaleness ?? (options.overlap ? 1 : 0);

async function start(options: Options, ctx: ActorContext): Promise<State> {
  const loaded = await loadActorPlugins(options);
  const modes = playedModes(options, loaded).map((name) => {
    const mode = loaded.modes.get(name);
    if (!mode)
      throw new AzrError(
        'PLUGIN_INVALID',
        `coordinator: no task mode "${name}"; loaded: ${[...loaded.modes.keys()].join(', ')}`,
      );
    return mode;
  });
  const played = modes.map((m) => m.name);
  for (const mode of modes) {
    if (mode.references > 0 && referenceBuffers(mode, played).length === 0)
      throw new AzrError(
        'PLUGIN_INVALID',
        `coordinator: task mode "${mode.name}" draws its references from ${mode.referenceModes!.join(', ')}, ` +
          'none of which is played: play one of them, or change the options of its plugin',
      );
  }
  for (const [target, sources] of Object.entries(options.supervisedFrom ?? {}))
    for (const name of [target, ...sources])
      if (!played.includes(name))
        throw new AzrError(
          'OPTIONS_INVALID',
          `coordinator: supervisedFrom.${target} names the mode "${name}", which is not played ` +
            `(played: ${played.join(', ')}): name played modes only`,
        );
  let heldout: Heldout | undefined;
  if (options.heldout) {
    const file = resolve(options.configDir ?? '.', options.heldout.file);
    const items = parseBench(await readFile(file, 'utf8'), file);
    const heldoutModes = options.heldout.modes.map((name) => {
      const mode = loaded.modes.get(name);
      if (!mode) throw new AzrError('PLUGIN_INVALID', `coordinator: held-out mode "${name}" is not loaded`);
      return mode;
    });
    heldout = { items, modes: heldoutModes };
  }
  return {
    modes,
    heldout,
    shapers: loaded.shapers,
    options,
    peers: peers(ctx, options),
    pipeline: undefined as unknown as State['pipeline'],
    version: 0,
  };
}

/** Adds the learning pipeline to a started state, from a snapshot's part when resuming. */
function withPipeline(state: State, snapshot?: PipelineSnapshot<LearnerUpdate, Weights>): State {
  state.pipeline = new LearningPipeline(
    maxStaleness(state.options),
    { learn: (batch) => learn(state, batch), weights: () => learnerWeights(state) },
    snapshot,
  );
  return state;
}

const definition = defineActor({
  kind: 'coordinator',
  module: import.meta.url,
  protocol: coordinatorProtocol,
  options: CoordinatorOptions,
  files: (options) =>
    options.heldout ? [{ pointer: '/heldout/file', path: options.heldout.file, check: heldoutProblem }] : [],
  init: async (options, ctx) => withPipeline(await start(options, ctx)),
  snapshot: (state): CoordinatorSnapshot => ({
    version: state.version,
    pipeline: state.pipeline.snapshot(state.version),
  }),
  restore: async (snapshot, options, ctx) => {
    const saved = snapshot as Partial<CoordinatorSnapshot> | null;
    const state = withPipeline(await start(options, ctx), saved?.pipeline);
    if (saved?.version !== undefined) state.version = saved.version;
    // A checkpoint from before bounded staleness: its pending batch is learned first.
    if (saved?.pending) state.pipeline.push(saved.pending);
    return state;
  },
  handlers: {
    seed: async (state, _msg, ctx) => {
      await broadcastWeights(state);
      ctx.reply(await seedBuffers(state, ctx));
      return state;
    },
    step: async (state, { step, heldout }, ctx) => {
      const line = await selfPlayStep(state, step, ctx);
      if (heldout) Object.assign(line, heldoutMetrics(await evaluateHeldout(state)));
      ctx.reply(line);
      return state;
    },
    heldout: async (state, _msg, ctx) => {
      if (state.heldout && !state.heldout.baselines) {
        state.heldout.baselines = {};
        for (const mode of state.heldout.modes) {
          state.heldout.baselines[mode.name] = await baselines(
            state,
            mode,
            heldoutTasks(state.heldout.items, mode.name),
          );
        }
      }
      ctx.reply({ accuracy: await evaluateHeldout(state), baselines: state.heldout?.baselines ?? {} });
      return state;
    },
    broadcast: async (state, { latest }, ctx) => {
      ctx.reply(await broadcastWeights(state, undefined, latest ? await learnerWeights(state) : undefined));
      return state;
    },
    settle: async (state, _msg, ctx) => {
      await state.pipeline.settle();
      ctx.reply({ version: state.version });
      return state;
    },
    evaluate: async (state, { mode: name, tasks }, ctx) => {
      const mode = state.modes.find((m) => m.name === name);
      if (!mode) {
        ctx.reply({ correct: [], formatOk: [], answers: [], unknownMode: true });
        return state;
      }
      const answers = await solve(state, mode, tasks, 1, 0, new Timings(), 0);
      ctx.reply({
        correct: answers.map((a) => a.correct),
        formatOk: answers.map((a) => a.formatOk),
        answers: answers.map((a) => a.answer),
      });
      return state;
    },
  },
});

/**
 * The coordinator, and the actors it needs that a topology may leave out: a buffer for each mode it plays. The
 * topology builder adds those the topology does not list (explicit entries win).
 */
export const coordinator = Object.assign(definition, {
  /** The replica counts of the topology's entries (the topology builder's call), for `peers`. */
  withReplicas: (options: Record<string, unknown>, counts: Record<string, number>) => ({
    ...options,
    replicas: counts,
  }),
  companions: (options: Options) =>
    (options.modes ?? playedModes(options, loadActorPluginsSync(options))).map((mode) => ({
      name: bufferName(mode),
      kind: 'buffer',
      options: { mode },
    })),
});
