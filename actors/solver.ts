// The solver: the policy answering tasks. It builds the mode's solver prompts, samples `samples` completions per
// task, and parses each into an answer (or a format error).
import { Type } from '@sinclair/typebox';
import type { Task, TaskMode } from '../src/plugins/index.ts';
import * as generator from './generator.ts';
import { FaultsSchema, TaskSchema } from './schemas.ts';

export const AnsweredSchema = generator.parsedGenerationSchema({
  answer: Type.Union([Type.String(), Type.Null()]),
});

export const solverProtocol = generator.generatorProtocol({
  solve: {
    request: Type.Object({
      mode: Type.String(),
      tasks: Type.Array(TaskSchema),
      samples: Type.Integer({ minimum: 1 }),
      seed: Type.Integer(),
      /** Only these tasks: one replica's share of the request (docs/distributed.md, "Scaling generation"). */
      shard: Type.Optional(generator.ShardSchema),
      /** Overrides the sampling temperature (0 = greedy, for evaluation). */
      temperature: Type.Optional(Type.Number({ minimum: 0 })),
    }),
    /** `samples` answers per task, task-major. */
    reply: Type.Object({
      answers: Type.Array(AnsweredSchema),
      faults: FaultsSchema,
      computeMs: Type.Number(),
    }),
  },
});

/** A task's solver prompt, the mode's answer grammar for it, and its answer parser. */
const solverCalls = (mode: TaskMode): generator.ModeCalls<Task, string> => ({
  prompt: (task) => mode.solverPrompt(task),
  constraint: (task) => mode.constraint?.('solver', task),
  parse: (completion) => mode.parseAnswer(completion),
});

export const solver = generator.defineGenerator('solver', import.meta.url, solverProtocol, {
  solve: (state, { mode, tasks, samples, seed, temperature, shard }, ctx) => {
    const sampling = temperature === undefined ? state.sampling : { ...state.sampling, temperature };
    const { generated, ...rest } = generator.generateWithMode(state, 'solver', mode, tasks, solverCalls, {
      samples,
      sampling,
      seed,
      shard,
    });
    ctx.reply({ answers: generated.map(({ value, ...g }) => ({ ...g, answer: value })), ...rest });
    return state;
  },
});
