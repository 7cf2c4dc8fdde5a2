// Answer checking (docs/azr.md §1), every comparison done by harness.py inside the sandbox on Python values.
import type { PythonPool, RunOptions } from './python-pool.ts';
import type { HarnessRequest, ValidateRequest } from './types.ts';
import { outcomeFailure, type ProgramPolicyOptions, wirePolicy } from './validate.ts';

/** Solver predicted the output of `f(input)`: correct when its literal equals the gold output's. */
export interface DeductionAnswer {
  type: 'deduction';
  /** Gold output (repr string from validation). */
  output: string;
  answer: string;
}

/** Solver proposed an input: correct when f(answer) equals the gold output (any input that works counts). */
export interface AbductionAnswer {
  type: 'abduction';
  code: string;
  output: string;
  answer: string;
}

/** Solver wrote a program: correct when it reproduces every hidden (input, output) pair. */
export interface InductionAnswer {
  type: 'induction';
  inputs: readonly string[];
  outputs: readonly string[];
  answer: string;
}

export type AnswerToCheck = DeductionAnswer | AbductionAnswer | InductionAnswer;

export interface VerificationResult {
  correct: boolean;
  /** The answer was unusable (not a literal / argument list / program defining f): a format error. */
  malformed: boolean;
  reason: string | null;
  errorType: string | null;
  durationMs: number;
}

export interface VerificationOptions extends ProgramPolicyOptions {
  timeoutMs?: number;
}

function incorrect(
  errorType: string,
  reason: string,
  malformed: boolean,
  durationMs = 0,
): VerificationResult {
  return { correct: false, malformed, reason, errorType, durationMs };
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);

/** The harness request for an answer, or the reason it cannot be checked at all. */
function toRequest(
  item: AnswerToCheck,
  options: VerificationOptions,
): Exclude<HarnessRequest, ValidateRequest> | VerificationResult {
  if (!isString(item?.answer)) return incorrect('MalformedAnswer', 'answer must be a string', true);
  switch (item.type) {
    case 'deduction':
      if (!isString(item.output)) return incorrect('MalformedTask', 'output must be a string', false);
      return { op: 'deduction', answer: item.answer, gold: item.output };
    case 'abduction':
      if (!isString(item.code) || !isString(item.output)) {
        return incorrect('MalformedTask', 'code and output must be strings', false);
      }
      return {
        op: 'abduction',
        code: item.code,
        answer: item.answer,
        gold: item.output,
        policy: wirePolicy(options),
      };
    case 'induction':
      if (
        !isStringList(item.inputs) ||
        !isStringList(item.outputs) ||
        item.inputs.length !== item.outputs.length
      ) {
        return incorrect('MalformedTask', 'inputs and outputs must be string lists of equal length', false);
      }
      return {
        op: 'induction',
        answer: item.answer,
        inputs: item.inputs,
        outputs: item.outputs,
        policy: wirePolicy(options),
      };
    default:
      return incorrect(
        'MalformedTask',
        `unknown task type ${JSON.stringify((item as { type?: unknown })?.type)}`,
        false,
      );
  }
}

/** Checks one answer. Never throws for bad answers; rejects only if the pool is closed/broken. */
export async function verifyOne(
  pool: PythonPool,
  item: AnswerToCheck,
  options: VerificationOptions = {},
): Promise<VerificationResult> {
  const request = toRequest(item, options);
  if (!('op' in request)) return request;
  const runOptions: RunOptions = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  const outcome = await pool.runWhenRoom(request, runOptions);
  if (outcome.ok) return outcome.value;
  const { errorType, reason } = outcomeFailure(outcome);
  return incorrect(errorType, reason, false, outcome.durationMs);
}

/** Checks a batch over the whole pool; results in input order. */
export function verify(
  pool: PythonPool,
  batch: readonly AnswerToCheck[],
  options: VerificationOptions = {},
): Promise<VerificationResult[]> {
  return Promise.all(batch.map((item) => verifyOne(pool, item, options)));
}
