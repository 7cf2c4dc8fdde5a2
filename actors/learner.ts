// The learner: owns the trainable policy and its optimiser. It turns a batch of rewarded rollouts into one TRR++
// update (docs/azr.md §5) and hands out the new weights, versioned, for the generators.
import { type Static, Type } from '@sinclair/typebox';
import {
  boundStaleness,
  Learner,
  lrFactor,
  type LearnerOptions,
  type RolloutSample,
  type StalenessReport,
  type SupervisedSample,
} from '../src/rl/index.ts';
import { join, resolve } from 'node:path';
import { loadHuggingFace } from '../src/model/huggingface.ts';
import type { Tokenizer } from '../src/model/tokenizer.ts';
import { resolveConfig, Transformer, type TransformerConfig } from '../src/model/transformer.ts';
import { defineActor, defineProtocol } from '../src/runtime/index.ts';
import {
  Backend,
  copyTensors,
  ensureBackend,
  Products,
  makeTokenizer,
  ModelSpec,
  TokenizerSpec,
  transformerConfig,
  WeightsPayloadSchema,
  weightsPayload,
} from './policy.ts';
import { RolloutSampleSchema, StringEnum, SupervisedSampleSchema } from './schemas.ts';
import { isProposerGroup } from '../src/wire/index.ts';
import { AzrError } from '../src/errors.ts';

export const learnerProtocol = defineProtocol({
  weights: {
    request: Type.Object({}),
    reply: Type.Object({ payload: WeightsPayloadSchema, computeMs: Type.Number() }),
  },
  update: {
    request: Type.Object({
      samples: Type.Array(RolloutSampleSchema),
      supervised: Type.Optional(Type.Array(SupervisedSampleSchema)),
      /** Supervised pairs as text, encoded by the learner's tokenizer (after `supervised`). */
      supervisedTexts: Type.Optional(
        Type.Array(Type.Object({ prompt: Type.String(), target: Type.String() })),
      ),
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
});

export const LearnerActorOptions = Type.Object({
  backend: Backend,
  products: Products,
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
    description:
      'Rows per forward/backward pass: a row is one sequence, or with `sharePrefixes` up to 4 sharing a prefix.',
  }),
  miniBatches: Type.Integer({
    minimum: 1,
    default: 1,
    description:
      "Optimiser steps per update: the update's sequences (RL and supervised) are dealt into this many " +
      'mini-batches, one AdamW step each; advantages are normalised over the whole batch, and the ratio of later ' +
      'mini-batches is clipped against the sampling log-probabilities (or, with `oldLogprobs: recomputed`, the ' +
      "update's starting weights') as PPO does (docs/azr.md §5).",
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
  sharePrefixes: Type.Boolean({
    default: false,
    description:
      "Train sequences that share a prefix (a program's pairs, a task's rollouts, one prompt's proposals) as one " +
      'row with the prefix computed once: the same losses and gradients on fewer tokens. With ' +
      '`supervisedBatchSize`, supervised sequences sharing a prefix go into the same step (docs/learning.md, ' +
      'session 15).',
  }),
  oldLogprobs: StringEnum(['sampling', 'recomputed'], {
    default: 'sampling',
    description:
      "What an RL token's PPO ratio is against: the log-probability its sampler recorded (`sampling`, the paper's " +
      'on-policy case) or the weights at the start of the update (`recomputed`, as veRL recomputes `old_log_prob`). ' +
      "With `supervisedBatchSize` the supervised term's own steps move the solver between a sample's generation and " +
      'its update, and `sampling` leaves most answer tokens outside the trust region (docs/azr.md §5).',
  }),
  whitening: StringEnum(['sequence', 'token'], { default: 'sequence' }),
  emaDecay: Type.Number({
    minimum: 0,
    exclusiveMaximum: 1,
    default: 0,
    description:
      "Decay per update of a moving average of the solver's weights (0: none; 0.98 averages about the last 50 " +
      'updates). With it the held-out set is scored twice, with the live weights (`heldout.<mode>`) and with the ' +
      'average (`heldout.ema.<mode>`); training and generation use the live weights only (docs/azr.md §5).',
  }),
  lrSchedule: Type.Optional(
    Type.Object(
      {
        warmup: Type.Integer({
          minimum: 0,
          default: 0,
          description: 'Updates of linear warm-up from lr / warmup to lr (0: none).',
        }),
        decay: Type.Integer({
          minimum: 0,
          default: 0,
          description:
            'The update at which the cosine decay from lr reaches `floor` · lr, which holds after it (0: no decay).',
        }),
        floor: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.1,
          description: "The decay's final factor on lr.",
        }),
      },
      {
        additionalProperties: false,
        description:
          "A schedule of the learning rate over learner updates (one per step; the proposer's lr follows it too): " +
          'linear warm-up, then cosine decay to a floor (docs/azr.md §5). Counted in updates, so a run follows the ' +
          'same schedule on any machine and resumes it from a checkpoint. Default: constant lr.',
      },
    ),
  ),
  proposer: Type.Optional(
    Type.Object(
      {
        weights: StringEnum(['shared', 'own'], {
          default: 'shared',
          description:
            "`shared`: one model proposes and solves (the paper's). `own`: the proposer has weights and an " +
            "optimiser of its own, both starting from the same initial weights; the proposer's samples train only " +
            "them, the solver's samples and the supervised term only the solver's (docs/azr.md §5).",
        }),
        lr: Type.Optional(
          Type.Number({
            exclusiveMinimum: 0,
            description: "The proposer's learning rate (`own`; default: `lr`).",
          }),
        ),
        entropyCoef: Type.Optional(
          Type.Number({
            minimum: 0,
            description: "The proposer's entropy bonus (`own`; default: `entropyCoef`).",
          }),
        ),
        klCoef: Type.Optional(
          Type.Number({
            minimum: 0,
            default: 0,
            description:
              "Weight of a KL penalty keeping the proposer near its initial weights (`own`; 0 = off, the paper's): " +
              'the low-variance estimate on each proposal token, against a frozen copy of the weights it started ' +
              'from, kept in checkpoints (docs/azr.md §5).',
          }),
        ),
      },
      {
        additionalProperties: false,
        description:
          "The proposer's model: the solver's (default) or one of its own, with its optimiser options.",
      },
    ),
  ),
});
type LearnerActorOptions = Static<typeof LearnerActorOptions>;

type OptimizerSnapshot = { step: number; tensors: Record<string, { shape: number[]; data: Float32Array }> };

export interface LearnerSnapshot {
  kind: 'azr-learner';
  version: number;
  model: TransformerConfig;
  tokenizer: TokenizerSpec;
  tensors: Record<string, Float32Array>;
  optimizer: OptimizerSnapshot;
  /** The proposer's own weights and optimiser (`proposer.weights: own`), and its KL reference (`klCoef`). */
  proposer?: {
    tensors: Record<string, Float32Array>;
    optimizer: OptimizerSnapshot;
    reference?: Record<string, Float32Array>;
  };
  /** The moving average of the solver's weights (`emaDecay`). */
  ema?: Record<string, Float32Array>;
}

function trainerOptions(options: LearnerActorOptions): Partial<LearnerOptions> {
  const {
    backend: _b,
    products: _pr,
    initSeed: _i,
    model: _m,
    tokenizer: _t,
    huggingFace: _h,
    configDir: _c,
    proposer: _p,
    emaDecay: _e,
    lrSchedule: _l,
    ...trainer
  } = options;
  return trainer;
}

/** The proposer's trainer options (`proposer.weights: own`): the learner's, with the proposer's overrides. */
function proposerTrainerOptions(options: LearnerActorOptions): Partial<LearnerOptions> {
  const { lr, entropyCoef, klCoef = 0 } = options.proposer ?? {};
  return {
    ...trainerOptions(options),
    ...(lr === undefined ? {} : { lr }),
    ...(entropyCoef === undefined ? {} : { entropyCoef }),
    klCoef,
  };
}

const isProposerSample = (sample: RolloutSample) => isProposerGroup(sample.group);

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

/** Weights restored from a checkpoint: the solver's, the proposer's own, its KL reference, the moving average. */
interface RestoredWeights {
  weights: Map<string, Float32Array>;
  proposer?: Map<string, Float32Array>;
  reference?: Map<string, Float32Array>;
  ema?: Map<string, Float32Array>;
}

/**
 * The learner's state, from the initial (random or pretrained) weights or `restored` ones. With
 * `proposer.weights: own` the proposer gets a model of its own (the restored one, or a copy of the solver's), and
 * with its `klCoef` a frozen reference: the restored one, or a copy of the proposer's weights as they start.
 */
function assemble(
  options: LearnerActorOptions,
  { config, tokenizerSpec, tokenizer, pretrained }: Awaited<ReturnType<typeof architecture>>,
  restored?: RestoredWeights,
) {
  if ((options.proposer?.klCoef ?? 0) > 0 && options.proposer?.weights !== 'own')
    throw new AzrError(
      'OPTIONS_INVALID',
      'learner: `proposer.klCoef` keeps a proposer of its own near its initial weights; with one shared model ' +
        'there is none: set /proposer/weights to own, or /proposer/klCoef to 0',
    );
  if (pretrained && restored) pretrained.dispose();
  const model =
    pretrained && !restored ? pretrained : new Transformer(config, restored?.weights ?? options.initSeed);
  const proposerModel =
    options.proposer?.weights === 'own'
      ? new Transformer(model.config, restored?.proposer ?? new Map(model.weights()))
      : undefined;
  const reference =
    proposerModel && (options.proposer?.klCoef ?? 0) > 0
      ? new Transformer(model.config, restored?.reference ?? new Map(proposerModel.weights()))
      : undefined;
  return {
    tokenizerSpec,
    tokenizer,
    model,
    trainer: new Learner(model, trainerOptions(options)),
    proposer: proposerModel && {
      model: proposerModel,
      reference,
      trainer: new Learner(proposerModel, proposerTrainerOptions(options), reference),
    },
    emaDecay: options.emaDecay,
    lrSchedule: options.lrSchedule,
    ema: options.emaDecay > 0 ? copyTensors(restored?.ema ?? model.weights()) : undefined,
    version: 0,
  };
}
type LearnerState = ReturnType<typeof assemble>;

/**
 * One update: every sample trains the shared model, or, with a proposer of its own, the proposer's samples train
 * it and the rest (with the supervised term) the solver's. The proposer's figures are `proposer.<stat>`.
 */
function train(state: LearnerState, samples: RolloutSample[], supervised: SupervisedSample[]) {
  const factor = lrFactor(state.lrSchedule, state.version);
  if (!state.proposer) return state.trainer.step(samples, supervised, factor);
  const proposerSamples = samples.filter(isProposerSample);
  const solverSamples = samples.filter((s) => !isProposerSample(s));
  const hasTokens = (batch: RolloutSample[]) => batch.some((s) => s.responseIds.length > 0);
  const proposer = hasTokens(proposerSamples)
    ? state.proposer.trainer.step(proposerSamples, [], factor)
    : undefined;
  const supervises = supervised.length > 0 && state.trainer.options.supervisedWeight > 0;
  // The solver's step also runs when neither has tokens, to fail as a shared learner does.
  const solver =
    hasTokens(solverSamples) || supervises || !proposer
      ? state.trainer.step(solverSamples, supervised, factor)
      : undefined;
  const { groups: proposerGroups = {}, step: _step, ...proposerStats } = proposer ?? {};
  return {
    ...(solver ?? { step: state.trainer.stepCount }),
    ...Object.fromEntries(Object.entries(proposerStats).map(([k, v]) => [`proposer.${k}`, v])),
    groups: { ...solver?.groups, ...proposerGroups },
  };
}

/** ema ← decay·ema + (1 − decay)·weights, in place. */
function blendInto(ema: Map<string, Float32Array>, weights: Map<string, Float32Array>, decay: number): void {
  for (const [name, average] of ema) {
    const w = weights.get(name)!;
    for (let i = 0; i < average.length; i++) average[i] = decay * average[i]! + (1 - decay) * w[i]!;
  }
}

function optimizerSnapshot(trainer: Learner): OptimizerSnapshot {
  const { step, tensors } = trainer.optimizer.exportState();
  return { step, tensors: Object.fromEntries(tensors) };
}

function importOptimizer(trainer: Learner, { step, tensors }: OptimizerSnapshot): void {
  trainer.optimizer.importState({ step, tensors: new Map(Object.entries(tensors)) });
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
    await ensureBackend(options.backend, options.products);
    return assemble(options, await architecture(options));
  },
  handlers: {
    weights: (state, _msg, ctx) => {
      const started = performance.now();
      const payload = weightsPayload(state.model, state.tokenizerSpec, state.version, {
        proposer: state.proposer?.model,
        ema: state.ema,
      });
      ctx.reply({ payload, computeMs: performance.now() - started });
      return state;
    },
    update: (state, { samples, supervised = [], supervisedTexts = [], maxStaleness }, ctx) => {
      const started = performance.now();
      const aged = boundStaleness(samples, state.version, maxStaleness ?? Number.POSITIVE_INFINITY);
      const encoded = supervisedTexts.map(({ prompt, target }) => ({
        promptIds: state.tokenizer.encode(prompt),
        targetIds: state.tokenizer.encode(target),
      }));
      const { groups, ...stats } = train(state, aged.kept, [...supervised, ...encoded]);
      if (state.ema) blendInto(state.ema, state.model.weights(), state.emaDecay);
      state.version++;
      ctx.reply({
        version: state.version,
        stats: { ...stats, ...stalenessStats(aged), groups },
        computeMs: performance.now() - started,
      });
      return state;
    },
  },
  snapshot: (state): LearnerSnapshot => ({
    kind: 'azr-learner',
    version: state.version,
    model: state.model.config,
    tokenizer: state.tokenizerSpec,
    tensors: Object.fromEntries(state.model.weights()),
    optimizer: optimizerSnapshot(state.trainer),
    ...(state.proposer && {
      proposer: {
        tensors: Object.fromEntries(state.proposer.model.weights()),
        optimizer: optimizerSnapshot(state.proposer.trainer),
        ...(state.proposer.reference && {
          reference: Object.fromEntries(state.proposer.reference.weights()),
        }),
      },
    }),
    ...(state.ema && {
      ema: Object.fromEntries(copyTensors(state.ema)),
    }),
  }),
  restore: async (snapshot, options) => {
    await ensureBackend(options.backend, options.products);
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
    // A checkpoint of a shared model restored with a proposer of its own: the proposer starts from the shared
    // weights with a fresh optimiser. Without a saved average or reference (the run had none), each starts from
    // the weights restored.
    const asMap = (tensors?: Record<string, Float32Array>) => tensors && new Map(Object.entries(tensors));
    const state = assemble(options, arch, {
      weights: asMap(snap.tensors)!,
      proposer: asMap(snap.proposer?.tensors),
      reference: asMap(snap.proposer?.reference),
      ema: asMap(snap.ema),
    });
    importOptimizer(state.trainer, snap.optimizer);
    if (state.proposer && snap.proposer) importOptimizer(state.proposer.trainer, snap.proposer.optimizer);
    state.version = snap.version;
    return state;
  },
  stop: (state) => {
    state?.trainer.dispose();
    state?.model.dispose();
    state?.proposer?.trainer.dispose();
    state?.proposer?.model.dispose();
    state?.proposer?.reference?.dispose();
  },
});
