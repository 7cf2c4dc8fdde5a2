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
 * Each parsed proposal completed by the mode from its prompt's references (`references[i]` for proposal i), when
 * the mode completes proposals (induction given a program, docs/azr.md §2). One whose completion throws is a fault
 * and is not validated: it parsed, so it counts as an invalid proposal.
 */
export function completedProposals(
  mode: TaskMode,
  parsed: readonly { i: number; proposal: Proposal }[],
  references: readonly (readonly Task[])[],
  faults: Faults,
): { i: number; proposal: Proposal }[] {
  const complete = mode.completeProposal?.bind(mode);
  if (!complete) return [...parsed];
  return parsed.flatMap(({ i, proposal }) => {
    const done = guard(
      faults,
      `mode:${mode.name}.completeProposal`,
      () => complete(proposal, references[i] ?? []),
      () => undefined,
    );
    return done ? [{ i, proposal: done }] : [];
  });
}

/**
 * The tasks that the valid ones of `parsed` become (`verdicts[k]` judges `parsed[k]`), keyed by proposal index, with
 * ids `<mode>-<step>-<index>`. A mode's `toTask` that throws is a fault and makes no task.
 */
export function validTasks(
  mode: TaskMode,
  parsed: readonly { i: number; proposal: Proposal }[],
  verdicts: readonly Pick<ProposalVerdict, 'valid' | 'output' | 'outputs'>[],
  step: number,
  faults: Faults,
): Map<number, Task> {
  const tasks = new Map<number, Task>();
  parsed.forEach(({ i, proposal }, k) => {
    const verdict = verdicts[k]!;
    if (!verdict.valid) return;
    const meta = { id: `${mode.name}-${step}-${i}`, step };
    const validated = { proposal, output: verdict.output, outputs: verdict.outputs };
    const task = guard(
      faults,
      `mode:${mode.name}.toTask`,
      () => mode.toTask(validated, meta),
      () => undefined,
    );
    if (task) tasks.set(i, task);
  });
  return tasks;
}
