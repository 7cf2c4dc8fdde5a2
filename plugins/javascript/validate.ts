// AZR validation of JavaScript proposals (docs/azr.md §3 in JavaScript terms): the program defines f, the input
// is a list of JavaScript literals, f runs without error within the limits, twice in fresh contexts with
// equal results (Math.random and the clock are unavailable), and the output is plain data whose canonical
// text (JSON, keys sorted) is at most `maxOutputChars` long.
import {
  batchOf,
  type Proposal,
  type ProposalVerdict,
  type ValidationLimits,
  validateProposal,
} from '../../src/wire/index.ts';
import type { JsPool, JsRunOptions } from './pool.ts';

export type JsValidationOptions = ValidationLimits;

/** The per-job options of `options`: its deadline, when it sets one. */
export const runOptions = (options: { timeoutMs?: number }): JsRunOptions =>
  options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };

/** Validates one proposal. Never throws for bad proposals; rejects only if the pool is closed. */
export function validateJsOne(
  pool: JsPool,
  proposal: Proposal,
  options: JsValidationOptions = {},
): Promise<ProposalVerdict> {
  return validateProposal(proposal, options, (code, inputs) =>
    pool.runWhenRoom(
      { op: 'validate', code, inputs, maxOutputChars: options.maxOutputChars ?? 400 },
      runOptions(options),
    ),
  );
}

/** Validates a batch over the whole pool; results in input order. */
export const validateJs = batchOf(validateJsOne);
