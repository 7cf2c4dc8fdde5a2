// Differentiable building blocks that avoid the wasm backend's weak spots (docs/benchmarks.md, "What was done to get here"):
// transposed matMuls take a slow path there, the `gather` gradient is missing and the `bandPart` gradient fails.
// With native products (src/model/native) the products are BLAS calls: batched and transposed ones are fast, so the
// per-slice split and the explicit transposes are skipped.
import * as tf from '@tensorflow/tfjs-core';
import './gradients.ts';
import { nativeProductsActive } from './native/kernels.ts';
import { fusedRmsNorm, fusedSwiglu, fusedTokenLogprobs } from './native/layers.ts';

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/**
 * Batched matMul. The wasm backend's BatchMatMul kernel is 5-9x slower per FLOP than its 2-D kernel (XNNPACK) for the
 * attention shapes (measured: 128 x [256,32]@[32,256] batched 169 ms, as 128 2-D matMuls 30 ms), so on wasm large
 * per-slice products run as one 2-D matMul per slice; small ones (decoding, m = 1) stay batched.
 */
function batchedMatMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank === 2 && b.rank === 2) return tf.matMul(a, b);
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.rank - 1];
  if (tf.getBackend() !== 'wasm' || nativeProductsActive() || m * k * n < SLICE_MIN_FLOPS)
    return tf.matMul(a, b);
  return tf.tidy(() => {
    const batchShape = a.shape.slice(0, -2);
    const batch = batchShape.reduce((x, y) => x * y, 1);
    // split + concat: wasm's Unpack kernel is far slower than SplitV here.
    const aSlices = tf.split(tf.reshape(a, [batch * m, k]), batch, 0);
    const bSlices = tf.split(tf.reshape(b, [batch * k, n]), batch, 0);
    const products = aSlices.map((slice, i) => tf.matMul(slice, bSlices[i]));
    return tf.reshape(tf.concat(products, 0), [...batchShape, m, n]);
  });
}

const SLICE_MIN_FLOPS = 32768;

const matMulExplicitTransposes = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: batchedMatMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      if (nativeProductsActive()) return [tf.matMul(dy, sb, false, true), tf.matMul(sa, dy, true, false)];
      return [
        batchedMatMul(dy, tf.transpose(sb, swapLastTwo(sb.rank))),
        batchedMatMul(tf.transpose(sa, swapLastTwo(sa.rank)), dy),
      ];
    },
  };
}) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** `a @ b` (equal batch dims) whose gradient uses explicit transposes instead of transposed matMuls (stock wasm). */
export function matMul<T extends tf.Tensor>(a: T, b: tf.Tensor): T {
  return matMulExplicitTransposes(a, b) as T;
}

/**
 * Row lookup `table[ids]`. The gradient scatters rows in JS, which works on every backend (wasm lacks
 * UnsortedSegmentSum) and for any vocabulary size (a one-hot matMul would not scale to 150k tokens).
 */
export function embedRows(table: tf.Tensor2D, ids: Int32Array): tf.Tensor2D {
  // tfjs-node has the native gather gradient (and a host round trip would stall a GPU).
  if (tf.getBackend() === 'tensorflow') return tf.gather(table, tf.tensor1d(ids, 'int32'));
  const [vocab, width] = table.shape;
  const lookup = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: tf.gather(args[0] as tf.Tensor, tf.tensor1d(ids, 'int32')),
    gradFunc: (dy: tf.Tensor) => {
      const rows = dy.dataSync();
      const grad = new Float32Array(vocab * width);
      for (let i = 0; i < ids.length; i++) {
        const dst = ids[i] * width;
        const src = i * width;
        for (let j = 0; j < width; j++) grad[dst + j] += rows[src + j];
      }
      return tf.tensor2d(grad, [vocab, width]);
    },
  })) as (t: tf.Tensor) => tf.Tensor;
  return lookup(table) as tf.Tensor2D;
}

/** RMSNorm over the last axis, scaled by `weight`. */
export function rmsNorm<T extends tf.Tensor>(x: T, weight: tf.Tensor1D, eps: number): T {
  if (nativeProductsActive()) return fusedRmsNorm(x, weight, eps);
  const meanSquare = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, eps))), weight) as T;
}

export function silu<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(x)) as T;
}

/** SwiGLU's hidden layer silu(gate) · up from the fused projection `gateUp` [rows, 2·f] = [gate | up]. */
export function swiglu(gateUp: tf.Tensor): tf.Tensor2D {
  if (nativeProductsActive()) return fusedSwiglu(gateUp as tf.Tensor2D);
  const [gate, up] = tf.split(gateUp, 2, 1);
  return tf.mul(silu(gate), up) as tf.Tensor2D;
}

/**
 * Per position of `logits` [..., vocab]: the log-probability of the int32 `targets` [...] under softmax(logits), and
 * the entropy of that distribution (the learner's policy and entropy terms).
 */
export function tokenLogprobsAndEntropy(
  logits: tf.Tensor,
  targets: tf.Tensor,
): { logp: tf.Tensor; entropy: tf.Tensor } {
  if (nativeProductsActive()) {
    const [logp, entropy] = tf.split(fusedTokenLogprobs(logits, targets), 2, -1);
    return { logp: tf.reshape(logp, targets.shape), entropy: tf.reshape(entropy, targets.shape) };
  }
  const all = tf.logSoftmax(logits);
  return {
    logp: tf.sum(tf.mul(all, tf.oneHot(targets, logits.shape[logits.rank - 1])), -1),
    entropy: tf.neg(tf.sum(tf.mul(tf.exp(all), all), -1)),
  };
}

/** Additive causal mask [t, t]: 0 on and below the diagonal, a large negative number above. Built without bandPart. */
export function causalMask(t: number): tf.Tensor2D {
  const data = new Float32Array(t * t);
  for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) data[i * t + j] = NEG_INF;
  return tf.tensor2d(data, [t, t]);
}

/** Large enough to zero a softmax term, small enough that masked rows stay finite in float32. */
export const NEG_INF = -1e9;
