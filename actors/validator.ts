// The validator actor: owns the sandboxed executors (Python built in; others from plugins) and answers two
// questions for the self-play loop — which proposals are valid tasks (and their outputs), and which answers are
// correct. A broken pool crashes the actor, and its supervisor starts a fresh one.
import { type Static, Type } from '@sinclair/typebox';
import {
  type AnswerToCheck,
  type Proposal,
  PythonPool,
  type ValidationOptions,
  validate,
  verify,
} from '../src/executor/index.ts';
import type {
  AnswerCheck,
  Executor,
  ExecutorFactory,
  Proposal as TaskProposal,
} from '../src/plugins/index.ts';
import { defineActor, defineProtocol } from '../src/runtime/index.ts';
import { loadActorPlugins, PluginOptions } from './plugins.ts';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const ProposalSchema = Type.Union([
  Type.Object({ code: Type.String(), input: Type.String() }, { additionalProperties: false }),
  Type.Object(
    { code: Type.String(), inputs: Type.Array(Type.String()), message: Type.String() },
    { additionalProperties: false },
  ),
]);

export const ValidationResultSchema = Type.Object({
  valid: Type.Boolean(),
  output: Nullable(Type.String()),
  outputs: Type.Union([Type.Array(Type.String()), Type.Null()]),
  reason: Nullable(Type.String()),
  errorType: Nullable(Type.String()),
  durationMs: Type.Number(),
});

export const AnswerSchema = Type.Union([
  Type.Object({ type: Type.Literal('deduction'), output: Type.String(), answer: Type.String() }),
  Type.Object({
    type: Type.Literal('abduction'),
    code: Type.String(),
    output: Type.String(),
    answer: Type.String(),
  }),
  Type.Object({
    type: Type.Literal('induction'),
    inputs: Type.Array(Type.String()),
    outputs: Type.Array(Type.String()),
    answer: Type.String(),
  }),
]);

export const VerificationResultSchema = Type.Object({
  correct: Type.Boolean(),
  malformed: Type.Boolean(),
  reason: Nullable(Type.String()),
  errorType: Nullable(Type.String()),
  durationMs: Type.Number(),
});

export const validatorProtocol = defineProtocol({
  validate: {
    request: Type.Object({
      proposals: Type.Array(ProposalSchema),
      executor: Type.Optional(Type.String({ description: 'Default: python.' })),
    }),
    reply: Type.Object({ results: Type.Array(ValidationResultSchema), computeMs: Type.Number() }),
  },
  verify: {
    request: Type.Object({ answers: Type.Array(AnswerSchema), executor: Type.Optional(Type.String()) }),
    reply: Type.Object({ results: Type.Array(VerificationResultSchema), computeMs: Type.Number() }),
  },
});

export const ValidatorOptions = Type.Object({
  ...PluginOptions,
  poolSize: Type.Optional(
    Type.Integer({ minimum: 1, description: 'Python workers (default: the core count).' }),
  ),
  sandbox: Type.Union([Type.Literal('bwrap'), Type.Literal('none')], {
    default: 'bwrap',
    description: '"none" runs untrusted code unsandboxed and must be asked for explicitly.',
  }),
  timeoutMs: Type.Integer({ minimum: 1, default: 5000, description: 'Deadline of one job (ms).' }),
  memoryMb: Type.Integer({
    minimum: 16,
    default: 256,
    description: 'Address-space limit of a worker (MiB).',
  }),
  maxOutputChars: Type.Integer({ minimum: 1, default: 400, description: 'Longest output repr accepted.' }),
  inductionInputs: Type.Integer({ minimum: 1, default: 10, description: 'Inputs of an induction proposal.' }),
  bannedModules: Type.Optional(
    Type.Array(Type.String(), { description: 'Replaces the default banned-module list.' }),
  ),
  allowHelpers: Type.Boolean({ default: true, description: 'Allow functions besides f.' }),
});

export type ValidatorOptions = Static<typeof ValidatorOptions>;

interface ValidatorState {
  python: Executor;
  /** Executors from plugins, by name, started on first use. */
  factories: Map<string, ExecutorFactory>;
  started: Map<string, Executor>;
  settings: { workers?: number; timeoutMs: number };
}

/** The built-in executor: Python in bubblewrap, with the AZR validation policy. */
function pythonExecutor(options: ValidatorOptions): Executor {
  const pool = new PythonPool({
    size: options.poolSize,
    sandbox: options.sandbox,
    limits: { timeoutMs: options.timeoutMs, memoryBytes: options.memoryMb * 1024 * 1024 },
  });
  const policy: ValidationOptions = {
    maxOutputChars: options.maxOutputChars,
    inductionInputs: options.inductionInputs,
    bannedModules: options.bannedModules,
    allowHelpers: options.allowHelpers,
  };
  return {
    validate: (proposals) => validate(pool, proposals as Proposal[], policy),
    verify: (checks) => verify(pool, checks as AnswerToCheck[], policy),
    close: () => pool.close(),
  };
}

function executor(state: ValidatorState, name = 'python'): Executor {
  if (name === 'python') return state.python;
  let started = state.started.get(name);
  if (!started) {
    const factory = state.factories.get(name);
    if (!factory) {
      const known = ['python', ...state.factories.keys()].join(', ');
      throw new Error(`validator: no executor "${name}" (known: ${known}); add the plugin that provides it`);
    }
    started = factory.create(state.settings);
    state.started.set(name, started);
  }
  return started;
}

export const validator = defineActor({
  kind: 'validator',
  module: import.meta.url,
  protocol: validatorProtocol,
  options: ValidatorOptions,
  init: async (options): Promise<ValidatorState> => ({
    python: pythonExecutor(options),
    factories: (await loadActorPlugins(options)).executors,
    started: new Map(),
    settings: { workers: options.poolSize, timeoutMs: options.timeoutMs },
  }),
  handlers: {
    validate: async (state, { proposals, executor: name }, ctx) => {
      const started = performance.now();
      const results = await executor(state, name).validate(proposals as TaskProposal[]);
      ctx.reply({ results, computeMs: performance.now() - started });
      return state;
    },
    verify: async (state, { answers, executor: name }, ctx) => {
      const started = performance.now();
      const results = await executor(state, name).verify(answers as AnswerCheck[]);
      ctx.reply({ results, computeMs: performance.now() - started });
      return state;
    },
  },
  stop: async (state) => {
    if (!state) return;
    await Promise.all([state.python, ...state.started.values()].map((e) => e.close()));
  },
});
