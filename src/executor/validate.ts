// AZR validation of proposals (docs/azr.md §3), run inside the sandbox by harness.py.
import {
  batchOf,
  type Proposal,
  type ProposalVerdict,
  type ValidationLimits,
  validateProposal,
} from '../wire/index.ts';
import { type ProgramPolicyOptions, runOptions, wirePolicy } from './policy.ts';
import type { PythonPool } from './python-pool.ts';

export type ValidationOptions = ProgramPolicyOptions & ValidationLimits;

/** Validates one proposal. Never throws for bad proposals; rejects only if the pool is closed/broken. */
export function validateOne(
  pool: PythonPool,
  proposal: Proposal,
  options: ValidationOptions = {},
): Promise<ProposalVerdict> {
  return validateProposal(proposal, options, (code, inputs) =>
    pool.runWhenRoom({ op: 'validate', code, inputs, policy: wirePolicy(options) }, runOptions(options)),
  );
}

/** Validates a batch over the whole pool; results in input order. */
export const validate = batchOf(validateOne);
