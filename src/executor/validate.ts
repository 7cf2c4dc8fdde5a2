// AZR validation of proposals (docs/azr.md §3), run inside the sandbox by harness.py.
import { invalidProposal, proposalShapeProblem, proposalVerdict } from '../plugins/proposal-shape.ts';
import type { PythonPool, RunOptions } from './python-pool.ts';
import { DEFAULT_BANNED_MODULES, type JobOutcome, type WirePolicy } from './types.ts';

export interface ProgramPolicyOptions {
  /** Banned modules; every component of every entry is banned (default: docs/azr.md §3 list). */
  bannedModules?: readonly string[];
  /** Allow functions besides `f` (default true). */
  allowHelpers?: boolean;
}

export interface ValidationOptions extends ProgramPolicyOptions {
  /** Longest accepted output repr; longer outputs are rejected, never truncated (default 400). */
  maxOutputChars?: number;
  /** Inputs an induction proposal must have (default 10). */
  inductionInputs?: number;
  /** Deadline for each proposal's job (default: the pool's `limits.timeoutMs`). */
  timeoutMs?: number;
}

/** A deduction/abduction proposal: program `code` defining f, and `input`, the text of f's arguments. */
export interface SingleProposal {
  code: string;
  input: string;
}

/** An induction proposal: one program, N inputs and a message for the solver. */
export interface InductionProposal {
  code: string;
  inputs: readonly string[];
  message: string;
}

export type Proposal = SingleProposal | InductionProposal;

export interface ValidationResult {
  valid: boolean;
  /** repr of f(input) (single proposals); null for induction proposals and invalid ones. */
  output: string | null;
  /** repr of f(input) for each input of an induction proposal; null otherwise. */
  outputs: string[] | null;
  reason: string | null;
  /** Python exception name or one of ours (SyntaxError, BannedImport, Nondeterministic, Timeout, ...). */
  errorType: string | null;
  durationMs: number;
}

export function wirePolicy(options: ProgramPolicyOptions & { maxOutputChars?: number } = {}): WirePolicy {
  return {
    banned: options.bannedModules ?? DEFAULT_BANNED_MODULES,
    helpers: options.allowHelpers ?? true,
    maxOutputChars: options.maxOutputChars ?? 400,
  };
}

export function isInductionProposal(proposal: Proposal): proposal is InductionProposal {
  return 'inputs' in proposal;
}

export function outcomeFailure(outcome: Exclude<JobOutcome<unknown>, { ok: true }>): {
  errorType: string;
  reason: string;
} {
  return { errorType: outcome.kind === 'timeout' ? 'Timeout' : 'WorkerCrashed', reason: outcome.reason };
}

/** Validates one proposal. Never throws for bad proposals; rejects only if the pool is closed/broken. */
export async function validateOne(
  pool: PythonPool,
  proposal: Proposal,
  options: ValidationOptions = {},
): Promise<ValidationResult> {
  const problem = proposalShapeProblem(proposal, options.inductionInputs ?? 10);
  if (problem) return problem;
  const induction = isInductionProposal(proposal);
  const runOptions: RunOptions = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  const outcome = await pool.runWhenRoom(
    {
      op: 'validate',
      code: proposal.code,
      inputs: induction ? proposal.inputs : [proposal.input],
      policy: wirePolicy(options),
    },
    runOptions,
  );
  if (!outcome.ok) {
    const { errorType, reason } = outcomeFailure(outcome);
    return invalidProposal(errorType, reason, outcome.durationMs);
  }
  return proposalVerdict(outcome.value, induction);
}

/** Validates a batch over the whole pool; results in input order. */
export function validate(
  pool: PythonPool,
  batch: readonly Proposal[],
  options: ValidationOptions = {},
): Promise<ValidationResult[]> {
  return Promise.all(batch.map((proposal) => validateOne(pool, proposal, options)));
}
