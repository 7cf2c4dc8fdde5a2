// Building blocks for task modes over one Python function `f`: the identity seed, reference rendering, and the
// proposer side shared by modes whose proposal is a program with one input (deduction, abduction).
import { type Static, Type } from '@sinclair/typebox';
import {
  type AnswerCheck,
  definePlugin,
  type Parsed,
  type Plugin,
  type PromptSpec,
  type Proposal,
  type Task,
  type TaskMode,
  type ValidatedProposal,
} from './api.ts';
import {
  answerPart,
  layout,
  oneLine,
  type PromptFormat,
  promptFormats,
  readSections,
  renderSections,
  section,
  type ThinkRule,
} from './format.ts';
import { AzrError } from '../errors.ts';

/** Options every program task mode takes (the JSON Schema its plugin declares). */
export function programModeOptions(defaultReferences: number) {
  return Type.Object({
    format: Type.Unsafe<PromptFormat>({
      type: 'string',
      enum: [...promptFormats],
      default: 'think-answer',
      description: 'bare: sections only, for tiny models; think-answer: <think>/<answer>, for LLMs.',
    }),
    references: Type.Integer({
      minimum: 0,
      default: defaultReferences,
      description: 'Reference tasks per proposal.',
    }),
    maxProposalTokens: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: "Most tokens of a proposal; unset = the proposer's sampling maxTokens.",
      }),
    ),
    maxAnswerTokens: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: "Most tokens of an answer; unset = the solver's sampling maxTokens.",
      }),
    ),
  });
}

export type ProgramModeOptions = Static<ReturnType<typeof programModeOptions>>;

export const IDENTITY_CODE = 'def f(x):\n    return x';
export const IDENTITY_INPUT = "'Hello World'";

/** AZR's only given example: the identity function on "Hello World" (in Python unless `code` and `input` say). */
export function identityTask(mode: string, code = IDENTITY_CODE, input = IDENTITY_INPUT): Task {
  return { id: `${mode}-seed-0`, mode, code, input, output: input, step: 0 };
}

/** `toTask` of a mode whose proposal is a program with one input: the task keeps the executor's output. */
export function singleInputTask(mode: string) {
  return ({ proposal, output }: ValidatedProposal, meta: { id: string; step: number }): Task => {
    if (!('input' in proposal) || output === null)
      throw new AzrError('INTERNAL', `${mode}: toTask needs a valid single-input proposal`);
    return { id: meta.id, mode, code: proposal.code, input: proposal.input, output, step: meta.step };
  };
}

/** What decides a deduction answer (the output) or an abduction answer (an input). */
export function programCheck(kind: 'deduction' | 'abduction') {
  return (task: Task, answer: string): AnswerCheck =>
    kind === 'deduction'
      ? { type: 'deduction', output: task.output, answer }
      : { type: 'abduction', code: task.code, output: task.output, answer };
}

/** A task as a reference for the proposer: its sections in `order` (program, input, output unless it says). */
export function renderExample(
  task: Task,
  order: readonly ('program' | 'input' | 'output')[] = ['program', 'input', 'output'],
): string {
  return `${renderSections(order.map((name) => [name, name === 'program' ? task.code : task[name]]))}# end\n`;
}

/**
 * The `name` part of an answer (docs/azr.md §1): in `think-answer`, read from `<answer>` under the `think` rule, then
 * the last fenced block tagged `lang` (```output, ```input, ```python), else the `# name` section, else the whole
 * answer.
 */
export function answerSection(
  format: PromptFormat,
  completion: string,
  name: string,
  rules: { think?: ThinkRule; lang?: string } = {},
): Parsed<string> {
  const body = layout(format, rules.think).answer(completion, `# ${name}\n`);
  return body.ok ? answerPart(format, body.value, name, rules.lang ?? fenceOf(name)) : body;
}

/** The fence tag the reference writes a section in: ```python for a program, else the section's name. */
export const fenceOf = (name: string): string => (name === 'program' ? 'python' : name);

export function programWithInputProposer(
  mode: string,
  instruction: string,
  options: ProgramModeOptions,
  seed: () => Task = () => identityTask(mode),
) {
  const l = layout(options.format);
  return {
    seedTasks: (): Task[] => [seed()],
    proposerPrompt: (references: readonly Task[]): PromptSpec =>
      l.prompt(
        instruction,
        references.map((task) => renderExample(task)).join('\n'),
        '# program\n',
        ['# output', '# end'],
        options.maxProposalTokens,
      ),
    parseProposal(completion: string): Parsed<Proposal> {
      const body = l.answer(completion, '# program\n');
      if (!body.ok) return body;
      const sections = readSections(body.value);
      const code = section(sections, 'program');
      if (!code?.trim()) return { ok: false, reason: 'no program' };
      const input = section(sections, 'input');
      if (input === undefined) return { ok: false, reason: 'no "# input" section' };
      const line = oneLine(input, 'input');
      return line.ok ? { ok: true, value: { code, input: line.value } } : line;
    },
    toTask: singleInputTask(mode),
  };
}

/**
 * The solver side of the two program-with-input modes: deduction shows the program and the input and asks for the
 * output; abduction shows the program and the output and asks for an input (any that works counts).
 */
export function programSolver(
  kind: 'deduction' | 'abduction',
  instruction: string,
  options: ProgramModeOptions,
) {
  const [shown, asked] =
    kind === 'deduction' ? (['input', 'output'] as const) : (['output', 'input'] as const);
  return {
    solverPrompt: (task: Task): PromptSpec =>
      layout(options.format).prompt(
        instruction,
        renderSections([
          ['program', task.code],
          [shown, task[shown]],
        ]),
        `# ${asked}\n`,
        ['\n'],
        options.maxAnswerTokens,
      ),
    parseAnswer(completion: string): Parsed<string> {
      const answer = answerSection(options.format, completion, asked);
      return answer.ok ? oneLine(answer.value, asked) : answer;
    },
    check: programCheck(kind),
    goldAnswer: (task: Task): string => task[asked],
  };
}

/** A program-with-input task mode: its name and kind, what the proposer and the solver are told, its seed. */
export interface ProgramModeSpec {
  name: string;
  kind: 'deduction' | 'abduction';
  /** The executor that runs its programs (default: python). */
  executor?: string;
  /** The proposer's instruction (the reference tasks follow it). */
  proposer: string;
  /** The solver's instruction. */
  solver: string;
  /** Its seed task (default: the Python identity task). */
  seed?: () => Task;
}

/** A deduction or abduction task mode: the program-with-input proposer and the solver of its kind. */
export function programMode(spec: ProgramModeSpec, options: ProgramModeOptions): TaskMode {
  return {
    name: spec.name,
    ...(spec.executor === undefined ? {} : { executor: spec.executor }),
    references: options.references,
    ...programWithInputProposer(spec.name, spec.proposer, options, spec.seed),
    ...programSolver(spec.kind, spec.solver, options),
  };
}

/** A plugin of one Python program-with-input mode named after its kind (the built-in deduction and abduction). */
export function programPlugin(
  spec: Omit<ProgramModeSpec, 'name' | 'executor' | 'seed'> & { description: string },
): Plugin<ReturnType<typeof programModeOptions>> {
  const { description, ...mode } = spec;
  return definePlugin({
    name: spec.kind,
    description,
    options: programModeOptions(6),
    taskModes: (o) => [programMode({ name: spec.kind, ...mode }, o)],
  });
}
