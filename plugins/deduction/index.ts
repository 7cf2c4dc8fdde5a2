// Deduction: the solver sees a program and an input, and predicts the output.
import {
  definePlugin,
  programModeOptions,
  programSolver,
  programWithInputProposer,
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
        ...programSolver(
          'deduction',
          'Predict the output of the program on the input, as a Python literal.',
          o,
        ),
      },
    ];
  },
});
