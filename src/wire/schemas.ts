// The values that cross between actors, executors and plugins, each written once as a TypeBox schema with its
// type derived from it: actors check their messages against the schemas, executors and plugins use the types.
import { type SchemaOptions, type Static, Type } from '@sinclair/typebox';

/** A string enum as JSON Schema `enum` (clearer errors than a union of literals), typed as the union. */
export function StringEnum<T extends string[]>(values: readonly [...T], options: SchemaOptions = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/**
 * A valid task, as kept in a buffer: the program, its input(s) and the executor's output(s) (docs/azr.md §1).
 * `input` is the call's arguments as source text (e.g. `'John', {'age': 20}`), `output` the repr of f(input);
 * induction tasks also carry every input and output and the proposer's message. `step` is the self-play step that
 * proposed it (0 = seed); `mode` the task mode that owns it.
 */
export const TaskSchema = Type.Object({
  id: Type.String(),
  mode: Type.String(),
  code: Type.String(),
  input: Type.String(),
  output: Type.String(),
  inputs: Type.Optional(Type.Array(Type.String())),
  outputs: Type.Optional(Type.Array(Type.String())),
  message: Type.Optional(Type.String()),
  step: Type.Integer({ minimum: 0 }),
});
export type Task = Static<typeof TaskSchema>;

/** A deduction/abduction proposal: program `code` defining f, and `input`, the text of f's arguments. */
export const SingleProposalSchema = Type.Object(
  { code: Type.String(), input: Type.String() },
  { additionalProperties: false },
);
export type SingleProposal = Static<typeof SingleProposalSchema>;

/** An induction proposal: one program, N inputs and a message for the solver. */
export const InductionProposalSchema = Type.Object(
  { code: Type.String(), inputs: Type.Array(Type.String()), message: Type.String() },
  { additionalProperties: false },
);
export type InductionProposal = Static<typeof InductionProposalSchema>;

/** What the proposer wrote, once parsed: one input, or (induction) several and a message. */
export const ProposalSchema = Type.Union([SingleProposalSchema, InductionProposalSchema]);
export type Proposal = Static<typeof ProposalSchema>;

/** Deduction: the answer is the output of f(input); correct when its value equals the gold output's. */
export const DeductionCheckSchema = Type.Object({
  type: Type.Literal('deduction'),
  output: Type.String(),
  answer: Type.String(),
});
export type DeductionCheck = Static<typeof DeductionCheckSchema>;

/** Abduction: the answer is an input; correct when f(answer) equals the gold output (any input that works). */
export const AbductionCheckSchema = Type.Object({
  type: Type.Literal('abduction'),
  code: Type.String(),
  output: Type.String(),
  answer: Type.String(),
});
export type AbductionCheck = Static<typeof AbductionCheckSchema>;

/** Induction: the answer is a program; correct when it reproduces every hidden (input, output) pair. */
export const InductionCheckSchema = Type.Object({
  type: Type.Literal('induction'),
  inputs: Type.Array(Type.String()),
  outputs: Type.Array(Type.String()),
  answer: Type.String(),
});
export type InductionCheck = Static<typeof InductionCheckSchema>;

/** The checks every executor runs for one answer (docs/azr.md §1: all equality checks run in the sandbox). */
export const BuiltinCheckSchema = Type.Union([
  DeductionCheckSchema,
  AbductionCheckSchema,
  InductionCheckSchema,
]);
export type BuiltinCheck = Static<typeof BuiltinCheckSchema>;

/**
 * A check of the task mode's own kind: the validator actor hands it to the mode's `judge`. `data` is what the
 * judge needs besides the answer; it travels between actors, so keep it to what msgpack carries (strings, numbers,
 * booleans, null, arrays, plain objects).
 */
export const CustomCheckSchema = Type.Object({
  type: Type.Literal('custom'),
  answer: Type.String(),
  data: Type.Unknown({ description: "What the task mode's judge needs besides the answer." }),
});
export type CustomCheck = Static<typeof CustomCheckSchema>;

/** What must be checked for one answer (what `TaskMode.check` returns): a built-in check, or a custom one. */
export const AnswerCheckSchema = Type.Union([
  DeductionCheckSchema,
  AbductionCheckSchema,
  InductionCheckSchema,
  CustomCheckSchema,
]);
export type AnswerCheck = Static<typeof AnswerCheckSchema>;

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

/**
 * An executor's verdict on a proposal (docs/azr.md §3): `output` is the repr of f(input) for a single-input
 * proposal, `outputs` every output of an induction proposal (both null when invalid); `errorType` names why it is
 * invalid (a Python exception name or one of ours: SyntaxError, BannedImport, BannedName, Nondeterministic, Timeout, ...).
 */
export const ProposalVerdictSchema = Type.Object({
  valid: Type.Boolean(),
  output: Nullable(Type.String()),
  outputs: Type.Union([Type.Array(Type.String()), Type.Null()]),
  reason: Nullable(Type.String()),
  errorType: Nullable(Type.String()),
  durationMs: Type.Number(),
});
export type ProposalVerdict = Static<typeof ProposalVerdictSchema>;

/**
 * What a sandbox answers to one validation job, whatever the proposal's kind: every output in input order (null
 * when invalid). The executor turns it into a ProposalVerdict.
 */
export const SandboxValidationSchema = Type.Omit(ProposalVerdictSchema, ['output']);
export type SandboxValidation = Static<typeof SandboxValidationSchema>;

/**
 * An executor's verdict on an answer; `malformed` marks an answer it could not use (not an expression, or not a
 * literal when only literals are accepted; not an argument list; a banned name; not a program defining f). Whether
 * that is wrong or a format error is the coordinator's `malformedAnswers` (docs/azr.md §4).
 */
export const AnswerVerdictSchema = Type.Object({
  correct: Type.Boolean(),
  malformed: Type.Boolean(),
  reason: Nullable(Type.String()),
  errorType: Nullable(Type.String()),
  durationMs: Type.Number(),
});
export type AnswerVerdict = Static<typeof AnswerVerdictSchema>;

const Ids = Type.Array(Type.Integer({ minimum: 0 }));

/**
 * One rewarded sequence for the learner (docs/azr.md §5): token ids, the log-probability of each response token
 * when it was sampled, the scalar reward and the normalisation group (e.g. `${taskType}/${role}`).
 */
export const RolloutSampleSchema = Type.Object({
  promptIds: Ids,
  responseIds: Ids,
  samplingLogprobs: Type.Array(Type.Number()),
  reward: Type.Number(),
  group: Type.String(),
  /** The weights version that generated it (docs/azr.md §5, bounded staleness); none: as fresh as the update. */
  version: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type RolloutSample = Static<typeof RolloutSampleSchema>;

/** The normalisation group of one role's samples in a mode: `<mode>/<role>` (docs/azr.md §5). */
export const sampleGroup = (mode: string, role: 'proposer' | 'solver'): string => `${mode}/${role}`;

/** Whether a sample's group is a proposer's (the learner's `proposer.weights: own` routes by it). */
export const isProposerGroup = (group: string): boolean => group.endsWith('/proposer');

/** A prompt and its executor-produced target, for the learner's supervised term (docs/azr.md §5). */
export const SupervisedSampleSchema = Type.Object({ promptIds: Ids, targetIds: Ids });
export type SupervisedSample = Static<typeof SupervisedSampleSchema>;

/** Plugin faults by plugin part (e.g. "mode:deduction.parseProposal"): how many, and the first one's message. */
export const FaultsSchema = Type.Record(
  Type.String(),
  Type.Object({ count: Type.Integer({ minimum: 1 }), first: Type.String() }),
);
export type Faults = Static<typeof FaultsSchema>;
