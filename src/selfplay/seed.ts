// Seeding (docs/azr.md §6): the shared, deduplicated seed set that the deduction and abduction buffers start from,
// and the order the modes are seeded in.
import type { Task, TaskMode } from '../plugins/index.ts';

/** Program text without comments and with runs of white space folded, plus the input(s): what dedup compares. */
export function dedupKey(task: Task): string {
  const code = task.code
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trimEnd())
    .filter((line) => line.trim() !== '')
    .join('\n')
    .replace(/[ \t]+/g, ' ');
  return `${code}\u0000${task.inputs?.join('\u0001') ?? task.input}`;
}

/** Tasks in the order first added, each program and input once (by `dedupKey`). */
export class SeedSet {
  readonly tasks: Task[] = [];
  private readonly keys = new Set<string>();

  /** Adds the tasks not held yet; returns how many were new. */
  add(tasks: readonly Task[]): number {
    let added = 0;
    for (const task of tasks) {
      const key = dedupKey(task);
      if (this.keys.has(key)) continue;
      this.keys.add(key);
      this.tasks.push(task);
      added++;
    }
    return added;
  }

  get size(): number {
    return this.tasks.length;
  }
}

/** The first `size` tasks of a seed set as a buffer of `mode` holds them: that mode, ids `<mode>-seed-<k>`. */
export const seedCopies = (tasks: readonly Task[], mode: string, size: number): Task[] =>
  tasks.slice(0, size).map((task, k) => ({ ...task, id: `${mode}-seed-${k}`, mode }));

/** The played modes whose buffers a mode's references come from: its `referenceModes` that are played, or itself. */
export function referenceBuffers(mode: TaskMode, played: readonly string[]): string[] {
  return mode.referenceModes ? mode.referenceModes.filter((m) => played.includes(m)) : [mode.name];
}

/**
 * The seeding plan: the modes of `shared` that are played seed together from one set (when at least one is
 * played), the others each on their own, those drawing references from other modes' buffers last.
 */
export function seedingOrder(
  modes: readonly TaskMode[],
  shared: readonly string[],
): { shared: TaskMode[]; own: TaskMode[] } {
  const together = modes.filter((m) => shared.includes(m.name));
  const own = modes.filter((m) => !shared.includes(m.name));
  const fromOthers = (m: TaskMode) => (m.referenceModes ?? [m.name]).some((r) => r !== m.name);
  return { shared: together, own: [...own.filter((m) => !fromOthers(m)), ...own.filter(fromOthers)] };
}
