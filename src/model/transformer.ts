// Decoder-only transformer of the Llama / Qwen2 family: RMSNorm, rotary position embeddings (half-split, as in HF),
// SwiGLU feed-forward, grouped-query attention, tied or untied embeddings, optional q/k/v bias (Qwen2).
// q, k and v share one fused weight and gate/up another: fewer, larger matMuls are faster on every backend.
import * as tf from '@tensorflow/tfjs-core';
import { fusedAttention, fusedAttentionFits } from './native/attention.ts';
import { attendCached, attendPlaced, type DecodeBuffers } from './native/decode.ts';
import { nativeProductsActive } from './native/kernels.ts';
import { fusedRopeQkv } from './native/layers.ts';
import { causalMask, embedRows, matMul, rmsNorm, swiglu } from './ops.ts';
import { Rng } from './rng.ts';
import { AzrError } from '../errors.ts';

let variableCounter = 0;

export interface TransformerConfig {
  vocabSize: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  /** Key/value heads for grouped-query attention; defaults to nHeads (plain multi-head attention). */
  nKvHeads?: number;
  /** Defaults to dModel / nHeads. */
  headDim?: number;
  /** SwiGLU hidden width. */
  ffnHidden: number;
  maxSeqLen: number;
  ropeTheta?: number;
  normEps?: number;
  tieEmbeddings?: boolean;
  qkvBias?: boolean;
  /** Llama-3.1-style frequency scaling of the rotary embedding; null = plain RoPE. */
  ropeScaling?: Llama3RopeScaling | null;
}

export interface Llama3RopeScaling {
  type: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

export type ResolvedTransformerConfig = Required<TransformerConfig>;

export function resolveConfig(config: TransformerConfig): ResolvedTransformerConfig {
  const resolved: ResolvedTransformerConfig = {
    nKvHeads: config.nHeads,
    headDim: Math.floor(config.dModel / config.nHeads),
    ropeTheta: 10000,
    normEps: 1e-6,
    tieEmbeddings: true,
    qkvBias: false,
    ropeScaling: null,
    ...config,
  };
  if (resolved.nHeads % resolved.nKvHeads !== 0)
    throw new AzrError('MODEL_INVALID', 'nHeads must be a multiple of nKvHeads');
  if (resolved.headDim % 2 !== 0)
    throw new AzrError('MODEL_INVALID', 'headDim must be even (rotary embeddings)');
  return resolved;
}

/** Shapes of every parameter, by name, in a fixed order. */
export function parameterShapes(config: ResolvedTransformerConfig): Array<[string, number[]]> {
  const { vocabSize: v, dModel: d, nHeads: h, nKvHeads: kv, headDim: hd, ffnHidden: f } = config;
  const shapes: Array<[string, number[]]> = [['embed', [v, d]]];
  for (let i = 0; i < config.nLayers; i++) {
    const p = `layers.${i}.`;
    shapes.push([`${p}attnNorm`, [d]], [`${p}wqkv`, [d, (h + 2 * kv) * hd]]);
    if (config.qkvBias) shapes.push([`${p}bqkv`, [(h + 2 * kv) * hd]]);
    shapes.push(
      [`${p}wo`, [h * hd, d]],
      [`${p}ffnNorm`, [d]],
      [`${p}wGateUp`, [d, 2 * f]],
      [`${p}wDown`, [f, d]],
    );
  }
  shapes.push(['finalNorm', [d]]);
  if (!config.tieEmbeddings) shapes.push(['lmHead', [d, v]]);
  return shapes;
}

function initialValue(
  name: string,
  shape: number[],
  config: ResolvedTransformerConfig,
  rng: Rng,
): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  if (name.endsWith('Norm')) return data.fill(1);
  if (name.endsWith('bqkv')) return data;
  // GPT-2 style: residual-branch outputs scaled down with depth.
  const residualOut = name.endsWith('.wo') || name.endsWith('.wDown');
  const std = residualOut ? 0.02 / Math.sqrt(2 * config.nLayers) : 0.02;
  for (let i = 0; i < size; i++) data[i] = rng.normal() * std;
  return data;
}

/** Per-layer attention cache: keys stored transposed ([B, kvHeads, headDim, T]) so decoding never transposes. */
export interface KVCache {
  layers: Array<{ kT: tf.Tensor4D; v: tf.Tensor4D }>;
  length: number;
}

export function disposeCache(cache: KVCache | undefined): void {
  for (const layer of cache?.layers ?? []) tf.dispose([layer.kT, layer.v]);
}

export interface RunInput {
  /** Row-major token ids [batch, seqLen]. */
  ids: Int32Array;
  batch: number;
  seqLen: number;
  /** Rotary positions, one per token [batch * seqLen]. */
  positions: Int32Array;
  /**
   * Additive attention mask broadcastable to [batch, heads, seqLen, cacheLength + seqLen]; none for tokens placed
   * in the buffers (`buffers.places`), whose places say what each attends to.
   */
  mask?: tf.Tensor;
  /** Keys/values of earlier tokens; the result carries the extended cache (new tensors, the input is untouched). */
  cache?: KVCache;
  /**
   * Native products only (src/model/native/decode.ts): preallocated key/value buffers instead of `cache`, written in
   * place; their `length` grows by `seqLen`.
   */
  buffers?: DecodeBuffers;
  wantCache?: boolean;
  /** Only compute logits for the last position of each row. */
  lastOnly?: boolean;
  /** Output projection [dModel, vocab]; pass a precomputed transposed embedding when decoding with tied weights. */
  outputWeight?: tf.Tensor2D;
}

/** What one layer's attention reads and keeps besides its input: the stock cache, or the native decoding buffers. */
interface LayerMemory {
  past?: KVCache['layers'][number];
  buffers?: DecodeBuffers;
  wantCache?: boolean;
}

export class Transformer {
  readonly config: ResolvedTransformerConfig;
  readonly params = new Map<string, tf.Variable>();
  private readonly ropeCos: tf.Tensor2D;
  private readonly ropeSin: tf.Tensor2D;
  private readonly rotateHalf: tf.Tensor2D;
  private readonly causalMasks = new Map<number, tf.Tensor2D>();

  /** `init` is a seed for random initialisation, or initial values for every parameter. */
  constructor(config: TransformerConfig, init: number | Map<string, Float32Array> = 0) {
    this.config = resolveConfig(config);
    const rng = typeof init === 'number' ? new Rng(init) : undefined;
    for (const [name, shape] of parameterShapes(this.config)) {
      const values = rng
        ? initialValue(name, shape, this.config, rng)
        : init instanceof Map
          ? init.get(name)
          : undefined;
      if (!values) throw new AzrError('INTERNAL', `missing initial value for parameter ${name}`);
      this.params.set(
        name,
        tf.variable(tf.tensor(values, shape, 'float32'), true, `azr.${variableCounter++}.${name}`),
      );
    }
    [this.ropeCos, this.ropeSin] = ropeTables(this.config);
    this.rotateHalf = rotateHalfMatrix(this.config.headDim);
  }

  get parameterCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  variables(): tf.Variable[] {
    return [...this.params.values()];
  }

  param(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new AzrError('INTERNAL', `no parameter ${name}`);
    return v;
  }

  /** Causal mask for `t` tokens, built once and reused (never inside a gradient). */
  causalMask(t: number): tf.Tensor2D {
    let mask = this.causalMasks.get(t);
    if (!mask) {
      mask = tf.keep(causalMask(t));
      this.causalMasks.set(t, mask);
    }
    return mask;
  }

  /** Logits [batch, seqLen, vocab] for rows of equal length starting at position 0. The caller disposes the result. */
  forward(ids: number[][]): tf.Tensor3D {
    const batch = ids.length;
    const seqLen = ids[0]?.length ?? 0;
    if (ids.some((row) => row.length !== seqLen))
      throw new AzrError('INTERNAL', 'forward: rows must have equal length');
    return tf.tidy(() => this.logits(Int32Array.from(ids.flat()), batch, seqLen));
  }

  /**
   * Training-path logits for right-padded or equal rows: positions 0..seqLen-1 and a causal mask, or the given
   * positions [batch * seqLen] and additive mask [batch, 1, seqLen, seqLen] (rows sharing a prefix,
   * src/rl/prefix-rows.ts).
   */
  logits(
    ids: Int32Array,
    batch: number,
    seqLen: number,
    layout?: { positions: Int32Array; mask: tf.Tensor },
  ): tf.Tensor3D {
    if (layout) return this.run({ ids, batch, seqLen, ...layout }).logits;
    const positions = new Int32Array(batch * seqLen);
    for (let i = 0; i < positions.length; i++) positions[i] = i % seqLen;
    return this.run({ ids, batch, seqLen, positions, mask: this.causalMask(seqLen) }).logits;
  }

  run(input: RunInput): { logits: tf.Tensor3D; cache?: KVCache } {
    const { batch, seqLen } = input;
    const placed = input.buffers?.places !== undefined;
    const pastLength = input.buffers?.length ?? input.cache?.length ?? 0;
    // Placed tokens (decode.ts) are checked against the buffers, where they go, by the kernel.
    if (!placed && !input.mask) throw new AzrError('INTERNAL', 'run: no attention mask');
    if (!placed && seqLen + pastLength > this.config.maxSeqLen) {
      throw new AzrError(
        'INTERNAL',
        `sequence of ${seqLen + pastLength} exceeds maxSeqLen ${this.config.maxSeqLen}`,
      );
    }
    const d = this.config.dModel;
    const positions = tf.tensor1d(input.positions, 'int32');
    const cos = tf.expandDims(tf.gather(this.ropeCos, positions), 1) as tf.Tensor3D;
    const sin = tf.expandDims(tf.gather(this.ropeSin, positions), 1) as tf.Tensor3D;
    let x = embedRows(this.param('embed') as tf.Tensor2D, input.ids);
    const newCache: KVCache['layers'] = [];
    // Absent only for placed tokens, whose attention does not read it.
    const mask = input.mask as tf.Tensor;
    for (let i = 0; i < this.config.nLayers; i++) {
      const memory = { past: input.cache?.layers[i], buffers: input.buffers, wantCache: input.wantCache };
      const attn = this.attention(i, x, batch, seqLen, cos, sin, mask, memory);
      if (input.wantCache && attn.kT && attn.v) newCache.push({ kT: attn.kT, v: attn.v });
      x = tf.add(x, attn.out);
      x = tf.add(x, this.feedForward(i, x));
    }
    if (input.lastOnly) {
      x = tf.reshape(tf.slice(tf.reshape(x, [batch, seqLen, d]), [0, seqLen - 1, 0], [batch, 1, d]), [
        batch,
        d,
      ]);
    }
    x = rmsNorm(x, this.param('finalNorm') as tf.Tensor1D, this.config.normEps);
    const outputWeight = input.outputWeight ?? this.outputWeight();
    const rows = input.lastOnly ? 1 : seqLen;
    // The sampler may pass a head with extra zero columns (src/model/sampling.ts): the logits are as wide as it.
    const logits = tf.reshape(matMul(x, outputWeight), [batch, rows, outputWeight.shape[1]]) as tf.Tensor3D;
    if (input.buffers && !placed) input.buffers.length += seqLen;
    const cache =
      input.wantCache && !input.buffers ? { layers: newCache, length: pastLength + seqLen } : undefined;
    return { logits, cache };
  }

  /** [dModel, vocab]: the untied head, or the transposed embedding (a new tensor when tied). */
  outputWeight(): tf.Tensor2D {
    return this.config.tieEmbeddings
      ? (tf.transpose(this.param('embed')) as tf.Tensor2D)
      : (this.param('lmHead') as tf.Tensor2D);
  }

  private attention(
    layer: number,
    x: tf.Tensor2D,
    batch: number,
    seqLen: number,
    cos: tf.Tensor3D,
    sin: tf.Tensor3D,
    mask: tf.Tensor,
    memory: LayerMemory,
  ): { out: tf.Tensor2D; kT?: tf.Tensor4D; v?: tf.Tensor4D } {
    const { nHeads: h, nKvHeads: kv, headDim: hd, normEps } = this.config;
    const p = `layers.${layer}.`;
    const tokens = batch * seqLen;
    const normed = rmsNorm(x, this.param(`${p}attnNorm`) as tf.Tensor1D, normEps);
    let qkv = matMul(normed, this.param(`${p}wqkv`));
    if (this.config.qkvBias) qkv = tf.add(qkv, this.param(`${p}bqkv`));
    const wo = this.param(`${p}wo`);
    const native = this.nativeAttention(layer, batch, seqLen, qkv, cos, sin, mask, memory);
    if (native) return { out: matMul(native, wo) };
    const [q, k, v] = tf.split(qkv, [h * hd, kv * hd, kv * hd], 1);
    const qRot = tf.mul(this.rope(q, tokens, h, cos, sin), 1 / Math.sqrt(hd));
    const kRot = this.rope(k, tokens, kv, cos, sin);
    const qHeads = tf.transpose(tf.reshape(qRot, [batch, seqLen, h, hd]), [0, 2, 1, 3]);
    let kT = tf.transpose(tf.reshape(kRot, [batch, seqLen, kv, hd]), [0, 2, 3, 1]) as tf.Tensor4D;
    let vHeads = tf.transpose(tf.reshape(v, [batch, seqLen, kv, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
    const { past } = memory;
    if (past) {
      kT = tf.concat([past.kT, kT], 3);
      vHeads = tf.concat([past.v, vHeads], 2);
    }
    const keys = kT.shape[3];
    const group = h / kv;
    // Query heads that share a kv head are stacked along the time axis: no copies of k/v per query head.
    const grouped = tf.reshape(qHeads, [batch, kv, group * seqLen, hd]);
    const scores = tf.reshape(matMul(grouped, kT), [batch, h, seqLen, keys]);
    const probs = tf.softmax(tf.add(scores, mask));
    const mixed = matMul(tf.reshape(probs, [batch, kv, group * seqLen, keys]), vHeads);
    const merged = tf.reshape(tf.transpose(tf.reshape(mixed, [batch, h, seqLen, hd]), [0, 2, 1, 3]), [
      tokens,
      h * hd,
    ]);
    return { out: matMul(merged, wo) as tf.Tensor2D, kT, v: vHeads };
  }

  /**
   * Attention on the native kernels (src/model/native) from the packed projection qkv, as [tokens, heads · headDim]:
   * over the decoding buffers, or the fused training kernel; null where the composed ops must run (the stock path,
   * a concatenated cache, a mask of another shape).
   */
  private nativeAttention(
    layer: number,
    batch: number,
    seqLen: number,
    qkv: tf.Tensor2D,
    cos: tf.Tensor3D,
    sin: tf.Tensor3D,
    mask: tf.Tensor,
    memory: LayerMemory,
  ): tf.Tensor2D | null {
    const { nHeads: h, nKvHeads: kv, headDim: hd } = this.config;
    const tokens = batch * seqLen;
    const fused =
      !memory.buffers &&
      !memory.past &&
      !memory.wantCache &&
      nativeProductsActive() &&
      fusedAttentionFits(batch, seqLen, mask);
    if (!memory.buffers && !fused) return null;
    const perToken = (table: tf.Tensor) => tf.reshape(table, [tokens, hd]) as tf.Tensor2D;
    const rotated = fusedRopeQkv(qkv, perToken(cos), perToken(sin), h, kv, 1 / Math.sqrt(hd));
    const packed = tf.reshape(rotated, [batch, seqLen, (h + 2 * kv) * hd]) as tf.Tensor3D;
    const mixed = memory.buffers?.places
      ? attendPlaced(packed, h, memory.buffers, layer)
      : memory.buffers
        ? attendCached(packed, h, memory.buffers, layer, mask)
        : fusedAttention(packed, h, kv, mask);
    return tf.reshape(mixed, [tokens, h * hd]) as tf.Tensor2D;
  }

  /** x [tokens, heads * hd] → rotated [tokens, heads, hd]; rotate_half as a matMul keeps it to four ops. */
  private rope(x: tf.Tensor, tokens: number, heads: number, cos: tf.Tensor3D, sin: tf.Tensor3D): tf.Tensor3D {
    const hd = this.config.headDim;
    const rotated = tf.reshape(matMul(tf.reshape(x, [tokens * heads, hd]), this.rotateHalf), [
      tokens,
      heads,
      hd,
    ]);
    return tf.add(tf.mul(tf.reshape(x, [tokens, heads, hd]), cos), tf.mul(rotated, sin)) as tf.Tensor3D;
  }

  private feedForward(layer: number, x: tf.Tensor2D): tf.Tensor2D {
    const p = `layers.${layer}.`;
    const normed = rmsNorm(x, this.param(`${p}ffnNorm`) as tf.Tensor1D, this.config.normEps);
    return matMul(swiglu(matMul(normed, this.param(`${p}wGateUp`))), this.param(`${p}wDown`));
  }

  /** Parameter values as Float32Arrays (copies), by name. */
  weights(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [name, v] of this.params) out.set(name, v.dataSync() as Float32Array);
    return out;
  }

  setWeights(weights: Map<string, Float32Array>): void {
    for (const [name, v] of this.params) {
      const data = weights.get(name);
      if (!data) throw new AzrError('MODEL_INVALID', `missing weights for ${name}`);
      if (data.length !== v.size)
        throw new AzrError('MODEL_INVALID', `weights for ${name}: ${data.length} values, expected ${v.size}`);
      tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
    }
  }

  dispose(): void {
    tf.dispose([
      ...this.params.values(),
      this.ropeCos,
      this.ropeSin,
      this.rotateHalf,
      ...this.causalMasks.values(),
    ]);
    this.params.clear();
    this.causalMasks.clear();
  }
}

function ropeTables(config: ResolvedTransformerConfig): [tf.Tensor2D, tf.Tensor2D] {
  const { maxSeqLen: t, headDim: hd, ropeTheta } = config;
  const half = hd / 2;
  const cos = new Float32Array(t * hd);
  const sin = new Float32Array(t * hd);
  const frequencies = Array.from({ length: half }, (_, i) =>
    scaleFrequency(1 / ropeTheta ** ((2 * i) / hd), config),
  );
  for (let pos = 0; pos < t; pos++) {
    for (let i = 0; i < half; i++) {
      const angle = pos * frequencies[i];
      cos[pos * hd + i] = cos[pos * hd + i + half] = Math.cos(angle);
      sin[pos * hd + i] = sin[pos * hd + i + half] = Math.sin(angle);
    }
  }
  return [tf.tensor2d(cos, [t, hd]), tf.tensor2d(sin, [t, hd])];
}

/** Llama 3.1 rope scaling: long wavelengths slowed by `factor`, short ones kept, a smooth blend in between. */
function scaleFrequency(frequency: number, config: ResolvedTransformerConfig): number {
  const scaling = config.ropeScaling;
  if (!scaling) return frequency;
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: context } = scaling;
  const wavelength = (2 * Math.PI) / frequency;
  if (wavelength < context / highFreqFactor) return frequency;
  if (wavelength > context / lowFreqFactor) return frequency / factor;
  const smooth = (context / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
  return ((1 - smooth) * frequency) / factor + smooth * frequency;
}

/** R with x @ R = concat(-x[half:], x[:half]) (HF's rotate_half). */
function rotateHalfMatrix(hd: number): tf.Tensor2D {
  const half = hd / 2;
  const r = new Float32Array(hd * hd);
  for (let i = 0; i < half; i++) {
    r[(i + half) * hd + i] = -1;
    r[i * hd + i + half] = 1;
  }
  return tf.tensor2d(r, [hd, hd]);
}
