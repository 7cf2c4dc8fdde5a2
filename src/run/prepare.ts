// Before a run's actors start: its options merged with run.json's, the topology loaded, the checkpoint to resume
// from, the run directory made and repaired. Nothing here starts an actor.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type LoadedTopology, type Override, OverrideError, parseOverride } from '../topology/index.ts';
import type { RunEvent } from './events.ts';
import { flagsOf, type RunOptions, RunOptionsError } from './options.ts';
import {
  CheckpointError,
  latestCheckpoint,
  RunWriteError,
  removePartialCheckpoints,
  truncateMetrics,
  writing,
} from './run-dir.ts';
import {
  mergeFlags,
  type RunFlags,
  type RunRecord,
  readRunRecord,
  runRecordPath,
  writeRunRecord,
} from './run-record.ts';

export interface PreparedRun {
  loaded: LoadedTopology;
  flags: RunFlags;
  settings: { steps: number; checkpointEvery: number; keepCheckpoints: number; maxMinutes?: number };
  lastStep: number;
  runDir: string;
  /** What a buffer snapshot must match: the plugins (modes and their options) and the topology's seed. */
  fingerprint: string;
  record: RunRecord;
  /** The checkpoint's actor state, when resuming. */
  snapshots?: Record<string, unknown>;
  firstStep: number;
}

function fingerprint(loaded: LoadedTopology): string {
  const { plugins, seed } = loaded.topology;
  return createHash('sha256').update(JSON.stringify({ plugins, seed })).digest('hex').slice(0, 16);
}

const timestamp = () => new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

export const defaultMetricsFile = (runDir: string) => join(runDir, 'metrics.jsonl');

/** The metrics actor's name and the file it appends to (the topology's, or the one the run gives it). */
export function metricsActor(
  loaded: LoadedTopology,
  runDir: string,
): { name: string; file: string } | undefined {
  const entry = loaded.topology.actors.find((e) => e.kind === 'metrics');
  return (
    entry && {
      name: entry.name,
      file: (entry.options?.file as string | undefined) ?? defaultMetricsFile(runDir),
    }
  );
}

async function loadTopology(
  topology: string | LoadedTopology,
  overrides: Override[],
): Promise<LoadedTopology> {
  if (typeof topology === 'string') {
    // Imported here, not above: the built-in actors (and the model code they import) load only when a run needs them.
    const { loadConfig } = await import('./load.ts');
    return loadConfig(topology, overrides);
  }
  if (overrides.length > 0)
    throw new RunOptionsError(
      'set needs the topology as a file path (it changes the file before it is checked)',
    );
  // The run sets options of its own (the seed, the metrics file): on a copy, not on the caller's topology.
  return { ...topology, topology: structuredClone(topology.topology) };
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

/** Makes the run directory and writes run.json; a folder that cannot be written is bad input (RunWriteError). */
async function makeRunDir(runDir: string, record: RunRecord): Promise<void> {
  try {
    await writing(runDir, () => makeDir(runDir));
    await writing(runRecordPath(runDir), () => writeRunRecord(runDir, record));
  } catch (error) {
    const failure = error as RunWriteError;
    throw new RunWriteError(failure.message, failure.errno, true);
  }
}

export async function prepareRun(
  topology: string | LoadedTopology,
  options: RunOptions,
  emit: (event: RunEvent) => void,
): Promise<PreparedRun> {
  const given = flagsOf(options);
  const resumeDir = options.resume === undefined ? undefined : resolve(options.resume);
  let record = resumeDir ? await readRunRecord(resumeDir) : undefined;
  const flags = mergeFlags(record?.flags, given);
  let overrides: Override[];
  try {
    overrides = flags.set.map(parseOverride);
  } catch (error) {
    if (!(error instanceof OverrideError)) throw error;
    throw new RunOptionsError(error.message);
  }
  const loaded = await loadTopology(topology, overrides);
  await options.preflight?.(loaded);
  if (flags.seed !== undefined) loaded.topology.seed = flags.seed;
  const settings = { steps: 10, checkpointEvery: 0, keepCheckpoints: 2, ...loaded.topology.run };
  if (flags.maxMinutes !== undefined) settings.maxMinutes = flags.maxMinutes;
  const runDir = resumeDir ?? resolve(options.out ?? join('runs', `${loaded.topology.name}-${timestamp()}`));
  const print = fingerprint(loaded);
  record ??= { kind: 'azr-run', config: resolve(loaded.file), flags, segments: [] };
  record.flags = flags;

  let snapshots: Record<string, unknown> | undefined;
  let firstStep = 1;
  if (resumeDir) {
    const checkpoint = await latestCheckpoint(runDir, (corrupt) =>
      emit({ type: 'repaired', message: `${corrupt.message}; trying the previous checkpoint` }),
    );
    if (checkpoint.manifest.fingerprint !== print) {
      throw new CheckpointError(
        `${runDir}: the checkpoint was written by another configuration (fingerprint ${checkpoint.manifest.fingerprint}, ` +
          `this config ${print}); resume with the config it was started with`,
      );
    }
    snapshots = checkpoint.snapshots;
    firstStep = checkpoint.manifest.step + 1;
  }
  await makeRunDir(runDir, record);
  for (const dir of await removePartialCheckpoints(runDir))
    emit({
      type: 'repaired',
      message: `removed ${dir}, the unfinished checkpoint of an earlier run that stopped mid-write`,
    });
  const metrics = metricsActor(loaded, runDir)?.file;
  if (snapshots && metrics) {
    const { cutOff, replayed } = await truncateMetrics(metrics, firstStep - 1);
    if (cutOff)
      emit({
        type: 'repaired',
        message: `${metrics}: removed a cut-off last line (a write interrupted mid-line)`,
      });
    if (replayed > 0)
      emit({
        type: 'repaired',
        message: `${metrics}: removed ${replayed} line(s) of steps after the checkpoint (replayed now)`,
      });
  }
  const lastStep = flags.steps ?? settings.steps;
  return { loaded, flags, settings, lastStep, runDir, fingerprint: print, record, snapshots, firstStep };
}
