// What a step measures for each task mode (the `<mode>.<metric>` values of its metrics line, docs/report.md).
import type { ModeFigures } from './metrics.ts';
import type { ProposedTasks } from './propose.ts';
import { mean } from './solve.ts';

/** One mode's step: its proposals, their tasks, the rollouts' solve rates, the solver's answers and the rewards. */
export interface ModeStep {
  proposals: readonly { proposal: unknown }[];
  /** The valid proposals' tasks, by proposal index (several per program with `inputsPerProposal` > 1). */
  tasks: ProposedTasks;
  solveRates: ReadonlyMap<string, number>;
  /** The solver's answers and their rewards; undefined on a step it did not answer (`answerEvery`). */
  answers?: readonly { correct: boolean }[];
  proposerRewards: readonly number[];
  solverRewards?: readonly number[];
  /** The mode's buffer size after the step. */
  bufferSize: number;
}

/**
 * A mode's figures: the valid and format-error rates of its proposals, new tasks, tasks per valid proposal (its
 * valid (program, input) pairs, docs/azr.md §4; 0 when none is valid), buffer size, learnability (mean r̄ of the
 * new tasks), the solver's solve rate, each role's mean reward, the new programs' mean length (per program), and
 * the share of the new tasks whose output is their most common one: a proposer collapsing onto the answers an
 * untrained solver guesses shows there first (docs/learning.md).
 */
export function modeFigures(step: ModeStep): ModeFigures {
  const { proposals, tasks } = step;
  const valid = tasks.proposals();
  return {
    validRate: valid.length / proposals.length,
    formatErrorRate: proposals.filter((p) => p.proposal === null).length / proposals.length,
    newTasks: tasks.size,
    tasksPerProposal: valid.length ? tasks.size / valid.length : 0,
    bufferSize: step.bufferSize,
    learnability: mean([...step.solveRates.values()]),
    solveRate: step.answers && mean(step.answers.map((a) => (a.correct ? 1 : 0))),
    proposerReward: mean(step.proposerRewards),
    solverReward: step.solverRewards && mean(step.solverRewards),
    programChars: mean(valid.map((i) => tasks.of(i)[0]!.code.length)),
    topOutputShare: topShare(tasks.values().map((task) => task.output)),
  };
}

/** The share of `values` equal to the most common one (0 for none). */
function topShare(values: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return values.length ? Math.max(...counts.values()) / values.length : 0;
}
