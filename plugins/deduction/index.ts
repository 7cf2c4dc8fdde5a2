// Deduction: the solver sees a program and an input, and predicts the output.
import { programPlugin } from '../../src/plugins/index.ts';

export default programPlugin({
  kind: 'deduction',
  description: 'Predict the output of a program on an input.',
  proposer:
    'Write a new Python function f and an input for it. Someone will be shown both and must predict the ' +
    'output of f on the input without running it.',
  solver: 'Predict the output of the program on the input, as a Python literal.',
});
