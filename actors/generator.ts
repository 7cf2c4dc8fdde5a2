// What the two generating actors (proposer, solver) share: their options, their start, taking new weights, and
// sampling parsed completions with the task mode's calls guarded.
import { type Static, Type } from '@sinclair/typebox';
import {
  type Faults,
  guard,
  type Parsed as ParseResult,
  type PromptSpec,
  type TextConstraint,
} from '../src/plugins/index.ts';
import {
  Backend,
  ensureBackend,
  type Generation,
  Policy,
  SamplingOptions,
  type WeightsPayload,
  WeightsPayloadSchema,
} from './policy.ts';
import { loadActorPlugins, PluginOptions } from './plugins.ts';

export const GeneratorOptions = Type.Object({
  ...PluginOptions,
  backend: Backend,
  sampling: Type.Optional(SamplingOptions),
});

export const setWeightsMessage = {
  broadcast: true,
  request: Type.Object({ payload: WeightsPayloadSchema }),
  reply: Type.Object({ version: Type.Integer(), computeMs: Type.Number() }),
};

export async function startGenerator(options: Static<typeof GeneratorOptions>) {
  await ensureBackend(options.backend);
  return {
    modes: (await loadActorPlugins(options)).modes,
    sampling: { temperature: 1, topP: 1, maxTokens: 256, ...options.sampling },
    policy: new Policy(),
  };
}

export async function takeWeights(policy: Policy, payload: WeightsPayload) {
  const started = performance.now();
  await policy.load(payload);
  return { version: policy.version, computeMs: performance.now() - started };
}

export interface Parsed<V> extends Generation {
  value: V | null;
  formatError: string | null;
}

export interface ModeCalls<I, V> {
  prompt(item: I): PromptSpec;
  constraint(item: I): TextConstraint | undefined;
  parse(completion: string): ParseResult<V>;
}

/**
 * `samples` completions of each item's prompt, parsed. The mode's calls are guarded: an item whose prompt throws
 * is not sampled (it comes back empty, with the error as its format error); a parser that throws is a format error.
 */
export function generateParsed<I, V>(
  policy: Policy,
  part: string,
  items: readonly I[],
  calls: ModeCalls<I, V>,
  run: { samples: number; sampling: SamplingOptions; seed: number },
  faults: Faults,
): Parsed<V>[] {
  const failures = new Map<number, string>();
  const prompts = items.map((item, i) =>
    guard(
      faults,
      `${part}.prompt`,
      () => calls.prompt(item),
      (error) => {
        failures.set(i, `plugin failed to build the prompt: ${error.message}`);
        return undefined;
      },
    ),
  );
  const sampled = items.flatMap((_, i) => (failures.has(i) ? [] : [i]));
  const constraints = sampled.map((i) =>
    guard(
      faults,
      `${part}.constraint`,
      () => calls.constraint(items[i]!),
      () => undefined,
    ),
  );
  const generations = policy.generate(
    sampled.map((i) => prompts[i]!),
    run.samples,
    run.sampling,
    run.seed,
    constraints,
  );
  const byItem = new Map(
    sampled.map((item, k) => [item, generations.slice(k * run.samples, (k + 1) * run.samples)]),
  );
  return items.flatMap((_, i) => {
    const failure = failures.get(i);
    if (failure !== undefined) {
      const empty = {
        completion: '',
        promptIds: [],
        responseIds: [],
        logprobs: [],
        value: null,
        formatError: failure,
      };
      return Array.from({ length: run.samples }, () => empty);
    }
    return byItem.get(i)!.map((generation) => {
      const parsed = guard(
        faults,
        `${part}.parse`,
        () => calls.parse(generation.completion),
        (error) => ({
          ok: false as const,
          reason: `plugin failed to parse: ${error.message}`,
        }),
      );
      return parsed.ok
        ? { ...generation, value: parsed.value, formatError: null }
        : { ...generation, value: null, formatError: parsed.reason };
    });
  });
}
