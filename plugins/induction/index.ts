// Induction: the solver sees a message and half of a program's input/output pairs, and writes a program that
// reproduces the other half (AZR: 10 inputs, 5 shown, 5 hidden). As in the paper, the proposer is given a program
// from the deduction and abduction buffers and writes only the inputs and the message (docs/azr.md §2); option
// `program: written` has it write the program too.
import { type Static, Type } from '@sinclair/typebox';
import {
  answerSection,
  definePlugin,
  firstBlock,
  IDENTITY_CODE,
  layout,
  type Parsed,
  StringEnum,
  type Proposal,
  programModeOptions,
  pythonRequirements,
  readInputs,
  readSections,
  renderSections,
  type Section,
  section,
  type Task,
  type TaskMode,
} from '../../src/plugins/index.ts';
import { AzrError } from '../../src/errors.ts';

const options = Type.Composite([
  // Induction's N inputs are `inputs`: the program modes' `inputsPerProposal` is not one of its options.
  Type.Omit(programModeOptions(1), ['inputsPerProposal']),
  Type.Object({
    inputs: Type.Integer({ minimum: 2, default: 10, description: 'Inputs per proposal; half are shown.' }),
    program: StringEnum(['given', 'written'], {
      default: 'given',
      description:
        "given (the paper's): the proposer is shown one program drawn from the `programsFrom` buffers and writes " +
        'only the inputs and a message; the task keeps that program (`references` is then 1). written: the ' +
        'proposer writes a new program too, with `references` induction tasks as examples.',
    }),
    programsFrom: Type.Array(Type.String(), {
      default: ['deduction', 'abduction'],
      description:
        'With `program: given`: the modes whose buffers the given programs come from (those played).',
    }),
  }),
]);

type Options = Static<typeof options>;

const SEED_INPUTS = ["'Hello World'", '0', '1', '[1, 2]', "'a'", '(3, 4)', 'True', "''", '[]', "{'k': 1}"];

function shownCount(task: Task): number {
  return Math.ceil((task.inputs?.length ?? 0) / 2);
}

function pairs(task: Task, from: number, to: number): Section[] {
  const sections: Section[] = [];
  for (let i = from; i < to; i++) sections.push(['input', task.inputs![i]!], ['output', task.outputs![i]!]);
  return sections;
}

/** The bare prompt's first line, naming the task type (unless `taskHeader` is off). */
const taskHeader = (o: Options) => (o.format === 'bare' && o.taskHeader ? '# task: induction\n' : '');

/** Where the inputs and the message go, in `think-answer`: the reference's fenced blocks or our sections. */
const WHERE_TO_WRITE =
  `Write each input, the arguments of one call to f on one line (several separated by commas, strings quoted), ` +
  'in its own ```input block (or "# input" section), and the message in a ```message block (or "# message" ' +
  'section).';

/** An induction proposer prompt: the instruction, the task header and `context`; the model writes the message on. */
const proposerPrompt = (o: Options, instruction: string, context: string) =>
  layout(o.format, o.think).prompt(
    instruction,
    taskHeader(o) + context,
    '# message\n',
    ['# end'],
    o.maxProposalTokens,
  );
/** The proposer's side when it writes the program too, with induction tasks as examples. */
function writtenProgramProposer(
  o: Options,
): Pick<TaskMode, 'references' | 'proposerPrompt' | 'parseProposal'> {
  const l = layout(o.format, o.think);
  const example = (task: Task) =>
    `${renderSections([['message', task.message ?? ''], ['program', task.code], ...(task.inputs ?? []).map((i): Section => ['input', i])])}# end\n`;
  const instruction = [
    `Task: induction. Write a new Python function f, ${o.inputs} different inputs for it and a short message ` +
      'that hints at what f does. Someone will see the message and half of the input/output pairs and must ' +
      'write f.',
    'Requirements:',
    ...[...pythonRequirements(o.bannedModules), 'It differs clearly from the reference tasks below.'].map(
      (line) => `- ${line}`,
    ),
    HARD,
    `Write the program in a "# program" section (or a \`\`\`python block). ${WHERE_TO_WRITE}`,
  ].join('\n');
  return {
    references: o.references,
    proposerPrompt: (references) => proposerPrompt(o, instruction, references.map(example).join('\n')),
    parseProposal(completion): Parsed<Proposal> {
      const body = l.answer(completion, '# message\n');
      if (!body.ok) return body;
      const fenced = o.format === 'think-answer' ? firstBlock(body.value, 'python') : undefined;
      const code = fenced ?? section(readSections(body.value), 'program');
      if (!code?.trim()) return { ok: false, reason: 'no program' };
      const read = inputsAndMessage(o, body.value);
      return read.ok ? { ok: true, value: { code, ...read.value } } : read;
    },
  };
}

/**
 * The proposer's side in the paper (docs/azr.md §2): shown one program, it writes only the inputs and a message.
 * The parsed proposal has no program yet; `completeProposal` gives it the one shown.
 */
function givenProgramProposer(
  o: Options,
): Pick<TaskMode, 'references' | 'referenceModes' | 'proposerPrompt' | 'parseProposal' | 'completeProposal'> {
  const l = layout(o.format, o.think);
  const shown = Math.ceil(o.inputs / 2);
  const instruction = [
    `Task: induction. Below is a Python function f. Write ${o.inputs} inputs for it and a message. Someone will ` +
      `see the message and the outputs of f on ${shown} of your inputs, and must write f themselves; it is then ` +
      `run on the other ${o.inputs - shown}.`,
    'Requirements:',
    `- The ${o.inputs} inputs are valid arguments of f and differ from each other; together they show everything ` +
      'f does.',
    '- The message hints at what f does (a question, an instruction, a description) without giving its code.',
    HARD,
    WHERE_TO_WRITE,
  ].join('\n');
  return {
    references: 1,
    referenceModes: o.programsFrom,
    proposerPrompt: (references) =>
      proposerPrompt(o, instruction, renderSections([['program', references[0]?.code ?? '']])),
    parseProposal(completion): Parsed<Proposal> {
      const body = l.answer(completion, '# message\n');
      if (!body.ok) return body;
      const read = inputsAndMessage(o, body.value);
      // The program is the given one: `completeProposal` sets it from the prompt's reference.
      return read.ok ? { ok: true, value: { code: '', ...read.value } } : read;
    },
    completeProposal(proposal, references) {
      const given = references[0];
      if (!given) throw new AzrError('INTERNAL', 'induction: a proposal without the program it was given');
      if (!('inputs' in proposal))
        throw new AzrError('INTERNAL', 'induction: completeProposal needs an induction proposal');
      return { code: given.code, inputs: proposal.inputs, message: proposal.message };
    },
  };
}

const HARD =
  'A good task is hard but fair: the shown pairs pin f down, but only for someone who reasons about them ' +
  '(not a lookup, not a guess).';

/**
 * The message and the inputs of a proposal's answer body. In `think-answer`, as the reference reads them when the
 * body has ```input blocks: the last N of them (at least N), and the first ```message block; else our sections:
 * exactly N "# input" sections and a "# message" section.
 */
function inputsAndMessage(o: Options, body: string): Parsed<{ inputs: string[]; message: string }> {
  const message = (firstBlock(body, 'message') ?? section(readSections(body), 'message'))?.trim();
  if (!message) return { ok: false, reason: 'no message' };
  const inputs = readInputs(o.format, body, o.inputs);
  return inputs.ok ? { ok: true, value: { inputs: inputs.value, message } } : inputs;
}

export default definePlugin({
  name: 'induction',
  description: 'Write a program from a message and input/output pairs.',
  options,
  taskModes: (o): TaskMode[] => {
    const l = layout(o.format, o.think);
    return [
      {
        name: 'induction',
        ...(o.program === 'given' ? givenProgramProposer(o) : writtenProgramProposer(o)),
        seedTasks: () => {
          const inputs = SEED_INPUTS.slice(0, o.inputs);
          while (inputs.length < o.inputs) inputs.push(String(inputs.length));
          return [
            {
              id: 'induction-seed-0',
              mode: 'induction',
              code: IDENTITY_CODE,
              input: inputs[0]!,
              output: inputs[0]!,
              inputs,
              outputs: [...inputs],
              message: 'Return the argument unchanged.',
              step: 0,
            },
          ];
        },
        toTask({ proposal, outputs }, meta): Task {
          if (!('inputs' in proposal) || !outputs)
            throw new AzrError('INTERNAL', 'induction: toTask needs a valid induction proposal');
          const { code, inputs, message } = proposal;
          return {
            id: meta.id,
            mode: 'induction',
            code,
            input: inputs[0]!,
            output: outputs[0]!,
            inputs,
            outputs,
            message,
            step: meta.step,
          };
        },
        solverPrompt: (task) =>
          l.prompt(
            'Write a Python function f that matches the message and maps each input to its output.',
            renderSections([['message', task.message ?? ''], ...pairs(task, 0, shownCount(task))]),
            '# program\n',
            ['# end'],
            o.maxAnswerTokens,
          ),
        parseAnswer(completion) {
          const program = answerSection(o.format, completion, 'program', { think: o.think });
          if (!program.ok) return program;
          return program.value.trim() ? program : { ok: false, reason: 'empty program' };
        },
        check: (task, answer) => {
          const shown = shownCount(task);
          return {
            type: 'induction',
            inputs: task.inputs!.slice(shown),
            outputs: task.outputs!.slice(shown),
            answer,
          };
        },
        goldAnswer: (task) => task.code,
      },
    ];
  },
});
