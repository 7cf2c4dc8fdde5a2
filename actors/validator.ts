// The validator actor: owns a sandboxed Python worker pool and answers two questions for the self-play loop —
// which proposals are valid tasks (and their outputs), and which answers are correct. A broken pool crashes the
// actor, and its supervisor starts a fresh one.
import { type Static, Type } from '@sinclair/typebox';
import {
  type AnswerToCheck,
  type Proposal,
  PythonPool,
  type ValidationOptions,
  validate,
  verify,
} from '../src/executor/index.ts';
import { defineActor, defineProtocol } from '../src/runtime/index.ts';

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
    request: Type.Object({ proposals: Type.Array(ProposalSchema) }),
    reply: Type.Object({ results: Type.Array(ValidationResultSchema), computeMs: Type.Number() }),
  },
  verify: {
    request: Type.Object({ answers: Type.Array(AnswerSchema) }),
    reply: Type.Object({ results: Type.Array(VerificationResultSchema), computeMs: Type.Number() }),
  },
});

export const ValidatorOptions = Type.Object({
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

export const validator = defineActor({
  kind: 'validator',
  module: import.meta.url,
  protocol: validatorProtocol,
  options: ValidatorOptions,
  init: (options) => {
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
    return { pool, policy };
  },
  handlers: {
    validate: async (state, { proposals }, ctx) => {
      const started = performance.now();
      const results = await validate(state.pool, proposals as Proposal[], state.policy);
      ctx.reply({ results, computeMs: performance.now() - started });
      return state;
    },
    verify: async (state, { answers }, ctx) => {
      const started = performance.now();
      const results = await verify(state.pool, answers as AnswerToCheck[], state.policy);
      ctx.reply({ results, computeMs: performance.now() - started });
      return state;
    },
  },
  stop: (state) => state?.pool.close(),
});
