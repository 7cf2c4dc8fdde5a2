// The proposer: the policy writing new tasks. Given reference tasks for each prompt, it builds the mode's
// proposer prompts, samples one completion each, and parses them into proposals (or format errors).
import { Type } from '@sinclair/typebox';
import type { Proposal, Task, TaskMode } from '../src/plugins/index.ts';
import * as generator from './generator.ts';
import { FaultsSchema, ProposalSchema, TaskSchema } from './schemas.ts';

export const ProposedSchema = generator.parsedGenerationSchema({
  proposal: Type.Union([ProposalSchema, Type.Null()]),
});

export const proposerProtocol = generator.generatorProtocol({
  propose: {
    request: Type.Object({
      mode: Type.String(),
      /** The references of each prompt: one prompt per entry. */
      references: Type.Array(Type.Array(TaskSchema)),
      seed: Type.Integer(),
      /** Only these references: one replica's share of the request (docs/distributed.md, "Scaling generation"). */
      shard: Type.Optional(generator.ShardSchema),
    }),
    reply: Type.Object({
      proposals: Type.Array(ProposedSchema),
      faults: FaultsSchema,
      computeMs: Type.Number(),
    }),
  },
});

/**
 * A prompt per set of references, the mode's proposer grammar, and its proposal parser. A prompt too long for the
 * context loses its last reference until it fits (docs/azr.md §6); a mode that completes its proposals from the
 * references (induction's given program) keeps its first.
 */
export const proposerCalls = (mode: TaskMode): generator.ModeCalls<readonly Task[], Proposal> => ({
  prompt: (references) => mode.proposerPrompt(references),
  shorter: (references) =>
    references.length > (mode.completeProposal ? 1 : 0) ? references.slice(0, -1) : undefined,
  constraint: () => mode.constraint?.('proposer'),
  parse: (completion) => mode.parseProposal(completion),
});

export const proposer = generator.defineGenerator('proposer', import.meta.url, proposerProtocol, {
  propose: (state, { mode, references, seed, shard }, ctx) => {
    const run = { samples: 1, sampling: state.sampling, seed, shard };
    const { generated, ...rest } = generator.generateWithMode(
      state,
      'proposer',
      mode,
      references,
      proposerCalls,
      run,
    );
    ctx.reply({ proposals: generated.map(({ value, ...g }) => ({ ...g, proposal: value })), ...rest });
    return state;
  },
});
