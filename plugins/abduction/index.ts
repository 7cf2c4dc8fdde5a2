// Abduction: the solver sees a program and an output, and finds an input that produces it.
import { programPlugin } from '../../src/plugins/index.ts';

export default programPlugin({
  kind: 'abduction',
  description: 'Find an input for which a program gives an output.',
  proposer:
    'Write a new Python function f and an input for it. Someone will be shown f and its output on your ' +
    'input, and must find an input that produces that output.',
  solver: 'Find arguments for f that make it return the output (any that work count), as Python source.',
});
