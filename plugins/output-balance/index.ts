// Proposer penalty for asking what the buffer already asks too often: −weight × the share of the mode's last
// `window` buffered tasks whose output (or, with `by: program`, whose program; with `by: type`, whose output's Python
// type) equals the new task's. Learnability alone lets a small proposer settle on the outputs an untrained solver
// guesses (`0`, `''`, `False`), on one program with varied inputs, or on the kinds of output it gets right (ints and
// strings, never lists): docs/learning.md measures all three. `by: signature` balances input type → output type: a
// proposer can keep its output types and still drift from one kind of input to another (string outputs written as
// `str(x[-1])` of lists instead of string operations on strings, docs/learning.md, session 17). With
// `programWeight` it also docks the share of the proposal's program (a second balance, by program, beside `by`).
// Off unless a config names it.
import { Type } from '@sinclair/typebox';
import { definePlugin, type Task } from '../../src/plugins/index.ts';
import { StringEnum } from '../../src/wire/index.ts';

type Key = 'output' | 'program' | 'type' | 'signature';
function keyOf(task: Task, by: Key): string {
  if (by === 'output') return task.output;
  if (by === 'program') return task.code;
  if (by === 'type') return outputType(task.output);
  return `${outputType(task.input)} -> ${outputType(task.output)}`;
}

/** The Python type of a value from its repr, as far as its text tells: `int`, `str`, `list`, … or `other`. */
export function outputType(repr: string): string {
  const text = repr.trim();
  if (text === 'True' || text === 'False') return 'bool';
  if (text === 'None') return 'none';
  if (/^-?\d+$/.test(text)) return 'int';
  if (/^-?(\d+\.\d*|\.\d+|\d+(\.\d*)?e[-+]?\d+|inf|nan)$/.test(text)) return 'float';
  const opener = { "'": 'str', '"': 'str', '[': 'list', '(': 'tuple' }[text[0] ?? ''];
  if (opener) return opener;
  if (text[0] === '{') return text === '{}' || text.includes(':') ? 'dict' : 'set';
  return 'other';
}

/** Each key's share of the last `window` tasks. */
function shares(tasks: readonly Task[], window: number, by: Key): Map<string, number> {
  const recent = tasks.slice(-window);
  const counts = new Map<string, number>();
  for (const task of recent) {
    const key = keyOf(task, by);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const [key, count] of counts) counts.set(key, count / recent.length);
  return counts;
}

/** The share of `tasks` with output `output` (0 for none). */
export const outputShare = (output: string, tasks: readonly Task[]): number =>
  shares(tasks, tasks.length, 'output').get(output) ?? 0;

export default definePlugin({
  name: 'output-balance',
  description:
    "Penalises proposals whose output (or program) is already common among the mode's recent buffered tasks.",
  options: Type.Object({
    weight: Type.Number({
      minimum: 0,
      default: 1,
      description: 'Penalty for an output every recent buffered task has (scaled by its share).',
    }),
    window: Type.Integer({
      minimum: 1,
      default: 2000,
      description: 'Most recent buffered tasks of the mode compared against.',
    }),
    programWeight: Type.Number({
      minimum: 0,
      default: 0,
      description:
        "With `by` other than `program`, a second penalty: −programWeight × the share of the window's tasks that " +
        "have the proposal's program. A proposer paid for unsolved tasks settles on a program that is always valid " +
        "and never solved (`x + x[::-1]`: 11 % of a run's tasks, docs/learning.md); its pairs then teach little.",
    }),
    by: StringEnum(['output', 'program', 'type', 'signature'], {
      default: 'output',
      description:
        "What is balanced: the task's output, its program (a proposer that settles on one program with varied " +
        "inputs has varied outputs), its output's Python type (bool, int, str, list, …: the proposer's drift " +
        "between kinds of output, docs/learning.md), or its input's and its output's types together (`str -> str`, " +
        '`list -> str`: a drift between kinds of input that keeps the output types).',
    }),
  }),
  rewardShapers: (o) => {
    const byPrograms = o.programWeight > 0 && o.by !== 'program';
    const count = (buffer: readonly Task[]) => ({
      by: shares(buffer, o.window, o.by),
      programs: byPrograms ? shares(buffer, o.window, 'program') : undefined,
    });
    const byBuffer = new WeakMap<readonly Task[], ReturnType<typeof count>>();
    return [
      {
        name: 'outputBalance',
        needsBuffer: true,
        bufferWindow: o.window,
        reward: (rollout, { buffer }) => {
          if (rollout.role !== 'proposer' || !rollout.valid || !rollout.task) return 0;
          // Counted once per step's buffer, read for every proposal.
          const counted = byBuffer.get(buffer) ?? count(buffer);
          byBuffer.set(buffer, counted);
          const share = counted.by.get(keyOf(rollout.task, o.by)) ?? 0;
          const programShare = counted.programs?.get(rollout.task.code) ?? 0;
          const penalty = o.weight * share + o.programWeight * programShare;
          return penalty > 0 ? -penalty : 0;
        },
      },
    ];
  },
});
