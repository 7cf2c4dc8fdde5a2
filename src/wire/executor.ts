// What every executor shares, whatever language it runs (Python in src/executor, JavaScript in plugins/javascript):
// a job's outcome and the errors of its pool, the checks on a proposal's or an answer's shape that need no
// interpreter, and how a job's outcome becomes a verdict (docs/executor.md).
import type { AnswerVerdict, BuiltinCheck, Proposal, ProposalVerdict, SandboxValidation } from './schemas.ts';
import { AzrError } from '../errors.ts';

/** docs/azr.md §3: the reference code's banned-import list. Every component of every entry is banned. */
export const DEFAULT_BANNED_MODULES: readonly string[] = [
  'logging',
  'random',
  'multiprocessing',
  'pebble',
  'subprocess',
  'threading',
  'datetime',
  'time',
  'hashlib',
  'hmac',
  'bcrypt',
  'calendar',
  'os.sys',
  'os.path',
  'sys.exit',
  'os.environ',
];

/**
 * The outcome of one job. A job never disappears: it either answers (`ok: true`) or ends as a
 * `timeout` (deadline passed, worker killed and replaced) or `crashed` (its worker died while running it).
 */
export type JobOutcome<R> =
  | { ok: true; value: R }
  | { ok: false; kind: 'timeout' | 'crashed'; reason: string; durationMs: number };

/** A job sent to a pool that is closed (or closes before the job runs). */
export class PoolClosedError extends AzrError {
  constructor(message: string) {
    super('EXECUTOR_FAILED', message);
  }
}

/** A job sent to a pool whose queue already holds `maxQueue` jobs. */
export class PoolQueueFullError extends AzrError {
  constructor(message: string) {
    super('EXECUTOR_FAILED', message);
  }
}

/** What validating a proposal takes, in every executor. */
export interface ValidationLimits {
  /**
   * Longest accepted output text (Python: its repr; JavaScript: its canonical JSON); longer outputs are rejected,
   * never truncated (default 400).
   */
  maxOutputChars?: number;
  /** Inputs an induction proposal must have (default 10). */
  inductionInputs?: number;
  /** Deadline for each proposal's job (default: the pool's `limits.timeoutMs`). */
  timeoutMs?: number;
}

/** The verdict on a proposal that is invalid before or without running it. */
export function invalidProposal(errorType: string, reason: string, durationMs = 0): ProposalVerdict {
  return { valid: false, output: null, outputs: null, reason, errorType, durationMs };
}

/** The verdict on an answer that is not correct; `malformed` marks a format error. */
export function incorrectAnswer(
  errorType: string | null,
  reason: string,
  malformed: boolean,
  durationMs = 0,
): AnswerVerdict {
  return { correct: false, malformed, reason, errorType, durationMs };
}

/** A proposal whose fields have the wrong types, or an induction proposal with the wrong input count or no message. */
export function proposalShapeProblem(proposal: Proposal, inductionInputs: number): ProposalVerdict | null {
  if (typeof proposal?.code !== 'string')
    return invalidProposal('MalformedProposal', 'code must be a string');
  if (!('inputs' in proposal)) {
    return typeof proposal.input === 'string'
      ? null
      : invalidProposal('MalformedProposal', 'input must be a string');
  }
  const { inputs, message } = proposal;
  if (!Array.isArray(inputs) || !inputs.every((input) => typeof input === 'string')) {
    return invalidProposal('MalformedProposal', 'inputs must be a list of strings');
  }
  if (inputs.length !== inductionInputs) {
    return invalidProposal(
      'WrongInputCount',
      `induction needs exactly ${inductionInputs} inputs, got ${inputs.length}`,
    );
  }
  if (typeof message !== 'string' || message.trim() === '') {
    return invalidProposal('MissingMessage', 'induction proposal has no message');
  }
  return null;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);

/** A check that cannot be run as given (no answer text, a task field of the wrong type, an unknown type). */
export function checkShapeProblem(check: BuiltinCheck): AnswerVerdict | null {
  if (!isString(check?.answer)) return incorrectAnswer('MalformedAnswer', 'answer must be a string', true);
  switch (check.type) {
    case 'deduction':
      return isString(check.output)
        ? null
        : incorrectAnswer('MalformedTask', 'output must be a string', false);
    case 'abduction':
      return isString(check.code) && isString(check.output)
        ? null
        : incorrectAnswer('MalformedTask', 'code and output must be strings', false);
    case 'induction':
      return isStringList(check.inputs) &&
        isStringList(check.outputs) &&
        check.inputs.length === check.outputs.length
        ? null
        : incorrectAnswer('MalformedTask', 'inputs and outputs must be string lists of equal length', false);
    default:
      return incorrectAnswer(
        'MalformedTask',
        `unknown task type ${JSON.stringify((check as { type?: unknown })?.type)}`,
        false,
      );
  }
}

/** The error type and reason of a job that did not answer. */
function jobFailure(outcome: Exclude<JobOutcome<unknown>, { ok: true }>): {
  errorType: string;
  reason: string;
} {
  return { errorType: outcome.kind === 'timeout' ? 'Timeout' : 'WorkerCrashed', reason: outcome.reason };
}

/**
 * Validates one proposal: its shape, then `run` computes every output in the sandbox. Never throws for bad
 * proposals; rejects only when `run` does (a closed or broken pool).
 */
export async function validateProposal(
  proposal: Proposal,
  limits: ValidationLimits,
  run: (code: string, inputs: readonly string[]) => Promise<JobOutcome<SandboxValidation>>,
): Promise<ProposalVerdict> {
  const problem = proposalShapeProblem(proposal, limits.inductionInputs ?? 10);
  if (problem) return problem;
  const induction = 'inputs' in proposal;
  const outcome = await run(proposal.code, induction ? proposal.inputs : [proposal.input]);
  if (!outcome.ok) {
    const { errorType, reason } = jobFailure(outcome);
    return invalidProposal(errorType, reason, outcome.durationMs);
  }
  const response = outcome.value;
  const outputs = response.valid ? response.outputs : null;
  return {
    valid: response.valid,
    output: !induction && outputs ? (outputs[0] ?? null) : null,
    outputs: induction ? outputs : null,
    reason: response.reason,
    errorType: response.errorType,
    durationMs: response.durationMs,
  };
}

/** The batch form of a one-item call: every item at once (the pool queues them), results in input order. */
export function batchOf<P, T, O, R>(one: (pool: P, item: T, options?: O) => Promise<R>) {
  return (pool: P, batch: readonly T[], options?: O): Promise<R[]> =>
    Promise.all(batch.map((item) => one(pool, item, options)));
}

/**
 * Checks one answer: its shape, then `run` decides it (in the sandbox, or directly where no code runs). Never
 * throws for bad answers; rejects only when `run` does (a closed or broken pool).
 */
export async function verifyAnswer(
  check: BuiltinCheck,
  run: (check: BuiltinCheck) => Promise<JobOutcome<AnswerVerdict>>,
): Promise<AnswerVerdict> {
  const problem = checkShapeProblem(check);
  if (problem) return problem;
  const outcome = await run(check);
  if (outcome.ok) return outcome.value;
  const { errorType, reason } = jobFailure(outcome);
  return incorrectAnswer(errorType, reason, false, outcome.durationMs);
}
