// Loads build/azr_native.node (see build.ts) and says why not when it cannot: not built, or no BLAS on the system.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { nativeBinary } from './build.ts';

/**
 * A native kernel: the wasm heap, then numbers (sizes; byte offsets into the heap, read after every output was
 * allocated; strides in floats). Each function's argument order is documented above it in cc/*.cc.
 */
export type HeapCall = (heap: ArrayBuffer, ...args: number[]) => void;

export interface NativeAddon {
  info(): ({ blasLoaded: true; blas: string } | { blasLoaded: false; error: string }) & { amx: boolean };
  /** This thread's products: bfloat16 on AMX (true) or float32 through the BLAS; returns whether bfloat16 is on. */
  setProducts(bfloat16: boolean): boolean;
  /** C[i] = op(A[i]) @ op(B[i]) for i < batch, row-major; a batch stride of 0 reuses one matrix for every i. */
  sgemm: HeapCall;
  attendCached: HeapCall;
  attendPlaced: HeapCall;
  attention: HeapCall;
  attentionGrad: HeapCall;
  swiglu: HeapCall;
  swigluGrad: HeapCall;
  rmsNorm: HeapCall;
  rmsNormGrad: HeapCall;
  ropeQkv: HeapCall;
  ropeQkvGrad: HeapCall;
  tokenLogprobs: HeapCall;
  tokenLogprobsGrad: HeapCall;
}

/** `azr setup` builds the addon (npm's install, prestart and pretest hooks run it). */
export const BUILD_COMMAND = 'npm run setup';
export const BLAS_INSTALL_COMMAND = 'apt-get install -y libopenblas0-pthread';

export type AddonLoad = { ok: true; addon: NativeAddon; blas: string } | { ok: false; reason: string };

let loaded: AddonLoad | undefined;

export function loadAddon(): AddonLoad {
  loaded ??= load();
  return loaded;
}

function load(): AddonLoad {
  if (!existsSync(nativeBinary)) return { ok: false, reason: `not built (run: ${BUILD_COMMAND})` };
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(nativeBinary) as NativeAddon;
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    return { ok: false, reason: `failed to load ${nativeBinary}: ${message} (rebuild: ${BUILD_COMMAND})` };
  }
  const info = addon.info();
  if (!info.blasLoaded) {
    return { ok: false, reason: `library missing: ${info.error} (install: ${BLAS_INSTALL_COMMAND})` };
  }
  return { ok: true, addon, blas: info.blas };
}
