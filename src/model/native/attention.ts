// Training-path attention as two native kernels (native products only): softmax(q·kᵀ + mask)·v per head, and its
// backward, on token-major tensors ([batch, seq, heads, headDim]) so no transposes surround it. The probabilities
// are the one saved intermediate. Replaces ~20 ops per layer (transposes, two batched products, mask add, softmax
// and their gradients).
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.ts';
import type { WasmBackendInternals } from './kernels.ts';

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
  const run = (
    backend: unknown,
    outputs: number[][],
    call: (heap: ArrayBuffer, offset: (t: tf.TensorInfo) => number, outs: tf.TensorInfo[]) => void,
  ) => {
    const wasm = backend as WasmBackendInternals;
    const outs = outputs.map((shape) => wasm.makeOutput(shape, 'float32'));
    // Offsets and the heap only after every output exists: growing the heap replaces its buffer.
    call(wasm.wasm.HEAPU8.buffer as ArrayBuffer, (t) => wasm.dataIdMap.get(t.dataId).memoryOffset, outs);
    return outs;
  };
  tf.registerKernel({
    kernelName: FORWARD,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const { q, k, v, mask } = inputs as Record<string, tf.TensorInfo>;
      const [batch, seq, heads, hd] = q.shape;
      const maskStride = tf.util.sizeFromShape(mask.shape) === seq * seq ? 0 : seq * seq;
      return run(backend, [q.shape, [batch, heads, seq, seq]], (heap, at, [out, probs]) =>
        addon.attention(
          heap,
          batch,
          seq,
          heads,
          k.shape[2],
          hd,
          maskStride,
          at(q),
          at(k),
          at(v),
          at(mask),
          at(probs),
          at(out),
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
      return run(backend, [q.shape, k.shape, v.shape], (heap, at, [dq, dk, dv]) =>
        addon.attentionGrad(
          heap,
          batch,
          seq,
          heads,
          k.shape[2],
          hd,
          at(q),
          at(k),
          at(v),
          at(probs),
          at(dy),
          at(dq),
          at(dk),
          at(dv),
        ),
      );
    },
  });
}
