// Answer checking (docs/azr.md §1), every comparison done by harness.py inside the sandbox on Python values.
import { type AnswerVerdict, type BuiltinCheck, batchOf, verifyAnswer } from '../wire/index.ts';
import { type ProgramPolicyOptions, runOptions, wirePolicy } from './policy.ts';
import type { PythonPool } from './python-pool.ts';
import type { HarnessRequest, ValidateRequest } from './types.ts';

export interface VerificationOptions extends ProgramPolicyOptions {
  /** Deadline for each answer's job (default: the pool's `limits.timeoutMs`). */
  timeoutMs?: number;
}

/** The harness request that decides a check (its shape already checked). */
function requestFor(
  check: BuiltinCheck,
  options: VerificationOptions,
): Exclude<HarnessRequest, ValidateRequest> {
  switch (check.type) {
    case 'deduction':
      return { op: 'deduction', answer: check.answer, gold: check.output, policy: wirePolicy(options) };
    case 'abduction':
      return {
        op: 'abduction',
        code: check.code,
        answer: check.answer,
        gold: check.output,
        policy: wirePolicy(options),
      };
    case 'induction':
      return {
        op: 'induction',
        answer: check.answer,
        inputs: check.inputs,
        outputs: check.outputs,
        policy: wirePolicy(options),
      };
  }
}

/** Checks one answer. Never throws for bad answers; rejects only if the pool is closed/broken. */
export function verifyOne(
  pool: PythonPool,
  check: BuiltinCheck,
  options: VerificationOptions = {},
): Promise<AnswerVerdict> {
  return verifyAnswer(check, (valid) => pool.runWhenRoom(requestFor(valid, options), runOptions(options)));
}

/** Checks a batch over the whole pool; results in input order. */
export const verify = batchOf(verifyOne);
