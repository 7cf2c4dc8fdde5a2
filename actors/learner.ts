// The learner: owns the trainable policy and its optimiser. It turns a batch of rewarded rollouts into one TRR++
// update (docs/azr.md §5) and hands out the new weights, versioned, for the generators.
import { type Static, Type } from '@sinclair/typebox';
import { boundStaleness, Learner, type LearnerOptions, type StalenessReport } from '../src/rl/index.ts';
import { join, resolve } from 'node:path';
import { loadHuggingFace } from '../src/model/huggingface.ts';
import type { Tokenizer } from '../src/model/tokenizer.ts';
import { resolveConfig, Transformer, type TransformerConfig } from '../src/model/transformer.ts';
import { defineActor, defineProtocol } from '../src/runtime/index.ts';
import {
  Backend,
  ensureBackend,
  makeTokenizer,
  ModelSpec,
  TokenizerSpec,
  transformerConfig,
  WeightsPayloadSchema,
  weightsPayload,
} from './policy.ts';
import { RolloutSampleSchema, StringEnum, SupervisedSampleSchema } from './schemas.ts';
import { AzrError } from '../src/errors.ts';

const Ids = Type.Array(Type.Integer({ minimum: 0 }));

export const learnerProtocol = defineProtocol({
  weights: {
    request: Type.Object({}),
    reply: Type.Object({ payload: WeightsPayloadSchema, computeMs: Type.Number() }),
  },
  update: {
    request: Type.Object({
      samples: Type.Array(RolloutSampleSchema),
      supervised: Type.Optional(Type.Array(SupervisedSampleSchema)),
      /**
       * Samples more than this many versions older than the learner's weights are dropped and counted
       * (`stats.droppedSamples`; `stats['staleness.<k>']` counts every sample by age). Default: no bound.
       */
      maxStaleness: Type.Optional(Type.Integer({ minimum: 0 })),
    }),
    reply: Type.Object({
      version: Type.Integer(),
      stats: Type.Record(Type.String(), Type.Unknown()),
      computeMs: Type.Number(),
    }),
  },
  encode: { request: Type.Object({ texts: Type.Array(Type.String()) }), reply: Type.Array(Ids) },
});

export const LearnerActorOptions = Type.Object({
  backend: Backend,
  initSeed: Type.Integer({ default: 0, description: 'Seed of the initial weights.' }),
  model: Type.Optional(ModelSpec),
  tokenizer: Type.Optional({
    ...TokenizerSpec,
    description: '{type: char} (default), {type: byte} or {type: huggingface, file}.',
  }),
  huggingFace: Type.Optional(
    Type.Object(
      {
        path: Type.String({
          description: 'A local folder with config.json, *.safetensors and tokenizer.json.',
        }),
        maxSeqLen: Type.Optional(Type.Integer({ minimum: 16, description: 'Context length to use.' })),
      },
      {
        additionalProperties: false,
        description: 'Start from a pretrained Llama/Qwen2 checkpoint instead of `model`.',
      },
    ),
  ),
  configDir: Type.Optional(
    Type.String({ description: 'Directory of the topology file: relative paths start there.' }),
  ),
  lr: Type.Number({
    exclusiveMinimum: 0,
    default: 3e-4,
    description: 'AdamW learning rate (AZR on 7B LLMs: 1e-6).',
  }),
  weightDecay: Type.Number({ minimum: 0, default: 0.01 }),
  clipRatio: Type.Number({ minimum: 0, default: 0.2, description: 'PPO ratio clip ε.' }),
  dualClip: Type.Number({
    minimum: 0,
    default: 3,
    description:
      "Dual-clip PPO's c (> 1; 0 = off): a negative-advantage token's loss is capped at −c·A however large its " +
      "ratio (veRL's clip_ratio_c, default 3): samples the policy has drifted far from cannot blow the loss up.",
  }),
  entropyCoef: Type.Number({ minimum: 0, default: 0.001 }),
  maxGradNorm: Type.Number({ exclusiveMinimum: 0, default: 1 }),
  microBatchSize: Type.Integer({
    minimum: 1,
    default: 8,
    description: 'Sequences per forward/backward pass.',
  }),
  miniBatches: Type.Integer({
    minimum: 1,
    default: 1,
    description:
      "Optimiser steps per update: the update's sequences (RL and supervised) are dealt into this many " +
      'mini-batches, one AdamW step each; advantages are normalised over the whole batch, and the ratio of later ' +
      'mini-batches is clipped against the sampling log-probabilities as PPO does (docs/azr.md §5).',
  }),
  supervisedWeight: Type.Number({
    minimum: 0,
    default: 0,
    description: 'Weight of the executor-supervised term.',
  }),
  supervisedBatchSize: Type.Integer({
    minimum: 0,
    default: 0,
    description:
      'Supervised sequences per optimiser step of their own (0: they share the `miniBatches` with the RL ' +
      'sequences). With N > 0 an update is the RL mini-batches, then ⌈supervised / N⌉ AdamW steps on the supervised ' +
      "sequences alone, dealt in turn: the supervised term gets a step per N examples however large the step's " +
      'batch (docs/learning.md).',
  }),
  whitening: StringEnum(['sequence', 'token'], { default: 'sequence' }),
});
type LearnerActorOptions = Static<typeof LearnerActorOptions>;

export interface LearnerSnapshot {
  kind: 'azr-learner';
  version: number;
  model: TransformerConfig;
  tokenizer: TokenizerSpec;
  tensors: Record<string, Float32Array>;
  optimizer: { step: number; tensors: Record<string, { shape: number[]; data: Float32Array }> };
}

function trainerOptions(options: LearnerActorOptions): Partial<LearnerOptions> {
  const {
    backend: _b,
    initSeed: _i,
    model: _m,
    tokenizer: _t,
    huggingFace: _h,
    configDir: _c,
    ...trainer
  } = options;
  return trainer;
}

/** The model's architecture and tokenizer: from the options' `model` spec, or from a Hugging Face folder. */
async function architecture(options: LearnerActorOptions) {
  if (options.huggingFace) {
    const dir = resolve(options.configDir ?? '.', options.huggingFace.path);
    const hf = await loadHuggingFace(dir, { maxSeqLen: options.huggingFace.maxSeqLen });
    if (!hf.tokenizer) throw new AzrError('MODEL_INVALID', `learner: ${dir} has no tokenizer.json`);
    const tokenizerSpec: TokenizerSpec = { type: 'huggingface', file: join(dir, 'tokenizer.json') };
    return { config: hf.config, tokenizerSpec, tokenizer: hf.tokenizer as Tokenizer, pretrained: hf.model };
  }
  if (!options.model)
    throw new AzrError(
      'OPTIONS_INVALID',
      'learner: options need `model` (a spec) or `huggingFace` (a folder)',
    );
  const tokenizerSpec = options.tokenizer ?? { type: 'char' as const };
  const tokenizer = await makeTokenizer(tokenizerSpec);
  return {
    config: resolveConfig(transformerConfig(options.model, tokenizer)),
    tokenizerSpec,
    tokenizer,
    pretrained: undefined,
  };
}

/** The learner's state; `weights` replaces the initial (random or pretrained) weights, e.g. from a checkpoint. */
function assemble(
  options: LearnerActorOptions,
  { config, tokenizerSpec, tokenizer, pretrained }: Awaited<ReturnType<typeof architecture>>,
  weights?: Map<string, Float32Array>,
) {
  if (pretrained && weights) pretrained.dispose();
  const model = pretrained && !weights ? pretrained : new Transformer(config, weights ?? options.initSeed);
  return {
    tokenizerSpec,
    tokenizer,
    model,
    trainer: new Learner(model, trainerOptions(options)),
    version: 0,
  };
}

/** The staleness figures of an update, flat for the metrics line: `droppedSamples`, `staleness.<k>`. */
const stalenessStats = ({ dropped, histogram }: StalenessReport<unknown>) => ({
  droppedSamples: dropped,
  ...Object.fromEntries(Object.entries(histogram).map(([k, n]) => [`staleness.${k}`, n])),
});

export const learner = defineActor({
  kind: 'learner',
  module: import.meta.url,
  protocol: learnerProtocol,
  options: LearnerActorOptions,
  files: (options) =>
    options.huggingFace ? [{ pointer: '/huggingFace/path', path: options.huggingFace.path }] : [],
  init: async (options) => {
    await ensureBackend(options.backend);
    return assemble(options, await architecture(options));
  },
  handlers: {
    weights: (state, _msg, ctx) => {
      const started = performance.now();
      const payload = weightsPayload(state.model, state.tokenizerSpec, state.version);
      ctx.reply({ payload, computeMs: performance.now() - started });
      return state;
    },
    update: (state, { samples, supervised, maxStaleness }, ctx) => {
      const started = performance.now();
      const aged = boundStaleness(samples, state.version, maxStaleness ?? Number.POSITIVE_INFINITY);
      const { groups, ...stats } = state.trainer.step(aged.kept, supervised ?? []);
      state.version++;
      ctx.reply({
        version: state.version,
        stats: { ...stats, ...stalenessStats(aged), groups },
        computeMs: performance.now() - started,
      });
      return state;
    },
    encode: (state, { texts }, ctx) => {
      ctx.reply(texts.map((text) => state.tokenizer.encode(text)));
      return state;
    },
  },
  snapshot: (state): LearnerSnapshot => {
    const optimizer = state.trainer.optimizer.exportState();
    return {
      kind: 'azr-learner',
      version: state.version,
      model: state.model.config,
      tokenizer: state.tokenizerSpec,
      tensors: Object.fromEntries(state.model.weights()),
      optimizer: { step: optimizer.step, tensors: Object.fromEntries(optimizer.tensors) },
    };
  },
  restore: async (snapshot, options) => {
    await ensureBackend(options.backend);
    const snap = snapshot as LearnerSnapshot;
    if (snap?.kind !== 'azr-learner')
      throw new AzrError(
        'CHECKPOINT_INVALID',
        'learner: the checkpoint is not a learner snapshot (corrupt?)',
      );
    const arch = await architecture(options);
    const expected = JSON.stringify(arch.config);
    if (JSON.stringify(snap.model) !== expected) {
      arch.pretrained?.dispose();
      throw new AzrError(
        'CHECKPOINT_INVALID',
        `learner: the checkpoint's model config ${JSON.stringify(snap.model)} does not match the topology's ${expected}`,
      );
    }
    const state = assemble(options, arch, new Map(Object.entries(snap.tensors)));
    state.trainer.optimizer.importState({
      step: snap.optimizer.step,
      tensors: new Map(Object.entries(snap.optimizer.tensors)),
    });
    state.version = snap.version;
    return state;
  },
  stop: (state) => {
    state?.trainer.dispose();
    state?.model.dispose();
  },
});
