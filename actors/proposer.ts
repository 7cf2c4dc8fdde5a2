// The proposer: the policy writing new tasks. Given reference tasks for each prompt, it builds the mode's
// proposer prompts, samples one completion each, and parses them into proposals (or format errors).
import { Type } from '@sinclair/typebox';
import type { Task } from '../src/plugins/index.ts';
import { defineActor, defineProtocol } from '../src/runtime/index.ts';
import type { Faults } from '../src/plugins/index.ts';
import {
  GeneratorOptions,
  generateParsed,
  setWeightsMessage,
  startGenerator,
  takeWeights,
} from './generator.ts';
import { GenerationSchema } from './policy.ts';
import { ProposalSchema } from './validator.ts';
import { FaultsSchema, TaskSchema } from './schemas.ts';

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
    reply: Type.Object({
      proposals: Type.Array(ProposedSchema),
      faults: FaultsSchema,
      computeMs: Type.Number(),
    }),
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
      const faults: Faults = {};
      const generated = generateParsed(
        state.policy,
        `mode:${name}`,
        references as Task[][],
        {
          prompt: (refs) => mode.proposerPrompt(refs),
          constraint: () => mode.constraint?.('proposer'),
          parse: (completion) => mode.parseProposal(completion),
        },
        { samples: 1, sampling: state.sampling, seed },
        faults,
      );
      const proposals = generated.map(({ value, ...rest }) => ({ ...rest, proposal: value }));
      ctx.reply({ proposals, faults, computeMs: performance.now() - started });
      return state;
    },
  },
  stop: (state) => state?.policy.dispose(),
});
