// RMSNorm and SwiGLU as native kernels with their gradients (native products only): one pass over the rows each
// way instead of ~6 tfjs ops forward and ~12 backward per norm, and SwiGLU reads the fused gate|up projection
// directly, so neither its split nor the split's gradient (a concat) is needed.
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
