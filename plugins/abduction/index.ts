// Abduction: the solver sees a program and an output, and finds an input that produces it.
import {
  definePlugin,
  programModeOptions,
  programSolver,
  programWithInputProposer,
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
        ...programSolver(
          'abduction',
          'Find arguments for f that make it return the output (any that work count), as Python source.',
          o,
        ),
      },
    ];
  },
});
