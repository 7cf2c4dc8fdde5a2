// The plugin API: what a task mode, a reward shaper or a plugin is. It depends on nothing of azr but the wire
// types (src/wire), so a plugin written against it keeps working while the core changes (see PLUGIN_API_VERSION).
import type { Static, TObject } from '@sinclair/typebox';
import type {
  AnswerCheck,
  AnswerVerdict,
  BuiltinCheck,
  CustomCheck,
  Proposal,
  ProposalVerdict,
  Task,
} from '../wire/index.ts';

export type {
  AnswerCheck,
  AnswerVerdict,
  BuiltinCheck,
  CustomCheck,
  InductionProposal,
  Proposal,
  ProposalVerdict,
  SingleProposal,
  Task,
} from '../wire/index.ts';

/** The plugin API version this azr implements; a plugin built for another is refused with what to change. */
export const PLUGIN_API_VERSION = 1;

/** A completion read: the value, or why it could not be read. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Runs untrusted code for the task modes that name it: validates proposals and checks answers, sandboxed. */
export interface Executor {
  validate(proposals: readonly Proposal[]): Promise<ProposalVerdict[]>;
  verify(checks: readonly BuiltinCheck[]): Promise<AnswerVerdict[]>;
  close(): Promise<void>;
}

/** How the validator actor makes an executor; `python` is built in, plugins add others. */
export interface ExecutorFactory {
  readonly name: string;
  create(settings: { workers?: number; timeoutMs: number }): Executor;
}

/** The executor's verdict on a proposal, as a task mode sees it. */
export interface ValidatedProposal {
  proposal: Proposal;
  output: string | null;
  outputs: string[] | null;
}

export interface PromptSpec {
  text: string;
  /** Strings that end the completion (not included in it). */
  stop: string[];
  maxTokens?: number;
}

/**
 * Grammar-constrained decoding over text: which characters may come next. Used through the sampler's logits-mask
 * hook with character-level tokenizers (one token per character).
 */
export interface TextConstraint {
  /** Characters allowed after `prefix` (the completion so far); an empty list ends the completion. */
  allowedNext(prefix: string): readonly string[];
  /**
   * Optional additive logits for the allowed characters (same order as `allowedNext`), applied to the choice only:
   * a prior that steers sampling while the recorded log-probabilities stay the model's own.
   */
  bias?(prefix: string): readonly number[];
}

/**
 * A task mode: how to ask for a task, read the answer, and what the executor checks. The core loop never names a
 * task type; it asks the registered modes.
 */
export interface TaskMode {
  readonly name: string;
  /** The executor that validates and checks this mode's tasks (default: "python"). */
  readonly executor?: string;
  /** References shown to the proposer (AZR: K = 6; induction: 1). */
  readonly references: number;
  /**
   * The modes whose buffers the proposer's references are drawn from, those of them played (default: this mode's
   * own). AZR's induction proposer is given a program from the deduction and abduction buffers (docs/azr.md §2).
   */
  readonly referenceModes?: readonly string[];
  /** The tasks a buffer of this mode starts with. */
  seedTasks(): Task[];
  proposerPrompt(references: readonly Task[]): PromptSpec;
  parseProposal(completion: string): Parsed<Proposal>;
  /**
   * A parsed proposal completed from its prompt's references before it is validated (optional): AZR's induction
   * proposer writes only inputs and a message, and the task's program is the one it was given (docs/azr.md §2).
   */
  completeProposal?(proposal: Proposal, references: readonly Task[]): Proposal;
  /**
   * A parsed (and completed) proposal split into the proposals the executor validates one by one, each becoming a
   * task of its own when valid (optional; default: the proposal itself). A program mode with `inputsPerProposal`
   * k > 1 splits one program with k inputs into its (program, input) pairs (docs/azr.md §4, "Several inputs per
   * program"). None: the proposal is invalid.
   */
  splitProposal?(proposal: Proposal): Proposal[];
  /**
   * The task a valid proposal becomes, with the executor's outputs; undefined: the mode refuses it (a trivial task,
   * e.g. tiny-python's `rejectIdentity`), and the proposal (or pair) counts as invalid.
   */
  toTask(validated: ValidatedProposal, meta: { id: string; step: number }): Task | undefined;
  solverPrompt(task: Task): PromptSpec;
  parseAnswer(completion: string): Parsed<string>;
  /** What decides whether `answer` is correct: a built-in check, or a `custom` one that `judge` decides. */
  check(task: Task, answer: string): AnswerCheck;
  /**
   * Decides a `custom` check that `check` returned. It runs where the executors are (the validator actor), and
   * gets this mode's executor to run code with: `validate` computes f(input) (and rejects what AZR would),
   * `verify` runs the built-in checks. Throwing, or an answer it cannot read, makes the answer incorrect (the
   * throw is counted as a plugin fault); `malformed: true` marks a format error.
   */
  judge?(check: CustomCheck, executor: Executor): AnswerVerdict | Promise<AnswerVerdict>;
  /** The gold answer for executor-supervised learning, when the mode has one. */
  goldAnswer?(task: Task): string;
  /** A grammar for the proposer's completions, or the solver's answer to `task` (optional). */
  constraint?(role: 'proposer' | 'solver', task?: Task): TextConstraint | undefined;
}

/** One sampled sequence with everything reward shapers may look at. */
export interface Rollout {
  role: 'proposer' | 'solver';
  mode: string;
  completion: string;
  /** The completion parsed (proposal or answer) without error. */
  formatOk: boolean;
  /** Proposer: the executor accepted the proposal. */
  valid?: boolean;
  /** Proposer: the solver's success rate on the task over n rollouts (AZR's r̄). */
  solveRate?: number;
  /** Solver: the executor judged the answer correct. */
  correct?: boolean;
  task?: Task;
}

export interface RewardContext {
  step: number;
  /** Tasks of the same mode already in the buffer, oldest first (its last `bufferWindow` when every shaper sets one). */
  buffer: readonly Task[];
}

/** Adds a term to a rollout's scalar reward (docs/azr.md §4). The reward is the sum of every shaper's term. */
export interface RewardShaper {
  readonly name: string;
  /** Set when `reward` reads `context.buffer` (the buffer is then fetched for it each step). */
  readonly needsBuffer?: boolean;
  /**
   * With `needsBuffer`: `reward` reads only the mode's last N buffered tasks, so `context.buffer` holds just those
   * (the coordinator fetches the largest window its shapers ask for; all of the buffer when one gives none).
   */
  readonly bufferWindow?: number;
  reward(rollout: Rollout, context: RewardContext): number;
}

export interface PluginParts<O> {
  taskModes?(options: O): TaskMode[];
  rewardShapers?(options: O): RewardShaper[];
  executors?(options: O): ExecutorFactory[];
}

export interface Plugin<S extends TObject = TObject> extends PluginParts<Static<S>> {
  readonly apiVersion: number;
  readonly name: string;
  readonly description?: string;
  /** JSON Schema of the plugin's options, checked when a config names the plugin. */
  readonly options?: S;
}

/**
 * Declares a plugin: task modes, reward shapers and executors it adds, and the JSON Schema of its options; fills in
 * `apiVersion`. A topology names it by path or package name under `plugins`.
 *
 * @example
 * export default definePlugin({
 *   name: 'brevity',
 *   options: Type.Object({ weight: Type.Number({ default: 0.1 }) }),
 *   rewardShapers: (options) => [
 *     { name: 'brevity', reward: (r) => (r.role === 'solver' ? (-options.weight * r.completion.length) / 100 : 0) },
 *   ],
 * });
 */
export function definePlugin<S extends TObject>(
  plugin: Omit<Plugin<S>, 'apiVersion'> & { apiVersion?: number },
): Plugin<S> {
  return { apiVersion: PLUGIN_API_VERSION, ...plugin } as Plugin<S>;
}
