// RUN_DIR/run.json: how a run was started (its flags and `--set` overrides) and the wall time of each segment, so
// `azr run CONFIG --resume RUN_DIR` continues with the same flags and a resumed run's wall time covers all segments.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AzrError } from '../errors.ts';

export interface RunFlags {
  steps?: number;
  /** The whole run's wall-time budget, all segments together. */
  maxMinutes?: number;
  seed?: number;
  /** `--set PATH=VALUE` overrides, as typed, in order. */
  set: string[];
}

export interface RunSegment {
  startedAt: string;
  firstStep: number;
  lastStep: number;
  wallMs: number;
  interrupted: boolean;
}

export interface RunRecord {
  kind: 'azr-run';
  config: string;
  flags: RunFlags;
  segments: RunSegment[];
}

export const runRecordPath = (runDir: string) => join(runDir, 'run.json');

/** A run.json that is not an azr run record: the folder named to resume is not a run directory. */
export class RunRecordError extends AzrError {
  constructor(message: string) {
    super('CHECKPOINT_INVALID', message);
  }
}

/** The record of a run directory, or undefined for one written before run.json existed. */
export async function readRunRecord(runDir: string): Promise<RunRecord | undefined> {
  let text: string;
  try {
    text = await readFile(runRecordPath(runDir), 'utf8');
  } catch {
    return undefined;
  }
  let record: RunRecord;
  try {
    record = JSON.parse(text) as RunRecord;
  } catch (error) {
    throw new RunRecordError(`${runRecordPath(runDir)}: ${(error as Error).message}`);
  }
  if (record?.kind !== 'azr-run')
    throw new RunRecordError(`${runRecordPath(runDir)} is not an azr run record`);
  return record;
}

export async function writeRunRecord(runDir: string, record: RunRecord): Promise<void> {
  await writeFile(runRecordPath(runDir), `${JSON.stringify(record, null, 2)}\n`);
}

/** Flags given now win; those not given come from the record; `--set`s add to the recorded ones. */
export function mergeFlags(recorded: RunFlags | undefined, given: RunFlags): RunFlags {
  return {
    steps: given.steps ?? recorded?.steps,
    maxMinutes: given.maxMinutes ?? recorded?.maxMinutes,
    seed: given.seed ?? recorded?.seed,
    set: [...(recorded?.set ?? []), ...given.set],
  };
}

export const wallMsOf = (segments: RunSegment[]) => segments.reduce((sum, s) => sum + s.wallMs, 0);
