// The tiny-python held-out set (examples/heldout/tiny-python.jsonl): loading it, and the trivial baselines a learned
// solver must beat. Answers are judged by a `check` callback — in a run, the executor's `verify` (see executorCheck).
import { readFileSync } from 'node:fs';
import type { BuiltinCheck } from '../../src/plugins/api.ts';
import { BenchError } from '../../src/plugins/index.ts';

export interface HeldoutItem {
  id: string;
  code: string;
  input: string;
  output: string;
  /** 1 = one operation, 2 = two composed, 3 = a conditional, comprehension or loop. */
  difficulty: number;
}

/** Judges answers: one boolean (correct) per check, in order. */
export type CheckAnswers = (checks: BuiltinCheck[]) => Promise<boolean[]>;

export interface Baselines {
  /** Always answer the most common output / always answer the output (as the output). */
  deduction: { mostCommon: number; identity: number };
  /** Always answer the most common input / answer the output as the input. */
  abduction: { mostCommon: number; identity: number };
}

export function loadHeldout(file: string | URL): HeldoutItem[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line, i) => {
      const item = JSON.parse(line) as HeldoutItem;
      for (const key of ['id', 'code', 'input', 'output'] as const)
        if (typeof item[key] !== 'string') throw new BenchError(`${file}:${i + 1}: ${key} must be a string`);
      if (!Number.isInteger(item.difficulty))
        throw new BenchError(`${file}:${i + 1}: difficulty must be an integer`);
      return item;
    });
}

/** The most frequent string (ties: the first seen). */
export function mostCommon(values: readonly string[]): string {
  const counts = new Map<string, number>();
  let best = values[0] ?? '';
  for (const v of values) {
    const n = (counts.get(v) ?? 0) + 1;
    counts.set(v, n);
    if (n > (counts.get(best) ?? 0)) best = v;
  }
  return best;
}

const fraction = (verdicts: readonly boolean[]) =>
  verdicts.length === 0 ? 0 : verdicts.filter(Boolean).length / verdicts.length;

/**
 * The trivial baselines as fractions 0–1: deduction — always the most common output, or the input as the output;
 * abduction — always the most common input, or the output as the input (both re-run through f by `check`).
 */
export async function trivialBaselines(
  items: readonly HeldoutItem[],
  check: CheckAnswers,
): Promise<Baselines> {
  const commonOutput = mostCommon(items.map((i) => i.output));
  const commonInput = mostCommon(items.map((i) => i.input));
  const deduction = (answer: (i: HeldoutItem) => string): BuiltinCheck[] =>
    items.map((i) => ({ type: 'deduction', output: i.output, answer: answer(i) }));
  const abduction = (answer: (i: HeldoutItem) => string): BuiltinCheck[] =>
    items.map((i) => ({ type: 'abduction', code: i.code, output: i.output, answer: answer(i) }));
  const [dCommon, dIdentity, aCommon, aIdentity] = await Promise.all([
    check(deduction(() => commonOutput)),
    check(deduction((i) => i.input)),
    check(abduction(() => commonInput)),
    check(abduction((i) => i.output)),
  ]);
  return {
    deduction: { mostCommon: fraction(dCommon!), identity: fraction(dIdentity!) },
    abduction: { mostCommon: fraction(aCommon!), identity: fraction(aIdentity!) },
  };
}

/** A CheckAnswers over the executor's `verify` (pass `verify` and a pool from src/executor). */
export function executorCheck<P>(
  verify: (pool: P, checks: BuiltinCheck[]) => Promise<{ correct: boolean }[]>,
  pool: P,
): CheckAnswers {
  return async (checks) => (await verify(pool, checks)).map((r) => r.correct);
}
