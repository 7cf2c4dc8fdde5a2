// Replacement Slice, SplitV and Identity kernels for the wasm backend. tfjs-backend-wasm 4.22's Slice reads its input
// with `readSync`, which copies the whole input out of the wasm heap for every slice: splitting a 33 MB tensor into 128
// parts copied 4 GB (1.9 s). These versions read the input through a heap view and copy only the slice.
// Identity (what the engine runs to save every tensor a gradient needs) copied its input; no wasm kernel writes into
// its inputs, so the copy can share the input's memory, as Reshape does. GatherV2 along axis 0 (embedding rows,
// rotary tables) copies whole rows instead of the stock kernel's element-by-element loop (5 ms for 1,020 rows of 256).
import * as tf from '@tensorflow/tfjs-core';
import { AzrError } from '../errors.ts';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: tf.DataId): void;
}

let installed = false;

export function installWasmKernels(): void {
  if (installed) return;
  const original = tf.getKernel('Slice', 'wasm');
  if (!original) return;
  installed = true;
  const originalSlice = original.kernelFunc as (args: object) => tf.TensorInfo;

  const slice = (
    x: tf.TensorInfo,
    begin: number[],
    size: number[],
    backend: WasmBackendLike,
  ): tf.TensorInfo => {
    const [begin_, size_] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    if (x.dtype === 'string') return originalSlice({ inputs: { x }, attrs: { begin, size }, backend });
    const out = backend.makeOutput(size_, x.dtype);
    // Views only after makeOutput: growing the heap detaches earlier views.
    copySlice(backend.typedArrayFromHeap(x), x.shape, begin_, size_, backend.typedArrayFromHeap(out));
    return out;
  };

  tf.unregisterKernel('Slice', 'wasm');
  tf.registerKernel({
    kernelName: 'Slice',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) =>
      slice(
        inputs.x!,
        attrs!.begin as number[],
        attrs!.size as number[],
        backend as unknown as WasmBackendLike,
      ),
  });
  const originalIdentity = tf.getKernel('Identity', 'wasm')!.kernelFunc;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x!;
      if (x.dtype === 'string') return originalIdentity(args);
      (args.backend as unknown as WasmBackendLike).incRef(x.dataId);
      return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
    },
  });
  const originalGather = tf.getKernel('GatherV2', 'wasm')!;
  tf.unregisterKernel('GatherV2', 'wasm');
  tf.registerKernel({
    ...originalGather,
    kernelFunc: (args) => {
      const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
      const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
      if (x.dtype === 'string' || indices.dtype !== 'int32' || batchDims || x.shape.length === 0) {
        return originalGather.kernelFunc(args);
      }
      if (tf.util.parseAxisParam(axis, x.shape)[0] !== 0) return originalGather.kernelFunc(args);
      const backend = args.backend as unknown as WasmBackendLike;
      const bad = backend.typedArrayFromHeap(indices).find((row) => !(row >= 0 && row < x.shape[0]));
      if (bad !== undefined)
        throw new AzrError('INTERNAL', `GatherV2: the index value ${bad} is not in [0, ${x.shape[0] - 1}]`);
      const rowSize = tf.util.sizeFromShape(x.shape.slice(1));
      const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
      // Views only after makeOutput: growing the heap detaches earlier views.
      const [input, ids, output] = [x, indices, out].map((t) => backend.typedArrayFromHeap(t));
      for (let i = 0; i < ids.length; i++) {
        output.set(input.subarray(ids[i] * rowSize, (ids[i] + 1) * rowSize), i * rowSize);
      }
      return out;
    },
  });
  tf.unregisterKernel('SplitV', 'wasm');
  tf.registerKernel({
    kernelName: 'SplitV',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const x = inputs.x!;
      const axis = tf.util.parseAxisParam(attrs!.axis as number, x.shape)[0];
      const sizes = tf.backend_util.prepareSplitSize(
        x as tf.Tensor,
        attrs!.numOrSizeSplits as number[],
        axis,
      );
      const begin = new Array(x.shape.length).fill(0);
      return sizes.map((s) => {
        const size = [...x.shape];
        size[axis] = s;
        const part = slice(x, [...begin], size, backend as unknown as WasmBackendLike);
        begin[axis] += s;
        return part;
      });
    },
  });
}

/**
 * Copies `input[begin : begin + size]` into `out` as runs of contiguous elements: the innermost axes taken whole
 * merge with the last partial one into a single run, and an odometer walks the axes outside it.
 */
function copySlice<T extends Float32Array | Int32Array | Uint8Array>(
  input: T,
  shape: number[],
  begin: number[],
  size: number[],
  out: T,
): void {
  const rank = shape.length;
  if (rank === 0 || out.length === 0) {
    out.set(input.subarray(0, out.length));
    return;
  }
  let axis = rank - 1; // the outermost axis of the run
  while (axis > 0 && size[axis] === shape[axis]) axis--;
  const strides = [...tf.util.computeStrides(shape), 1];
  const run = size[axis] * strides[axis];
  const index = begin.slice(0, axis);
  for (let written = 0; written < out.length; written += run) {
    let from = begin[axis] * strides[axis];
    for (let d = 0; d < axis; d++) from += index[d] * strides[d];
    out.set(input.subarray(from, from + run), written);
    for (let d = axis - 1; d >= 0 && ++index[d] === begin[d] + size[d]; d--) index[d] = begin[d];
  }
}
