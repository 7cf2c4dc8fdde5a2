// A run directory: metrics.jsonl, checkpoints/step-N/ (state.msgpack + manifest.json), summary.json, report.html.
// A checkpoint is written to a temporary folder and renamed into place, so an interrupted write never leaves a
// broken checkpoint where the previous good one was.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decode, encode } from '../runtime/index.ts';

export interface CheckpointManifest {
  kind: 'azr-checkpoint';
  step: number;
  name: string;
  fingerprint: string;
  writtenAt: string;
}

export interface Checkpoint {
  manifest: CheckpointManifest;
  snapshots: Record<string, unknown>;
}

export const checkpointsDir = (runDir: string) => join(runDir, 'checkpoints');

export async function writeCheckpoint(
  runDir: string,
  manifest: CheckpointManifest,
  snapshots: Record<string, unknown>,
  keep: number,
) {
  const root = checkpointsDir(runDir);
  await mkdir(root, { recursive: true });
  const final = join(root, `step-${manifest.step}`);
  const temporary = `${final}.partial-${process.pid}`;
  await rm(temporary, { recursive: true, force: true });
  await mkdir(temporary);
  await writeFile(join(temporary, 'state.msgpack'), encode(snapshots));
  await writeFile(join(temporary, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await rm(final, { recursive: true, force: true });
  await rename(temporary, final);
  const steps = await checkpointSteps(runDir);
  for (const old of steps.slice(0, Math.max(0, steps.length - keep)))
    await rm(join(root, `step-${old}`), { recursive: true, force: true });
  return final;
}

export async function checkpointSteps(runDir: string): Promise<number[]> {
  const names = await readdir(checkpointsDir(runDir)).catch(() => [] as string[]);
  return names
    .map((name) => /^step-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** The newest complete checkpoint of a run directory. */
export async function latestCheckpoint(runDir: string): Promise<Checkpoint> {
  const steps = await checkpointSteps(runDir);
  const step = steps.at(-1);
  if (step === undefined)
    throw new CheckpointError(
      `${runDir}: no checkpoint to resume from (looked in ${checkpointsDir(runDir)})`,
    );
  const dir = join(checkpointsDir(runDir), `step-${step}`);
  try {
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as CheckpointManifest;
    if (manifest.kind !== 'azr-checkpoint')
      throw new Error('manifest.json is not an azr checkpoint manifest');
    const snapshots = decode<Record<string, unknown>>(await readFile(join(dir, 'state.msgpack')));
    return { manifest, snapshots };
  } catch (error) {
    throw new CheckpointError(`${dir}: the checkpoint is corrupt: ${(error as Error).message}`);
  }
}
