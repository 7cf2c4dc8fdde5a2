// The proposer: the policy writing new tasks. Given reference tasks for each prompt, it builds the mode's
// proposer prompts, samples one completion each, and parses them into proposals (or format errors).
import { Type } from '@sinclair/typebox';
import type { Task } from '../src/plugins/index.ts';
import { defineActor, defineProtocol } from '../src/runtime/index.ts';
import { GeneratorOptions, setWeightsMessage, startGenerator, takeWeights } from './generator.ts';
import { GenerationSchema } from './policy.ts';
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
  setWeights: setWeightsMessage,
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
  options: GeneratorOptions,
  init: startGenerator,
  handlers: {
    setWeights: async (state, { payload }, ctx) => {
      ctx.reply(await takeWeights(state.policy, payload));
      return state;
    },
    propose: (state, { mode: name, references, seed }, ctx) => {
      const started = performance.now();
      const mode = state.modes.get(name);
      if (!mode) throw new Error(`proposer: no task mode "${name}"`);
      const prompts = references.map((refs) => mode.proposerPrompt(refs as Task[]));
      const constraints = prompts.map(() => mode.constraint?.('proposer'));
      const generations = state.policy.generate(prompts, 1, state.sampling, seed, constraints);
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
