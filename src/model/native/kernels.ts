// Native products for the wasm backend: BatchMatMul and the plain _FusedMatMul (no bias, no activation) run as one
// cblas_sgemm call per batch, in place on the wasm heap. Anything else (non-float32, general broadcasts, empty
// operands, a bias or an activation) goes to the stock kernel. Installed once; `setNativeEnabled` switches between
// the native and stock paths at any time (the AZR_NATIVE=0 / `native: false` path, and the parity tests).
import * as tf from '@tensorflow/tfjs-core';
import { loadAddon, type NativeAddon } from './addon.ts';
import { registerAttentionKernels } from './attention.ts';
import { registerDecodeKernel } from './decode.ts';

/** The parts of tfjs-backend-wasm's BackendWasm the kernels use. */
export interface WasmBackendInternals {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

export type NativeStatus = { active: true; blas: string } | { active: false; reason: string };

let installedWith: NativeAddon | undefined;
let enabled = false;
let nativeCalls = 0;

/** How many products ran natively so far (tests check that the native kernels, not the fallback, ran). */
export function nativeProductCount(): number {
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
    installedWith = load.addon;
  }
  enabled = true;
  return { active: true, blas: load.blas };
}

/** For tests and benchmarks: switch products between the native and the stock kernels. */
export function setNativeEnabled(on: boolean): void {
  if (on && !installedWith) throw new Error('native products are not installed');
  enabled = on;
}

type Operands = [tf.TensorInfo, tf.TensorInfo, tf.NamedAttrMap] | null;

function register(
  kernelName: string,
  addon: NativeAddon,
  operands: (inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => Operands,
): void {
  const stock = tf.getKernel(kernelName, 'wasm');
  if (!stock) throw new Error(`tfjs-backend-wasm has no ${kernelName} kernel`);
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
  backend: WasmBackendInternals,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  plan: ProductPlan,
): tf.TensorInfo {
  nativeCalls++;
  const out = backend.makeOutput(plan.outShape, 'float32');
  // Offsets and the heap are read after makeOutput: growing the heap replaces its ArrayBuffer.
  const offset = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
  addon.sgemm(
    backend.wasm.HEAPU8.buffer as ArrayBuffer,
    plan.batch,
    plan.m,
    plan.n,
    plan.k,
    plan.transA ? 1 : 0,
    plan.transB ? 1 : 0,
    offset(a),
    plan.aStride,
    offset(b),
    plan.bStride,
    offset(out),
  );
  return out;
}
