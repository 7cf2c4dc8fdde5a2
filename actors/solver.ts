// The solver: the policy answering tasks. It builds the mode's solver prompts, samples `samples` completions per
// task, and parses each into an answer (or a format error).
import { Type } from '@sinclair/typebox';
import type { Task, TaskMode } from '../src/plugins/index.ts';
import type { ModeCalls } from './generator.ts';
import {
  defineGenerator,
  generateWithMode,
  generatorProtocol,
  parsedGenerationSchema,
  ShardSchema,
} from './generator.ts';
import { FaultsSchema, TaskSchema } from './schemas.ts';

export const AnsweredSchema = parsedGenerationSchema({ answer: Type.Union([Type.String(), Type.Null()]) });

export const solverProtocol = generatorProtocol({
  solve: {
    request: Type.Object({
      mode: Type.String(),
      tasks: Type.Array(TaskSchema),
      samples: Type.Integer({ minimum: 1 }),
      seed: Type.Integer(),
      /** Only these tasks: one replica's share of the request (docs/distributed.md, "Scaling generation"). */
      shard: Type.Optional(ShardSchema),
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
const solverCalls = (mode: TaskMode): ModeCalls<Task, string> => ({
  prompt: (task) => mode.solverPrompt(task),
  constraint: (task) => mode.constraint?.('solver', task),
  parse: (completion) => mode.parseAnswer(completion),
});

export const solver = defineGenerator('solver', import.meta.url, solverProtocol, {
  solve: (state, { mode, tasks, samples, seed, temperature, shard }, ctx) => {
    const sampling = temperature === undefined ? state.sampling : { ...state.sampling, temperature };
    const { generated, ...rest } = generateWithMode(state, 'solver', mode, tasks, solverCalls, {
      samples,
      sampling,
      seed,
      shard,
    });
    ctx.reply({ answers: generated.map(({ value, ...g }) => ({ ...g, answer: value })), ...rest });
    return state;
  },
});
