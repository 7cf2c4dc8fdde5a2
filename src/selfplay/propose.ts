// The proposing half of a step (docs/azr.md §2, steps 1–2): references per prompt, the proposals that parsed, and
// the tasks the valid ones become.
import {
  type Faults,
  guard,
  type Proposal,
  type ProposalVerdict,
  type Task,
  type TaskMode,
} from '../plugins/index.ts';

/** `count` runs of `size` items in order (a proposal round draws B·K references; each prompt gets K of them). */
export function chunk<T>(items: readonly T[], size: number, count: number): T[][] {
  return Array.from({ length: count }, (_, i) => items.slice(i * size, (i + 1) * size));
}

/** The proposals that parsed, each with its index among all proposals. */
export function parsedProposals(
  proposals: readonly { proposal: Proposal | null }[],
): { i: number; proposal: Proposal }[] {
  return proposals.flatMap((p, i) => (p.proposal ? [{ i, proposal: p.proposal }] : []));
}

/**
 * A proposal to validate: proposal `i`'s, or its pair `j` when the mode split it into several (program, input)
 * proposals (docs/azr.md §4, "Several inputs per program").
 */
export interface ToValidate {
  i: number;
  j?: number;
  proposal: Proposal;
}

/**
 * Each parsed proposal completed by the mode from its prompt's references (`references[i]` for proposal i), when
 * the mode completes proposals (induction given a program, docs/azr.md §2), then split by the mode into the
 * proposals the executor validates one by one (a program with k inputs: k pairs, numbered `j`, docs/azr.md §4). One
 * whose completion or split throws is a fault and is not validated: it parsed, so it counts as an invalid proposal.
 */
export function completedProposals(
  mode: TaskMode,
  parsed: readonly { i: number; proposal: Proposal }[],
  references: readonly (readonly Task[])[],
  faults: Faults,
): ToValidate[] {
  const complete = mode.completeProposal?.bind(mode);
  const split = mode.splitProposal?.bind(mode);
  return parsed.flatMap(({ i, proposal }) => {
    const done = complete
      ? guard(
          faults,
          `mode:${mode.name}.completeProposal`,
          () => complete(proposal, references[i] ?? []),
          () => undefined,
        )
      : proposal;
    if (!done) return [];
    if (!split) return [{ i, proposal: done }];
    const pairs = guard(
      faults,
      `mode:${mode.name}.splitProposal`,
      () => split(done),
      () => [],
    );
    if (pairs.length === 1 && pairs[0] === done) return [{ i, proposal: done }];
    return pairs.map((pair, j) => ({ i, j, proposal: pair }));
  });
}

/**
 * The tasks a step's proposals became, by proposal index: one for a valid single-input proposal, one per valid pair
 * of a program with several inputs (docs/azr.md §4). `values()` and `size` cover every task, in proposal order.
 */
export class ProposedTasks {
  readonly #byProposal = new Map<number, Task[]>();

  constructor(entries: Iterable<readonly [number, Task | readonly Task[]]> = []) {
    for (const [i, tasks] of entries) for (const task of [tasks].flat()) this.add(i, task);
  }

  add(i: number, task: Task): void {
    const held = this.#byProposal.get(i);
    if (held) held.push(task);
    else this.#byProposal.set(i, [task]);
  }

  /** The tasks of proposal `i` (none: it is invalid). */
  of(i: number): readonly Task[] {
    return this.#byProposal.get(i) ?? [];
  }

  /** The indices of the valid proposals (those with a task), in order. */
  proposals(): number[] {
    return [...this.#byProposal.keys()].sort((a, b) => a - b);
  }

  /**
   * Every task: by proposal, then pair; at most the first `perProposal` of each proposal's, and only those of the
   * proposals in `of` when given.
   */
  values(perProposal = Number.POSITIVE_INFINITY, of?: ReadonlySet<number>): Task[] {
    return this.proposals()
      .filter((i) => !of || of.has(i))
      .flatMap((i) => this.#byProposal.get(i)!.slice(0, perProposal));
  }

  /** How many tasks. */
  get size(): number {
    let n = 0;
    for (const tasks of this.#byProposal.values()) n += tasks.length;
    return n;
  }
}

/**
 * The tasks that the valid ones of `toValidate` become (`verdicts[k]` judges `toValidate[k]`), by proposal index,
 * with ids `<mode>-<step>-<index>` (pair j of a split proposal: `<mode>-<step>-<index>.<j>`, so the pairs of one
 * program are distinct tasks). A mode's `toTask` that throws is a fault and makes no task.
 */
export function validTasks(
  mode: TaskMode,
  toValidate: readonly ToValidate[],
  verdicts: readonly Pick<ProposalVerdict, 'valid' | 'output' | 'outputs'>[],
  step: number,
  faults: Faults,
): ProposedTasks {
  const tasks = new ProposedTasks();
  toValidate.forEach(({ i, j, proposal }, k) => {
    const verdict = verdicts[k]!;
    if (!verdict.valid) return;
    const meta = { id: `${mode.name}-${step}-${i}${j === undefined ? '' : `.${j}`}`, step };
    const validated = { proposal, output: verdict.output, outputs: verdict.outputs };
    const task = guard(
      faults,
      `mode:${mode.name}.toTask`,
      () => mode.toTask(validated, meta),
      () => undefined,
    );
    if (task) tasks.add(i, task);
  });
  return tasks;
}
