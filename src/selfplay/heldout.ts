// A held-out set (never trained on, scored with greedy decoding) as tasks, and the answers of its trivial baselines.
import type { BenchItem, Task, TaskMode } from '../plugins/index.ts';

/** The held-out items as tasks of `mode`: ids `heldout-<id>`, step 0. */
export const heldoutTasks = (items: readonly BenchItem[], mode: string): Task[] =>
  items.map((item) => ({ ...item, id: `heldout-${item.id}`, mode, step: 0 }));

/**
 * The answers of a mode's trivial baselines, one per task: `mostCommon` always gives the most common gold answer
 * (ties: the smallest), `identity` the other value the task shows (its input when the gold answer is the output,
 * and the other way round). The gold answer is the mode's, else the task's output.
 */
export function baselineAnswers(
  mode: Pick<TaskMode, 'goldAnswer'>,
  tasks: readonly Task[],
): { mostCommon: string[]; identity: string[] } {
  if (tasks.length === 0) return { mostCommon: [], identity: [] };
  const gold = tasks.map((task) => mode.goldAnswer?.(task) ?? task.output);
  const counts = new Map<string, number>();
  for (const answer of gold) counts.set(answer, (counts.get(answer) ?? 0) + 1);
  const mostCommon = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
  return {
    mostCommon: tasks.map(() => mostCommon),
    identity: tasks.map((task, i) => (gold[i] === task.output ? task.input : task.output)),
  };
}
