// Batched autoregressive sampling with a KV cache. Prompts of different lengths are left-padded; pad keys are masked
// and rotary positions start at 0 for every row, so a row's tokens do not depend on the other rows in the batch.
// Token choice runs in JS on the logits of the last position: temperature, top-p, the logits-mask hook and the
// seeded RNG all see exactly the numbers the model produced, on every backend. Each row draws from its own random
// stream (the seed and the row's index in the whole request), and `padTo` fixes the padded prompt length, so a row's
// tokens are the same in any batch that holds it: a request split into shards over generation replicas samples
// what one generator would (docs/distributed.md, "Scaling generation"). With native decoding buffers, the tokens a
// mask forces (it allows exactly one) are fed in the run of the sampled token before them (`feedForced`,
// docs/native.md): the same tokens and log-probabilities in fewer runs.
import * as tf from '@tensorflow/tfjs-core';
import { allocateDecodeBuffers, type DecodeBuffers, disposeDecodeBuffers } from './native/decode.ts';
import { nativeProductsActive } from './native/kernels.ts';
import { NEG_INF } from './ops.ts';
import { Rng } from './rng.ts';
import { disposeCache, type KVCache, type Transformer } from './transformer.ts';
import { AzrError } from '../errors.ts';

/**
 * Grammar-constrained decoding hook: given the tokens generated so far in a row (prompt excluded), returns the
 * allowed next token ids, a mask over the vocabulary (non-zero = allowed), or null for no constraint.
 * An empty allowance ends the row (finish reason 'mask').
 */
export type LogitsMask = (tokensSoFar: number[], row: number) => number[] | Uint8Array | null;

/**
 * A prior over the next token: additive logits by token id, or null for none. It changes which token is chosen,
 * not the recorded log-probabilities (those stay the model's: the learner's PPO ratio needs them).
 */
export type LogitsBias = (tokensSoFar: number[], row: number) => ReadonlyMap<number, number> | null;

export interface SampleOptions {
  /** New tokens per row; capped so that prompt + output fit in the model's maxSeqLen. */
  maxTokens: number;
  /** 0 = greedy. Default 1. */
  temperature?: number;
  /** Nucleus sampling threshold in (0, 1]. Default 1 (off). */
  topP?: number;
  /** A row ends once its decoded text contains one of these; the completing token is kept. Needs `decode`. */
  stop?: string[];
  decode?: (ids: number[]) => string;
  /** A row ends after emitting one of these tokens (kept in the output). */
  stopTokenIds?: number[];
  /** One random source for all rows (advanced in place); without it, each row has its own stream from `seed`. */
  rng?: Rng;
  seed?: number;
  /** The index of the first row in the whole request: row r draws from `Rng.forRow(seed, firstRow + r)`. Default 0. */
  firstRow?: number;
  /**
   * Left-pad every prompt to at least this many tokens (the longest prompt of the whole request, when this batch is
   * one shard of it): a row's numbers depend on its padding, not on the other rows.
   */
  padTo?: number;
  logitsMask?: LogitsMask;
  logitsBias?: LogitsBias;
  /** Recompute the whole sequence every step instead of using the KV cache (reference path for tests). */
  useCache?: boolean;
  /**
   * With native decoding buffers, feed the tokens a mask forces (it allows exactly one) in the same run as the
   * sampled token before them: a grammar's fixed text then costs one run, not one a character. Default true; false
   * feeds one token a run, with the same results (the reference path for tests and `npm run bench -- sampling`).
   */
  feedForced?: boolean;
}

export type FinishReason = 'stop' | 'length' | 'mask';

export interface SampleResult {
  tokens: number[][];
  /**
   * Per token: log-probability under the model's full distribution at temperature 1 (before mask, temperature and
   * top-p), i.e. exactly what the learner recomputes for the PPO ratio.
   */
  logprobs: number[][];
  finishReasons: FinishReason[];
}

/** The sampler's logits are computed this many columns at a time (`paddedHead`). */
const LOGIT_COLUMNS = 16;

export function sample(model: Transformer, prompts: number[][], options: SampleOptions): SampleResult {
  const batch = prompts.length;
  const vocab = model.config.vocabSize;
  const shared = options.rng;
  const seed = options.seed ?? 0;
  const firstRow = options.firstRow ?? 0;
  const rngs = prompts.map((_, row) => shared ?? Rng.forRow(seed, firstRow + row));
  const temperature = options.temperature ?? 1;
  const topP = options.topP ?? 1;
  if (options.stop?.length && !options.decode)
    throw new AzrError('INTERNAL', 'sample: `stop` strings need a `decode` function');
  if (prompts.some((p) => p.length === 0)) throw new AzrError('INTERNAL', 'sample: empty prompt');
  const promptLen = Math.max(options.padTo ?? 0, ...prompts.map((p) => p.length));
  const pads = prompts.map((p) => promptLen - p.length);
  const maxTokens = Math.min(options.maxTokens, model.config.maxSeqLen - promptLen);
  const stopTokens = new Set(options.stopTokenIds ?? []);

  const tokens: number[][] = prompts.map(() => []);
  const logprobs: number[][] = prompts.map(() => []);
  const finishReasons: Array<FinishReason | undefined> = prompts.map(() => undefined);
  // The head padded with zero columns to a multiple of LOGIT_COLUMNS: see `paddedHead`.
  const { weight: outputWeight, owned } = paddedHead(model);
  const columns = outputWeight.shape[1];
  let cache: KVCache | undefined;
  // With native products the cache is one set of buffers for the whole call, written in place.
  const { nLayers, nKvHeads, headDim } = model.config;
  const buffers =
    nativeProductsActive() && options.useCache !== false
      ? allocateDecodeBuffers(nLayers, batch, nKvHeads, promptLen + maxTokens, headDim)
      : undefined;
  /** The allowance of row's next token (a mask over the vocabulary, or null: anything). */
  const allowance = (row: number) => allowedMask(options.logitsMask?.(tokens[row], row) ?? null, vocab);
  /** Appends a token (its log-probability NaN until known) and ends the row at a stop or at its last token. */
  const append = (row: number, token: number, logprob: number) => {
    tokens[row].push(token);
    logprobs[row].push(logprob);
    if (stopTokens.has(token) || endsWithStop(options, tokens[row])) finishReasons[row] = 'stop';
    else if (tokens[row].length >= maxTokens) finishReasons[row] = 'length';
  };
  try {
    // The rows still generating, in order: a row that finished is no longer fed (its tokens are final).
    let live = prompts.map((_, row) => row);
    const prompted = forwardStep(model, prompts, pads, tokens, live, undefined, outputWeight, buffers);
    cache = prompted.cache;
    /** Each live row's logits for its next token. */
    let next = new Map(
      live.map((row, i) => [row, prompted.values.subarray(i * columns, i * columns + vocab)]),
    );
    /** A row's allowance for its next token when the search for forced tokens already asked for it. */
    const known = new Map<number, Uint8Array | null>();
    while (live.length > 0 && maxTokens > 0) {
      // What each row feeds next: the token it samples, then (with the buffers, which place tokens row by row)
      // every token its mask forces after it: a grammar's fixed text costs one run, not one run a character.
      const fed: Array<{ row: number; chunk: number[] }> = [];
      for (const row of live) {
        const rowLogits = next.get(row)!;
        const allowed = known.has(row) ? known.get(row)! : allowance(row);
        known.delete(row);
        const bias = options.logitsBias?.(tokens[row], row);
        const token = chooseToken(
          bias ? biased(rowLogits, bias) : rowLogits,
          allowed,
          temperature,
          topP,
          rngs[row]!,
        );
        if (token < 0) {
          finishReasons[row] = 'mask';
          continue;
        }
        append(row, token, logSoftmaxAt(rowLogits, token));
        const chunk = [token];
        while (buffers && options.feedForced !== false && finishReasons[row] === undefined) {
          const after = allowance(row);
          const forced = soleToken(after);
          if (forced === undefined) {
            known.set(row, after);
            break;
          }
          if (forced < 0) finishReasons[row] = 'mask';
          else {
            append(row, forced, Number.NaN);
            chunk.push(forced);
          }
        }
        // A finished row is fed only for its forced tokens' log-probabilities.
        if (finishReasons[row] === undefined || chunk.length > 1) fed.push({ row, chunk });
      }
      if (fed.length === 0) break;
      if (buffers) next = placedStep(model, fed, tokens, logprobs, promptLen, pads, outputWeight, buffers);
      else {
        const rows = fed.map(({ row }) => row);
        if (rows.length < live.length) cache = keptRows(cache, live, rows);
        const step = forwardStep(
          model,
          prompts,
          pads,
          tokens,
          rows,
          options.useCache === false ? undefined : cache,
          outputWeight,
        );
        disposeCache(cache);
        cache = step.cache;
        next = new Map(rows.map((row, i) => [row, step.values.subarray(i * columns, i * columns + vocab)]));
      }
      live = fed.map(({ row }) => row).filter((row) => finishReasons[row] === undefined);
    }
  } finally {
    disposeCache(cache);
    disposeDecodeBuffers(buffers);
    if (owned) outputWeight.dispose();
  }
  return { tokens, logprobs, finishReasons: finishReasons.map((r) => r ?? 'length') };
}

/**
 * The output head [dModel, vocab] with zero columns added up to a multiple of LOGIT_COLUMNS (their logits are never
 * read), kept; `owned` when it is a new tensor the caller disposes. OpenBLAS computes a product whose output width is
 * not a multiple of its kernel's (16 floats) by another path once the batch grows (measured: vocab 97 at 120 rows),
 * and the two differ in the last bit: a row's logits would then depend on how many rows share its batch.
 */
function paddedHead(model: Transformer): { weight: tf.Tensor2D; owned: boolean } {
  const head = model.outputWeight();
  const vocab = model.config.vocabSize;
  const columns = Math.ceil(vocab / LOGIT_COLUMNS) * LOGIT_COLUMNS;
  if (columns === vocab) return { weight: tf.keep(head), owned: model.config.tieEmbeddings };
  const weight = tf.keep(
    tf.pad(head, [
      [0, 0],
      [0, columns - vocab],
    ]),
  );
  if (model.config.tieEmbeddings) head.dispose();
  return { weight, owned: true };
}

/**
 * Feeds every row's chunk in one run, each token at its own place in the decoding buffers (decode.ts
 * `attendPlaced`), fills in the log-probabilities of the chunks' forced tokens (NaN until now), and returns each
 * row's logits for its next token.
 */
function placedStep(
  model: Transformer,
  fed: ReadonlyArray<{ row: number; chunk: readonly number[] }>,
  tokens: readonly number[][],
  logprobs: number[][],
  promptLen: number,
  pads: readonly number[],
  outputWeight: tf.Tensor2D,
  buffers: DecodeBuffers,
): Map<number, Float32Array> {
  const total = fed.reduce((sum, { chunk }) => sum + chunk.length, 0);
  const ids = new Int32Array(total);
  const positions = new Int32Array(total);
  const places = new Int32Array(3 * total);
  let k = 0;
  for (const { row, chunk } of fed) {
    const first = tokens[row]!.length - chunk.length;
    chunk.forEach((token, j) => {
      const at = promptLen + first + j;
      ids[k] = token;
      positions[k] = at - pads[row]!;
      places.set([row, at, pads[row]!], 3 * k++);
    });
  }
  buffers.places = places;
  let values: Float32Array;
  try {
    const logits = tf.tidy(
      () => model.run({ ids, batch: 1, seqLen: total, positions, buffers, outputWeight }).logits,
    );
    values = logits.dataSync() as Float32Array;
    logits.dispose();
  } finally {
    buffers.places = undefined;
  }
  const vocab = model.config.vocabSize;
  const columns = outputWeight.shape[1];
  const logitsAt = (i: number) => values.subarray(i * columns, i * columns + vocab);
  const next = new Map<number, Float32Array>();
  k = 0;
  for (const { row, chunk } of fed) {
    const first = tokens[row]!.length - chunk.length;
    for (let j = 1; j < chunk.length; j++)
      logprobs[row]![first + j] = logSoftmaxAt(logitsAt(k + j - 1), chunk[j]!);
    next.set(row, logitsAt(k + chunk.length - 1));
    k += chunk.length;
  }
  return next;
}

/**
 * The stock cache of rows `live` cut down to rows `kept` (a subsequence of `live`): its rows are live's, in order.
 * The cache given is disposed.
 */
function keptRows(cache: KVCache | undefined, live: number[], kept: number[]): KVCache | undefined {
  if (!cache) return undefined;
  const at = new Map(live.map((row, i) => [row, i]));
  const indices = tf.tensor1d(
    kept.map((row) => at.get(row)!),
    'int32',
  );
  const layers = cache.layers.map((layer) => ({
    kT: tf.gather(layer.kT, indices) as tf.Tensor4D,
    v: tf.gather(layer.v, indices) as tf.Tensor4D,
  }));
  indices.dispose();
  disposeCache(cache);
  return { layers, length: cache.length };
}

/**
 * Logits of the next position for rows `live`, in that order (rows that finished are not fed). With `cache`, only
 * each row's newest token is fed; without, the whole left-padded sequence (prompt + generated) is recomputed. With
 * `buffers`, it runs the prompt only, and writes its keys and values there (later tokens: `placedStep`).
 */
function forwardStep(
  model: Transformer,
  prompts: number[][],
  pads: number[],
  generated: number[][],
  live: readonly number[],
  cache: KVCache | undefined,
  outputWeight: tf.Tensor2D,
  buffers?: DecodeBuffers,
): { values: Float32Array; cache: KVCache | undefined } {
  const batch = live.length;
  const promptLen = prompts[0].length + pads[0];
  const steps = generated[live[0]!]!.length; // every live row has as many tokens
  const total = promptLen + steps;
  const start = cache ? total - 1 : 0;
  const seqLen = total - start;
  const ids = new Int32Array(batch * seqLen);
  const positions = new Int32Array(batch * seqLen);
  const mask = new Float32Array(batch * seqLen * total);
  live.forEach((row, i) => {
    const pad = pads[row];
    const sequence = prompts[row];
    const own = generated[row];
    for (let t = 0; t < seqLen; t++) {
      const at = start + t;
      ids[i * seqLen + t] = at < pad ? 0 : at < promptLen ? sequence[at - pad] : own[at - promptLen]!;
      positions[i * seqLen + t] = Math.max(0, at - pad);
      const maskRow = (i * seqLen + t) * total;
      for (let key = 0; key < total; key++) if (key < pad || key > at) mask[maskRow + key] = NEG_INF;
    }
  });
  const [logits, ...kv] = tf.tidy(() => {
    const result = model.run({
      ids,
      batch,
      seqLen,
      positions,
      mask: tf.tensor4d(mask, [batch, 1, seqLen, total]),
      cache,
      buffers,
      wantCache: !buffers,
      lastOnly: true,
      outputWeight,
    });
    return [result.logits, ...(result.cache?.layers.flatMap((layer) => [layer.kT, layer.v]) ?? [])];
  });
  const values = logits.dataSync() as Float32Array;
  logits.dispose();
  if (buffers) return { values, cache: undefined };
  const layers = [];
  for (let i = 0; i < kv.length; i += 2)
    layers.push({ kT: kv[i] as tf.Tensor4D, v: kv[i + 1] as tf.Tensor4D });
  return { values, cache: { layers, length: total } };
}

function biased(logits: Float32Array, bias: ReadonlyMap<number, number>): Float32Array {
  const out = Float32Array.from(logits);
  for (const [id, b] of bias) out[id] += b;
  return out;
}

/** The one token `allowed` permits; -1 when it permits none, undefined when several (or anything: null). */
function soleToken(allowed: Uint8Array | null): number | undefined {
  if (allowed === null) return undefined;
  let sole = -1;
  for (let i = 0; i < allowed.length; i++) {
    if (!allowed[i]) continue;
    if (sole >= 0) return undefined;
    sole = i;
  }
  return sole;
}

function allowedMask(allowance: number[] | Uint8Array | null, vocab: number): Uint8Array | null {
  if (allowance === null || allowance instanceof Uint8Array) return allowance;
  const mask = new Uint8Array(vocab);
  for (const id of allowance) if (id >= 0 && id < vocab) mask[id] = 1;
  return mask;
}

/** The sampled token, or -1 when the mask allows nothing. */
export function chooseToken(
  logits: Float32Array,
  allowed: Uint8Array | null,
  temperature: number,
  topP: number,
  rng: Rng,
): number {
  const candidates: number[] = [];
  for (let i = 0; i < logits.length; i++) if (!allowed || allowed[i]) candidates.push(i);
  if (candidates.length <= 1) return candidates[0] ?? -1;
  if (temperature <= 0)
    return candidates.reduce((best, i) => (logits[i] > logits[best] ? i : best), candidates[0]);
  let max = Number.NEGATIVE_INFINITY;
  for (const i of candidates) max = Math.max(max, logits[i]);
  const weights = candidates.map((i) => Math.exp((logits[i] - max) / temperature));
  let order = candidates.map((_, k) => k);
  if (topP < 1) {
    const total = weights.reduce((a, b) => a + b, 0);
    order.sort((a, b) => weights[b] - weights[a]);
    let cumulative = 0;
    let keep = 0;
    while (keep < order.length && cumulative < topP * total) cumulative += weights[order[keep++]];
    order = order.slice(0, Math.max(1, keep));
  }
  const kept = order.reduce((sum, k) => sum + weights[k], 0);
  let u = rng.next() * kept;
  for (const k of order) {
    u -= weights[k];
    if (u < 0) return candidates[k];
  }
  return candidates[order[order.length - 1]];
}

export function logSoftmaxAt(logits: Float32Array, index: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return logits[index] - max - Math.log(sum);
}

function endsWithStop(options: SampleOptions, generated: number[]): boolean {
  if (!options.stop?.length) return false;
  const text = options.decode!(generated);
  return options.stop.some((s) => text.includes(s));
}
