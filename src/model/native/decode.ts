// Decoding with a preallocated key/value cache (native products only): every step writes its new keys and values
// into the buffers in place and attends over them in one native call, so no step reallocates or copies the cache
// (the stock path concatenates it: O(length) copying per token). The buffers belong to one sampling call: its prompt
// fills them in one run (`attendCached`), then each run places its tokens where their rows are (`attendPlaced`), so
// a sampler stops feeding rows that finished.
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.ts';
import { runOnHeap } from './kernels.ts';
import { AzrError } from '../../errors.ts';

const KERNEL = 'AzrAttendCached';
const PLACED_KERNEL = 'AzrAttendPlaced';

/**
 * Per layer, keys transposed [batch, kvHeads, headDim, capacity] (the score loop then runs over contiguous keys)
 * and values [batch, kvHeads, capacity, headDim]; positions below `length` are filled.
 */
export interface DecodeBuffers {
  layers: Array<{ kT: tf.Tensor4D; v: tf.Tensor4D }>;
  length: number;
  capacity: number;
  /**
   * When set, the next run's tokens are placed one by one instead of at `length` (which then stays): token i goes
   * to sequence places[3i] at position places[3i+1], and attends over that sequence up to it, positions below
   * places[3i+2] (its prompt's pads) masked. See `attendPlaced`.
   */
  places?: Int32Array;
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
 * layers.ts `fusedRopeQkv`) into layer `layer` of the buffers at position `buffers.length` (row b into sequence b),
 * then returns the attention of its queries over positions 0..length+steps with the additive
 * `mask` ([batch, 1, steps, length+steps]), as [batch, steps, heads, headDim].
 */
export function attendCached(
  qkv: tf.Tensor3D,
  heads: number,
  buffers: DecodeBuffers,
  layer: number,
  mask: tf.Tensor,
): tf.Tensor4D {
  const { kT: kCache, v: vCache } = buffers.layers[layer]!;
  const at = buffers.length;
  return tf.engine().runKernel(KERNEL, { qkv, kCache, vCache, mask }, { at, heads }) as tf.Tensor4D;
}

/**
 * `attendCached` for tokens placed one by one (`buffers.places`, all of them set): qkv [1, tokens, packed] → [1,
 * tokens, heads, headDim]. Rows can so feed different numbers of tokens at different lengths in one run; each
 * token's numbers are those of feeding it alone at its place.
 */
export function attendPlaced(
  qkv: tf.Tensor3D,
  heads: number,
  buffers: DecodeBuffers,
  layer: number,
): tf.Tensor4D {
  const { kT: kCache, v: vCache } = buffers.layers[layer]!;
  const places = tf.tensor1d(buffers.places!, 'int32');
  return tf.engine().runKernel(PLACED_KERNEL, { qkv, kCache, vCache, places }, { heads }) as tf.Tensor4D;
}

export function registerDecodeKernel(addon: NativeAddon): void {
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { qkv, kCache, vCache, mask } = inputs as Record<string, tf.TensorInfo>;
      const { at, heads } = attrs as { at: number; heads: number };
      const [batch, steps] = qkv.shape;
      const [cacheRows, kvHeads, headDim, capacity] = kCache.shape;
      if (batch > cacheRows)
        throw new AzrError('INTERNAL', `${KERNEL}: a batch of ${batch} for buffers of ${cacheRows} rows`);
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
          cacheRows,
          at,
          ...[qkv, kCache, vCache, mask, out].map(offset),
        ),
      )[0];
    },
  });
  tf.registerKernel({
    kernelName: PLACED_KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { qkv, kCache, vCache, places } = inputs as Record<string, tf.TensorInfo>;
      const { heads } = attrs as { heads: number };
      const tokens = qkv.shape[1]!;
      const [cacheRows, kvHeads, headDim, capacity] = kCache.shape;
      if (qkv.shape[0] !== 1 || places.shape[0] !== 3 * tokens)
        throw new AzrError(
          'INTERNAL',
          `${PLACED_KERNEL}: ${places.shape[0] / 3} places for qkv ${qkv.shape}`,
        );
      return runOnHeap(backend, [[1, tokens, heads, headDim]], (heap, offset, [out]) =>
        addon.attendPlaced(
          heap,
          tokens,
          heads,
          kvHeads,
          headDim,
          capacity,
          cacheRows,
          ...[qkv, kCache, vCache, places, out].map(offset),
        ),
      )[0];
    },
  });
}
