// The solver: the policy answering tasks. It builds the mode's solver prompts, samples `samples` completions per
// task, and parses each into an answer (or a format error).
import { Type } from '@sinclair/typebox';
import type { Task } from '../src/plugins/index.ts';
import { defineActor, defineProtocol } from '../src/runtime/index.ts';
import { GeneratorOptions, setWeightsMessage, startGenerator, takeWeights } from './generator.ts';
import { GenerationSchema } from './policy.ts';
import { TaskSchema } from './schemas.ts';

export const AnsweredSchema = Type.Composite([
  GenerationSchema,
  Type.Object({
    answer: Type.Union([Type.String(), Type.Null()]),
    formatError: Type.Union([Type.String(), Type.Null()]),
  }),
]);

export const solverProtocol = defineProtocol({
  setWeights: setWeightsMessage,
  solve: {
    request: Type.Object({
      mode: Type.String(),
      tasks: Type.Array(TaskSchema),
      samples: Type.Integer({ minimum: 1 }),
      seed: Type.Integer(),
      /** Overrides the sampling temperature (0 = greedy, for evaluation). */
      temperature: Type.Optional(Type.Number({ minimum: 0 })),
    }),
    /** `samples` answers per task, task-major. */
    reply: Type.Object({ answers: Type.Array(AnsweredSchema), computeMs: Type.Number() }),
  },
});

export const solver = defineActor({
  kind: 'solver',
  module: import.meta.url,
  protocol: solverProtocol,
  options: GeneratorOptions,
  init: startGenerator,
  handlers: {
    setWeights: async (state, { payload }, ctx) => {
      ctx.reply(await takeWeights(state.policy, payload));
      return state;
    },
    solve: (state, { mode: name, tasks, samples, seed, temperature }, ctx) => {
      const started = performance.now();
      const mode = state.modes.get(name);
      if (!mode) throw new Error(`solver: no task mode "${name}"`);
      const prompts = tasks.map((task) => mode.solverPrompt(task as Task));
      const constraints = tasks.map((task) => mode.constraint?.('solver', task as Task));
      const sampling = temperature === undefined ? state.sampling : { ...state.sampling, temperature };
      const answers = state.policy
        .generate(prompts, samples, sampling, seed, constraints)
        .map((generation) => {
          const parsed = mode.parseAnswer(generation.completion);
          return parsed.ok
            ? { ...generation, answer: parsed.value, formatError: null }
            : { ...generation, answer: null, formatError: parsed.reason };
        });
      ctx.reply({ answers, computeMs: performance.now() - started });
      return state;
    },
  },
  stop: (state) => state?.policy.dispose(),
});
