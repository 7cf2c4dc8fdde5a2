// The solving half of a step (docs/azr.md §2, steps 3–4): what the executor must check for each answer, each
// answer judged, learnability's solve rates, and the solver's batch.
import {
  type AnswerCheck,
  type AnswerVerdict,
  type Faults,
  guard,
  type Task,
  type TaskMode,
} from '../plugins/index.ts';

/** An answer as the solver replies it: null when the completion did not parse. */
export interface SolverAnswer {
  answer: string | null;
}

/** What the executor checks: `checks[k].check` for answer `checks[k].i`; `unchecked` the mode could not check. */
export interface AnswerChecks {
  checks: { i: number; check: AnswerCheck }[];
  unchecked: Set<number>;
}

export type JudgedAnswer<A extends SolverAnswer> = A & { task: Task; formatOk: boolean; correct: boolean };

/** The task of answer `i` when the solver answered each task `samples` times (task-major). */
const taskOf = (tasks: readonly Task[], samples: number, i: number): Task => tasks[Math.floor(i / samples)]!;

/**
 * The mode's check of each answer that parsed (`answers` task-major, `samples` per task). A mode's `check` that
 * throws is a fault, and its answer is `unchecked`.
 */
export function answerChecks(
  mode: TaskMode,
  tasks: readonly Task[],
  answers: readonly SolverAnswer[],
  samples: number,
  faults: Faults,
): AnswerChecks {
  const unchecked = new Set<number>();
  const checks = answers.flatMap((a, i) => {
    if (a.answer === null) return [];
    const task = taskOf(tasks, samples, i);
    const check = guard(
      faults,
      `mode:${mode.name}.check`,
      () => mode.check(task, a.answer!),
      () => undefined,
    );
    if (!check) unchecked.add(i);
    return check ? [{ i, check }] : [];
  });
  return { checks, unchecked };
}

/**
 * What an answer the executor could not read (`malformed`: not a literal, no function f) counts as (docs/azr.md
 * §4): `wrong` (the paper's and the reference's: only a broken layout is a format error) or `format-error`.
 */
export type MalformedAnswers = 'wrong' | 'format-error';

/**
 * Each answer with its task, well-formed and correct by the executor's verdicts (`verdicts[k]` on `checks[k]`). An
 * answer that did not parse or that the mode could not check is a format error; one the executor could not read is
 * one too when `malformedAnswers` says so, else it is wrong (docs/azr.md §4).
 */
export function judgeAnswers<A extends SolverAnswer>(
  answers: readonly A[],
  tasks: readonly Task[],
  samples: number,
  { checks, unchecked }: AnswerChecks,
  verdicts: readonly Pick<AnswerVerdict, 'correct' | 'malformed'>[],
  malformedAnswers: MalformedAnswers,
): JudgedAnswer<A>[] {
  const correct = new Set(checks.filter((_, k) => verdicts[k]!.correct).map((c) => c.i));
  const malformed = new Set(
    malformedAnswers === 'format-error'
      ? checks.filter((_, k) => verdicts[k]!.malformed).map((c) => c.i)
      : [],
  );
  return answers.map((a, i) => ({
    ...a,
    task: taskOf(tasks, samples, i),
    formatOk: a.answer !== null && !malformed.has(i) && !unchecked.has(i),
    correct: correct.has(i),
  }));
}

/** The mean; 0 of nothing. */
export const mean = (values: readonly number[]): number =>
  values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;

/** The fraction of `answers` judged correct; 0 of none. */
export const fractionCorrect = (answers: readonly { correct: boolean }[]): number =>
  answers.filter((a) => a.correct).length / Math.max(1, answers.length);

/**
 * Each task's solve rate r̄ (docs/azr.md §2 step 3) by task id: the fraction of its `rollouts` answers (task-major
 * in `answers`) judged correct; 0 with no rollouts.
 */
export function solveRates(
  tasks: readonly Task[],
  answers: readonly { correct: boolean }[],
  rollouts: number,
): Map<string, number> {
  return new Map(
    tasks.map((task, j) => [
      task.id,
      mean(answers.slice(j * rollouts, (j + 1) * rollouts).map((a) => (a.correct ? 1 : 0))),
    ]),
  );
}

/** How many buffered tasks fill the solver's batch of `batchSize` after this step's `fresh` new tasks (§2 step 4). */
export const backfillCount = (batchSize: number, fresh: number): number =>
  batchSize - Math.min(batchSize, fresh);

/**
 * The solver's batch: the new tasks first (at most `batchSize`), then the ones drawn from the buffer (drawn without
 * replacement and excluding the new ones unless the run draws with replacement, docs/azr.md §2 step 4).
 */
export const solverBatch = (batchSize: number, fresh: readonly Task[], drawn: readonly Task[]): Task[] => [
  ...fresh.slice(0, batchSize),
  ...drawn,
];
