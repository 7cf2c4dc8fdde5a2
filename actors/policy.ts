// What the policy actors share (proposer, solver, learner): model and tokenizer specs, the weights payload that
// travels from the learner to the generators, and text-in/text-out generation on a local copy of the model.
import { type Static, Type } from '@sinclair/typebox';
import { type BackendKind, initBackend } from '../src/model/backend.ts';
import { type LogitsBias, type LogitsMask, sample } from '../src/model/sampling.ts';
import { ByteTokenizer, CharTokenizer, type Tokenizer } from '../src/model/tokenizer.ts';
import { Transformer, type TransformerConfig } from '../src/model/transformer.ts';
import type { PromptSpec, TextConstraint } from '../src/plugins/index.ts';

/** Printable ASCII and newline: enough for Python source in our layouts. */
export const ASCII_ALPHABET = `\n${Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('')}`;
export const EOS = '<eos>';

export const TokenizerSpec = Type.Union([
  Type.Object(
    { type: Type.Literal('char'), alphabet: Type.Optional(Type.String({ minLength: 1 })) },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('byte') }, { additionalProperties: false }),
  Type.Object(
    { type: Type.Literal('huggingface'), file: Type.String({ description: 'Path of a tokenizer.json.' }) },
    { additionalProperties: false },
  ),
]);
export type TokenizerSpec = Static<typeof TokenizerSpec>;

export const ModelSpec = Type.Object(
  {
    dModel: Type.Integer({ minimum: 8, default: 128 }),
    nLayers: Type.Integer({ minimum: 1, default: 2 }),
    nHeads: Type.Integer({ minimum: 1, default: 4 }),
    nKvHeads: Type.Optional(Type.Integer({ minimum: 1 })),
    ffnHidden: Type.Integer({ minimum: 8, default: 384 }),
    maxSeqLen: Type.Integer({ minimum: 16, default: 512 }),
    tieEmbeddings: Type.Boolean({ default: true }),
    ropeTheta: Type.Optional(Type.Number({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type ModelSpec = Static<typeof ModelSpec>;

export const Backend = Type.Unsafe<BackendKind>({
  type: 'string',
  enum: ['auto', 'tensorflow', 'wasm', 'cpu'],
  default: 'auto',
  description: 'TensorFlow.js backend: auto tries CUDA, then tfjs-node, then wasm, then cpu.',
});

export const SamplingOptions = Type.Object(
  {
    temperature: Type.Number({ minimum: 0, default: 1, description: '0: greedy.' }),
    topP: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 1, description: 'Nucleus sampling.' }),
    maxTokens: Type.Integer({ minimum: 1, default: 256, description: 'Longest completion (tokens).' }),
  },
  { additionalProperties: false },
);
export type SamplingOptions = Static<typeof SamplingOptions>;

export interface WeightsPayload {
  version: number;
  model: TransformerConfig;
  tokenizer: TokenizerSpec;
  tensors: Record<string, Float32Array>;
}

export const WeightsPayloadSchema = Type.Object({
  version: Type.Integer({ minimum: 0 }),
  model: Type.Unsafe<TransformerConfig>(Type.Record(Type.String(), Type.Unknown())),
  tokenizer: TokenizerSpec,
  tensors: Type.Record(Type.String(), Type.Unsafe<Float32Array>({})),
});

/** One sampled completion with what the learner needs to train on it. */
export const GenerationSchema = Type.Object({
  completion: Type.String(),
  promptIds: Type.Array(Type.Integer()),
  responseIds: Type.Array(Type.Integer()),
  logprobs: Type.Array(Type.Number()),
});
export type Generation = Static<typeof GenerationSchema>;

let backendReady: Promise<unknown> | undefined;

/**
 * Initialises the TensorFlow.js backend once per thread (tfjs has one global backend: the first request wins) and
 * says which one on stderr, e.g. `[azr/model] backend: wasm + native products (OpenBLAS …)`, or why not native.
 */
export function ensureBackend(kind: BackendKind): Promise<unknown> {
  backendReady ??= initBackend(kind, { log: (line) => console.error(line) });
  return backendReady;
}

export function makeTokenizer(spec: TokenizerSpec): Tokenizer {
  return spec.type === 'char'
    ? new CharTokenizer(spec.alphabet ?? ASCII_ALPHABET, [EOS], ' ')
    : new ByteTokenizer([EOS]);
}

export function transformerConfig(spec: ModelSpec, tokenizer: Tokenizer): TransformerConfig {
  return { ...spec, vocabSize: tokenizer.vocabSize };
}

export function weightsPayload(
  model: Transformer,
  tokenizer: TokenizerSpec,
  version: number,
): WeightsPayload {
  return { version, model: model.config, tokenizer, tensors: Object.fromEntries(model.weights()) };
}

/** A generator's copy of the policy, refreshed from the learner's payloads. */
export class Policy {
  private model: Transformer | undefined;
  private tokenizer: Tokenizer | undefined;
  private modelKey = '';
  version = -1;

  async load(payload: WeightsPayload): Promise<void> {
    const key = JSON.stringify([payload.model, payload.tokenizer]);
    const tensors = new Map(Object.entries(payload.tensors));
    if (this.model && key === this.modelKey) {
      this.model.setWeights(tensors);
    } else {
      this.model?.dispose();
      this.tokenizer = await makeTokenizer(payload.tokenizer);
      this.model = new Transformer(payload.model, tensors);
      this.modelKey = key;
    }
    this.version = payload.version;
  }

  /**
   * `samples` completions of every prompt, prompt-major. All prompts share the first prompt's stop strings.
   * `constraints[i]`, when given, restricts prompt i's completions to what its grammar allows.
   */
  generate(
    prompts: readonly PromptSpec[],
    samples: number,
    sampling: SamplingOptions,
    seed: number,
    constraints?: readonly (TextConstraint | undefined)[],
  ): Generation[] {
    const model = this.model;
    const tokenizer = this.tokenizer;
    if (!model || !tokenizer) throw new Error('the policy has no weights yet (the learner sends them first)');
    if (prompts.length === 0) return [];
    const maxTokens = Math.min(sampling.maxTokens, prompts[0]!.maxTokens ?? Number.POSITIVE_INFINITY);
    const room = Math.max(8, model.config.maxSeqLen - maxTokens);
    const promptIds = prompts.map((p) => tokenizer.encode(p.text).slice(-room));
    const batch = promptIds.flatMap((ids) => Array.from({ length: samples }, () => ids));
    const stop = prompts[0]!.stop;
    const eos = tokenizer.specialId(EOS);
    const rowConstraints = constraints?.flatMap((c) => Array.from({ length: samples }, () => c));
    const result = sample(model, batch, {
      maxTokens,
      temperature: sampling.temperature,
      topP: sampling.topP,
      stop,
      decode: (ids) => tokenizer.decode(ids),
      stopTokenIds: eos === undefined ? [] : [eos],
      seed,
      ...characterHooks(tokenizer, rowConstraints ?? []),
    });
    return result.tokens.map((responseIds, i) => ({
      completion: cutAtStop(tokenizer.decode(responseIds), stop),
      promptIds: batch[i]!,
      responseIds,
      logprobs: result.logprobs[i]!,
    }));
  }

  dispose(): void {
    this.model?.dispose();
    this.model = undefined;
  }
}

/**
 * The sampler's hooks for per-row text constraints on a character tokenizer: the mask (allowed characters as token
 * ids) and, where a constraint has one, its bias. Both read the same decoded prefix, decoded once per row and token.
 */
function characterHooks(
  tokenizer: Tokenizer,
  constraints: readonly (TextConstraint | undefined)[],
): { logitsMask?: LogitsMask; logitsBias?: LogitsBias } {
  if (!constraints.some(Boolean)) return {};
  const idOf = new Map<string, number | undefined>();
  const id = (char: string) => {
    if (!idOf.has(char)) {
      const ids = tokenizer.encode(char);
      idOf.set(char, ids.length === 1 && tokenizer.decode(ids) === char ? ids[0] : undefined);
    }
    return idOf.get(char);
  };
  const decoded = new Map<number, { length: number; text: string }>();
  const prefixOf = (tokensSoFar: number[], row: number) => {
    const last = decoded.get(row);
    if (last?.length === tokensSoFar.length) return last.text;
    const text = tokenizer.decode(tokensSoFar);
    decoded.set(row, { length: tokensSoFar.length, text });
    return text;
  };
  const logitsMask: LogitsMask = (tokensSoFar, row) =>
    constraints[row]
      ?.allowedNext(prefixOf(tokensSoFar, row))
      .map(id)
      .filter((i): i is number => i !== undefined) ?? null;
  const logitsBias: LogitsBias = (tokensSoFar, row) => {
    const constraint = constraints[row];
    if (!constraint?.bias) return null;
    const prefix = prefixOf(tokensSoFar, row);
    const bias = constraint.bias(prefix);
    const byId = new Map<number, number>();
    constraint.allowedNext(prefix).forEach((char, i) => {
      const token = id(char);
      if (token !== undefined) byId.set(token, bias[i]!);
    });
    return byId;
  };
  return { logitsMask, logitsBias: constraints.some((c) => c?.bias) ? logitsBias : undefined };
}

function cutAtStop(text: string, stop: readonly string[]): string {
  let end = text.length;
  for (const s of stop) {
    const at = text.indexOf(s);
    if (at >= 0 && at < end) end = at;
  }
  return text.slice(0, end);
}
