// What the two generating actors (proposer, solver) share: their options, their start, taking new weights, the
// shape of their replies, and sampling parsed completions with the task mode's calls guarded.
import { type Static, type TProperties, Type } from '@sinclair/typebox';
import {
  type Faults,
  guard,
  recordFault,
  type Parsed as ParseResult,
  type PromptSpec,
  type TaskMode,
  type TextConstraint,
  walkGrammar,
} from '../src/plugins/index.ts';
import {
  type ActorDefinition,
  defineActor,
  defineProtocol,
  type HandlerContext,
  type Handlers,
  type Protocol,
  type ProtocolSpec,
} from '../src/runtime/index.ts';
import {
  Backend,
  ensureBackend,
  Products,
  type Generation,
  GenerationSchema,
  Policy,
  SamplingOptions,
  type WeightsPayload,
  WeightsPayloadSchema,
} from './policy.ts';
import { loadActorPlugins, PluginOptions } from './plugins.ts';
import { AzrError } from '../src/errors.ts';
import { Rng } from '../src/model/rng.ts';
import { StringEnum } from '../src/wire/index.ts';

/**
 * One replica's share of a generation request: only items start…end−1 are generated and answered, each exactly as
 * in the whole request (its own random stream, the request's padding), so the shards' replies, concatenated, are the
 * whole request's reply (docs/distributed.md, "Scaling generation").
 */
export const ShardSchema = Type.Object({
  start: Type.Integer({ minimum: 0 }),
  end: Type.Integer({ minimum: 0 }),
});
export type Shard = Static<typeof ShardSchema>;

export const GeneratorOptions = Type.Object({
  ...PluginOptions,
  backend: Backend,
  products: Products,
  sampling: Type.Optional(SamplingOptions),
  source: StringEnum(['policy', 'grammar'], {
    default: 'policy',
    description:
      "Who writes the completions: the policy, or random walks of the mode's grammar (each character drawn from " +
      "the grammar's prior, e.g. tiny-python's `grammarPrior`, or uniformly; the model is not used and nothing is " +
      'learned from them; a mode without a grammar gets empty completions). `grammar` on the proposer is the ' +
      'random-grammar ablation (docs/learning.md).',
  }),
});

const setWeightsMessage = {
  broadcast: true,
  request: Type.Object({ payload: WeightsPayloadSchema }),
  reply: Type.Object({ version: Type.Integer(), computeMs: Type.Number() }),
};

/** A generator's protocol: `setWeights` (new weights, which every copy of the actor takes), then `spec`'s messages. */
export const generatorProtocol = <S extends ProtocolSpec>(spec: S) =>
  defineProtocol({ setWeights: setWeightsMessage, ...spec });

/**
 * The schema of one parsed completion in a generator's reply: the generation, the parsed value under its own name
 * (`parsed`, null on a format error), and the format error (null when it parsed).
 */
export const parsedGenerationSchema = <P extends TProperties>(parsed: P) =>
  Type.Composite([
    GenerationSchema,
    Type.Object({ ...parsed, formatError: Type.Union([Type.String(), Type.Null()]) }),
  ]);

async function startGenerator(options: Static<typeof GeneratorOptions>) {
  await ensureBackend(options.backend, options.products);
  return {
    modes: (await loadActorPlugins(options)).modes,
    sampling: { temperature: 1, topP: 1, maxTokens: 256, ...options.sampling },
    source: options.source,
    policy: new Policy(),
  };
}

type GeneratorState = Awaited<ReturnType<typeof startGenerator>>;

/**
 * A generating actor: the generator's options and start, `setWeights`, and `handlers` for the rest of `protocol`.
 * `module` is the defining module's `import.meta.url` (it must export the definition).
 */
export function defineGenerator<S extends ProtocolSpec & { setWeights: typeof setWeightsMessage }>(
  kind: string,
  module: string,
  protocol: Protocol<S>,
  handlers: Omit<Handlers<S, GeneratorState>, 'setWeights'>,
): ActorDefinition<S, GeneratorState, typeof GeneratorOptions> {
  return defineActor({
    kind,
    module,
    protocol,
    options: GeneratorOptions,
    init: startGenerator,
    handlers: {
      ...handlers,
      setWeights: async (
        state: GeneratorState,
        { payload }: { payload: WeightsPayload },
        ctx: HandlerContext<Static<typeof setWeightsMessage.reply>>,
      ) => {
        const started = performance.now();
        await state.policy.load(payload);
        ctx.reply({ version: state.policy.version, computeMs: performance.now() - started });
        return state;
      },
    } as Handlers<S, GeneratorState>,
    stop: (state) => state?.policy.dispose(),
  });
}

export interface Parsed<V> extends Generation {
  value: V | null;
  formatError: string | null;
}

/** One request's generation: samples per item, sampling, seed, this replica's shard, and who writes. */
export interface GenerationRun {
  samples: number;
  sampling: SamplingOptions;
  seed: number;
  shard?: Shard;
  source?: 'policy' | 'grammar';
}

/**
 * `samples` walks of each constraint (`source: grammar`), row r of the request drawing from `Rng.forRow(seed, r)`
 * as the policy's rows do (`firstItem`: this shard's first item), so any sharding gives the same completions.
 */
function grammarWalks(
  constraints: readonly (TextConstraint | undefined)[],
  samples: number,
  maxTokens: number,
  seed: number,
  firstItem: number,
): Generation[] {
  return constraints.flatMap((constraint, k) =>
    Array.from({ length: samples }, (_, s) => {
      const rng = Rng.forRow(seed, (firstItem + k) * samples + s);
      const completion = constraint ? walkGrammar(constraint, () => rng.next(), maxTokens) : '';
      return { completion, promptIds: [], responseIds: [], logprobs: [] };
    }),
  );
}

export interface ModeCalls<I, V> {
  prompt(item: I): PromptSpec;
  /** `item` with less in its prompt (the proposer: one reference fewer), or undefined when nothing can go. */
  shorter?(item: I): I | undefined;
  constraint(item: I): TextConstraint | undefined;
  parse(completion: string): ParseResult<V>;
}

/**
 * The prompt of `item`, shortened (`calls.shorter`) until it fits the policy's context with room for the
 * completion: a prompt is never cut from the left while it can lose a reference instead, since that removes the
 * instruction first (docs/azr.md §6). One that still does not fit is cut by `generate`, counted as fault
 * `<part>.promptCut`. Undefined when the mode's prompt throws (fault `<part>.prompt`, and `failed`).
 */
function fittedPrompt<I, V>(
  policy: Policy,
  item: I,
  calls: ModeCalls<I, V>,
  sampling: SamplingOptions,
  faults: Faults,
  part: string,
  failed: (error: Error) => void,
): PromptSpec | undefined {
  const build = (from: I) =>
    guard(
      faults,
      `${part}.prompt`,
      () => calls.prompt(from),
      (error) => {
        failed(error);
        return undefined;
      },
    );
  let prompt = build(item);
  const room = prompt && policy.promptRoom(prompt, sampling);
  if (!prompt || room === undefined) return prompt;
  let tokens = policy.promptTokens(prompt.text);
  for (
    let fewer = calls.shorter?.(item);
    tokens > room && fewer !== undefined;
    fewer = calls.shorter?.(fewer)
  ) {
    prompt = build(fewer);
    if (!prompt) return undefined;
    tokens = policy.promptTokens(prompt.text);
  }
  if (tokens > room) {
    const cut = new AzrError(
      'INTERNAL',
      `a prompt of ${tokens} tokens, with nothing left to drop, keeps its last ${room} (raise maxSeqLen)`,
    );
    recordFault(faults, `${part}.promptCut`, cut);
  }
  return prompt;
}

/**
 * `samples` completions of each item's prompt, parsed. The mode's calls are guarded: an item whose prompt throws
 * is not sampled (it comes back empty, with the error as its format error); a parser that throws is a format error.
 * With `run.shard`, only those items are generated and returned (and only their faults counted), as in the whole
 * request: every prompt is built, since the longest one sets the padding of all.
 */
function generateParsed<I, V>(
  policy: Policy,
  part: string,
  items: readonly I[],
  calls: ModeCalls<I, V>,
  run: GenerationRun,
  faults: Faults,
): Parsed<V>[] {
  const { start, end } = run.shard ?? { start: 0, end: items.length };
  const inShard = (i: number) => i >= start && i < end;
  const outside: Faults = {};
  const failures = new Map<number, string>();
  const prompts = items.map((item, i) =>
    fittedPrompt(policy, item, calls, run.sampling, inShard(i) ? faults : outside, part, (error) =>
      failures.set(i, `plugin failed to build the prompt: ${error.message}`),
    ),
  );
  const sampled = items.flatMap((_, i) => (failures.has(i) ? [] : [i]));
  const constraints = sampled.map((i) =>
    inShard(i)
      ? guard(
          faults,
          `${part}.constraint`,
          () => calls.constraint(items[i]!),
          () => undefined,
        )
      : undefined,
  );
  const first = sampled.filter((i) => i < start).length;
  const last = sampled.filter((i) => i < end).length;
  const generations =
    run.source === 'grammar'
      ? grammarWalks(constraints.slice(first, last), run.samples, run.sampling.maxTokens, run.seed, first)
      : policy.generate(
          sampled.map((i) => prompts[i]!),
          run.samples,
          run.sampling,
          run.seed,
          constraints,
          { start: first, end: last },
        );
  const byItem = new Map(
    sampled
      .slice(first, last)
      .map((item, k) => [item, generations.slice(k * run.samples, (k + 1) * run.samples)]),
  );
  return items.slice(start, end).flatMap((_, offset) => {
    const i = start + offset;
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

/**
 * `generateParsed` with task mode `name`'s calls for one role (`calls(mode)`), and a fresh fault record: what a
 * generator replies, with the plugin faults of the mode's calls and the time it took (`computeMs`).
 */
export function generateWithMode<I, V>(
  state: GeneratorState,
  actor: string,
  name: string,
  items: readonly I[],
  calls: (mode: TaskMode) => ModeCalls<I, V>,
  run: GenerationRun,
): { generated: Parsed<V>[]; faults: Faults; computeMs: number } {
  const started = performance.now();
  const mode = state.modes.get(name);
  if (!mode) throw new AzrError('PLUGIN_INVALID', `${actor}: no task mode "${name}"`);
  const faults: Faults = {};
  const generated = generateParsed(
    state.policy,
    `mode:${name}`,
    items,
    calls(mode),
    { source: state.source, ...run },
    faults,
  );
  return { generated, faults, computeMs: performance.now() - started };
}
