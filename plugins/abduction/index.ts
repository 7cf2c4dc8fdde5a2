// Abduction: the solver sees a program and an output, and finds an input that produces it.
import {
  answerSection,
  definePlugin,
  layout,
  oneLine,
  programModeOptions,
  programWithInputProposer,
  renderSections,
  type TaskMode,
} from '../../src/plugins/index.ts';

export default definePlugin({
  name: 'abduction',
  description: 'Find an input for which a program gives an output.',
  options: programModeOptions(6),
  taskModes: (o): TaskMode[] => {
    const proposer = programWithInputProposer(
      'abduction',
      'Write a new Python function f and an input for it. Someone will be shown f and its output and must ' +
        'find an input that produces it. Make it deterministic and not trivially invertible. Examples:',
      o,
    );
    return [
      {
        name: 'abduction',
        references: o.references,
        ...proposer,
        solverPrompt: (task) =>
          layout(o.format).prompt(
            'Find arguments for f that make it return the output (any that work count), as Python source.',
            renderSections([
              ['program', task.code],
              ['output', task.output],
            ]),
            '# input\n',
            ['\n'],
            o.maxAnswerTokens,
          ),
        parseAnswer(completion) {
          const input = answerSection(o.format, completion, 'input');
          return input.ok ? oneLine(input.value, 'input') : input;
        },
        check: (task, answer) => ({ type: 'abduction', code: task.code, output: task.output, answer }),
        goldAnswer: (task) => task.input,
      },
    ];
  },
});
