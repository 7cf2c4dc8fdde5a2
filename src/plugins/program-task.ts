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
  thinkRules,
  firstBlock,
  readInputs,
} from './format.ts';
import { AzrError } from '../errors.ts';
import { DEFAULT_BANNED_MODULES, StringEnum } from '../wire/index.ts';

/** Options every program task mode takes (the JSON Schema its plugin declares). */
export function programModeOptions(defaultReferences: number) {
  return Type.Object({
    format: StringEnum<PromptFormat[]>(promptFormats, {
      default: 'think-answer',
      description: 'bare: sections only, for tiny models; think-answer: <think>/<answer>, for LLMs.',
    }),
    references: Type.Integer({
      minimum: 0,
      default: defaultReferences,
      description: 'Reference tasks per proposal.',
    }),
    think: StringEnum<ThinkRule[]>(thinkRules, {
      default: 'prefill',
      description:
        "think-answer only. prefill (the reference's): the prompt ends with <think> and a completion must close " +
        '</think> right before <answer>; require: the completion must open <think> too; optional: only <answer> ' +
        'is read (before issue 16).',
    }),
    taskHeader: Type.Boolean({
      default: true,
      description:
        'bare only: the proposer prompt starts with a "# task: <type>" line, so the proposer knows which type it ' +
        'writes; false: no header (before issue 16).',
    }),
    bannedModules: Type.Array(Type.String(), {
      default: [...DEFAULT_BANNED_MODULES],
      description:
        'think-answer only: the modules the proposer prompt says not to use (keep it equal to ' +
        'validator.bannedModules, which is what rejects them).',
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
    inputsPerProposal: Type.Optional(inputsPerProposalOption()),
  });
}

/**
 * The `inputsPerProposal` option of the program modes (docs/azr.md §4, "Several inputs per program"): k inputs for
 * one program, each validated on its own, each valid pair a task.
 */
export function inputsPerProposalOption() {
  return Type.Integer({
    minimum: 1,
    default: 1,
    description:
      "Inputs the proposer writes for one program (1: the paper's). Each is validated on its own and each valid " +
      "(program, input) pair becomes a task; the proposal's reward is the mean of its valid pairs' (docs/azr.md §4).",
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

/**
 * A program with several inputs split into its (program, input) proposals, a repeated input once (a program mode's
 * `splitProposal`, docs/azr.md §4, "Several inputs per program"); a single-input proposal stays as it is.
 */
export function splitInputs(proposal: Proposal): Proposal[] {
  if (!('inputs' in proposal)) return [proposal];
  return [...new Set(proposal.inputs)].map((input) => ({ code: proposal.code, input }));
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

/**
 * What the proposer is told in `think-answer` (docs/azr.md §1): the task type, what to write, the reference's
 * requirements in our words, what makes a task of this type hard, and where to put the program and the input.
 */
export function proposerInstruction(spec: ProgramModeSpec, options: ProgramModeOptions): string {
  const requirements = spec.requirements ?? pythonRequirements(options.bannedModules);
  const k = options.inputsPerProposal ?? 1;
  const program = `Write the program in a "# program" section (or a \`\`\`${spec.fence ?? 'python'} block)`;
  return [
    `Task: ${spec.kind}. ${spec.proposer}`,
    ...(k > 1
      ? [
          `Write ${k} different inputs for f: each makes a task of its own with the same program, shown to ` +
            'someone else.',
        ]
      : []),
    'Requirements:',
    ...[...requirements, 'It differs clearly from the reference tasks below.'].map((line) => `- ${line}`),
    spec.hard ?? HARD[spec.kind],
    k > 1
      ? `${program} and its ${k} inputs, each the arguments of one call to f on one line, each in its own ` +
        '"# input" section (or ```input block).'
      : `${program} and its input, the arguments of one call to f on one line, in a "# input" section (or an ` +
        '```input block).',
  ].join('\n');
}

/** The reference's requirements on a Python program (docs/azr.md §1). */
export function pythonRequirements(bannedModules: readonly string[]): string[] {
  return [
    'f takes at least one parameter and returns a value.',
    'f is deterministic: no randomness, no clock or dates, no input or output (files, network, console), no ' +
      'printing or logging.',
    'Imports, if any, come first, at the top of the program.',
    ...(bannedModules.length > 0 ? [`Do not import these modules: ${bannedModules.join(', ')}.`] : []),
  ];
}

/** What makes a task hard, by type. */
const HARD: Record<ProgramModeSpec['kind'], string> = {
  deduction:
    'A good task is hard: working out the output from the program and the input takes several steps of ' +
    'reasoning (state tracked through loops, recursion or data-structure updates), yet f runs quickly.',
  abduction:
    'A good task is hard: finding an input that gives the output means reasoning backwards through several ' +
    'steps; f is not trivially invertible (not the identity, not a lookup), yet f runs quickly.',
};

/**
 * A proposal's program and input, each from its fenced block (the reference's first ```python and first ```input,
 * in `think-answer`) or else from our section.
 */
function programAndInput(
  format: PromptFormat,
  body: string,
  fence: string,
  inputsPerProposal = 1,
): Parsed<Proposal> {
  const sections = readSections(body);
  const block = (lang: string) => (format === 'think-answer' ? firstBlock(body, lang) : undefined);
  const code = block(fence) ?? section(sections, 'program');
  if (!code?.trim()) return { ok: false, reason: 'no program' };
  if (inputsPerProposal > 1) {
    // k inputs, read as induction reads its N (the wire's several-input proposal, with no message).
    const inputs = readInputs(format, body, inputsPerProposal);
    return inputs.ok ? { ok: true, value: { code, inputs: inputs.value, message: '' } } : inputs;
  }
  const input = block('input') ?? section(sections, 'input');
  if (input === undefined) return { ok: false, reason: 'no input (no ```input block, no "# input" section)' };
  const line = oneLine(input, 'input');
  return line.ok ? { ok: true, value: { code, input: line.value } } : line;
}

/** The reference tasks of a proposer prompt; `think-answer` labels them. */
function referenceList(format: PromptFormat, references: readonly Task[]): string {
  const list = references.map((task) => renderExample(task)).join('\n');
  return format === 'think-answer' && list ? `Reference tasks:\n${list}` : list;
}

export function programWithInputProposer(
  spec: ProgramModeSpec,
  options: ProgramModeOptions,
): Pick<TaskMode, 'seedTasks' | 'proposerPrompt' | 'parseProposal' | 'splitProposal' | 'toTask'> {
  const l = layout(options.format, options.think);
  const seed = spec.seed ?? (() => identityTask(spec.name));
  const k = options.inputsPerProposal ?? 1;
  const header =
    options.format === 'bare' && options.taskHeader
      ? `# task: ${spec.kind}${k > 1 ? `, ${k} inputs` : ''}\n`
      : '';
  const instruction = proposerInstruction(spec, options);
  return {
    seedTasks: (): Task[] => [seed()],
    proposerPrompt: (references: readonly Task[]): PromptSpec =>
      l.prompt(
        instruction,
        header + referenceList(options.format, references),
        '# program\n',
        ['# output', '# end'],
        options.maxProposalTokens,
      ),
    parseProposal(completion: string): Parsed<Proposal> {
      const body = l.answer(completion, '# program\n');
      return body.ok ? programAndInput(options.format, body.value, spec.fence ?? 'python', k) : body;
    },
    splitProposal: splitInputs,
    toTask: singleInputTask(spec.name),
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
      layout(options.format, options.think).prompt(
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
      const answer = answerSection(options.format, completion, asked, { think: options.think });
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
  /** What the proposer writes and who sees what (think-answer; the requirements and the references follow). */
  proposer: string;
  /** The requirements on a program (default: the reference's, for Python: `pythonRequirements`). */
  requirements?: readonly string[];
  /** What makes a task of this type hard (default: a line per kind). */
  hard?: string;
  /** The tag of a fenced block that holds a program (default: python). */
  fence?: string;
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
    ...programWithInputProposer(spec, options),
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
