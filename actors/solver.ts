// The solver: the policy answering tasks. It builds the mode's solver prompts, samples `samples` completions per
// task, and parses each into an answer (or a format error).
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
import { FaultsSchema, TaskSchema } from './schemas.ts';

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
    reply: Type.Object({
      answers: Type.Array(AnsweredSchema),
      faults: FaultsSchema,
      computeMs: Type.Number(),
    }),
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
      const faults: Faults = {};
      const sampling = temperature === undefined ? state.sampling : { ...state.sampling, temperature };
      const generated = generateParsed(
        state.policy,
        `mode:${name}`,
        tasks as Task[],
        {
          prompt: (task) => mode.solverPrompt(task),
          constraint: (task) => mode.constraint?.('solver', task),
          parse: (completion) => mode.parseAnswer(completion),
        },
        { samples, sampling, seed },
        faults,
      );
      const answers = generated.map(({ value, ...rest }) => ({ ...rest, answer: value }));
      ctx.reply({ answers, faults, computeMs: performance.now() - started });
      return state;
    },
  },
  stop: (state) => state?.policy.dispose(),
});
