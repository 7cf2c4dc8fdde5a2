// RMSNorm, SwiGLU, rotary embeddings and the learner's token log-probabilities as native kernels with their
// gradients (native products only): one pass over the rows each way instead of ~6 tfjs ops forward and ~12 backward
// per norm, and SwiGLU and the rotary kernel read the fused projections directly, so neither a split nor the
// split's gradient (a concat) is needed.
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.ts';
import { runOnHeap } from './kernels.ts';

/** x [..., width] normalised by its root mean square per row, times `weight` [width]. */
export function fusedRmsNorm<T extends tf.Tensor>(x: T, weight: tf.Tensor1D, eps: number): T {
  const norm = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, w, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([input, w]);
    return {
      value: tf.engine().runKernel('AzrRmsNorm', { x: input, weight: w }, { eps }) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, [sx, sw]: tf.Tensor[]) =>
        tf.engine().runKernel('AzrRmsNormGrad', { x: sx, weight: sw, dy }, { eps }) as tf.Tensor[],
    };
  }) as (x: tf.Tensor, w: tf.Tensor) => tf.Tensor;
  return norm(x, weight) as T;
}

/** silu(gate) · up for `gateUp` [rows, 2·width] = [gate | up] → [rows, width]. */
export function fusedSwiglu(gateUp: tf.Tensor2D): tf.Tensor2D {
  const swiglu = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([input]);
    return {
      value: tf.engine().runKernel('AzrSwiglu', { gateUp: input }, {}) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) =>
        tf.engine().runKernel('AzrSwigluGrad', { gateUp: saved, dy }, {}) as tf.Tensor,
    };
  }) as (x: tf.Tensor) => tf.Tensor;
  return swiglu(gateUp) as tf.Tensor2D;
}

/**
 * Rotary embeddings on the packed projection qkv [tokens, (heads + 2·kvHeads)·headDim]: query heads rotated and
 * times `qScale`, key heads rotated, values as they are (same layout, for the attention kernels); `cos`/`sin`
 * [tokens, headDim] per token, HF's rotate_half convention. Differentiable in qkv.
 */
export function fusedRopeQkv(
  qkv: tf.Tensor2D,
  cos: tf.Tensor2D,
  sin: tf.Tensor2D,
  heads: number,
  kvHeads: number,
  qScale: number,
): tf.Tensor2D {
  const attrs = { heads, kvHeads, qScale };
  const rope = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([cos, sin]); // kept for the backward pass: the caller's tidy may dispose the tables before it runs
    return {
      value: tf.engine().runKernel('AzrRopeQkv', { x: input, cos, sin }, attrs) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, [c, s]: tf.Tensor[]) =>
        tf.engine().runKernel('AzrRopeQkvGrad', { x: dy, cos: c, sin: s }, attrs) as tf.Tensor,
    };
  }) as (x: tf.Tensor) => tf.Tensor;
  return rope(qkv) as tf.Tensor2D;
}

/**
 * logits [..., vocab] and int32 targets [...] → [..., 2]: the log-probability of each target under
 * softmax(logits), and that distribution's entropy. Differentiable in logits.
 */
export function fusedTokenLogprobs(logits: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  const logprobs = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([input, targets]); // kept for the backward pass: the caller's tidy may dispose `targets` before it runs
    return {
      value: tf.engine().runKernel('AzrTokenLogprobs', { logits: input, targets }, {}) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, [saved, savedTargets]: tf.Tensor[]) =>
        tf
          .engine()
          .runKernel('AzrTokenLogprobsGrad', { logits: saved, targets: savedTargets, dy }, {}) as tf.Tensor,
    };
  }) as (x: tf.Tensor) => tf.Tensor;
  return logprobs(logits);
}

export function registerLayerKernels(addon: NativeAddon): void {
  const rowsOf = (t: tf.TensorInfo) => tf.util.sizeFromShape(t.shape) / t.shape[t.shape.length - 1];
  const register = (kernelName: string, kernelFunc: tf.KernelFunc) =>
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  register(
    'AzrRmsNorm',
    ({ inputs: { x, weight }, attrs, backend }) =>
      runOnHeap(backend, [x!.shape], (heap, offset, [out]) =>
        addon.rmsNorm(
          heap,
          rowsOf(x!),
          weight!.shape[0],
          attrs!.eps as number,
          ...[x!, weight!, out].map(offset),
        ),
      )[0],
  );
  register('AzrRmsNormGrad', ({ inputs: { x, weight, dy }, attrs, backend }) =>
    runOnHeap(backend, [x!.shape, weight!.shape], (heap, offset, [dx, dWeight]) =>
      addon.rmsNormGrad(
        heap,
        rowsOf(x!),
        weight!.shape[0],
        attrs!.eps as number,
        ...[x!, weight!, dy!, dx, dWeight].map(offset),
      ),
    ),
  );
  for (const [kernelName, call] of [
    ['AzrRopeQkv', addon.ropeQkv],
    ['AzrRopeQkvGrad', addon.ropeQkvGrad],
  ] as const) {
    register(kernelName, ({ inputs: { x, cos, sin }, attrs, backend }) => {
      const { heads, kvHeads, qScale } = attrs as { heads: number; kvHeads: number; qScale: number };
      const [tokens, width] = x!.shape;
      const hd = width / (heads + 2 * kvHeads);
      return runOnHeap(backend, [x!.shape], (heap, offset, [out]) =>
        call(heap, tokens, heads, kvHeads, hd, qScale, ...[x!, cos!, sin!, out].map(offset)),
      )[0];
    });
  }
  register('AzrTokenLogprobs', ({ inputs: { logits, targets }, backend }) => {
    const vocab = logits!.shape[logits!.shape.length - 1];
    return runOnHeap(backend, [[...targets!.shape, 2]], (heap, offset, [out]) =>
      addon.tokenLogprobs(heap, rowsOf(logits!), vocab, ...[logits!, targets!, out].map(offset)),
    )[0];
  });
  register('AzrTokenLogprobsGrad', ({ inputs: { logits, targets, dy }, backend }) => {
    const vocab = logits!.shape[logits!.shape.length - 1];
    return runOnHeap(backend, [logits!.shape], (heap, offset, [dLogits]) =>
      addon.tokenLogprobsGrad(heap, rowsOf(logits!), vocab, ...[logits!, targets!, dy!, dLogits].map(offset)),
    )[0];
  });
  register('AzrSwiglu', ({ inputs: { gateUp }, backend }) => {
    const [rows, double] = gateUp!.shape;
    return runOnHeap(backend, [[rows, double / 2]], (heap, offset, [out]) =>
      addon.swiglu(heap, rows, double / 2, offset(gateUp!), offset(out)),
    )[0];
  });
  register('AzrSwigluGrad', ({ inputs: { gateUp, dy }, backend }) => {
    const [rows, double] = gateUp!.shape;
    return runOnHeap(backend, [gateUp!.shape], (heap, offset, [dGateUp]) =>
      addon.swigluGrad(heap, rows, double / 2, ...[gateUp!, dy!, dGateUp].map(offset)),
    )[0];
  });
}
