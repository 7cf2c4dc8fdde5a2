// Native kernels for the wasm backend. Products: BatchMatMul and the plain _FusedMatMul (no bias, no activation) run
// as one cblas_sgemm call per batch, in place on the wasm heap; anything else (non-float32, general broadcasts, empty
// operands, a bias or an activation) goes to the stock kernel. The fused layers (attention.ts, decode.ts, layers.ts)
// register here too; callers pick them with `nativeProductsActive()`. Installed once; `setNativeEnabled` switches
// between the native and stock paths at any time (the AZR_NATIVE=0 / `native: false` path, and the parity tests).
import * as tf from '@tensorflow/tfjs-core';
import { loadAddon, type NativeAddon } from './addon.ts';
import { registerAttentionKernels } from './attention.ts';
import { registerDecodeKernel } from './decode.ts';
import { registerLayerKernels } from './layers.ts';
import { AzrError } from '../../errors.ts';

let installedWith: NativeAddon | undefined;
let enabled = false;
let precision: ProductPrecision = 'float32';
let nativeCalls = 0;

/** The parts of tfjs-backend-wasm's BackendWasm the kernels use. */
export interface WasmBackendInternals {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/**
 * Allocates `outputs` (float32 shapes) on the wasm heap, then calls `call` with the heap and a function giving any
 * tensor's byte offset: both are read only after every output exists, because growing the heap replaces its buffer.
 */
export function runOnHeap(
  backend: unknown,
  outputs: number[][],
  call: (heap: ArrayBuffer, offset: (t: tf.TensorInfo) => number, outs: tf.TensorInfo[]) => void,
): tf.TensorInfo[] {
  nativeCalls++;
  const wasm = backend as WasmBackendInternals;
  const outs = outputs.map((shape) => wasm.makeOutput(shape, 'float32'));
  call(wasm.wasm.HEAPU8.buffer as ArrayBuffer, (t) => wasm.dataIdMap.get(t.dataId).memoryOffset, outs);
  return outs;
}

export type NativeStatus = { active: true; blas: string } | { active: false; reason: string };

/** How the native products multiply: float32 through the BLAS, or bfloat16 operands on AMX (cc/amx.cc). */
export type ProductPrecision = 'float32' | 'bfloat16';

/** How many native kernels ran so far (tests check that the native kernels, not the fallbacks, ran). */
export function nativeKernelCount(): number {
  return nativeCalls;
}

/** True while products on the wasm backend run through the native BLAS. */
export function nativeProductsActive(): boolean {
  return enabled && installedWith !== undefined && tf.getBackend() === 'wasm';
}

/**
 * Registers the native kernels (before or after the wasm backend starts) and turns them on or off. `disabledBy`
 * names why the user turned them off (an option, AZR_NATIVE=0); the status says what is in effect.
 */
export function installNativeProducts(disabledBy?: string): NativeStatus {
  if (disabledBy) {
    enabled = false;
    return { active: false, reason: `turned off by ${disabledBy}` };
  }
  const load = loadAddon();
  if (!load.ok) {
    enabled = false;
    return { active: false, reason: load.reason };
  }
  if (!installedWith) {
    register('BatchMatMul', load.addon, (inputs, attrs) => [inputs.a!, inputs.b!, attrs]);
    register('_FusedMatMul', load.addon, (inputs, attrs) =>
      inputs.bias || inputs.preluActivationWeights || (attrs.activation ?? 'linear') !== 'linear'
        ? null
        : [inputs.a!, inputs.b!, attrs],
    );
    registerDecodeKernel(load.addon);
    registerAttentionKernels(load.addon);
    registerLayerKernels(load.addon);
    installedWith = load.addon;
  }
  enabled = true;
  return { active: true, blas: load.blas };
}

/**
 * This thread's products from now on (tfjs's backend, and so this setting, is per thread). bfloat16 rounds both
 * operands of every product to bfloat16 and keeps the sums in float32, as mixed-precision training does; it needs
 * native products and Intel AMX, and says so when either is missing.
 */
export function setProductPrecision(wanted: ProductPrecision): void {
  if (wanted === 'bfloat16') {
    const missing = bfloat16Unavailable();
    if (missing) throw new AzrError('BACKEND_UNAVAILABLE', missing);
    installedWith!.setProducts(true);
  } else installedWith?.setProducts(false);
  precision = wanted;
}

/** Why bfloat16 products can't run on this thread, or undefined where they can. */
export function bfloat16Unavailable(): string | undefined {
  if (!installedWith || !enabled) return 'bfloat16 products need native products on the wasm backend';
  if (!installedWith.info().amx)
    return 'bfloat16 products need Intel AMX (Xeon Sapphire Rapids or later, Linux ≥ 5.16), which this machine lacks: use float32';
  return undefined;
}

/** This thread's product precision. */
export function productPrecision(): ProductPrecision {
  return precision;
}

/** For tests and benchmarks: switch products between the native and the stock kernels. */
export function setNativeEnabled(on: boolean): void {
  if (on && !installedWith) throw new AzrError('BACKEND_UNAVAILABLE', 'native products are not installed');
  enabled = on;
}

type Operands = [tf.TensorInfo, tf.TensorInfo, tf.NamedAttrMap] | null;

function register(
  kernelName: string,
  addon: NativeAddon,
  operands: (inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => Operands,
): void {
  const stock = tf.getKernel(kernelName, 'wasm');
  if (!stock) throw new AzrError('BACKEND_UNAVAILABLE', `tfjs-backend-wasm has no ${kernelName} kernel`);
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    // The stock kernel's setup (its cwrap) must still run: it is the fallback.
    setupFunc: stock.setupFunc,
    kernelFunc: (args) => {
      const chosen = enabled ? operands(args.inputs, args.attrs ?? {}) : null;
      const plan = chosen && planProduct(chosen[0], chosen[1], chosen[2]);
      if (!chosen || !plan) return stock.kernelFunc(args);
      return nativeProduct(
        addon,
        args.backend as unknown as WasmBackendInternals,
        chosen[0],
        chosen[1],
        plan,
      );
    },
  });
}

export interface ProductPlan {
  outShape: number[];
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** Floats between consecutive batch matrices; 0 when one matrix serves the whole batch. */
  aStride: number;
  bStride: number;
}

/** How one BLAS loop computes `a @ b`, or null when the stock kernel should (see the file comment). */
export function planProduct(a: tf.TensorInfo, b: tf.TensorInfo, attrs: tf.NamedAttrMap): ProductPlan | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const transA = Boolean(attrs.transposeA);
  const transB = Boolean(attrs.transposeB);
  const [a0, a1] = a.shape.slice(-2);
  const [b0, b1] = b.shape.slice(-2);
  const [m, k] = transA ? [a1, a0] : [a0, a1];
  const [kB, n] = transB ? [b1, b0] : [b0, b1];
  if (k !== kB || m * n * k === 0) return null;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  let outer: number[];
  if (batchA === batchB && tf.util.arraysEqual(outerA, outerB)) outer = outerA;
  else if (batchA === 1 || batchB === 1) {
    outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  } else return null;
  const batch = Math.max(batchA, batchB);
  return {
    outShape: [...outer, m, n],
    batch,
    m,
    n,
    k,
    transA,
    transB,
    aStride: batchA === 1 ? 0 : m * k,
    bStride: batchB === 1 ? 0 : k * n,
  };
}

function nativeProduct(
  addon: NativeAddon,
  backend: unknown,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  plan: ProductPlan,
): tf.TensorInfo {
  const { batch, m, n, k, transA, transB, aStride, bStride } = plan;
  return runOnHeap(backend, [plan.outShape], (heap, at, [out]) =>
    addon.sgemm(
      heap,
      batch,
      m,
      n,
      k,
      transA ? 1 : 0,
      transB ? 1 : 0,
      at(a),
      aStride,
      at(b),
      bStride,
      at(out),
    ),
  )[0];
}
