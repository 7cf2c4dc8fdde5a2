// Answer checking for JavaScript tasks. Deduction compares values (the answer is read as a JavaScript literal:
// `1.0` equals `1`, key order does not matter) without running anything; abduction runs f on the proposed
// arguments in the sandbox; induction runs the candidate program on every hidden input.
import {
  type AnswerVerdict,
  batchOf,
  type BuiltinCheck,
  type DeductionCheck,
  incorrectAnswer,
  type JobOutcome,
  verifyAnswer,
} from '../../src/wire/index.ts';
import { parseLiteral, plainEqual } from './literal.ts';
import type { JsPool } from './pool.ts';
import { runOptions } from './validate.ts';

export interface JsVerificationOptions {
  timeoutMs?: number;
}

const clip = (text: string, limit = 400) => (text.length <= limit ? text : `${text.slice(0, limit - 3)}...`);

/** Deduction needs no sandbox: both sides are parsed by a literal parser and compared as values. */
export function checkDeduction(item: DeductionCheck): AnswerVerdict {
  const started = performance.now();
  const answer = parseLiteral(item.answer);
  if (!answer.ok) {
    return incorrectAnswer(
      'MalformedAnswer',
      clip(`answer is not a JavaScript literal: ${answer.reason}`),
      true,
    );
  }
  const gold = parseLiteral(item.output);
  if (!gold.ok)
    return incorrectAnswer('MalformedTask', clip(`gold output is not a literal: ${gold.reason}`), false);
  const durationMs = performance.now() - started;
  return plainEqual(answer.value, gold.value)
    ? { correct: true, malformed: false, reason: null, errorType: null, durationMs }
    : incorrectAnswer(
        null,
        clip(`answer ${item.answer.trim()} != expected ${item.output}`),
        false,
        durationMs,
      );
}

/** Decides a check whose shape is right: deduction here, the others in the sandbox. */
function decide(
  pool: JsPool,
  check: BuiltinCheck,
  options: JsVerificationOptions,
): Promise<JobOutcome<AnswerVerdict>> {
  switch (check.type) {
    case 'deduction':
      return Promise.resolve({ ok: true, value: checkDeduction(check) });
    case 'abduction':
      return pool.runWhenRoom(
        { op: 'abduction', code: check.code, answer: check.answer, gold: check.output },
        runOptions(options),
      );
    case 'induction':
      return pool.runWhenRoom(
        { op: 'induction', answer: check.answer, inputs: check.inputs, outputs: check.outputs },
        runOptions(options),
      );
  }
}

/** Checks one answer. Never throws for bad answers; rejects only if the pool is closed. */
export function verifyJsOne(
  pool: JsPool,
  check: BuiltinCheck,
  options: JsVerificationOptions = {},
): Promise<AnswerVerdict> {
  return verifyAnswer(check, (valid) => decide(pool, valid, options));
}

/** Checks a batch over the whole pool; results in input order. */
export const verifyJs = batchOf(verifyJsOne);
