// What the executor tests share: fixture files, a fresh pool closed after its test, and the proposals and answer
// checks of the wrong shape that every executor must answer with a verdict, never a throw (docs/executor.md).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { PythonPool, type PythonPoolOptions } from '../../src/executor/index.ts';
import type { AnswerVerdict, BuiltinCheck, Proposal, ProposalVerdict } from '../../src/wire/index.ts';

/** A program, its input and its known output (one line of a programs fixture). */
export interface ProgramFixture {
  id: string;
  code: string;
  input: string;
  output: string;
}

/** The records of a JSONL file under tests/fixtures/, e.g. `executor/cruxeval-style.jsonl`. */
export function readFixture<T>(name: string): T[] {
  return readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** Runs `body` on a fresh Python pool (one worker unless `options` say) once a worker is ready; closes it after. */
export async function withPool(body: (pool: PythonPool) => Promise<void>, options: PythonPoolOptions = {}) {
  const pool = new PythonPool({ size: 1, ...options });
  try {
    await once(pool, 'workerReady');
    await body(pool);
  } finally {
    await pool.close();
  }
}

/** Proposals of the wrong shape (as a message from outside might carry them), with the verdict's error type. */
const malformedProposals: [proposal: unknown, errorType: string][] = [
  [{ code: 42, input: '1' }, 'MalformedProposal'],
  [{ code: 'def f(x):\n    return x', input: null }, 'MalformedProposal'],
  [null, 'MalformedProposal'],
];

/** Answer checks of the wrong shape, with the verdict's error type. */
const malformedChecks: [check: unknown, errorType: string][] = [
  [{ type: 'deduction', output: '1', answer: 5 }, 'MalformedAnswer'],
  [{ type: 'nope', answer: '1' }, 'MalformedTask'],
  [{ type: 'induction', inputs: ['1'], outputs: [], answer: 'f' }, 'MalformedTask'],
];

/** Asserts that an executor answers every malformed proposal and check with a negative verdict, in order. */
export async function assertMalformedAnswered(
  validate: (batch: Proposal[]) => Promise<ProposalVerdict[]>,
  verify: (batch: BuiltinCheck[]) => Promise<AnswerVerdict[]>,
): Promise<void> {
  const proposals = await validate(malformedProposals.map(([proposal]) => proposal as Proposal));
  assert.deepEqual(
    proposals.map((verdict) => [verdict.valid, verdict.errorType]),
    malformedProposals.map(([, errorType]) => [false, errorType]),
  );
  const checks = await verify(malformedChecks.map(([check]) => check as BuiltinCheck));
  assert.deepEqual(
    checks.map((verdict) => [verdict.correct, verdict.errorType]),
    malformedChecks.map(([, errorType]) => [false, errorType]),
  );
}

/** A check and the verdict expected: correct, malformed and, when given, the error type. */
export type ExpectedVerdict = [
  check: BuiltinCheck,
  correct: boolean,
  malformed: boolean,
  errorType?: string | null,
];

/** Checks the rows' checks in one batch and asserts each verdict against its row; returns the verdicts. */
export async function assertVerdicts(
  verify: (batch: BuiltinCheck[]) => Promise<AnswerVerdict[]>,
  rows: ExpectedVerdict[],
): Promise<AnswerVerdict[]> {
  const verdicts = await verify(rows.map(([check]) => check));
  const seen = verdicts.map((verdict, i) =>
    rows[i]!.length > 3
      ? [verdict.correct, verdict.malformed, verdict.errorType]
      : [verdict.correct, verdict.malformed],
  );
  assert.deepEqual(
    seen,
    rows.map(([, ...expected]) => expected),
  );
  return verdicts;
}
