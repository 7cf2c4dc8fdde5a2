// Text in, text out: sampled completions of prompts from a model and its tokenizer, with the KV-cached sampler,
// per-prompt character constraints (grammar-constrained decoding) and stop strings.
import { type LogitsBias, type LogitsMask, sample } from './sampling.ts';
import type { Tokenizer } from './tokenizer.ts';
import type { Transformer } from './transformer.ts';

/** The special token that ends a completion. */
export const EOS = '<eos>';

/** A prompt: its text, the strings that end its completion (not included in it), and its own token limit. */
export interface TextPrompt {
  text: string;
  stop: readonly string[];
  maxTokens?: number;
}

/**
 * Which characters may come next after `prefix` (the completion so far; none: the completion ends), and optionally
 * additive logits for them, in the same order, that steer the choice while the recorded log-probabilities stay the
 * model's own. Works with tokenizers that have one token per character.
 */
export interface CharConstraint {
  allowedNext(prefix: string): readonly string[];
  bias?(prefix: string): readonly number[];
}

export interface SamplingSettings {
  /** 0: greedy. */
  temperature: number;
  /** Nucleus sampling. */
  topP: number;
  /** Longest completion (tokens). */
  maxTokens: number;
}

/** One sampled completion, with what a learner needs to train on it. */
export interface TextGeneration {
  completion: string;
  promptIds: number[];
  responseIds: number[];
  /** The log-probability of each response token when it was sampled. */
  logprobs: number[];
}

/** The most tokens a completion of `prompt` may have: its own limit or the sampling's, the smaller. */
export function completionLimit(prompt: TextPrompt, sampling: SamplingSettings): number {
  return Math.min(sampling.maxTokens, prompt.maxTokens ?? Number.POSITIVE_INFINITY);
}

/** The most prompt tokens that leave room for a completion of `maxTokens` in `maxSeqLen` (at least 8). */
export function promptRoom(maxSeqLen: number, maxTokens: number): number {
  return Math.max(8, maxSeqLen - maxTokens);
}

/**
 * `samples` completions of every prompt, prompt-major. All prompts share the first prompt's stop strings and token
 * limit (with `sampling.maxTokens`, the smaller); a prompt longer than `promptRoom` keeps its last tokens, a last
 * resort: callers shorten their prompts first (docs/azr.md §6). `constraints[i]`, when given, restricts prompt i's completions to what it allows. A completion ends at a stop
 * string (cut off there), at EOS, or after `maxTokens`.
 *
 * With `shard`, only prompts `start` to `end` (exclusive) are sampled, exactly as in the whole request: each row
 * draws from its own stream (its index in the request) and is padded to the request's longest prompt, so the
 * shards of a request, concatenated, equal the request sampled at once (docs/distributed.md, "Scaling generation").
 */
export function generate(
  model: Transformer,
  tokenizer: Tokenizer,
  prompts: readonly TextPrompt[],
  samples: number,
  sampling: SamplingSettings,
  seed: number,
  constraints?: readonly (CharConstraint | undefined)[],
  shard?: { start: number; end: number },
): TextGeneration[] {
  const { start, end } = shard ?? { start: 0, end: prompts.length };
  if (end <= start) return [];
  const maxTokens = completionLimit(prompts[0]!, sampling);
  const room = promptRoom(model.config.maxSeqLen, maxTokens);
  const allIds = prompts.map((p) => tokenizer.encode(p.text).slice(-room));
  const padTo = Math.max(...allIds.map((ids) => ids.length));
  const promptIds = allIds.slice(start, end);
  const batch = promptIds.flatMap((ids) => Array.from({ length: samples }, () => ids));
  const stop = prompts[0]!.stop;
  const eos = tokenizer.specialId(EOS);
  const rowConstraints = constraints
    ?.slice(start, end)
    .flatMap((c) => Array.from({ length: samples }, () => c));
  const result = sample(model, batch, {
    firstRow: start * samples,
    padTo,
    maxTokens,
    temperature: sampling.temperature,
    topP: sampling.topP,
    stop: [...stop],
    decode: (ids) => tokenizer.decode(ids),
    stopTokenIds: eos === undefined ? [] : [eos],
    seed,
    ...characterHooks(tokenizer, rowConstraints ?? []),
  });
  return result.tokens.map((responseIds, i) => ({
    completion: cutAtStop(tokenizer.decode(responseIds), stop),
    promptIds: batch[i]!,
    responseIds,
    logprobs: result.logprobs[i]!,
  }));
}

/**
 * The sampler's hooks for per-row text constraints on a character tokenizer: the mask (allowed characters as token
 * ids) and, where a constraint has one, its bias. Both read the same decoded prefix, decoded once per row and token.
 */
function characterHooks(
  tokenizer: Tokenizer,
  constraints: readonly (CharConstraint | undefined)[],
): { logitsMask?: LogitsMask; logitsBias?: LogitsBias } {
  if (!constraints.some(Boolean)) return {};
  const idOf = new Map<string, number | undefined>();
  const id = (char: string) => {
    if (!idOf.has(char)) {
      const ids = tokenizer.encode(char);
      idOf.set(char, ids.length === 1 && tokenizer.decode(ids) === char ? ids[0] : undefined);
    }
    return idOf.get(char);
  };
  const decoded = new Map<number, { length: number; text: string }>();
  const prefixOf = (tokensSoFar: number[], row: number) => {
    const last = decoded.get(row);
    if (last?.length === tokensSoFar.length) return last.text;
    const text = tokenizer.decode(tokensSoFar);
    decoded.set(row, { length: tokensSoFar.length, text });
    return text;
  };
  const logitsMask: LogitsMask = (tokensSoFar, row) =>
    constraints[row]
      ?.allowedNext(prefixOf(tokensSoFar, row))
      .map(id)
      .filter((i): i is number => i !== undefined) ?? null;
  const logitsBias: LogitsBias = (tokensSoFar, row) => {
    const constraint = constraints[row];
    if (!constraint?.bias) return null;
    const prefix = prefixOf(tokensSoFar, row);
    const bias = constraint.bias(prefix);
    const byId = new Map<number, number>();
    constraint.allowedNext(prefix).forEach((char, i) => {
      const token = id(char);
      if (token !== undefined) byId.set(token, bias[i]!);
    });
    return byId;
  };
  return { logitsMask, logitsBias: constraints.some((c) => c?.bias) ? logitsBias : undefined };
}

/** `text` up to the first of the `stop` strings. */
function cutAtStop(text: string, stop: readonly string[]): string {
  let end = text.length;
  for (const s of stop) {
    const at = text.indexOf(s);
    if (at >= 0 && at < end) end = at;
  }
  return text.slice(0, end);
}
