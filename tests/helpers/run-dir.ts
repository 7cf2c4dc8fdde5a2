// Reading a run directory in tests: checkpointed actor state and metrics lines.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decode } from '../../src/runtime/index.ts';

/** Every actor's snapshot in the checkpoint of `step`. */
export const checkpointState = async (runDir: string, step: number) =>
  decode<Record<string, any>>(await readFile(join(runDir, 'checkpoints', `step-${step}`, 'state.msgpack')));

export const metricsLines = async (runDir: string) =>
  (await readFile(join(runDir, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, any>);

/** A metrics line without wall-clock figures, for comparing runs. */
export const withoutTimes = (line: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(line).filter(([k]) => !k.startsWith('time.')));
