// `run(topology, options)`: self-play for a topology, as `azr run` does it — seeds or resumes, runs the steps,
// scores the held-out set, checkpoints, keeps to the wall-time budget, writes summary.json and the report.
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { coordinatorProtocol } from '../../actors/coordinator.ts';
import type { metricsProtocol } from '../../actors/metrics.ts';
import { faultMetrics } from '../selfplay/metrics.ts';
import { RuntimeFaults } from './runtime-faults.ts';
import { writeReport } from '../report/index.ts';
import type { ActorStats } from '../runtime/index.ts';
import type { NatsHead } from '../runtime/nats-head.ts';
import { buildTopology, type LoadedTopology } from '../topology/index.ts';
import type { ActorFaults, HeldoutBaselines, RunEvent, RunSummary } from './events.ts';
import { heldoutEvery, heldoutOf, heldoutSummary, prefixedHeldout } from './heldout.ts';
import { natsSection, remoteActors, startHead } from './nats.ts';
import type { RunOptions } from './options.ts';
import { defaultMetricsFile, metricsActor, type PreparedRun, prepareRun } from './prepare.ts';
import { describeWriteFailure, RunWriteError, writeCheckpoint, writing } from './run-dir.ts';
import { wallMsOf, writeRunRecord, runRecordPath } from './run-record.ts';

export type { RunOptions };

/** This segment's actor restarts, host deaths retried and dead letters, for the actors that had any. */
function actorFaults(actors: Record<string, ActorStats>): Record<string, ActorFaults> {
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

/** Run-specific options the actors get from the run: where metrics go, what buffers must match. */
function configureRun({ loaded, runDir, fingerprint }: PreparedRun): void {
  for (const entry of loaded.topology.actors) {
    entry.options ??= {};
    if (entry.kind === 'metrics') entry.options.file ??= defaultMetricsFile(runDir);
    if (entry.kind === 'buffer') entry.options.fingerprint ||= fingerprint;
  }
}

/** With remote actors: connects to NATS as the run's head; every job's fate goes to RUN_DIR/jobs.jsonl. */
async function connectHead(
  prepared: PreparedRun,
  options: RunOptions,
  log: (line: string) => void,
): Promise<NatsHead | undefined> {
  if (remoteActors(prepared.loaded.topology).length === 0) return undefined;
  const ledger = createWriteStream(join(prepared.runDir, 'jobs.jsonl'), { flags: 'a' });
  try {
    return await startHead(prepared.loaded, options.nats ?? {}, {
      seed: prepared.flags.seed,
      log,
      ledger: (entry) => ledger.write(`${JSON.stringify(entry)}\n`),
    });
  } catch (error) {
    ledger.end();
    throw error;
  }
}

/**
 * Runs self-play for a topology and writes its run directory (docs/run-directory.md): metrics.jsonl,
 * checkpoints/step-N/, run.json, summary.json and report.html (refreshed at every checkpoint and at least once a
 * minute). A new run seeds its buffers and scores the held-out set before training; a resumed one continues from
 * its latest intact checkpoint. Aborting `signal` ends the run after the current step, with a checkpoint.
 *
 * Errors before the actors start are AzrErrors whose `kind` says whose move it is: `'input'` (a ConfigError, a
 * RunOptionsError, a CheckpointError, a run directory that cannot be made) or `'failure'`; once they run, the
 * first error of the run is thrown as it came, after the actors are stopped and run.json records the segment.
 *
 * @param topology A topology file (loaded with the built-in actor kinds and plugins), or a topology loaded already.
 * @returns The summary, as written to RUN_DIR/summary.json.
 * @example
 * import { run } from 'azr';
 *
 * const stop = new AbortController();
 * process.once('SIGINT', () => stop.abort());
 * const summary = await run('examples/tiny-zero.yaml', {
 *   out: 'runs/mine',
 *   steps: 20,
 *   seed: 7,
 *   signal: stop.signal,
 *   onEvent: (event) => {
 *     if (event.type === 'step') console.log(`step ${event.step}: loss ${event.metrics['learner.loss']}`);
 *   },
 * });
 * console.log(summary.heldout);
 */
export async function run(topology: string | LoadedTopology, options: RunOptions = {}): Promise<RunSummary> {
  const emit = (event: RunEvent) => options.onEvent?.(event);
  const log = options.log ?? ((line: string) => console.error(line));
  const prepared = await prepareRun(topology, options, emit);
  const { loaded, settings, runDir, record, snapshots, firstStep, lastStep: totalSteps } = prepared;
  const previousWallMs = wallMsOf(record.segments);
  const head = await connectHead(prepared, options, log);
  // After the head's start: the run fingerprint the nodes check leaves these run-local options out.
  configureRun(prepared);
  const system = buildTopology(loaded, { snapshots, log, hosts: head ? { remote: head.host } : undefined });
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
  /** Appends a line to metrics.jsonl (through the metrics actor, if the topology has one) and checks it landed. */
  const recordMetrics = async (metrics: Record<string, unknown>) => {
    if (metricsName === undefined) return;
    await system.lookup<typeof metricsProtocol.spec>(metricsName).tell({ type: 'record', metrics });
    await checkMetricsWritten();
  };
  // Faults before the first step (seeding) count with step 1.
  const runtimeFaults = new RuntimeFaults(system.events);
  const budgetMs =
    settings.maxMinutes === undefined ? undefined : settings.maxMinutes * 60_000 - previousWallMs;
  const stopAsked = () => options.signal?.aborted ?? false;
  emit({
    type: 'started',
    runDir,
    firstStep,
    lastStep: totalSteps,
    resumed: snapshots !== undefined,
    ...(budgetMs === undefined ? {} : { deadline: Date.now() + budgetMs }),
  });
  const note = (message: string) => emit({ type: 'note', message });
  const started = Date.now();
  let interrupted = false;
  let lastStep = firstStep - 1;
  let lastMetrics: Record<string, unknown> = {};
  let baselines: HeldoutBaselines = {};
  let checkpointed = -1;
  let reportedAt = Date.now();
  // The report is a live view of the run: rewritten at every checkpoint and at least once a minute.
  const refreshReport = async () => {
    reportedAt = Date.now();
    await writeReport(runDir).catch((error: Error) => note(`report not written: ${error.message}`));
  };
  const checkpoint = async (step: number) => {
    // Nothing in flight in a checkpoint: the batches generated so far are learned first (docs/azr.md §2).
    await system.whileRunning(coordinator.ask({ type: 'settle' }, { timeoutMs: 3_600_000 }));
    const dir = await writeCheckpoint(
      runDir,
      {
        kind: 'azr-checkpoint',
        step,
        name: loaded.topology.name,
        fingerprint: prepared.fingerprint,
        writtenAt: new Date().toISOString(),
      },
      await system.snapshot(),
      settings.keepCheckpoints,
    );
    checkpointed = step;
    await recordSegment(false);
    if (step >= 1) await refreshReport();
    emit({ type: 'checkpoint', step, dir });
  };
  // This segment is recorded in run.json at every checkpoint (as interrupted, until it ends), so a head killed
  // mid-run leaves its wall time up to its last checkpoint for the budget, and the resume's summary counts it.
  const earlierSegments = [...record.segments];
  const recordSegment = async (ended: boolean) => {
    record.segments = [
      ...earlierSegments,
      {
        startedAt: new Date(started).toISOString(),
        firstStep,
        lastStep: ended ? lastStep : checkpointed,
        wallMs: Date.now() - started,
        interrupted: ended ? interrupted : true,
      },
    ];
    await writing(runRecordPath(runDir), () => writeRunRecord(runDir, record));
  };
  const endSegment = () => recordSegment(true);
  try {
    const untilStopped = <T>(promise: Promise<T>) => system.whileRunning(promise);
    await head?.waitForRoles(natsSection(loaded.topology).joinTimeoutMs, note);
    await checkMetricsWritten();
    if (snapshots) {
      await untilStopped(coordinator.ask({ type: 'broadcast' }, { timeoutMs: 600_000 }));
      emit({ type: 'resumed', runDir, step: firstStep - 1 });
    } else {
      emit({ type: 'seeding', runDir });
      const seeded = await untilStopped(coordinator.ask({ type: 'seed' }, { timeoutMs: 3_600_000 }));
      emit({ type: 'seeded', rounds: seeded.rounds, sizes: seeded.sizes });
    }
    const heldout = await untilStopped(coordinator.ask({ type: 'heldout' }, { timeoutMs: 3_600_000 }));
    baselines = heldout.baselines;
    if (!snapshots && Object.keys(heldout.accuracy).length > 0) {
      await recordMetrics({ step: 0, ...prefixedHeldout(heldout.accuracy) });
      emit({ type: 'heldout', step: 0, accuracy: heldout.accuracy, baselines });
    }
    const every = heldoutEvery(loaded);
    const hasHeldout = Object.keys(heldout.accuracy).length > 0;
    // With a budget, the step expected (by the previous step's time) to end past it is the last one, so the
    // held-out set is scored inside it, like at a planned last step.
    let stepMs = 0;
    const lastInBudget = () => budgetMs !== undefined && Date.now() - started + stepMs >= budgetMs;
    if (budgetMs !== undefined && budgetMs <= 0)
      note(`the run's ${settings.maxMinutes}-minute budget is spent by its earlier segments: no step to run`);
    for (let step = firstStep; step <= totalSteps && !stopAsked() && !(budgetMs! <= 0); step++) {
      const final = step === totalSteps || lastInBudget();
      const scoreHeldout = hasHeldout && (final || (every > 0 && step % every === 0));
      const stepStarted = Date.now();
      const line = await untilStopped(
        coordinator.ask({ type: 'step', step, heldout: scoreHeldout }, { timeoutMs: 3_600_000 }),
      );
      lastMetrics = { ...line, ...faultMetrics(runtimeFaults.take()) };
      await recordMetrics(lastMetrics);
      stepMs = Date.now() - stepStarted;
      lastStep = step;
      emit({ type: 'step', step, metrics: lastMetrics });
      if (scoreHeldout) emit({ type: 'heldout', step, accuracy: heldoutOf(lastMetrics), baselines });
      if (final && step < totalSteps) {
        note(
          `the run's ${settings.maxMinutes}-minute budget allows no further step: stopping after step ${step}`,
        );
        break;
      }
      if (settings.checkpointEvery > 0 && step % settings.checkpointEvery === 0 && step < totalSteps)
        await checkpoint(step);
      else if (Date.now() - reportedAt >= 60_000) await refreshReport();
    }
    interrupted = stopAsked();
    if ((lastStep >= firstStep || !snapshots) && checkpointed !== lastStep) await checkpoint(lastStep);
  } catch (error) {
    interrupted = stopAsked();
    await endSegment().catch(() => {});
    await system.stop();
    await head?.close();
    throw error;
  }
  const stopped = await system.stop();
  await head?.close();
  await endSegment();
  const summary: RunSummary = {
    name: loaded.topology.name,
    runDir,
    steps: lastStep,
    wallMs: wallMsOf(record.segments),
    segments: record.segments.length,
    interrupted,
    heldout: await heldoutSummary(join(runDir, 'metrics.jsonl'), baselines),
    final: lastMetrics,
    faults: actorFaults(stopped.actors),
    ...(head ? { distributed: { runId: head.runId, ...head.stats } } : {}),
  };
  const summaryFile = join(runDir, 'summary.json');
  await writing(summaryFile, () => writeFile(summaryFile, `${JSON.stringify(summary, null, 2)}\n`));
  const reportFile = lastStep >= 1 ? await writeReport(runDir) : undefined;
  emit({ type: 'done', summary, summaryFile, ...(reportFile ? { reportFile } : {}) });
  return summary;
}
