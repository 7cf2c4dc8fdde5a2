// The TRR++ learner (docs/azr.md §5): REINFORCE++ per-token policy loss with each sequence's task-relative advantage on
// every response token, PPO ratio clipping against the sampling log-probabilities, an entropy bonus, no KL term
// (optionally one, `klCoef`, against a frozen reference model); optionally a supervised next-token loss on
// executor-produced targets. One optimiser step per mini-batch (one per
// call by default), gradients accumulated over micro-batches so memory is bounded by the micro-batch size.
import * as tf from '@tensorflow/tfjs-core';
import type { CheckpointableLearner, LearnerCheckpointState } from '../model/checkpoint.ts';
import { tokenLogprobsAndEntropy } from '../model/ops.ts';
import type { Transformer } from '../model/transformer.ts';
import { AdamW, type AdamWOptions } from './adamw.ts';
import { type GroupStats, trrAdvantages, type Whitening } from './advantages.ts';
import { layoutRows, prefixGroups, rowWidth } from './prefix-rows.ts';
import type { RolloutSample, SupervisedSample } from '../wire/index.ts';
import { AzrError } from '../errors.ts';

export type { RolloutSample, SupervisedSample };

export interface LearnerOptions extends AdamWOptions {
  clipRatio: number;
  /**
   * Dual-clip PPO's c (> 1; 0 = off): a negative-advantage token's loss is at most −c·A, however far its ratio has
   * grown (veRL's `clip_ratio_c`, default 3), so stale or drifted samples cannot blow the loss up.
   */
  dualClip: number;
  entropyCoef: number;
  /**
   * Weight of a KL penalty towards the reference model given to the constructor (0 = off, the paper's): the
   * low-variance estimator exp(r − l) − (r − l) − 1 of each response token's log-probabilities l (current) and r
   * (reference), token-mean over the RL tokens (veRL's `low_var_kl`). It keeps a policy near the distribution it
   * started from (docs/azr.md §5).
   */
  klCoef: number;
  maxGradNorm: number;
  /** Rows per forward/backward pass: a row is one sequence, or with `sharePrefixes` up to 4 sharing a prefix. */
  microBatchSize: number;
  /** Weight of the supervised (next-token cross-entropy) term; 0 = off. */
  supervisedWeight: number;
  /**
   * Optimiser steps per update: the batch's sequences (RL and supervised alike) are dealt into this many
   * mini-batches, one AdamW step each (PPO's mini-batch updates; advantages are still normalised over the whole
   * batch). Default 1.
   */
  miniBatches: number;
  /**
   * Supervised sequences per optimiser step of their own; 0 = none (they are dealt into the `miniBatches` with the
   * RL sequences). With N > 0 the update is the RL mini-batches, then ⌈supervised / N⌉ supervised-only steps:
   * the number of optimiser steps the supervised term gets follows its examples, not the RL batch (docs/learning.md).
   */
  supervisedBatchSize: number;
  /**
   * Sequences that share a prefix (a program's pairs, a task's rollouts) are trained as one row with the prefix
   * computed once (src/rl/prefix-rows.ts): the same losses and gradients on fewer tokens. With
   * `supervisedBatchSize`, such supervised sequences are dealt into the same supervised step.
   */
  sharePrefixes: boolean;
  /**
   * What the PPO ratio of an RL token is against: `sampling`, the log-probability its sampler recorded (the paper's
   * on-policy setting, where both agree); `recomputed`, the weights at the start of the update (veRL recomputes
   * `old_log_prob` with the actor the same way). With the supervised term's own steps between a sample's generation
   * and its update, the sampler's log-probabilities are several optimiser steps old and most answer tokens' ratios
   * leave the trust region (docs/azr.md §5).
   */
  oldLogprobs: 'sampling' | 'recomputed';
  whitening: Whitening;
  advantageEps: number;
}

export const defaultLearnerOptions: LearnerOptions = {
  lr: 3e-4,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
  clipRatio: 0.2,
  dualClip: 3,
  entropyCoef: 0.001,
  klCoef: 0,
  maxGradNorm: 1,
  microBatchSize: 8,
  supervisedWeight: 0,
  miniBatches: 1,
  supervisedBatchSize: 0,
  sharePrefixes: false,
  oldLogprobs: 'sampling',
  whitening: 'sequence',
  advantageEps: 1e-6,
};

export interface LearnerStats {
  step: number;
  /** The learning rate of the update's steps (the configured lr times the schedule's factor). */
  lr: number;
  /** Optimiser steps of the update skipped because their gradient was not finite (0 in a healthy run). */
  skippedSteps: number;
  /** pgLoss − entropyCoef · entropy + klCoef · kl + supervisedWeight · supervisedLoss. */
  loss: number;
  pgLoss: number;
  /** Mean per-token entropy of the policy over response tokens. */
  entropy: number;
  /** Mean per-token KL estimate to the reference model over response tokens (0 without `klCoef`). */
  kl: number;
  supervisedLoss: number;
  /** Before clipping. */
  gradNorm: number;
  clipFraction: number;
  meanRatio: number;
  meanReward: number;
  responseTokens: number;
  supervisedTokens: number;
  groups: Record<string, GroupStats>;
}

/** One training sequence with per-target-token weights; RL and supervised samples share this form. */
interface Sequence {
  ids: number[];
  /** Index in `ids` of the first token that is a target. */
  firstTarget: number;
  advantage: number;
  /** Per target token; `current`: the log-probabilities of the weights the gradient is taken at (ratio 1). */
  oldLogprobs: number[] | 'current' | null;
  /** Per target token, the reference model's log-probabilities (`klCoef`), else null. */
  refLogprobs: number[] | null;
  /** Weight of each target token in the token-mean policy statistics (1 / RL tokens) or 0. */
  pgWeight: number;
  /** Weight of each target token in the token-mean supervised loss (1 / supervised tokens) or 0. */
  slWeight: number;
}

const statNames = ['pgLoss', 'entropy', 'kl', 'supervisedLoss', 'clipFraction', 'meanRatio'] as const;

/** Bound on |log π − log π_sampling| before exp (veRL clamps the same at 20). */
const MAX_LOG_RATIO = 20;

export class Learner implements CheckpointableLearner {
  readonly options: LearnerOptions;
  readonly optimizer: AdamW;
  private readonly paramByVariable = new Map<string, string>();

  /** `reference`: the frozen model of the KL penalty (needed with `klCoef` > 0; the caller owns it). */
  constructor(
    readonly model: Transformer,
    options: Partial<LearnerOptions> = {},
    readonly reference?: Transformer,
  ) {
    this.options = { ...defaultLearnerOptions, ...options };
    if (this.options.klCoef > 0 && !reference)
      throw new AzrError('OPTIONS_INVALID', 'learner: `klCoef` > 0 needs a reference model');
    this.optimizer = new AdamW(model.params, this.options);
    for (const [name, v] of model.params) this.paramByVariable.set(v.name, name);
  }

  /** A learner continuing from `state` (from `loadCheckpoint(dir).learner`); `overrides` change options. */
  static fromCheckpoint(
    model: Transformer,
    state: LearnerCheckpointState,
    overrides: Partial<LearnerOptions> = {},
  ): Learner {
    const learner = new Learner(model, { ...(state.options as Partial<LearnerOptions>), ...overrides });
    learner.optimizer.importState(state);
    return learner;
  }

  checkpointState(): LearnerCheckpointState {
    const { step, tensors } = this.optimizer.exportState();
    return { step, options: { ...this.options }, tensors };
  }

  get stepCount(): number {
    return this.optimizer.step;
  }

  /**
   * One update from a batch of rollouts (and optional supervised samples): `miniBatches` optimiser steps, each on
   * every m-th sequence, and with `supervisedBatchSize` the supervised sequences' own steps after them. The
   * statistics are the mini-batches' means. `lrFactor` scales the learning rate of this update's steps (a schedule's,
   * src/rl/schedule.ts).
   */
  step(batch: RolloutSample[], supervised: SupervisedSample[] = [], lrFactor = 1): LearnerStats {
    const { rl, sl, groups } = this.sequences(batch, supervised);
    if (rl.length + sl.length === 0)
      throw new AzrError('INTERNAL', 'learner step with no tokens to train on');
    const meanReward = meanRewardOf(batch);
    const parts: LearnerStats[] = [];
    let skipped = 0;
    const miniBatches = this.miniBatchesOf(rl, sl);
    if (this.options.oldLogprobs === 'recomputed') this.recomputeOldLogprobs(miniBatches);
    for (const [rlPart, slPart] of miniBatches) {
      const { grads, stats } = this.gradientsOf(rlPart, slPart, meanReward, groups);
      const scale =
        stats.gradNorm > this.options.maxGradNorm ? this.options.maxGradNorm / (stats.gradNorm + 1e-6) : 1;
      // A gradient that is not finite would make every weight NaN for good: the step is skipped and counted.
      if (Number.isFinite(stats.gradNorm)) this.optimizer.apply(grads, scale, lrFactor);
      else skipped++;
      tf.dispose([...grads.values()]);
      parts.push(stats);
    }
    return {
      ...meanStats(parts, this.options),
      step: this.optimizer.step,
      lr: this.options.lr * lrFactor,
      skippedSteps: skipped,
    };
  }

  /**
   * `recomputed`: the first mini-batch's RL tokens are taken at the update's starting weights themselves; the later
   * mini-batches' log-probabilities under those weights are computed now, before the first optimiser step.
   */
  private recomputeOldLogprobs(miniBatches: [Sequence[], Sequence[]][]): void {
    for (const [k, [rlPart]] of miniBatches.entries()) {
      const logprobs = k === 0 ? undefined : this.logprobsOf(this.model, rlPart);
      for (const [i, q] of rlPart.entries()) q.oldLogprobs = logprobs?.[i] ?? 'current';
    }
  }

  /** Each sequence's target tokens' log-probabilities under `model`'s weights (no gradients). */
  private logprobsOf(model: Transformer, sequences: Sequence[]): number[][] {
    const out: number[][] = [];
    for (let start = 0; start < sequences.length; start += this.options.microBatchSize) {
      const micro = sequences.slice(start, start + this.options.microBatchSize);
      const { inputs, targets, rows, width, placed } = layoutRows(micro.map((q) => [q]));
      const values = tf.tidy(() =>
        tokenLogprobsAndEntropy(
          model.logits(inputs, rows, width),
          tf.tensor2d(targets, [rows, width], 'int32'),
        ).logp.dataSync(),
      );
      for (const { sequence: q, row } of placed)
        out.push(
          Array.from(values.subarray(row * width + q.firstTarget - 1, row * width + q.ids.length - 1)),
        );
    }
    return out;
  }

  /** The update's mini-batches, in order: each an [RL, supervised] pair of sequence lists, never both empty. */
  private miniBatchesOf(rl: Sequence[], sl: Sequence[]): [Sequence[], Sequence[]][] {
    // Dealt in turn (every m-th sequence): each mini-batch gets a share of every mode and role.
    const deal = <T>(items: T[], m: number, k: number, offset = 0) =>
      items.filter((_, i) => (offset + i) % m === k);
    const { miniBatches, supervisedBatchSize, sharePrefixes } = this.options;
    if (supervisedBatchSize > 0) {
      const m = Math.min(miniBatches, rl.length);
      const n = Math.ceil(sl.length / supervisedBatchSize);
      // Sharing prefixes, the sequences that share one are dealt together (a row can only hold one step's).
      const slGroups = sharePrefixes ? prefixGroups(sl, this.model.config.maxSeqLen) : sl.map((q) => [q]);
      return [
        ...Array.from({ length: m }, (_, k): [Sequence[], Sequence[]] => [deal(rl, m, k), []]),
        ...Array.from({ length: Math.min(n, slGroups.length) }, (_, k): [Sequence[], Sequence[]] => [
          [],
          deal(slGroups, n, k).flat(),
        ]),
      ];
    }
    // Dealt over the RL then the supervised sequences: every mini-batch gets a share of each, none is empty.
    const m = Math.min(miniBatches, rl.length + sl.length);
    return Array.from({ length: m }, (_, k) => [deal(rl, m, k), deal(sl, m, k, rl.length)]);
  }

  /**
   * Gradients of one step's loss over the whole batch, accumulated over micro-batches (by parameter name; the
   * caller disposes them), and the step's statistics. `step` = this + clipping + AdamW, per mini-batch.
   */
  gradients(
    batch: RolloutSample[],
    supervised: SupervisedSample[] = [],
  ): { grads: Map<string, tf.Tensor>; stats: LearnerStats } {
    const { rl, sl, groups } = this.sequences(batch, supervised);
    if (this.options.oldLogprobs === 'recomputed') for (const q of rl) q.oldLogprobs = 'current';
    return this.gradientsOf(rl, sl, meanRewardOf(batch), groups);
  }

  /**
   * The batch's training sequences: the RL ones with response tokens, each with its task-relative advantage
   * (normalised over the whole batch), and the supervised ones; token weights are set per mini-batch.
   */
  private sequences(
    batch: RolloutSample[],
    supervised: SupervisedSample[],
  ): { rl: Sequence[]; sl: Sequence[]; groups: Record<string, GroupStats> } {
    const o = this.options;
    for (const s of batch) {
      if (s.samplingLogprobs.length !== s.responseIds.length)
        throw new AzrError('INTERNAL', 'samplingLogprobs/responseIds mismatch');
    }
    // Every rollout counts towards its group's mean/std; only those with response tokens produce a loss.
    const normalised = trrAdvantages(
      batch.map((s) => ({ reward: s.reward, group: s.group, tokens: s.responseIds.length })),
      { whitening: o.whitening, eps: o.advantageEps },
    );
    const rl: Sequence[] = batch.flatMap((s, i) =>
      s.responseIds.length > 0
        ? [
            {
              ids: [...s.promptIds, ...s.responseIds],
              firstTarget: s.promptIds.length,
              advantage: normalised.advantages[i]!,
              oldLogprobs: s.samplingLogprobs,
              refLogprobs: null,
              pgWeight: 0,
              slWeight: 0,
            },
          ]
        : [],
    );
    // A supervised prompt is cut from the left to fit the context, as generation cuts its prompts; a target that
    // leaves no room for a prompt token is skipped.
    const context = this.model.config.maxSeqLen;
    const sl =
      o.supervisedWeight > 0
        ? supervised
            .filter((s) => s.targetIds.length > 0 && s.targetIds.length < context)
            .map((s) => {
              const promptIds = s.promptIds.slice(-(context - s.targetIds.length));
              return {
                ids: [...promptIds, ...s.targetIds],
                firstTarget: promptIds.length,
                advantage: 0,
                oldLogprobs: null,
                refLogprobs: null,
                pgWeight: 0,
                slWeight: 0,
              };
            })
        : [];
    if (o.klCoef > 0 && rl.length > 0) {
      const reference = this.logprobsOf(this.reference!, rl);
      for (const [i, q] of rl.entries()) q.refLogprobs = reference[i]!;
    }
    return { rl, sl, groups: normalised.groups };
  }

  /** Gradients and statistics of one mini-batch: token means within it (1 / its RL tokens, 1 / its supervised tokens). */
  private gradientsOf(
    rlPart: Sequence[],
    slPart: Sequence[],
    meanReward: number,
    groups: Record<string, GroupStats>,
  ): { grads: Map<string, tf.Tensor>; stats: LearnerStats } {
    const o = this.options;
    const targets = (q: Sequence) => q.ids.length - q.firstTarget;
    const responseTokens = rlPart.reduce((n, q) => n + targets(q), 0);
    const supervisedTokens = slPart.reduce((n, q) => n + targets(q), 0);
    const sequences: Sequence[] = [
      ...rlPart.map((q) => ({ ...q, pgWeight: 1 / responseTokens })),
      ...slPart.map((q) => ({ ...q, slWeight: 1 / supervisedTokens })),
    ];
    if (sequences.length === 0) throw new AzrError('INTERNAL', 'learner step with no tokens to train on');
    // Micro-batches are padded to their widest row: neighbours by width waste the least padding. The loss is a
    // weighted sum over tokens, so the order does not change it.
    const rows = (
      o.sharePrefixes ? prefixGroups(sequences, this.model.config.maxSeqLen) : sequences.map((q) => [q])
    )
      .map((group) => ({ group, width: rowWidth(group) }))
      .sort((a, b) => a.width - b.width)
      .map(({ group }) => group);

    const totals = Object.fromEntries(statNames.map((n) => [n, 0])) as Record<
      (typeof statNames)[number],
      number
    >;
    let grads = new Map<string, tf.Tensor>();
    for (let start = 0; start < rows.length; start += o.microBatchSize) {
      const micro = this.microBatchGradients(rows.slice(start, start + o.microBatchSize));
      for (const name of statNames) totals[name] += micro.stats[name];
      grads = accumulate(grads, micro.grads);
    }
    const stats: LearnerStats = {
      step: this.optimizer.step,
      lr: o.lr,
      skippedSteps: 0,
      loss:
        totals.pgLoss -
        o.entropyCoef * totals.entropy +
        o.klCoef * totals.kl +
        o.supervisedWeight * totals.supervisedLoss,
      ...totals,
      gradNorm: globalNorm([...grads.values()]),
      meanReward,
      responseTokens,
      supervisedTokens,
      groups,
    };
    return { grads, stats };
  }

  /** One micro-batch's gradients: each row one sequence, or several sharing a prefix (`layoutRows`). */
  private microBatchGradients(groups: Sequence[][]) {
    const o = this.options;
    const { inputs, targets, rows, width, positions, mask, placed } = layoutRows(groups);
    const oldLogprobs = new Float32Array(rows * width);
    /** 1 where the ratio is against the weights the gradient is taken at (`current`). */
    const atCurrent = new Float32Array(rows * width);
    const anyAtCurrent = placed.some(({ sequence }) => sequence.oldLogprobs === 'current');
    const refLogprobs = o.klCoef > 0 ? new Float32Array(rows * width) : undefined;
    const advantage = new Float32Array(rows * width);
    const pgWeight = new Float32Array(rows * width);
    const slWeight = new Float32Array(rows * width);
    // Dual clip's cap on each token's loss: −c·A where A < 0, none elsewhere.
    const pgCap = new Float32Array(rows * width).fill(Number.MAX_VALUE);
    for (const { sequence: s, row, column } of placed) {
      for (let t = Math.max(0, s.firstTarget - 1); t < s.ids.length - 1; t++) {
        const at = row * width + column(t);
        const target = t + 1 - s.firstTarget;
        if (target < 0) continue;
        if (s.oldLogprobs === 'current') atCurrent[at] = 1;
        else oldLogprobs[at] = s.oldLogprobs?.[target] ?? 0;
        if (refLogprobs && s.refLogprobs) refLogprobs[at] = s.refLogprobs[target]!;
        advantage[at] = s.advantage;
        if (s.advantage < 0) pgCap[at] = -o.dualClip * s.advantage;
        pgWeight[at] = s.pgWeight;
        slWeight[at] = s.slWeight;
      }
    }
    const shape: [number, number] = [rows, width];
    const kept: Record<string, tf.Scalar> = {};
    const lossFn = () =>
      tf.tidy(() => {
        const layout = mask ? { positions, mask: tf.tensor4d(mask, [rows, 1, width, width]) } : undefined;
        const { logp: tokenLogp, entropy } = tokenLogprobsAndEntropy(
          this.model.logits(inputs, rows, width, layout),
          tf.tensor2d(targets, shape, 'int32'),
        );
        // The log-ratio clamped as veRL does (±20): a token sampled at a probability the model has since left far
        // behind would overflow exp to ∞, and ∞ · 0 is a NaN in every gradient (docs/azr.md §5).
        const old = anyAtCurrent
          ? tf.add(
              tf.tensor2d(oldLogprobs, shape),
              tf.mul(stopGradient(tokenLogp), tf.tensor2d(atCurrent, shape)),
            )
          : tf.tensor2d(oldLogprobs, shape);
        const logRatio = tf.clipByValue(tf.sub(tokenLogp, old), -MAX_LOG_RATIO, MAX_LOG_RATIO);
        const ratio = tf.exp(logRatio);
        const adv = tf.tensor2d(advantage, shape);
        const clipped = tf.clipByValue(ratio, 1 - o.clipRatio, 1 + o.clipRatio);
        const clippedPg = tf.neg(tf.minimum(tf.mul(ratio, adv), tf.mul(clipped, adv)));
        const pg = o.dualClip > 0 ? tf.minimum(clippedPg, tf.tensor2d(pgCap, shape)) : clippedPg;
        const pgW = tf.tensor2d(pgWeight, shape);
        const slW = tf.tensor2d(slWeight, shape);
        const weighted = (x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(x, w)) as tf.Scalar;
        // Where the weight is 0 (padding, supervised tokens) the estimate is multiplied away.
        const kl = refLogprobs ? lowVarianceKl(tokenLogp, tf.tensor2d(refLogprobs, shape)) : tf.zeros(shape);
        const stats = {
          pgLoss: weighted(pg, pgW),
          entropy: weighted(entropy, pgW),
          kl: weighted(kl, pgW),
          supervisedLoss: weighted(tf.neg(tokenLogp), slW),
          clipFraction: weighted(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), o.clipRatio), 'float32'), pgW),
          meanRatio: weighted(ratio, pgW),
        };
        for (const [name, value] of Object.entries(stats)) kept[name] = tf.keep(value);
        return tf.addN([
          stats.pgLoss,
          tf.mul(stats.entropy, -o.entropyCoef),
          tf.mul(stats.kl, o.klCoef),
          tf.mul(stats.supervisedLoss, o.supervisedWeight),
        ]) as tf.Scalar;
      });
    const { value, grads } = tf.variableGrads(lossFn, this.model.variables());
    const named = new Map<string, tf.Tensor>();
    for (const [variableName, grad] of Object.entries(grads))
      named.set(this.paramByVariable.get(variableName)!, grad);
    const stats = Object.fromEntries(statNames.map((n) => [n, kept[n].dataSync()[0]])) as Record<
      (typeof statNames)[number],
      number
    >;
    tf.dispose([value, ...Object.values(kept)]);
    return { grads: named, stats };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** `x`'s value with no gradient through it. */
const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as (x: tf.Tensor) => tf.Tensor;

/** exp(r − l) − (r − l) − 1 per token (≥ 0, 0 where l = r), with r − l clamped as the PPO log-ratio is. */
function lowVarianceKl(logp: tf.Tensor, refLogp: tf.Tensor): tf.Tensor {
  const d = tf.clipByValue(tf.sub(refLogp, logp), -MAX_LOG_RATIO, MAX_LOG_RATIO);
  return tf.sub(tf.sub(tf.exp(d), d), 1);
}

function accumulate(sums: Map<string, tf.Tensor>, grads: Map<string, tf.Tensor>): Map<string, tf.Tensor> {
  if (sums.size === 0) return grads;
  for (const [name, grad] of grads) {
    const previous = sums.get(name)!;
    sums.set(name, tf.add(previous, grad));
    tf.dispose([previous, grad]);
  }
  return sums;
}

function globalNorm(tensors: tf.Tensor[]): number {
  return Math.sqrt(tf.tidy(() => tf.addN(tensors.map((t) => tf.sum(tf.square(t)))).dataSync()[0]));
}

const meanRewardOf = (batch: readonly RolloutSample[]): number =>
  batch.length ? batch.reduce((n, r) => n + r.reward, 0) / batch.length : 0;

/**
 * The mini-batches' statistics as one: each RL statistic is the mean over the mini-batches that had RL tokens, the
 * supervised loss over those that had supervised tokens; token counts are added up.
 */
function meanStats(parts: LearnerStats[], o: LearnerOptions): LearnerStats {
  const total = (key: keyof LearnerStats, of = parts) => of.reduce((n, p) => n + (p[key] as number), 0);
  const mean = (key: keyof LearnerStats, of: LearnerStats[]) => (of.length ? total(key, of) / of.length : 0);
  const withRl = parts.filter((p) => p.responseTokens > 0);
  const withSl = parts.filter((p) => p.supervisedTokens > 0);
  const rlMeans = Object.fromEntries(
    (['pgLoss', 'entropy', 'kl', 'clipFraction', 'meanRatio'] as const).map((key) => [
      key,
      mean(key, withRl),
    ]),
  ) as Pick<LearnerStats, 'pgLoss' | 'entropy' | 'kl' | 'clipFraction' | 'meanRatio'>;
  const supervisedLoss = mean('supervisedLoss', withSl);
  return {
    ...parts[0]!,
    ...rlMeans,
    supervisedLoss,
    loss:
      rlMeans.pgLoss -
      o.entropyCoef * rlMeans.entropy +
      o.klCoef * rlMeans.kl +
      o.supervisedWeight * supervisedLoss,
    gradNorm: mean('gradNorm', parts),
    responseTokens: total('responseTokens'),
    supervisedTokens: total('supervisedTokens'),
  };
}
