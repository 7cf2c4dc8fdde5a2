// Training checkpoints: a folder with config.json (model config), model.safetensors (f32 weights),
// optimizer.safetensors (optimiser moments) and state.json (optimiser step and options, RNG states, caller's extra).
// A save writes a sibling temp folder, fsyncs it, then swaps it in by renames: a crash at any point leaves either the
// previous or the new checkpoint loadable (a crash between the two renames leaves `<dir>.old`, which load falls back to).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Rng, type RngState } from './rng.ts';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.ts';
import { type ResolvedTransformerConfig, Transformer } from './transformer.ts';
import { AzrError } from '../errors.ts';

/** What a learner contributes to a checkpoint (implemented by rl's Learner). */
export interface LearnerCheckpointState {
  step: number;
  options: Record<string, unknown>;
  tensors: Map<string, NamedTensor>;
}

export interface CheckpointableLearner {
  checkpointState(): LearnerCheckpointState;
}

export interface SaveCheckpointInput {
  model: Transformer;
  learner?: CheckpointableLearner;
  /** One generator or several by name. */
  rng?: Rng | Record<string, Rng>;
  /** Any JSON-serialisable value (step counters, buffers, run config). */
  extra?: unknown;
}

export interface LoadedCheckpoint {
  model: Transformer;
  config: ResolvedTransformerConfig;
  learner?: LearnerCheckpointState;
  rng?: Rng | Record<string, Rng>;
  extra?: unknown;
}

const FORMAT = 'azr-checkpoint';

interface StateFile {
  format: typeof FORMAT;
  version: 1;
  learner?: { step: number; options: Record<string, unknown> };
  rng?: RngState | Record<string, RngState>;
  extra?: unknown;
}

export async function saveCheckpoint(dir: string, input: SaveCheckpointInput): Promise<void> {
  const target = path.resolve(dir);
  const temp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(temp, { recursive: true });
  try {
    const weights = new Map<string, NamedTensor>();
    for (const [name, v] of input.model.params)
      weights.set(name, { shape: v.shape, data: v.dataSync() as Float32Array });
    const learner = input.learner?.checkpointState();
    const state: StateFile = {
      format: FORMAT,
      version: 1,
      learner: learner && { step: learner.step, options: learner.options },
      rng: input.rng instanceof Rng ? input.rng.state() : mapValues(input.rng, (r) => r.state()),
      extra: input.extra,
    };
    await writeDurably(path.join(temp, 'config.json'), JSON.stringify(input.model.config, null, 2));
    await writeDurably(
      path.join(temp, 'model.safetensors'),
      encodeSafetensors(weights, { metadata: { format: 'pt' } }),
    );
    if (learner)
      await writeDurably(path.join(temp, 'optimizer.safetensors'), encodeSafetensors(learner.tensors));
    await writeDurably(path.join(temp, 'state.json'), JSON.stringify(state));
    await syncDirectory(temp);
    const old = `${target}.old`;
    await rm(old, { recursive: true, force: true });
    if (existsSync(target)) await rename(target, old);
    await rename(temp, target);
    await syncDirectory(path.dirname(target));
    await rm(old, { recursive: true, force: true });
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  let source = path.resolve(dir);
  if (!existsSync(path.join(source, 'state.json')) && existsSync(path.join(`${source}.old`, 'state.json'))) {
    source = `${source}.old`;
  }
  const state = JSON.parse(await readFile(path.join(source, 'state.json'), 'utf8')) as StateFile;
  if (state.format !== FORMAT) throw new AzrError('CHECKPOINT_INVALID', `${source} is not an azr checkpoint`);
  const config = JSON.parse(
    await readFile(path.join(source, 'config.json'), 'utf8'),
  ) as ResolvedTransformerConfig;
  const { tensors } = decodeSafetensors(await readFile(path.join(source, 'model.safetensors')));
  const model = new Transformer(config, new Map([...tensors].map(([name, t]) => [name, t.data])));
  const result: LoadedCheckpoint = { model, config: model.config, extra: state.extra };
  if (state.learner) {
    const optimizer = decodeSafetensors(await readFile(path.join(source, 'optimizer.safetensors')));
    result.learner = { ...state.learner, tensors: optimizer.tensors };
  }
  if (Array.isArray(state.rng)) result.rng = Rng.fromState(state.rng as RngState);
  else if (state.rng) result.rng = mapValues(state.rng as Record<string, RngState>, (s) => Rng.fromState(s));
  return result;
}

async function writeDurably(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some filesystems do not support fsync on directories; the renames are still atomic.
  } finally {
    await handle.close();
  }
}

function mapValues<A, B>(
  record: Record<string, A> | undefined,
  f: (a: A) => B,
): Record<string, B> | undefined {
  return record && Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}
