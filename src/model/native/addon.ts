// Loads build/azr_native.node (see build.ts) and says why not when it cannot: not built, or no BLAS on the system.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { nativeBinary } from './build.ts';

/** The addon's functions; every offset is a byte offset into the wasm heap, every stride a count of floats. */
export interface NativeAddon {
  info(): { blasLoaded: true; blas: string } | { blasLoaded: false; error: string };
  /** C[i] = op(A[i]) @ op(B[i]) for i < batch, row-major; a batch stride of 0 reuses one matrix for every i. */
  sgemm(
    heap: ArrayBuffer,
    batch: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    aOffset: number,
    aBatchStride: number,
    bOffset: number,
    bBatchStride: number,
    cOffset: number,
  ): void;
  /** See decode.ts `attendCached`; writes the new keys/values into the caches in place. */
  attendCached(
    heap: ArrayBuffer,
    batch: number,
    steps: number,
    heads: number,
    kvHeads: number,
    headDim: number,
    capacity: number,
    at: number,
    qOffset: number,
    kNewOffset: number,
    vNewOffset: number,
    kCacheOffset: number,
    vCacheOffset: number,
    maskOffset: number,
    outOffset: number,
  ): void;
  /** See attention.ts: the training-path attention and its gradient. */
  attention(
    heap: ArrayBuffer,
    batch: number,
    seq: number,
    heads: number,
    kvHeads: number,
    headDim: number,
    maskBatchStride: number,
    qOffset: number,
    kOffset: number,
    vOffset: number,
    maskOffset: number,
    probsOffset: number,
    outOffset: number,
  ): void;
  attentionGrad(
    heap: ArrayBuffer,
    batch: number,
    seq: number,
    heads: number,
    kvHeads: number,
    headDim: number,
    qOffset: number,
    kOffset: number,
    vOffset: number,
    probsOffset: number,
    dOutOffset: number,
    dqOffset: number,
    dkOffset: number,
    dvOffset: number,
  ): void;
}

export const BUILD_COMMAND = 'node --import tsx src/model/native/build.ts';
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
