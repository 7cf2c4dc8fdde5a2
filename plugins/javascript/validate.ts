// AZR validation of JavaScript proposals (docs/azr.md §3 in JavaScript terms): the program defines f, the input
// is a list of JavaScript literals, f runs without error within the limits, twice in fresh contexts with
// equal results (Math.random and the clock are unavailable), and the output is plain data whose canonical
// text (JSON, keys sorted) is at most `maxOutputChars` long.
import { type Proposal, type ProposalVerdict, validateProposal } from '../../src/wire/index.ts';
import type { JsPool, JsRunOptions } from './pool.ts';

export interface JsValidationOptions {
  /** Longest accepted canonical output; longer outputs are rejected, never truncated (default 400). */
  maxOutputChars?: number;
  /** Inputs an induction proposal must have (default 10). */
  inductionInputs?: number;
  /** Deadline for each proposal's job (default: the pool's `limits.timeoutMs`). */
  timeoutMs?: number;
}

/** The per-job options of `options`: its deadline, when it sets one. */
export const runOptions = (options: { timeoutMs?: number }): JsRunOptions =>
  options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };

/** Validates one proposal. Never throws for bad proposals; rejects only if the pool is closed. */
export function validateJsOne(
  pool: JsPool,
  proposal: Proposal,
  options: JsValidationOptions = {},
): Promise<ProposalVerdict> {
  return validateProposal(proposal, options.inductionInputs ?? 10, (code, inputs) =>
    pool.runWhenRoom(
      { op: 'validate', code, inputs, maxOutputChars: options.maxOutputChars ?? 400 },
      runOptions(options),
    ),
  );
}

/** Validates a batch over the whole pool; results in input order. */
export function validateJs(
  pool: JsPool,
  batch: readonly Proposal[],
  options: JsValidationOptions = {},
): Promise<ProposalVerdict[]> {
  return Promise.all(batch.map((proposal) => validateJsOne(pool, proposal, options)));
}
