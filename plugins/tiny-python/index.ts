// tiny-python: deduction and abduction over a small, type-directed Python subset, for tiny models trained from
// random weights. Same mode names as the built-ins (a topology swaps plugins without renaming buffers), bare format
// only, and every proposal and answer is grammar-constrained: the proposer writes the input first, then a program
// that fits the input's type; the solver writes a literal. See docs/tiny-python.md.
import { Type } from '@sinclair/typebox';
import {
  definePlugin,
  identityTask,
  inputsPerProposalOption,
  oneLine,
  programCheck,
  renderExample,
  type Parsed,
  type PromptSpec,
  type Proposal,
  readInputs,
  readSections,
  renderSections,
  type Section,
  section,
  singleInputTask,
  splitInputs,
  type Task,
  type TaskMode,
  type TextConstraint,
} from '../../src/plugins/index.ts';
import { GrammarConstraint } from './grammar.ts';
import {
  inputAnswerGrammar,
  inputType,
  PROGRAM_SECTION,
  PROPOSAL_END,
  proposalGrammar,
  valueAnswerGrammar,
} from './subset.ts';

export const tinyPythonOptions = Type.Object({
  format: Type.Literal('bare', { default: 'bare', description: 'Only the bare format (sections, no tags).' }),
  references: Type.Integer({ minimum: 0, default: 6, description: 'Reference tasks per proposal.' }),
  maxProposalTokens: Type.Integer({
    minimum: 64,
    default: 128,
    description:
      'Longest proposal (input + program), in characters; the grammar closes every proposal within it. Keep it ' +
      "≤ the proposer's sampling maxTokens.",
  }),
  maxAnswerTokens: Type.Integer({
    minimum: 8,
    default: 32,
    description: 'Longest answer, in characters (the grammar closes every answer within it).',
  }),
  maxProgramChars: Type.Optional(
    Type.Integer({
      minimum: 24,
      description:
        'Longest program in a proposal (from `def f(x):` to the end), in characters, within maxProposalTokens: the ' +
        'grammar closes every program within it, however long the inputs before it. Default: no limit but ' +
        'maxProposalTokens. Short programs are what a tiny model can learn to execute (docs/learning.md).',
    }),
  ),
  constrain: Type.Boolean({ default: true, description: 'Grammar-constrained decoding for both roles.' }),
  grammarPrior: Type.Number({
    minimum: 0,
    default: 0,
    description:
      "Weight w of the grammar's own derivation probabilities in the proposer's sampling (logits + w · log " +
      'prior): an untrained model then proposes what random derivation would (every input type alike, programs ' +
      'that read x) instead of whatever its first characters drift to. 0 = off. The recorded log-probabilities ' +
      "stay the model's.",
  }),
  inputsPerProposal: Type.Optional(inputsPerProposalOption()),
  requireInputUse: Type.Boolean({
    default: true,
    description:
      'Refuse (as a format error) a proposal whose program never reads x: a constant function makes a trivial ' +
      'task (every abduction input works) and, left alone, the proposer learns to write nothing else.',
  }),
  rejectConstant: Type.Boolean({
    default: false,
    description:
      'Refuse (as a format error) a program whose result never depends on x: no return value and no if ' +
      'condition reads x, directly or through a variable computed from it (`for e in x:` with `y = 0` and ' +
      '`return 0` reads x and is constant). A stricter requireInputUse; a small proposer finds that loophole ' +
      '(docs/learning.md).',
  }),
  rejectIdentity: Type.Boolean({
    default: false,
    description:
      'Refuse (as an invalid pair) a (program, input) pair whose output is its input: deduction and abduction ' +
      'are then answered by copying, and under learnability a small proposer settles on `return x` ' +
      '(docs/learning.md).',
  }),
});

export interface TinyPythonOptions {
  references: number;
  maxProposalTokens: number;
  maxAnswerTokens: number;
  constrain: boolean;
  requireInputUse: boolean;
  /** Refuse programs whose result does not depend on x (data flow); default false. */
  rejectConstant?: boolean;
  /** Refuse pairs whose output is their input; default false. */
  rejectIdentity?: boolean;
  /** Default 0 (off). */
  grammarPrior?: number;
  /** Longest program (characters); default: only maxProposalTokens bounds it. */
  maxProgramChars?: number;
  /** Inputs per program (docs/azr.md §4, "Several inputs per program"); default 1. */
  inputsPerProposal?: number;
}

const INPUT_HEADER = '# input\n';

/** How a task is shown as a reference: input, program, output. */
export const renderTinyExample = (task: Task): string => renderExample(task, ['input', 'program', 'output']);

/**
 * Reads a proposer completion (what follows "# input\n"): the input line, then "# program" and the code; with
 * `inputs` k > 1, k "# input" sections before the program (a several-input proposal, docs/azr.md §4).
 */
export function parseTinyProposal(completion: string, inputs = 1): Parsed<Proposal> {
  const sections = readSections(INPUT_HEADER + completion);
  if (inputs > 1) {
    const read = readInputs('bare', INPUT_HEADER + completion, inputs);
    if (!read.ok) return read;
    const code = section(sections, 'program');
    if (!code?.trim())
      return { ok: false, reason: code === undefined ? 'no "# program" section' : 'no program' };
    return { ok: true, value: { code, inputs: read.value, message: '' } };
  }
  const input = section(sections, 'input');
  if (input === undefined) return { ok: false, reason: 'no "# input" section' };
  const line = oneLine(input, 'input');
  if (!line.ok) return line;
  const code = section(sections, 'program');
  if (code === undefined) return { ok: false, reason: 'no "# program" section' };
  if (!code.trim()) return { ok: false, reason: 'no program' };
  return { ok: true, value: { code, input: line.value } };
}

const withoutStrings = (text: string) => text.replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, "''");

/** Whether the body of `def f(x):` mentions x outside string literals. */
export function readsInput(code: string): boolean {
  return /\bx\b/.test(withoutStrings(code.split('\n').slice(1).join('\n')));
}

/**
 * Whether the result of `def f(x):` can depend on x: some return value or if condition reads x, or a name that a
 * `for NAME in …x…:` or an assignment `NAME = …` computes from it (to a fixed point, so `y = y + e` counts).
 * For tiny-python's statements (one function, top-level returns and ifs, one loop over x).
 */
export function dependsOnInput(code: string): boolean {
  const lines = withoutStrings(code).split('\n').slice(1);
  const tainted = new Set(['x']);
  const reads = (expr: string) => [...tainted].some((name) => new RegExp(`\\b${name}\\b`).test(expr));
  for (let grew = true; grew; ) {
    grew = false;
    for (const line of lines) {
      const bound = /^\s*for (\w+) in (.*):\s*$/.exec(line) ?? /^\s*(\w+) = (.*)$/.exec(line);
      if (bound && !tainted.has(bound[1]!) && reads(bound[2]!)) {
        tainted.add(bound[1]!);
        grew = true;
      }
    }
  }
  return lines.some((line) => {
    const used = /^\s*return (.*)$/.exec(line) ?? /^\s*if (.*):\s*$/.exec(line);
    return used !== null && reads(used[1]!);
  });
}

/** A solver completion is the literal on the first line. */
function parseLiteral(completion: string, what: string): Parsed<string> {
  return oneLine(completion.split('\n')[0] ?? '', what);
}

/** The task modes: deduction and abduction. */
export function tinyPythonModes(o: TinyPythonOptions): TaskMode[] {
  const inputs = o.inputsPerProposal ?? 1;
  const proposerConstraint = o.constrain
    ? new GrammarConstraint(
        proposalGrammar(inputs),
        o.maxProposalTokens,
        o.grammarPrior ?? 0,
        o.maxProgramChars === undefined
          ? undefined
          : { marker: PROGRAM_SECTION, chars: o.maxProgramChars + PROPOSAL_END.length },
      )
    : undefined;
  const valueConstraint = o.constrain
    ? new GrammarConstraint(valueAnswerGrammar(), o.maxAnswerTokens)
    : undefined;
  const inputConstraints = new Map<string, GrammarConstraint>();
  const inputConstraint = (task: Task | undefined): TextConstraint | undefined => {
    const type = task && inputType(task.input);
    if (!o.constrain || !task || !type) return undefined;
    const constraint =
      inputConstraints.get(type) ??
      inputConstraints
        .set(type, new GrammarConstraint(inputAnswerGrammar(type), o.maxAnswerTokens))
        .get(type)!;
    // A task from outside the subset (e.g. several arguments) is answered unconstrained.
    return constraint.grammar.accepts(`${task.input}\n`, o.maxAnswerTokens) ? constraint : undefined;
  };

  // Deduction shows the program and an input and asks for the output; abduction shows the program and the output
  // and asks for an input. Both put the program first, as the paper does: a program's tasks then share their
  // prompt up to the input, which the learner computes once (`sharePrefixes`). A deduction answer may be any
  // literal of the subset, whatever the task (its type is not given away); an abduction answer has the type of the
  // task's input.
  const mode = (kind: 'deduction' | 'abduction', shown: (task: Task) => Section[]): TaskMode => {
    const asked = kind === 'deduction' ? 'output' : 'input';
    const answerConstraint = kind === 'deduction' ? () => valueConstraint : inputConstraint;
    const toTask = singleInputTask(kind);
    return {
      name: kind,
      references: o.references,
      seedTasks: (): Task[] => [identityTask(kind)],
      proposerPrompt: (references: readonly Task[]): PromptSpec => ({
        text: references.map(renderTinyExample).join('\n') + INPUT_HEADER,
        stop: [PROPOSAL_END, '# end'],
        maxTokens: o.maxProposalTokens,
      }),
      parseProposal: (completion: string): Parsed<Proposal> => {
        const parsed = parseTinyProposal(completion, inputs);
        if (!parsed.ok) return parsed;
        if (o.requireInputUse && !readsInput(parsed.value.code))
          return { ok: false, reason: 'the program never reads x (a constant function)' };
        if (o.rejectConstant && !dependsOnInput(parsed.value.code))
          return { ok: false, reason: 'the result never depends on x (a constant function)' };
        return parsed;
      },
      splitProposal: splitInputs,
      toTask: (validated, meta) => {
        const task = toTask(validated, meta);
        return o.rejectIdentity && task.output === task.input ? undefined : task;
      },
      solverPrompt: (task) => ({
        text: `${renderSections(shown(task))}# ${asked}\n`,
        stop: ['\n'],
        maxTokens: o.maxAnswerTokens,
      }),
      parseAnswer: (completion) => parseLiteral(completion, asked),
      check: programCheck(kind),
      goldAnswer: (task) => task[asked],
      constraint: (role, task) => (role === 'proposer' ? proposerConstraint : answerConstraint(task)),
    };
  };
  const deduction = mode('deduction', (task) => [
    ['program', task.code],
    ['input', task.input],
  ]);
  const abduction = mode('abduction', (task) => [
    ['program', task.code],
    ['output', task.output],
  ]);
  return [deduction, abduction];
}

export default definePlugin({
  name: 'tiny-python',
  description: 'Deduction and abduction over a small Python subset, with grammar-constrained decoding.',
  options: tinyPythonOptions,
  taskModes: (o): TaskMode[] => tinyPythonModes(o),
});
