// Training-path attention as two native kernels (native products only): softmax(q·kᵀ + mask)·v per head, and its
// backward, on token-major tensors ([batch, seq, heads, headDim]) so no transposes surround it. The probabilities
// are the one saved intermediate. Replaces ~20 ops per layer (transposes, two batched products, mask add, softmax
// and their gradients).
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.ts';
import { runOnHeap } from './kernels.ts';

const FORWARD = 'AzrAttention';
const BACKWARD = 'AzrAttentionGrad';

/** Whether `mask` fits the fused kernel: one [seq, seq] mask, or one per batch row. */
export function fusedAttentionFits(batch: number, seq: number, mask: tf.Tensor): boolean {
  return mask.size === seq * seq || mask.size === batch * seq * seq;
}

/**
 * q [batch, seq, heads, headDim] (already scaled), k and v [batch, seq, kvHeads, headDim], additive mask with
 * `fusedAttentionFits` → [batch, seq, heads, headDim]. Differentiable in q, k and v (the mask is a constant).
 */
export function fusedAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor): tf.Tensor4D {
  const attend = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [query, key, value, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [out, probs] = tf
      .engine()
      .runKernel(FORWARD, { q: query, k: key, v: value, mask }, {}) as tf.Tensor[];
    save([query, key, value, probs]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, sk, sv, sp] = saved;
        return tf.engine().runKernel(BACKWARD, { q: sq, k: sk, v: sv, probs: sp, dy }, {}) as tf.Tensor[];
      },
    };
  }) as (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.Tensor;
  return attend(q, k, v) as tf.Tensor4D;
}

export function registerAttentionKernels(addon: NativeAddon): void {
  tf.registerKernel({
    kernelName: FORWARD,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const { q, k, v, mask } = inputs as Record<string, tf.TensorInfo>;
      const [batch, seq, heads, hd] = q.shape;
      const maskStride = tf.util.sizeFromShape(mask.shape) === seq * seq ? 0 : seq * seq;
      return runOnHeap(backend, [q.shape, [batch, heads, seq, seq]], (heap, offset, [out, probs]) =>
        addon.attention(
          heap,
          batch,
          seq,
          heads,
          k.shape[2],
          hd,
          maskStride,
          ...[q, k, v, mask, probs, out].map(offset),
        ),
      );
    },
  });
  tf.registerKernel({
    kernelName: BACKWARD,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const { q, k, v, probs, dy } = inputs as Record<string, tf.TensorInfo>;
      const [batch, seq, heads, hd] = q.shape;
      return runOnHeap(backend, [q.shape, k.shape, v.shape], (heap, offset, [dq, dk, dv]) =>
        addon.attentionGrad(
          heap,
          batch,
          seq,
          heads,
          k.shape[2],
          hd,
          ...[q, k, v, probs, dy, dq, dk, dv].map(offset),
        ),
      );
    },
  });
}
