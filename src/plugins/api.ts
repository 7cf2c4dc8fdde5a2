// The plugin API: what a task mode, a reward shaper or a plugin is. It depends on nothing else of azr, so a
// plugin written against it keeps working while the core changes (see PLUGIN_API_VERSION).
import type { Static, TObject } from '@sinclair/typebox';

export const PLUGIN_API_VERSION = 1;

/** A valid task, as kept in a buffer: the program, its input(s) and the executor's output(s). */
export interface Task {
  id: string;
  /** Name of the task mode that owns it. */
  mode: string;
  code: string;
  /** Call arguments as Python source, e.g. `'John', {'age': 20}`. */
  input: string;
  /** repr of f(input), computed by the executor. */
  output: string;
  /** Induction: every input and its output, and the proposer's message. */
  inputs?: string[];
  outputs?: string[];
  message?: string;
  /** The self-play step that proposed it (0 = seed). */
  step: number;
}

/** What the proposer wrote, once parsed: one input, or (induction) several and a message. */
export type Proposal = { code: string; input: string } | { code: string; inputs: string[]; message: string };

/** The checks every executor runs for one answer (docs/azr.md §1: all equality checks run in the sandbox). */
export type BuiltinCheck =
  | { type: 'deduction'; output: string; answer: string }
  | { type: 'abduction'; code: string; output: string; answer: string }
  | { type: 'induction'; inputs: string[]; outputs: string[]; answer: string };

/**
 * A check of the task mode's own kind: the validator actor hands it to the mode's `judge`. `data` is what the
 * judge needs besides the answer; it travels between actors, so keep it to what msgpack carries (strings, numbers,
 * booleans, null, arrays, plain objects).
 */
export interface CustomCheck {
  type: 'custom';
  answer: string;
  data: unknown;
}

/** What must be checked for one answer: a built-in check, or one the task mode judges itself. */
export type AnswerCheck = BuiltinCheck | CustomCheck;

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** An executor's verdict on a proposal (docs/azr.md §3); `output` is the repr of f(input), `outputs` for induction. */
export interface ProposalVerdict {
  valid: boolean;
  output: string | null;
  outputs: string[] | null;
  reason: string | null;
  errorType: string | null;
  durationMs: number;
}

/** An executor's verdict on an answer; `malformed` marks an answer it could not even read (a format error). */
export interface AnswerVerdict {
  correct: boolean;
  malformed: boolean;
  reason: string | null;
  errorType: string | null;
  durationMs: number;
}

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
  /** The tasks a buffer of this mode starts with. */
  seedTasks(): Task[];
  proposerPrompt(references: readonly Task[]): PromptSpec;
  parseProposal(completion: string): Parsed<Proposal>;
  /** The task a valid proposal becomes, with the executor's outputs. */
  toTask(validated: ValidatedProposal, meta: { id: string; step: number }): Task;
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
  /** Tasks of the same mode already in the buffer (for novelty-style shapers). */
  buffer: readonly Task[];
}

/** Adds a term to a rollout's scalar reward (docs/azr.md §4). The reward is the sum of every shaper's term. */
export interface RewardShaper {
  readonly name: string;
  /** Set when `reward` reads `context.buffer` (the buffer is then fetched for it each step). */
  readonly needsBuffer?: boolean;
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

export function definePlugin<S extends TObject>(
  plugin: Omit<Plugin<S>, 'apiVersion'> & { apiVersion?: number },
): Plugin<S> {
  return { apiVersion: PLUGIN_API_VERSION, ...plugin } as Plugin<S>;
}
