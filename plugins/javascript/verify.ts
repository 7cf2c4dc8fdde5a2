// Answer checking for JavaScript tasks. Deduction compares values (the answer is read as a JavaScript literal:
// `1.0` equals `1`, key order does not matter) without running anything; abduction runs f on the proposed
// arguments in the sandbox; induction runs the candidate program on every hidden input.
import type {
  AbductionAnswer,
  AnswerToCheck,
  DeductionAnswer,
  InductionAnswer,
  VerificationResult,
} from '../../src/executor/verify.ts';
import { parseLiteral, plainEqual } from './literal.ts';
import type { JsPool } from './pool.ts';
import { outcomeFailure, runOptions } from './validate.ts';

export type { AbductionAnswer, AnswerToCheck, DeductionAnswer, InductionAnswer, VerificationResult };

export interface JsVerificationOptions {
  timeoutMs?: number;
}

function incorrect(
  errorType: string | null,
  reason: string,
  malformed: boolean,
  durationMs = 0,
): VerificationResult {
  return { correct: false, malformed, reason, errorType, durationMs };
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);
const clip = (text: string, limit = 400) => (text.length <= limit ? text : `${text.slice(0, limit - 3)}...`);

/** Deduction needs no sandbox: both sides are parsed by a literal parser and compared as values. */
export function checkDeduction(item: DeductionAnswer): VerificationResult {
  const started = performance.now();
  const answer = parseLiteral(item.answer);
  if (!answer.ok) {
    return incorrect('MalformedAnswer', clip(`answer is not a JavaScript literal: ${answer.reason}`), true);
  }
  const gold = parseLiteral(item.output);
  if (!gold.ok)
    return incorrect('MalformedTask', clip(`gold output is not a literal: ${gold.reason}`), false);
  const durationMs = performance.now() - started;
  return plainEqual(answer.value, gold.value)
    ? { correct: true, malformed: false, reason: null, errorType: null, durationMs }
    : incorrect(null, clip(`answer ${item.answer.trim()} != expected ${item.output}`), false, durationMs);
}

/** Checks one answer. Never throws for bad answers; rejects only if the pool is closed. */
export async function verifyJsOne(
  pool: JsPool,
  item: AnswerToCheck,
  options: JsVerificationOptions = {},
): Promise<VerificationResult> {
  if (!isString(item?.answer)) return incorrect('MalformedAnswer', 'answer must be a string', true);
  let outcome: Awaited<ReturnType<JsPool['run']>>;
  switch (item.type) {
    case 'deduction':
      if (!isString(item.output)) return incorrect('MalformedTask', 'output must be a string', false);
      return checkDeduction(item);
    case 'abduction':
      if (!isString(item.code) || !isString(item.output)) {
        return incorrect('MalformedTask', 'code and output must be strings', false);
      }
      outcome = await pool.runWhenRoom(
        { op: 'abduction', code: item.code, answer: item.answer, gold: item.output },
        runOptions(options.timeoutMs),
      );
      break;
    case 'induction':
      if (
        !isStringList(item.inputs) ||
        !isStringList(item.outputs) ||
        item.inputs.length !== item.outputs.length
      ) {
        return incorrect('MalformedTask', 'inputs and outputs must be string lists of equal length', false);
      }
      outcome = await pool.runWhenRoom(
        { op: 'induction', answer: item.answer, inputs: item.inputs, outputs: item.outputs },
        runOptions(options.timeoutMs),
      );
      break;
    default:
      return incorrect(
        'MalformedTask',
        `unknown task type ${JSON.stringify((item as { type?: unknown })?.type)}`,
        false,
      );
  }
  if (outcome.ok) return outcome.value as VerificationResult;
  const { errorType, reason } = outcomeFailure(outcome);
  return incorrect(errorType, reason, false, outcome.durationMs);
}

/** Checks a batch over the whole pool; results in input order. */
export function verifyJs(
  pool: JsPool,
  batch: readonly AnswerToCheck[],
  options: JsVerificationOptions = {},
): Promise<VerificationResult[]> {
  return Promise.all(batch.map((item) => verifyJsOne(pool, item, options)));
}
