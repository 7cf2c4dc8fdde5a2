// `azr export RUN_DIR --out DIR`: the policy of a run's latest checkpoint as a Hugging Face folder —
// config.json, model.safetensors and tokenizer.json — that `huggingFace: { path: DIR }` (examples/hf-model.yaml)
// and other Llama/Qwen2 loaders read back. The learner's snapshot holds the weights and the tokenizer's spec.
import { copyFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { LearnerSnapshot } from '../../actors/learner.ts';
import { ASCII_ALPHABET, EOS, type TokenizerSpec } from '../../actors/policy.ts';
import { initBackend } from '../model/backend.ts';
import { bytesToUnicode } from '../model/hf-tokenizer.ts';
import { saveHuggingFace } from '../model/huggingface.ts';
import type { FloatDtype } from '../model/safetensors.ts';
import { resolveConfig, Transformer } from '../model/transformer.ts';
import { parseCommand } from './args.ts';
import { checkpointSteps, checkpointsDir, latestCheckpoint } from '../run/run-dir.ts';
import { AzrError, exitCodeOf, isAzrError } from '../errors.ts';

const usage = 'usage: azr export RUN_DIR --out DIR [--dtype f32|bf16|f16]';
const help = `${usage}
writes the policy of RUN_DIR's latest checkpoint to DIR as a Hugging Face folder:
  config.json         Llama (or Qwen2, with q/k/v biases) architecture
  model.safetensors   the learner's weights (--dtype: f32, the default, is exact; bf16/f16 are half the size)
  tokenizer.json      the run's tokenizer; a character-level or byte-level one is written as a byte-level BPE
                      vocabulary that gives every character of its alphabet the same id as in the run
Load it back with a learner option \`huggingFace: { path: DIR }\` (see examples/hf-model.yaml).`;

const DTYPES: Record<string, FloatDtype> = { f32: 'F32', bf16: 'BF16', f16: 'F16' };

/** A run directory or --out that cannot be exported from or to. */
class ExportError extends AzrError {
  constructor(message: string) {
    super('CHECKPOINT_INVALID', message);
  }
}

/**
 * A character vocabulary as a Hugging Face byte-level BPE tokenizer.json: each character is the GPT-2 byte→unicode
 * spelling of its UTF-8 bytes (merges join the bytes of a multi-byte character), the special tokens follow as
 * added tokens, and a character outside the vocabulary reads as `unknown`, as in azr's CharTokenizer.
 */
export function characterTokenizerJson(
  chars: readonly string[],
  specials: readonly string[],
  unknown?: string,
) {
  const byteChars = bytesToUnicode();
  const spell = (char: string) => Array.from(new TextEncoder().encode(char), (b) => byteChars[b]!);
  const vocab: Record<string, number> = {};
  const merges: string[] = [];
  chars.forEach((char, id) => {
    const pieces = spell(char);
    vocab[pieces.join('')] = id;
    for (let i = 1; i < pieces.length; i++) merges.push(`${pieces.slice(0, i).join('')} ${pieces[i]}`);
  });
  return {
    version: '1.0',
    added_tokens: specials.map((content, i) => ({ id: chars.length + i, content, special: true })),
    normalizer: null,
    pre_tokenizer: null,
    decoder: { type: 'ByteLevel' },
    model: {
      type: 'BPE',
      vocab,
      merges,
      unk_token: unknown === undefined ? null : spell(unknown).join(''),
      ignore_merges: false,
    },
  };
}

/** The tokenizer.json of the run's tokenizer (the same ids for the same text). */
async function tokenizerJson(spec: TokenizerSpec): Promise<unknown> {
  switch (spec.type) {
    case 'char':
      // azr's CharTokenizer: the alphabet's distinct characters, then <eos>; unknown characters read as a space.
      return characterTokenizerJson([...new Set(Array.from(spec.alphabet ?? ASCII_ALPHABET))], [EOS], ' ');
    case 'byte':
      return characterTokenizerJson(
        Array.from({ length: 256 }, (_, b) => String.fromCharCode(b)),
        [EOS],
      );
    case 'huggingface':
      return undefined; // copied as it is
  }
}

async function kindOf(path: string): Promise<'missing' | 'file' | 'directory'> {
  const info = await stat(path).catch(() => null);
  return info === null ? 'missing' : info.isDirectory() ? 'directory' : 'file';
}

/** The learner snapshot of the run's latest checkpoint, and that checkpoint's step. */
async function latestPolicy(runDir: string): Promise<{ step: number; learner: LearnerSnapshot }> {
  const where = await kindOf(runDir);
  if (where !== 'directory')
    throw new ExportError(
      `${runDir}: ${where === 'missing' ? 'no such directory' : 'not a directory'}; give the run directory \`azr run\` wrote`,
    );
  if ((await checkpointSteps(runDir)).length === 0)
    throw new ExportError(
      `${runDir}: no checkpoint (looked in ${checkpointsDir(runDir)}); a run writes one every run.checkpointEvery steps and when it ends`,
    );
  const { manifest, snapshots } = await latestCheckpoint(runDir);
  const learner = Object.values(snapshots).find(
    (snapshot): snapshot is LearnerSnapshot => (snapshot as LearnerSnapshot | null)?.kind === 'azr-learner',
  );
  if (!learner)
    throw new ExportError(
      `${runDir}: checkpoint step-${manifest.step} holds no learner snapshot (no policy to export)`,
    );
  return { step: manifest.step, learner };
}

export async function exportPolicy(runDir: string, out: string, dtype: FloatDtype = 'F32') {
  const { step, learner } = await latestPolicy(runDir);
  if ((await kindOf(out)) === 'file') throw new ExportError(`--out ${out}: is a file; give a directory`);
  const source = learner.tokenizer.type === 'huggingface' ? resolve(learner.tokenizer.file) : undefined;
  if (source && (await kindOf(source)) !== 'file')
    throw new ExportError(
      `${runDir}: the run's tokenizer ${source} is gone; put it back to export the policy`,
    );
  await initBackend('wasm', { log: null });
  const config = resolveConfig(learner.model);
  const model = new Transformer(config, new Map(Object.entries(learner.tensors)));
  try {
    await saveHuggingFace(out, model, {
      modelType: config.qkvBias ? 'qwen2' : 'llama',
      dtype,
      tokenizerJson: await tokenizerJson(learner.tokenizer),
    });
  } finally {
    model.dispose();
  }
  if (source) await copyFile(source, join(out, 'tokenizer.json'));
  return { step, version: learner.version };
}

export async function run(args: string[]): Promise<number> {
  const options = {
    out: { type: 'string' },
    dtype: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  const parsed = parseCommand('export', usage, { args, allowPositionals: true, options }, help);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const dtype = DTYPES[values.dtype ?? 'f32'];
  const problem =
    positionals.length !== 1
      ? 'expected one RUN_DIR'
      : !values.out
        ? '--out DIR is required'
        : !dtype
          ? `--dtype must be f32, bf16 or f16, got "${values.dtype}"`
          : undefined;
  if (problem) {
    console.error(`azr export: ${problem}\n${usage}`);
    return 2;
  }
  try {
    const { step, version } = await exportPolicy(positionals[0]!, values.out!, dtype);
    console.log(`${values.out}: the policy of step ${step} (learner version ${version})`);
    return 0;
  } catch (error) {
    if (!isAzrError(error)) throw error;
    console.error(`azr export: ${error.message}`);
    return exitCodeOf(error);
  }
}
