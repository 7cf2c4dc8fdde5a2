// Induction: the solver sees a message and half of a program's input/output pairs, and writes a program that
// reproduces the other half (AZR: 10 inputs, 5 shown, 5 hidden).
import { Type } from '@sinclair/typebox';
import {
  answerSection,
  definePlugin,
  IDENTITY_CODE,
  layout,
  type Parsed,
  type Proposal,
  programModeOptions,
  readSections,
  renderSections,
  type Section,
  section,
  type Task,
  type TaskMode,
} from '../../src/plugins/index.ts';
import { AzrError } from '../../src/errors.ts';

const options = Type.Composite([
  programModeOptions(1),
  Type.Object({
    inputs: Type.Integer({ minimum: 2, default: 10, description: 'Inputs per proposal; half are shown.' }),
  }),
]);

const SEED_INPUTS = ["'Hello World'", '0', '1', '[1, 2]', "'a'", '(3, 4)', 'True', "''", '[]', "{'k': 1}"];

function shownCount(task: Task): number {
  return Math.ceil((task.inputs?.length ?? 0) / 2);
}

function pairs(task: Task, from: number, to: number): Section[] {
  const sections: Section[] = [];
  for (let i = from; i < to; i++) sections.push(['input', task.inputs![i]!], ['output', task.outputs![i]!]);
  return sections;
}

export default definePlugin({
  name: 'induction',
  description: 'Write a program from a message and input/output pairs.',
  options,
  taskModes: (o): TaskMode[] => {
    const l = layout(o.format);
    const example = (task: Task) =>
      `${renderSections([['message', task.message ?? ''], ['program', task.code], ...(task.inputs ?? []).map((i): Section => ['input', i])])}# end\n`;
    return [
      {
        name: 'induction',
        references: o.references,
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
        proposerPrompt: (references) =>
          l.prompt(
            `Write a new Python function f, ${o.inputs} different inputs for it (one "# input" section each), ` +
              'and a short message that hints at what f does. Someone will see the message and half of the ' +
              'input/output pairs and must write f. Examples:',
            references.map(example).join('\n'),
            '# message\n',
            ['# end'],
            o.maxProposalTokens,
          ),
        parseProposal(completion): Parsed<Proposal> {
          const body = l.answer(completion, '# message\n');
          if (!body.ok) return body;
          const sections = readSections(body.value);
          const message = section(sections, 'message')?.trim();
          const code = section(sections, 'program');
          const inputs = sections.filter(([name]) => name === 'input').map(([, text]) => text.trim());
          if (!message) return { ok: false, reason: 'no message' };
          if (!code?.trim()) return { ok: false, reason: 'no program' };
          if (inputs.length !== o.inputs)
            return { ok: false, reason: `${inputs.length} inputs, expected ${o.inputs}` };
          if (inputs.some((i) => !i || i.includes('\n')))
            return { ok: false, reason: 'an input is empty or spans lines' };
          return { ok: true, value: { code, inputs, message } };
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
          const program = answerSection(o.format, completion, 'program');
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
