// Training-path attention as two native kernels (native products only): softmax(q·kᵀ + mask)·v per head, and its
// backward, read straight from the packed, rotated projection (layers.ts `fusedRopeQkv`), so no split, transpose or
// concat surrounds it. The probabilities are the one saved intermediate. Replaces ~20 ops per layer.
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.ts';
import { runOnHeap } from './kernels.ts';

/** Whether `mask` fits the fused kernel: one [seq, seq] mask, or one per batch row. */
export function fusedAttentionFits(batch: number, seq: number, mask: tf.Tensor): boolean {
  return mask.size === seq * seq || mask.size === batch * seq * seq;
}

/**
 * qkv [batch, seq, (heads + 2·kvHeads)·headDim] (queries rotated and scaled, keys rotated), additive mask with
 * `fusedAttentionFits` → [batch, seq, heads, headDim]. Differentiable in qkv (the mask is a constant).
 */
export function fusedAttention(
  qkv: tf.Tensor3D,
  heads: number,
  kvHeads: number,
  mask: tf.Tensor,
): tf.Tensor4D {
  const attrs = { heads, kvHeads };
  const attend = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [packed, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const [out, probs] = tf.engine().runKernel('AzrAttention', { qkv: packed, mask }, attrs) as tf.Tensor[];
    save([packed, probs]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, [sq, sp]: tf.Tensor[]) =>
        tf.engine().runKernel('AzrAttentionGrad', { qkv: sq, probs: sp, dy }, attrs) as tf.Tensor,
    };
  }) as (qkv: tf.Tensor) => tf.Tensor;
  return attend(qkv) as tf.Tensor4D;
}

export function registerAttentionKernels(addon: NativeAddon): void {
  const register = (kernelName: string, kernelFunc: tf.KernelFunc) =>
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  const dims = (qkv: tf.TensorInfo, attrs: tf.NamedAttrMap) => {
    const { heads, kvHeads } = attrs as { heads: number; kvHeads: number };
    const [batch, seq, width] = qkv.shape;
    return { batch, seq, heads, kvHeads, hd: width / (heads + 2 * kvHeads) };
  };
  register('AzrAttention', ({ inputs: { qkv, mask }, attrs, backend }) => {
    const { batch, seq, heads, kvHeads, hd } = dims(qkv!, attrs!);
    const maskStride = mask!.shape.reduce((a, b) => a * b, 1) === seq * seq ? 0 : seq * seq;
    const shapes = [
      [batch, seq, heads, hd],
      [batch, heads, seq, seq],
    ];
    return runOnHeap(backend, shapes, (heap, offset, [out, probs]) =>
      addon.attention(
        heap,
        batch,
        seq,
        heads,
        kvHeads,
        hd,
        maskStride,
        ...[qkv!, mask!, probs, out].map(offset),
      ),
    );
  });
  register('AzrAttentionGrad', ({ inputs: { qkv, probs, dy }, attrs, backend }) => {
    const { batch, seq, heads, kvHeads, hd } = dims(qkv!, attrs!);
    return runOnHeap(backend, [qkv!.shape], (heap, offset, [dQkv]) =>
      addon.attentionGrad(heap, batch, seq, heads, kvHeads, hd, ...[qkv!, probs!, dy!, dQkv].map(offset)),
    )[0];
  });
}
