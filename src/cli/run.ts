// `azr run CONFIG [--steps N] [--out DIR] [--resume DIR] [--seed S]`: self-play. Seeds the buffers, runs the
// steps with a progress line, checkpoints, and on Ctrl-C saves a checkpoint and exits cleanly.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { coordinatorProtocol } from '../../actors/coordinator.ts';
import type { metricsProtocol } from '../../actors/metrics.ts';
import type { ActorStats } from '../runtime/index.ts';
import type { NatsHead } from '../runtime/nats-head.ts';
import { NatsRefusedError } from '../runtime/nats-wire.ts';
import { buildTopology, type LoadedTopology, type Override, parseOverride } from '../topology/index.ts';
import { writeReport } from '../report/index.ts';
import { loadConfig } from './load.ts';
import {
  CheckpointError,
  describeWriteFailure,
  latestCheckpoint,
  RunWriteError,
  removePartialCheckpoints,
  truncateMetrics,
  writeCheckpoint,
  writing,
} from './run-dir.ts';
import {
  mergeFlags,
  type RunFlags,
  type RunRecord,
  readRunRecord,
  runRecordPath,
  wallMsOf,
  writeRunRecord,
} from './run-record.ts';
import { Progress } from './progress.ts';
import { sandboxReadiness, startsSandbox } from './system-parts.ts';
import { type NatsFlagValues, natsFlags, natsSection, natsUsage, remoteActors, startHead } from './nats.ts';

const usage = `usage: azr run CONFIG [--steps N] [--max-minutes M] [--out DIR] [--resume DIR] [--seed S] [--set PATH=VALUE …] ${natsUsage}`;

function integerFlag(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

class UsageError extends Error {}

/** What a buffer snapshot must match: the plugins (modes and their options) and the topology's seed. */
function fingerprint(loaded: LoadedTopology): string {
  const { plugins, seed } = loaded.topology;
  return createHash('sha256').update(JSON.stringify({ plugins, seed })).digest('hex').slice(0, 16);
}

/** Run-specific options the actors get from the command: where metrics go, what buffers must match. */
function configureRun(loaded: LoadedTopology, runDir: string, print: string): void {
  for (const entry of loaded.topology.actors) {
    entry.options ??= {};
    if (entry.kind === 'metrics') entry.options.file ??= defaultMetricsFile(runDir);
    if (entry.kind === 'buffer') entry.options.fingerprint ||= print;
  }
}

const defaultMetricsFile = (runDir: string) => join(runDir, 'metrics.jsonl');

/** The metrics actor's name and the file it appends to (the topology's, or the one configureRun gives it). */
function metricsActor(loaded: LoadedTopology, runDir: string): { name: string; file: string } | undefined {
  const entry = loaded.topology.actors.find((e) => e.kind === 'metrics');
  return (
    entry && {
      name: entry.name,
      file: (entry.options?.file as string | undefined) ?? defaultMetricsFile(runDir),
    }
  );
}

/** `mkdir -p` that reports the real cause: Node's recursive mkdir says ENOENT on a read-only file system. */
async function makeDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(dir) === dir) throw error;
    await makeDir(dirname(dir));
    await mkdir(dir);
  }
}

/**
 * Creates the run directory and writes run.json; returns the exit code when that fails: 2 (bad input) for a folder
 * that cannot be written, 1 for a full disk. Said before any work.
 */
async function prepareRunDir(runDir: string, record: RunRecord): Promise<number | undefined> {
  try {
    await writing(runDir, () => makeDir(runDir));
    await writing(runRecordPath(runDir), () => writeRunRecord(runDir, record));
    return undefined;
  } catch (error) {
    console.error(`azr run: ${(error as Error).message}`);
    return (error as RunWriteError).diskFull ? 1 : 2;
  }
}

/** This segment's actor restarts, host deaths retried and dead letters, for the actors that had any. */
function actorFaults(actors: Record<string, ActorStats>) {
  return Object.fromEntries(
    Object.entries(actors)
      .map(
        ([name, s]) =>
          [
            name,
            {
              restarts: Math.max(0, s.starts - 1),
              crashes: s.crashes,
              retried: s.retried,
              deadLettered: s.deadLettered,
            },
          ] as const,
      )
      .filter(([, f]) => f.restarts + f.crashes + f.retried + f.deadLettered > 0),
  );
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

type Baselines = Record<string, { mostCommon: number; identity: number }>;

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

function describeHeldout(accuracy: Record<string, number>, baselines: Baselines): string {
  return Object.entries(accuracy)
    .map(([mode, a]) => {
      const b = baselines[mode];
      return `${mode} ${percent(a)}${b ? ` (baselines: most common ${percent(b.mostCommon)}, identity ${percent(b.identity)})` : ''}`;
    })
    .join('; ');
}

function heldoutEvery(loaded: LoadedTopology): number {
  const coordinator = loaded.topology.actors.find((entry) => entry.kind === 'coordinator');
  return Number((coordinator?.options?.heldout as { every?: number } | undefined)?.every ?? 0);
}

/** Held-out accuracy before (step 0) and after (the last scored step), with the baselines, for summary.json. */
const prefixedHeldout = (accuracy: Record<string, number>) =>
  Object.fromEntries(Object.entries(accuracy).map(([mode, a]) => [`heldout.${mode}`, a]));

async function heldoutSummary(runDir: string, baselines: Baselines) {
  const lines = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8').catch(() => ''))
    .split('\n')
    .filter((line) => line.includes('"heldout.'))
    .map((line) => JSON.parse(line) as Record<string, number>);
  const before = lines.find((line) => line.step === 0);
  const after = lines.filter((line) => line.step > 0).at(-1);
  if (!before && !after) return undefined;
  return Object.fromEntries(
    Object.keys(baselines).map((mode) => [
      mode,
      {
        before: before?.[`heldout.${mode}`] ?? null,
        after: after?.[`heldout.${mode}`] ?? null,
        baselines: baselines[mode],
      },
    ]),
  );
}

/**
 * With remote actors: connects to NATS as the run's head and lays out its queues; every job's fate goes to
 * RUN_DIR/jobs.jsonl. Returns an exit code when NATS refuses.
 */
async function connectHead(
  loaded: LoadedTopology,
  flags: NatsFlagValues,
  runDir: string,
  seed: number | undefined,
): Promise<NatsHead | undefined | number> {
  if (remoteActors(loaded.topology).length === 0) return undefined;
  const ledger = createWriteStream(join(runDir, 'jobs.jsonl'), { flags: 'a' });
  try {
    return await startHead(loaded, flags, {
      seed,
      log: (line) => console.error(line),
      ledger: (entry) => ledger.write(`${JSON.stringify(entry)}\n`),
    });
  } catch (error) {
    ledger.end();
    console.error(`azr run: ${(error as Error).message}`);
    return error instanceof NatsRefusedError ? 2 : 1;
  }
}

const help = `${usage}

Runs self-play for a topology and writes a run directory: metrics.jsonl, checkpoints/, run.json, summary.json,
report.html (refreshed at every checkpoint and at least once a minute).
  --steps N         last step (default: the topology's run.steps)
  --max-minutes M   wall-time budget of the whole run, resumed segments included (default: run.maxMinutes)
  --out DIR         the run directory (default: runs/NAME-TIMESTAMP)
  --resume DIR      continue the run in DIR from its latest checkpoint, with the flags it was started with
                    (recorded in DIR/run.json); flags given now replace those
  --seed S          the topology's seed
  --set PATH=VALUE  change the topology before it is checked, e.g. --set actors.learner.options.lr=1e-3 or
                    --set run.checkpointEvery=10; repeatable; list entries by name, index or plugin name
Ctrl-C finishes the current step, saves a checkpoint and prints the command that resumes.`;

function parseFlags(values: Record<string, string | string[] | boolean | undefined>): RunFlags {
  const one = (name: string) => values[name] as string | undefined;
  const flags: RunFlags = {
    steps: integerFlag(one('steps'), 'steps', 0),
    seed: integerFlag(one('seed'), 'seed', 0),
    set: (values.set as string[] | undefined) ?? [],
  };
  const minutes = one('max-minutes');
  if (minutes !== undefined) {
    flags.maxMinutes = Number(minutes);
    if (!(flags.maxMinutes > 0)) throw new UsageError(`--max-minutes must be a number > 0, got "${minutes}"`);
  }
  return flags;
}

export async function run(args: string[]): Promise<number> {
  let values: Record<string, string | string[] | boolean | undefined>;
  let positionals: string[];
  let given: RunFlags;
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        steps: { type: 'string' },
        'max-minutes': { type: 'string' },
        out: { type: 'string' },
        resume: { type: 'string' },
        seed: { type: 'string' },
        set: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
        ...natsFlags,
      },
    }));
    if (values.help) {
      console.log(help);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(usage);
    given = parseFlags(values);
    if (values.resume !== undefined && values.out !== undefined)
      throw new UsageError('give --resume DIR or --out DIR, not both (a resumed run stays in its directory)');
  } catch (error) {
    console.error(
      error instanceof UsageError
        ? `azr run: ${error.message}`
        : `azr run: ${(error as Error).message}\n${usage}`,
    );
    return 2;
  }
  const resumeDir = typeof values.resume === 'string' ? resolve(values.resume) : undefined;
  let record: RunRecord | undefined;
  if (resumeDir) {
    try {
      record = await readRunRecord(resumeDir);
    } catch (error) {
      console.error(`azr run: ${(error as Error).message}`);
      return 2;
    }
  }
  const flags = mergeFlags(record?.flags, given);
  let overrides: Override[];
  try {
    overrides = flags.set.map(parseOverride);
  } catch (error) {
    console.error(`azr run: ${(error as Error).message}`);
    return 2;
  }
  const loaded = await loadConfig(positionals[0]!, overrides);
  if (loaded.topology.actors.some((entry) => entry.host !== 'remote' && startsSandbox(entry))) {
    const problem = sandboxReadiness();
    if (problem !== null) {
      console.error(`azr run: ${problem}`);
      return 1;
    }
  }
  if (flags.seed !== undefined) loaded.topology.seed = flags.seed;
  const settings = { steps: 10, checkpointEvery: 0, keepCheckpoints: 2, ...loaded.topology.run };
  if (flags.maxMinutes !== undefined) settings.maxMinutes = flags.maxMinutes;
  const totalSteps = flags.steps ?? settings.steps;
  const runDir =
    resumeDir ??
    resolve(
      typeof values.out === 'string' ? values.out : join('runs', `${loaded.topology.name}-${timestamp()}`),
    );
  const print = fingerprint(loaded);
  record ??= { kind: 'azr-run', config: resolve(positionals[0]!), flags, segments: [] };
  record.flags = flags;
  const previousWallMs = wallMsOf(record.segments);

  let snapshots: Record<string, unknown> | undefined;
  let firstStep = 1;
  if (resumeDir) {
    try {
      const checkpoint = await latestCheckpoint(runDir, (corrupt) =>
        console.error(`azr run: ${corrupt.message}; trying the previous checkpoint`),
      );
      if (checkpoint.manifest.fingerprint !== print) {
        throw new CheckpointError(
          `${runDir}: the checkpoint was written by another configuration (fingerprint ${checkpoint.manifest.fingerprint}, ` +
            `this config ${print}); resume with the config it was started with`,
        );
      }
      snapshots = checkpoint.snapshots;
      firstStep = checkpoint.manifest.step + 1;
    } catch (error) {
      if (!(error instanceof CheckpointError)) throw error;
      console.error(`azr run: ${error.message}`);
      return 2;
    }
  }
  const unwritable = await prepareRunDir(runDir, record);
  if (unwritable !== undefined) return unwritable;
  try {
    for (const dir of await removePartialCheckpoints(runDir))
      console.error(
        `azr run: removed ${dir}, the unfinished checkpoint of an earlier run that stopped mid-write`,
      );
    const metrics = metricsActor(loaded, runDir)?.file;
    if (snapshots && metrics) {
      const { cutOff, replayed } = await truncateMetrics(metrics, firstStep - 1);
      if (cutOff)
        console.error(`azr run: ${metrics}: removed a cut-off last line (a write interrupted mid-line)`);
      if (replayed > 0)
        console.error(
          `azr run: ${metrics}: removed ${replayed} line(s) of steps after the checkpoint (replayed now)`,
        );
    }
  } catch (error) {
    if (!(error instanceof RunWriteError)) throw error;
    console.error(`azr run: ${error.message}`);
    return 1;
  }
  const head = await connectHead(loaded, values as NatsFlagValues, runDir, flags.seed);
  if (typeof head === 'number') return head;
  // After the head's start: the run fingerprint the nodes check leaves these run-local options out.
  configureRun(loaded, runDir, print);
  const system = buildTopology(loaded, {
    snapshots,
    log: (line) => console.error(line),
    hosts: head ? { remote: head.host } : undefined,
  });
  head?.attach(system);

  const coordinator = system.lookup<typeof coordinatorProtocol.spec>('coordinator');
  const metricsName = metricsActor(loaded, runDir)?.name;
  // Asked after every write the metrics actor was told to do: a failed write stops the run at once.
  const checkMetricsWritten = async () => {
    if (metricsName === undefined) return;
    const metrics = system.lookup<typeof metricsProtocol.spec>(metricsName);
    const failure = await system.whileRunning(metrics.ask({ type: 'failure' }));
    if (failure) throw new RunWriteError(describeWriteFailure(failure.path, failure));
  };
  const budgetMs =
    settings.maxMinutes === undefined ? undefined : settings.maxMinutes * 60_000 - previousWallMs;
  const progress = new Progress(
    firstStep - 1,
    totalSteps,
    budgetMs === undefined ? undefined : Date.now() + budgetMs,
  );
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    progress.note(
      'interrupted: finishing the current step, then saving a checkpoint (Ctrl-C again to quit at once)',
    );
  };
  process.on('SIGINT', onSigint);
  const started = Date.now();
  let lastStep = firstStep - 1;
  let lastMetrics: Record<string, unknown> = {};
  let baselinesSeen: Baselines = {};
  let checkpointed = -1;
  let reportedAt = Date.now();
  // The report is a live view of the run: rewritten at every checkpoint and at least once a minute.
  const refreshReport = async () => {
    reportedAt = Date.now();
    await writeReport(runDir).catch((error: Error) => progress.note(`report not written: ${error.message}`));
  };
  const checkpoint = async (step: number) => {
    const dir = await writeCheckpoint(
      runDir,
      {
        kind: 'azr-checkpoint',
        step,
        name: loaded.topology.name,
        fingerprint: print,
        writtenAt: new Date().toISOString(),
      },
      await system.snapshot(),
      settings.keepCheckpoints,
    );
    checkpointed = step;
    if (step >= 1) await refreshReport();
    progress.note(`checkpoint: ${dir}`);
  };
  const endSegment = async () => {
    record.segments.push({
      startedAt: new Date(started).toISOString(),
      firstStep,
      lastStep,
      wallMs: Date.now() - started,
      interrupted,
    });
    await writing(runRecordPath(runDir), () => writeRunRecord(runDir, record));
  };
  try {
    const untilStopped = <T>(promise: Promise<T>) => system.whileRunning(promise);
    await head?.waitForRoles(natsSection(loaded.topology).joinTimeoutMs, (line) => progress.note(line));
    await checkMetricsWritten();
    if (snapshots) {
      await untilStopped(coordinator.ask({ type: 'broadcast' }, { timeoutMs: 600_000 }));
      progress.note(`resumed ${runDir} after step ${firstStep - 1}`);
    } else {
      progress.note(`run directory: ${runDir}`);
      const seeded = await untilStopped(coordinator.ask({ type: 'seed' }, { timeoutMs: 3_600_000 }));
      progress.note(
        `seeded buffers in ${seeded.rounds} round(s): ${Object.entries(seeded.sizes)
          .map(([m, n]) => `${m} ${n}`)
          .join(', ')}`,
      );
    }
    const heldout = await untilStopped(coordinator.ask({ type: 'heldout' }, { timeoutMs: 3_600_000 }));
    baselinesSeen = heldout.baselines;
    if (!snapshots && Object.keys(heldout.accuracy).length > 0) {
      await system.lookup<typeof metricsProtocol.spec>('metrics').tell({
        type: 'record',
        metrics: { step: 0, ...prefixedHeldout(heldout.accuracy) },
      });
      await checkMetricsWritten();
      progress.note(`held-out before training: ${describeHeldout(heldout.accuracy, heldout.baselines)}`);
    }
    const every = heldoutEvery(loaded);
    const hasHeldout = Object.keys(heldout.accuracy).length > 0;
    // With a budget, the step expected (by the previous step's time) to end past it is the last one, so the
    // held-out set is scored inside it, like at a planned last step.
    let stepMs = 0;
    const lastInBudget = () => budgetMs !== undefined && Date.now() - started + stepMs >= budgetMs;
    if (budgetMs !== undefined && budgetMs <= 0)
      progress.note(
        `the run's ${settings.maxMinutes}-minute budget is spent by its earlier segments: no step to run`,
      );
    for (let step = firstStep; step <= totalSteps && !interrupted && !(budgetMs! <= 0); step++) {
      const final = step === totalSteps || lastInBudget();
      const scoreHeldout = hasHeldout && (final || (every > 0 && step % every === 0));
      const stepStarted = Date.now();
      lastMetrics = await untilStopped(
        coordinator.ask({ type: 'step', step, heldout: scoreHeldout }, { timeoutMs: 3_600_000 }),
      );
      stepMs = Date.now() - stepStarted;
      await checkMetricsWritten();
      lastStep = step;
      progress.step(step, lastMetrics);
      if (final && step < totalSteps) {
        progress.note(
          `the run's ${settings.maxMinutes}-minute budget allows no further step: stopping after step ${step}`,
        );
        break;
      }
      if (settings.checkpointEvery > 0 && step % settings.checkpointEvery === 0 && step < totalSteps)
        await checkpoint(step);
      else if (Date.now() - reportedAt >= 60_000) await refreshReport();
    }
    if ((lastStep >= firstStep || !snapshots) && checkpointed !== lastStep) await checkpoint(lastStep);
  } catch (error) {
    progress.done();
    console.error(`azr run: ${(error as Error).message}`);
    await endSegment().catch(() => {});
    await system.stop();
    await head?.close();
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
  progress.done();
  const stopped = await system.stop();
  await head?.close();
  const writeSummary = async () => {
    await endSegment();
    const summary = {
      name: loaded.topology.name,
      runDir,
      steps: lastStep,
      wallMs: wallMsOf(record.segments),
      segments: record.segments.length,
      interrupted,
      heldout: await heldoutSummary(runDir, baselinesSeen),
      final: lastMetrics,
      faults: actorFaults(stopped.actors),
      ...(head ? { distributed: { runId: head.runId, ...head.stats } } : {}),
    };
    const path = join(runDir, 'summary.json');
    await writing(path, () => writeFile(path, `${JSON.stringify(summary, null, 2)}\n`));
    return summary;
  };
  let summary: Awaited<ReturnType<typeof writeSummary>>;
  try {
    summary = await writeSummary();
  } catch (error) {
    console.error(`azr run: ${(error as Error).message}`);
    return 1;
  }
  console.log(
    `${interrupted ? 'interrupted' : 'done'} after step ${lastStep}: ${join(runDir, 'summary.json')}`,
  );
  if (lastStep >= 1) console.log(`report: ${await writeReport(runDir)}`);
  if (interrupted)
    console.log(
      `resume with: azr run ${positionals[0]} --resume ${runDir}   (its flags are kept in run.json)`,
    );
  for (const [mode, h] of Object.entries(summary.heldout ?? {})) {
    const fmt = (x: number | null) => (x === null ? '–' : percent(x));
    console.log(
      `held-out ${mode}: ${fmt(h.before)} → ${fmt(h.after)} ` +
        `(baselines: most common ${percent(h.baselines.mostCommon)}, identity ${percent(h.baselines.identity)})`,
    );
  }
  return 0;
}
