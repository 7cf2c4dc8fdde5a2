// The proposer: the policy writing new tasks. Given reference tasks for each prompt, it builds the mode's
// proposer prompts, samples one completion each, and parses them into proposals (or format errors).
import { Type } from '@sinclair/typebox';
import type { Task } from '../src/plugins/index.ts';
import { defineActor, defineProtocol } from '../src/runtime/index.ts';
import {
  Backend,
  ensureBackend,
  GenerationSchema,
  Policy,
  SamplingOptions,
  WeightsPayloadSchema,
} from './policy.ts';
import { loadActorPlugins, PluginOptions } from './plugins.ts';
import { ProposalSchema } from './validator.ts';
import { TaskSchema } from './schemas.ts';

export const ProposedSchema = Type.Composite([
  GenerationSchema,
  Type.Object({
    proposal: Type.Union([ProposalSchema, Type.Null()]),
    formatError: Type.Union([Type.String(), Type.Null()]),
  }),
]);

export const proposerProtocol = defineProtocol({
  setWeights: {
    request: Type.Object({ payload: WeightsPayloadSchema }),
    reply: Type.Object({ version: Type.Integer(), computeMs: Type.Number() }),
  },
  propose: {
    request: Type.Object({
      mode: Type.String(),
      /** The references of each prompt: one prompt per entry. */
      references: Type.Array(Type.Array(TaskSchema)),
      seed: Type.Integer(),
    }),
    reply: Type.Object({ proposals: Type.Array(ProposedSchema), computeMs: Type.Number() }),
  },
});

export const proposer = defineActor({
  kind: 'proposer',
  module: import.meta.url,
  protocol: proposerProtocol,
  options: Type.Object({ ...PluginOptions, backend: Backend, sampling: Type.Optional(SamplingOptions) }),
  init: async (options) => {
    await ensureBackend(options.backend);
    return {
      modes: (await loadActorPlugins(options)).modes,
      sampling: { temperature: 1, topP: 1, maxTokens: 256, ...options.sampling },
      policy: new Policy(),
    };
  },
  handlers: {
    setWeights: async (state, { payload }, ctx) => {
      const started = performance.now();
      await state.policy.load(payload);
      ctx.reply({ version: state.policy.version, computeMs: performance.now() - started });
      return state;
    },
    propose: (state, { mode: name, references, seed }, ctx) => {
      const started = performance.now();
      const mode = state.modes.get(name);
      if (!mode) throw new Error(`proposer: no task mode "${name}"`);
      const prompts = references.map((refs) => mode.proposerPrompt(refs as Task[]));
      const generations = state.policy.generate(prompts, 1, state.sampling, seed);
      const proposals = generations.map((generation) => {
        const parsed = mode.parseProposal(generation.completion);
        return parsed.ok
          ? { ...generation, proposal: parsed.value, formatError: null }
          : { ...generation, proposal: null, formatError: parsed.reason };
      });
      ctx.reply({ proposals, computeMs: performance.now() - started });
      return state;
    },
  },
  stop: (state) => state?.policy.dispose(),
});
