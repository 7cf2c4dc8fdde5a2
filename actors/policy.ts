// What the policy actors share (proposer, solver, learner): model and tokenizer specs, the weights payload that
// travels from the learner to the generators, and a generator's local copy of the model, which src/model's
// `generate` samples from.
import { type Static, Type } from '@sinclair/typebox';
import { type BackendKind, initBackend } from '../src/model/backend.ts';
import {
  bfloat16Unavailable,
  type ProductPrecision,
  setProductPrecision,
} from '../src/model/native/kernels.ts';
import { completionLimit, EOS, generate, promptRoom } from '../src/model/generate.ts';
import { ByteTokenizer, CharTokenizer, type Tokenizer } from '../src/model/tokenizer.ts';
import { Transformer, type TransformerConfig } from '../src/model/transformer.ts';
import type { PromptSpec } from '../src/plugins/index.ts';
import { AzrError } from '../src/errors.ts';

/** Printable ASCII and newline: enough for Python source in our layouts. */
export const ASCII_ALPHABET = `\n${Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('')}`;
export { EOS };

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
  /** The proposer's own weights, where it has them (the learner's `proposer.weights: own`). */
  proposerTensors?: Record<string, Float32Array>;
  /** The moving average of the solver's weights, for scoring the held-out set (the learner's `emaDecay`). */
  emaTensors?: Record<string, Float32Array>;
}

const Tensors = Type.Record(Type.String(), Type.Unsafe<Float32Array>({}));

export const WeightsPayloadSchema = Type.Object({
  version: Type.Integer({ minimum: 0 }),
  model: Type.Unsafe<TransformerConfig>(Type.Record(Type.String(), Type.Unknown())),
  tokenizer: TokenizerSpec,
  tensors: Tensors,
  proposerTensors: Type.Optional(Tensors),
  emaTensors: Type.Optional(Tensors),
});

/** One sampled completion with what the learner needs to train on it. */
export const GenerationSchema = Type.Object({
  completion: Type.String(),
  promptIds: Type.Array(Type.Integer()),
  responseIds: Type.Array(Type.Integer()),
  logprobs: Type.Array(Type.Number()),
});
export type Generation = Static<typeof GenerationSchema>;

/** An actor's `products` option: a precision, or `auto` (bfloat16 where this thread can, float32 elsewhere). */
export type ProductsOption = ProductPrecision | 'auto';

export const Products = Type.Optional(
  Type.Unsafe<ProductsOption>({
    type: 'string',
    enum: ['float32', 'bfloat16', 'auto'],
    description:
      "How the products of this actor's thread multiply on wasm with native products: float32, or bfloat16 operands with float32 sums on Intel AMX (Xeon Sapphire Rapids or later; refused elsewhere), or auto: bfloat16 where the machine has AMX and native products are on, float32 elsewhere. Unset: float32, or what another actor on the same thread asked for (docs/native.md).",
  }),
);

/** The precision an actor's `products` option asks for on this thread. */
export function resolveProducts(option: ProductsOption): ProductPrecision {
  if (option !== 'auto') return option;
  return bfloat16Unavailable() ? 'float32' : 'bfloat16';
}

let backendReady: Promise<unknown> | undefined;
let threadProducts: ProductPrecision | undefined;

/**
 * Initialises the TensorFlow.js backend once per thread (tfjs has one global backend: the first request wins) and
 * says which one on stderr, e.g. `[azr/model] backend: wasm + native products (OpenBLAS …)`, or why not native.
 * `option`, when given, sets the thread's product precision (`auto` resolved here); actors on one thread must not ask
 * for different ones.
 */
export async function ensureBackend(kind: BackendKind, option?: ProductsOption): Promise<void> {
  backendReady ??= initBackend(kind, { log: (line) => console.error(line) });
  await backendReady;
  if (!option) return;
  const products = resolveProducts(option);
  if (products === threadProducts) return;
  if (threadProducts)
    throw new AzrError(
      'OPTIONS_INVALID',
      `products: ${products} asked for on a thread whose actors asked for ${threadProducts}; actors that share a thread (host: inline) must ask for the same precision or leave products unset`,
    );
  setProductPrecision(products);
  threadProducts = products;
  if (products === 'bfloat16') console.error('[azr/model] products: bfloat16 operands, float32 sums (AMX)');
  else if (option === 'auto') console.error(`[azr/model] products: float32 (auto: ${bfloat16Unavailable()})`);
}

export function makeTokenizer(spec: TokenizerSpec): Tokenizer {
  return spec.type === 'char'
    ? new CharTokenizer(spec.alphabet ?? ASCII_ALPHABET, [EOS], ' ')
    : new ByteTokenizer([EOS]);
}

export function transformerConfig(spec: ModelSpec, tokenizer: Tokenizer): TransformerConfig {
  return { ...spec, vocabSize: tokenizer.vocabSize };
}

/** Each tensor's values copied (the originals may change later, or belong to a backend). */
export const copyTensors = (tensors: Map<string, Float32Array>): Map<string, Float32Array> =>
  new Map([...tensors].map(([name, values]) => [name, Float32Array.from(values)]));

export function weightsPayload(
  model: Transformer,
  tokenizer: TokenizerSpec,
  version: number,
  extra: { proposer?: Transformer; ema?: Map<string, Float32Array> } = {},
): WeightsPayload {
  const { proposer, ema } = extra;
  return {
    version,
    model: model.config,
    tokenizer,
    tensors: Object.fromEntries(model.weights()),
    ...(proposer && { proposerTensors: Object.fromEntries(proposer.weights()) }),
    // A copy: the learner goes on blending into its own arrays.
    ...(ema && { emaTensors: Object.fromEntries(copyTensors(ema)) }),
  };
}

/** A generator's copy of the policy, refreshed from the learner's payloads. */
/** `generate`'s arguments after the model and tokenizer (src/model/generate.ts). */
type GenerateArgs = Parameters<typeof generate> extends [unknown, unknown, ...infer Rest] ? Rest : never;

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
   * `samples` completions of every prompt, prompt-major, sampled from the weights last loaded (src/model's
   * `generate`: all prompts share the first prompt's stop strings; `constraints[i]` restricts prompt i's completions;
   * `shard`: only prompts start…end−1 are sampled, exactly as in the whole request).
   */
  generate(...args: GenerateArgs): Generation[] {
    const { model, tokenizer } = this.loaded();
    return generate(model, tokenizer, ...args);
  }

  /**
   * How many tokens of a prompt fit before a completion of its length: a longer prompt would lose its beginning in
   * `generate`, so the generators shorten it first (docs/azr.md §6). Undefined when the completion's limit leaves
   * the prompt less than `generate`'s minimum (maxTokens close to maxSeqLen): no prompt fits then, nothing is
   * shortened, and `generate` keeps the last tokens as before.
   */
  promptRoom(prompt: PromptSpec, sampling: SamplingOptions): number | undefined {
    const maxTokens = completionLimit(prompt, sampling);
    const { maxSeqLen } = this.loaded().model.config;
    const room = promptRoom(maxSeqLen, maxTokens);
    return room > maxSeqLen - maxTokens ? undefined : room;
  }

  /** How many tokens `text` is. */
  promptTokens(text: string): number {
    return this.loaded().tokenizer.encode(text).length;
  }

  private loaded(): { model: Transformer; tokenizer: Tokenizer } {
    if (!this.model || !this.tokenizer)
      throw new AzrError('INTERNAL', 'the policy has no weights yet (the learner sends them first)');
    return { model: this.model, tokenizer: this.tokenizer };
  }

  dispose(): void {
    this.model?.dispose();
    this.model = undefined;
  }
}
