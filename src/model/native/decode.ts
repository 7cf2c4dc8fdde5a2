// Decoding with a preallocated key/value cache (native products only): every step writes its new keys and values
// into the buffers in place and attends over them in one native call, so no step reallocates or copies the cache
// (the stock path concatenates it: O(length) copying per token). The buffers belong to one sampling call.
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.ts';
import { runOnHeap } from './kernels.ts';
import { AzrError } from '../../errors.ts';

const KERNEL = 'AzrAttendCached';

/**
 * Per layer, keys transposed [batch, kvHeads, headDim, capacity] (the score loop then runs over contiguous keys)
 * and values [batch, kvHeads, capacity, headDim]; positions below `length` are filled.
 */
export interface DecodeBuffers {
  layers: Array<{ kT: tf.Tensor4D; v: tf.Tensor4D }>;
  length: number;
  capacity: number;
}

export function allocateDecodeBuffers(
  layers: number,
  batch: number,
  kvHeads: number,
  capacity: number,
  headDim: number,
): DecodeBuffers {
  return {
    layers: Array.from({ length: layers }, () => ({
      kT: tf.zeros([batch, kvHeads, headDim, capacity]) as tf.Tensor4D,
      v: tf.zeros([batch, kvHeads, capacity, headDim]) as tf.Tensor4D,
    })),
    length: 0,
    capacity,
  };
}

export function disposeDecodeBuffers(buffers: DecodeBuffers | undefined): void {
  for (const layer of buffers?.layers ?? []) tf.dispose([layer.kT, layer.v]);
}

/**
 * Writes the keys and values of `qkv` ([batch, steps, (heads + 2·kvHeads)·headDim], packed and rotated, see
 * layers.ts `fusedRopeQkv`) into the layer's buffers at position `at`, then returns the attention of its queries over
 * positions 0..at+steps with the additive `mask` ([batch, 1, steps, at+steps]), as [batch, steps, heads, headDim].
 */
export function attendCached(
  qkv: tf.Tensor3D,
  heads: number,
  layer: DecodeBuffers['layers'][number],
  at: number,
  mask: tf.Tensor,
): tf.Tensor4D {
  return tf
    .engine()
    .runKernel(KERNEL, { qkv, kCache: layer.kT, vCache: layer.v, mask }, { at, heads }) as tf.Tensor4D;
}

export function registerDecodeKernel(addon: NativeAddon): void {
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { qkv, kCache, vCache, mask } = inputs as Record<string, tf.TensorInfo>;
      const { at, heads } = attrs as { at: number; heads: number };
      const [batch, steps] = qkv.shape;
      const [, kvHeads, headDim, capacity] = kCache.shape;
      if (mask.shape.reduce((a, b) => a * b, 1) !== batch * steps * (at + steps))
        throw new AzrError(
          'INTERNAL',
          `${KERNEL}: mask ${mask.shape} is not [${batch}, 1, ${steps}, ${at + steps}]`,
        );
      return runOnHeap(backend, [[batch, steps, heads, headDim]], (heap, offset, [out]) =>
        addon.attendCached(
          heap,
          batch,
          steps,
          heads,
          kvHeads,
          headDim,
          capacity,
          at,
          ...[qkv, kCache, vCache, mask, out].map(offset),
        ),
      )[0];
    },
  });
}
