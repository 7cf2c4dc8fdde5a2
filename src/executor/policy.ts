// The options validation and answer checking share: the program policy harness.py applies (docs/azr.md §3) and the
// deadline of each job.
import type { RunOptions } from './python-pool.ts';
import { DEFAULT_BANNED_MODULES, type ExpressionMode, type OutputMode, type WirePolicy } from './types.ts';

export interface ProgramPolicyOptions {
  /** Banned modules; every component of every entry is banned (default: docs/azr.md §3 list). */
  bannedModules?: readonly string[];
  /** Allow functions besides `f` (default true). */
  allowHelpers?: boolean;
  /** Inputs and answers as Python expressions (`python`, default) or literals only (`literals`). */
  expressions?: ExpressionMode;
  /** Outputs as literals only (`literal`, default) or any repr that evaluates back (`repr`). */
  outputs?: OutputMode;
}

/** The policy harness.py applies to a program, from the options (with their defaults). */
export function wirePolicy(options: ProgramPolicyOptions & { maxOutputChars?: number } = {}): WirePolicy {
  return {
    banned: options.bannedModules ?? DEFAULT_BANNED_MODULES,
    helpers: options.allowHelpers ?? true,
    maxOutputChars: options.maxOutputChars ?? 400,
    expressions: options.expressions ?? 'python',
    outputs: options.outputs ?? 'literal',
  };
}

/** The per-job options of `options`: its deadline, when it sets one. */
export const runOptions = (options: { timeoutMs?: number }): RunOptions =>
  options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
