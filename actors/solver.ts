// The solver: the policy answering tasks. It builds the mode's solver prompts, samples `samples` completions per
// task, and parses each into an answer (or a format error).
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
import { TaskSchema } from './schemas.ts';

export const AnsweredSchema = Type.Composite([
  GenerationSchema,
  Type.Object({
    answer: Type.Union([Type.String(), Type.Null()]),
    formatError: Type.Union([Type.String(), Type.Null()]),
  }),
]);

export const solverProtocol = defineProtocol({
  setWeights: {
    request: Type.Object({ payload: WeightsPayloadSchema }),
    reply: Type.Object({ version: Type.Integer(), computeMs: Type.Number() }),
  },
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
    solve: (state, { mode: name, tasks, samples, seed, temperature }, ctx) => {
      const started = performance.now();
      const mode = state.modes.get(name);
      if (!mode) throw new Error(`solver: no task mode "${name}"`);
      const prompts = tasks.map((task) => mode.solverPrompt(task as Task));
      const sampling = temperature === undefined ? state.sampling : { ...state.sampling, temperature };
      const answers = state.policy.generate(prompts, samples, sampling, seed).map((generation) => {
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
