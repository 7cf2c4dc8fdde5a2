// Drawing tasks from buffers (docs/azr.md §6): distinct draws (the paper's min(K, size) references per prompt and
// the solver's backfill) and references spread over several buffers (induction's given program comes from the
// deduction ∪ abduction buffers). Every choice comes from a seeded generator, so a resumed run draws the same.
import type { Task } from '../plugins/index.ts';

/** A seeded source of uniform integers in [0, n). */
export interface Random {
  int(n: number): number;
}

/**
 * `min(k, n)` distinct indices in [0, n), in random order: a partial Fisher–Yates shuffle over a virtual
 * 0…n−1 (O(k) time and memory, one draw per index).
 */
export function distinctIndices(n: number, k: number, rng: Random): number[] {
  const swapped = new Map<number, number>();
  const at = (i: number) => swapped.get(i) ?? i;
  const picked: number[] = [];
  for (let i = 0; i < Math.min(k, n); i++) {
    const j = i + rng.int(n - i);
    picked.push(at(j));
    swapped.set(j, at(i));
  }
  return picked;
}

/**
 * `counts[g]` tasks for each group g from `tasks`, skipping those whose id is in `exclude`: each group holds
 * `min(counts[g], available)` distinct tasks (groups may share tasks).
 */
export function drawDistinct(
  tasks: readonly Task[],
  counts: readonly number[],
  exclude: ReadonlySet<string>,
  rng: Random,
): Task[][] {
  const available = exclude.size ? tasks.filter((t) => !exclude.has(t.id)) : tasks;
  return counts.map((k) => distinctIndices(available.length, k, rng).map((i) => available[i]!));
}

/**
 * Which source each of one prompt's `k` references comes from, the sources being buffers of `sizes` tasks drawn
 * from as one concatenated set: without replacement `min(k, Σ sizes)` draws (the counts follow the multivariate
 * hypergeometric law), with replacement `k` draws (none from empty sources; none at all when every one is empty).
 */
export function referenceSources(
  sizes: readonly number[],
  k: number,
  withReplacement: boolean,
  rng: Random,
): number[] {
  const left = [...sizes];
  const total = left.reduce((a, b) => a + b, 0);
  if (total === 0) return [];
  const sources: number[] = [];
  for (let d = 0; d < (withReplacement ? k : Math.min(k, total)); d++) {
    let r = rng.int(withReplacement ? total : total - d);
    let s = 0;
    while (r >= left[s]!) r -= left[s++]!;
    sources.push(s);
    if (!withReplacement) left[s] = left[s]! - 1;
  }
  return sources;
}

/** How many of each prompt's references come from source `s`, for each source: `[source][prompt]`. */
export function countsPerSource(order: readonly (readonly number[])[], sources: number): number[][] {
  return Array.from({ length: sources }, (_, s) => order.map((o) => o.filter((x) => x === s).length));
}

/**
 * Each prompt's references in the order `order[p]` names their sources, taken from `drawn[s][p]` (what source s
 * gave prompt p). A source that gave fewer than asked (a smaller buffer) leaves the prompt shorter.
 */
export function interleave(order: readonly (readonly number[])[], drawn: readonly Task[][][]): Task[][] {
  return order.map((sources, p) => {
    const next = drawn.map(() => 0);
    return sources.flatMap((s) => {
      const task = drawn[s]?.[p]?.[next[s]!++];
      return task ? [task] : [];
    });
  });
}

/** `flat` cut into consecutive runs of `counts[g]` items. */
export function splitBy<T>(flat: readonly T[], counts: readonly number[]): T[][] {
  const starts = counts.map((_, g) => counts.slice(0, g).reduce((a, b) => a + b, 0));
  return counts.map((n, g) => flat.slice(starts[g], starts[g]! + n));
}

/** `counts[g]` tasks for each group g from `tasks`: with replacement, or distinct (`min(counts[g], size)`). */
export function drawTasks(
  tasks: readonly Task[],
  counts: readonly number[],
  withReplacement: boolean,
  rng: Random,
): Task[][] {
  if (!withReplacement) return drawDistinct(tasks, counts, new Set(), rng);
  const n = tasks.length;
  return counts.map((k) => (n === 0 ? [] : Array.from({ length: k }, () => tasks[rng.int(n)]!)));
}
