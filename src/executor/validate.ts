// AZR validation of proposals (docs/azr.md §3), run inside the sandbox by harness.py.
import { type Proposal, type ProposalVerdict, validateProposal } from '../wire/index.ts';
import { type ProgramPolicyOptions, runOptions, wirePolicy } from './policy.ts';
import type { PythonPool } from './python-pool.ts';

export interface ValidationOptions extends ProgramPolicyOptions {
  /** Longest accepted output repr; longer outputs are rejected, never truncated (default 400). */
  maxOutputChars?: number;
  /** Inputs an induction proposal must have (default 10). */
  inductionInputs?: number;
  /** Deadline for each proposal's job (default: the pool's `limits.timeoutMs`). */
  timeoutMs?: number;
}

/** Validates one proposal. Never throws for bad proposals; rejects only if the pool is closed/broken. */
export function validateOne(
  pool: PythonPool,
  proposal: Proposal,
  options: ValidationOptions = {},
): Promise<ProposalVerdict> {
  return validateProposal(proposal, options.inductionInputs ?? 10, (code, inputs) =>
    pool.runWhenRoom({ op: 'validate', code, inputs, policy: wirePolicy(options) }, runOptions(options)),
  );
}

/** Validates a batch over the whole pool; results in input order. */
export function validate(
  pool: PythonPool,
  batch: readonly Proposal[],
  options: ValidationOptions = {},
): Promise<ProposalVerdict[]> {
  return Promise.all(batch.map((proposal) => validateOne(pool, proposal, options)));
}
