// AZR validation of JavaScript proposals (docs/azr.md §3 in JavaScript terms): the program defines f, the input
// is a list of JavaScript literals, f runs without error within the limits, twice in fresh contexts with
// equal results (Math.random and the clock are unavailable), and the output is plain data whose canonical
// text (JSON, keys sorted) is at most `maxOutputChars` long.
import { invalidProposal, proposalShapeProblem, proposalVerdict } from '../../src/plugins/index.ts';
import type { JobOutcome } from '../../src/executor/types.ts';
import type {
  InductionProposal,
  Proposal,
  SingleProposal,
  ValidationResult,
} from '../../src/executor/validate.ts';
import type { JsPool, JsRunOptions } from './pool.ts';

export type { InductionProposal, Proposal, SingleProposal, ValidationResult };

export interface JsValidationOptions {
  /** Longest accepted canonical output; longer outputs are rejected, never truncated (default 400). */
  maxOutputChars?: number;
  /** Inputs an induction proposal must have (default 10). */
  inductionInputs?: number;
  /** Deadline for each proposal's job (default: the pool's `limits.timeoutMs`). */
  timeoutMs?: number;
}

const isInduction = (proposal: Proposal): proposal is InductionProposal => 'inputs' in proposal;

/** The error type and reason of a job that did not answer (the Python executor's names). */
export function outcomeFailure(outcome: Exclude<JobOutcome<unknown>, { ok: true }>): {
  errorType: string;
  reason: string;
} {
  return { errorType: outcome.kind === 'timeout' ? 'Timeout' : 'WorkerCrashed', reason: outcome.reason };
}

export const runOptions = (timeoutMs: number | undefined): JsRunOptions =>
  timeoutMs === undefined ? {} : { timeoutMs };

/** Validates one proposal. Never throws for bad proposals; rejects only if the pool is closed. */
export async function validateJsOne(
  pool: JsPool,
  proposal: Proposal,
  options: JsValidationOptions = {},
): Promise<ValidationResult> {
  const problem = proposalShapeProblem(proposal, options.inductionInputs ?? 10);
  if (problem) return problem;
  const induction = isInduction(proposal);
  const outcome = await pool.runWhenRoom(
    {
      op: 'validate',
      code: proposal.code,
      inputs: induction ? proposal.inputs : [proposal.input],
      maxOutputChars: options.maxOutputChars ?? 400,
    },
    runOptions(options.timeoutMs),
  );
  if (!outcome.ok) {
    const { errorType, reason } = outcomeFailure(outcome);
    return invalidProposal(errorType, reason, outcome.durationMs);
  }
  return proposalVerdict(outcome.value, induction);
}

/** Validates a batch over the whole pool; results in input order. */
export function validateJs(
  pool: JsPool,
  batch: readonly Proposal[],
  options: JsValidationOptions = {},
): Promise<ValidationResult[]> {
  return Promise.all(batch.map((proposal) => validateJsOne(pool, proposal, options)));
}
