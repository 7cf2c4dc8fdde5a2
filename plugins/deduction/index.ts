// Deduction: the solver sees a program and an input, and predicts the output.
import {
  answerSection,
  definePlugin,
  layout,
  oneLine,
  programWithInputProposer,
  programModeOptions,
  renderSections,
  type TaskMode,
} from '../../src/plugins/index.ts';

export default definePlugin({
  name: 'deduction',
  description: 'Predict the output of a program on an input.',
  options: programModeOptions(6),
  taskModes: (o): TaskMode[] => {
    const proposer = programWithInputProposer(
      'deduction',
      'Write a new Python function f and an input for it. Someone will be shown both and must predict the ' +
        'output. Make it deterministic, and hard to predict without running it. Examples:',
      o,
    );
    return [
      {
        name: 'deduction',
        references: o.references,
        ...proposer,
        solverPrompt: (task) =>
          layout(o.format).prompt(
            'Predict the output of the program on the input, as a Python literal.',
            renderSections([
              ['program', task.code],
              ['input', task.input],
            ]),
            '# output\n',
            ['\n'],
            o.maxAnswerTokens,
          ),
        parseAnswer(completion) {
          const output = answerSection(o.format, completion, 'output');
          return output.ok ? oneLine(output.value, 'output') : output;
        },
        check: (task, answer) => ({ type: 'deduction', output: task.output, answer }),
        goldAnswer: (task) => task.output,
      },
    ];
  },
});
