// A run directory: metrics.jsonl, checkpoints/step-N/ (state.msgpack + manifest.json), summary.json, report.html.
// A checkpoint is written to a temporary folder and renamed into place, so an interrupted write never leaves a
// broken checkpoint where the previous good one was; its manifest holds the SHA-256 of state.msgpack, so a
// checkpoint damaged later is recognised on resume.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AzrError } from '../errors.ts';
import { decode, encode } from '../runtime/index.ts';

export interface CheckpointManifest {
  kind: 'azr-checkpoint';
  step: number;
  name: string;
  fingerprint: string;
  writtenAt: string;
  /** SHA-256 (hex) of each file of the checkpoint; checkpoints written before checksums have none. */
  sha256?: Record<string, string>;
}

export interface Checkpoint {
  manifest: CheckpointManifest;
  snapshots: Record<string, unknown>;
}

export const checkpointsDir = (runDir: string) => join(runDir, 'checkpoints');

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * A file of the run directory that could not be written: the run stops with this message. A failure (exit 1), but
 * a run directory that cannot be made at all is bad input (exit 2; `atStart`), unless the disk is full.
 */
export class RunWriteError extends AzrError {
  constructor(
    message: string,
    /** The errno code of the failed write (ENOSPC, EISDIR, …). */
    readonly errno?: string,
    /** Said before any work, when making the run directory: the folder given is the problem. */
    readonly atStart = false,
  ) {
    super('RUN_WRITE_FAILED', message);
  }

  /** A full disk is a condition of the machine, not of the input. */
  get diskFull(): boolean {
    return this.errno === 'ENOSPC' || this.errno === 'EDQUOT';
  }

  override get kind() {
    return this.atStart && !this.diskFull ? ('input' as const) : ('failure' as const);
  }
}

/** What failed, where, and what to do, for a failed write of `path`. */
export function describeWriteFailure(path: string, error: { code?: string; message: string }): string {
  switch (error.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return (
        `cannot write ${path}: the disk is full (${error.code}); free space on it (a new checkpoint needs room for ` +
        'one more checkpoint than run.keepCheckpoints), then continue the run with --resume (or start it again if it ' +
        'has no checkpoint yet)'
      );
    case 'EISDIR':
      return `cannot write ${path}: it is a directory; move it away or choose another --out`;
    case 'EROFS':
      return `cannot write ${path}: the file system is read-only; choose another --out`;
    case 'EACCES':
    case 'EPERM':
      return `cannot write ${path}: permission denied; make it writable or choose another --out`;
    case 'EEXIST':
      return `cannot write ${path}: a file is there, not a folder; choose another --out`;
    case 'ENOTDIR':
      return `cannot write ${path}: a part of that path is a file, not a folder; choose another --out`;
    default:
      return `cannot write ${path}: ${error.message}`;
  }
}

/** Runs a write of `path`, turning its failure into a RunWriteError that names the path. */
export async function writing<T>(path: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    throw new RunWriteError(describeWriteFailure(path, failure), failure.code);
  }
}

/**
 * Writes checkpoint `manifest.step`, then deletes the oldest ones so that `keep` remain, the new one always among
 * them. The disk needs room for keep + 1 checkpoints: the oldest is deleted only once the new one is complete.
 * A failed write leaves no temporary folder behind and throws a RunWriteError.
 */
export async function writeCheckpoint(
  runDir: string,
  manifest: CheckpointManifest,
  snapshots: Record<string, unknown>,
  keep: number,
) {
  const root = checkpointsDir(runDir);
  const final = join(root, `step-${manifest.step}`);
  const temporary = `${final}.partial-${process.pid}`;
  const state = encode(snapshots);
  const complete: CheckpointManifest = { ...manifest, sha256: { 'state.msgpack': sha256(state) } };
  try {
    await writing(root, () => mkdir(root, { recursive: true }));
    await writing(temporary, async () => {
      await rm(temporary, { recursive: true, force: true });
      await mkdir(temporary);
    });
    const statePath = join(temporary, 'state.msgpack');
    await writing(statePath, () => writeFile(statePath, state));
    const manifestPath = join(temporary, 'manifest.json');
    await writing(manifestPath, () => writeFile(manifestPath, `${JSON.stringify(complete, null, 2)}\n`));
    await writing(final, async () => {
      await rm(final, { recursive: true, force: true });
      await rename(temporary, final);
    });
  } catch (error) {
    await rm(temporary, { recursive: true, force: true }).catch(() => {});
    throw error;
  }
  const older = (await checkpointSteps(runDir)).filter((step) => step < manifest.step);
  for (const old of older.slice(0, Math.max(0, older.length - (keep - 1))))
    await rm(join(root, `step-${old}`), { recursive: true, force: true });
  return final;
}

/** Removes the temporary folders of checkpoint writes that never finished; returns their paths. */
export async function removePartialCheckpoints(runDir: string): Promise<string[]> {
  const root = checkpointsDir(runDir);
  const names = await readdir(root).catch(() => [] as string[]);
  const partial = names
    .filter((name) => /^step-\d+\.partial-\d+$/.test(name))
    .map((name) => join(root, name));
  for (const dir of partial) await writing(dir, () => rm(dir, { recursive: true, force: true }));
  return partial;
}

export async function checkpointSteps(runDir: string): Promise<number[]> {
  const names = await readdir(checkpointsDir(runDir)).catch(() => [] as string[]);
  return names
    .map((name) => /^step-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** No checkpoint to resume from where one was named, or a corrupt one. */
export class CheckpointError extends AzrError {
  constructor(message: string) {
    super('CHECKPOINT_INVALID', message);
  }
}

/** Reads and verifies one checkpoint folder; throws a CheckpointError that says what is wrong. */
async function readCheckpoint(dir: string): Promise<Checkpoint> {
  const corrupt = (why: string) => new CheckpointError(`${dir}: the checkpoint is corrupt: ${why}`);
  let manifest: CheckpointManifest;
  let state: Buffer;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as CheckpointManifest;
    state = await readFile(join(dir, 'state.msgpack'));
  } catch (error) {
    throw corrupt((error as Error).message);
  }
  if (manifest?.kind !== 'azr-checkpoint') throw corrupt('manifest.json is not an azr checkpoint manifest');
  const expected = manifest.sha256?.['state.msgpack'];
  if (expected !== undefined && sha256(state) !== expected)
    throw corrupt(
      'state.msgpack does not match the SHA-256 in manifest.json (the file was changed or damaged)',
    );
  try {
    return { manifest, snapshots: decode<Record<string, unknown>>(state) };
  } catch (error) {
    throw corrupt((error as Error).message);
  }
}

/**
 * The newest intact checkpoint of a run directory. Without `skipCorrupt`, a corrupt newest checkpoint is an error;
 * with it, each corrupt one is passed to it (its CheckpointError) and the next older one is tried.
 */
export async function latestCheckpoint(
  runDir: string,
  skipCorrupt?: (problem: CheckpointError) => void,
): Promise<Checkpoint> {
  const steps = await checkpointSteps(runDir);
  if (steps.length === 0)
    throw new CheckpointError(
      `${runDir}: no checkpoint to resume from (looked in ${checkpointsDir(runDir)})`,
    );
  for (const step of steps.toReversed()) {
    try {
      return await readCheckpoint(join(checkpointsDir(runDir), `step-${step}`));
    } catch (error) {
      if (!skipCorrupt || !(error instanceof CheckpointError)) throw error;
      skipCorrupt(error);
    }
  }
  throw new CheckpointError(`${runDir}: every checkpoint is corrupt (see above); nothing to resume from`);
}

/**
 * Cuts a metrics file back to what a checkpoint at `step` has seen: lines of later steps (they are replayed) and a
 * cut-off last line (a write interrupted mid-line) are removed, the file rewritten through a temporary file.
 * Says whether a cut-off line was removed and how many lines of replayed steps.
 */
export async function truncateMetrics(
  file: string,
  step: number,
): Promise<{ cutOff: boolean; replayed: number }> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw new RunWriteError(`cannot read ${file}: ${error.message}`);
  });
  const lines = text.split('\n');
  const cutOff = lines.pop() !== '';
  const stepOf = (line: string) => {
    try {
      return Number((JSON.parse(line) as { step?: unknown }).step);
    } catch {
      return Number.NaN;
    }
  };
  const kept = lines.filter((line) => !(stepOf(line) > step));
  const replayed = lines.length - kept.length;
  if (cutOff || replayed > 0) {
    const temporary = `${file}.partial-${process.pid}`;
    try {
      await writing(temporary, () => writeFile(temporary, kept.map((line) => `${line}\n`).join('')));
      await writing(file, () => rename(temporary, file));
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => {});
      throw error;
    }
  }
  return { cutOff, replayed };
}
