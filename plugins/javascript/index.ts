// JavaScript task mode: deduction and abduction over JavaScript functions run in QuickJS (see docs/javascript.md).
// Tasks are written like the Python ones (sections "# program", "# input", "# output"); inputs are argument
// lists of JavaScript literals and outputs the canonical text of plain data (JSON with sorted keys).
import {
  type AnswerVerdict,
  definePlugin,
  identityTask,
  type ProgramModeOptions,
  programMode,
  programModeOptions,
  type Task,
  type TaskMode,
} from '../../src/plugins/index.ts';
import { JsPool } from './pool.ts';
import { validateJs } from './validate.ts';
import { type JsVerificationOptions, verifyJs, verifyJsOne } from './verify.ts';

export { canonical, type Plain, parseArguments, parseLiteral, plainEqual } from './literal.ts';
export {
  cpuDeadlineFor,
  DEFAULT_JS_LIMITS,
  type JsLimits,
  JsPool,
  type JsPoolEvents,
  type JsPoolOptions,
  type JsRunOptions,
  MAX_STACK_BYTES,
  PoolClosedError,
  PoolQueueFullError,
} from './pool.ts';
export { type JsValidationOptions, validateJs, validateJsOne } from './validate.ts';
export { checkDeduction, type JsVerificationOptions, verifyJs, verifyJsOne } from './verify.ts';

export const JS_DEDUCTION = 'js-deduction';
export const JS_ABDUCTION = 'js-abduction';

export const JS_IDENTITY_CODE = 'function f(x) {\n  return x;\n}';
export const JS_IDENTITY_INPUT = '"Hello World"';

/** AZR's only given example, in JavaScript: the identity function on "Hello World". */
export const jsIdentityTask = (mode: string): Task => identityTask(mode, JS_IDENTITY_CODE, JS_IDENTITY_INPUT);

const PROPOSE =
  'Write a new JavaScript function f and an input for it (arguments as JavaScript literals). Someone will be ';

/** What a JavaScript program must be, in place of the Python requirements. */
const REQUIREMENTS = [
  'f takes at least one parameter and returns plain data (numbers, strings, booleans, null, arrays, objects).',
  'f is deterministic: no Math.random, no Date, no input or output, no console.',
];

/** The two modes: what each tells the proposer and the solver. */
const modes = (o: ProgramModeOptions): TaskMode[] => [
  programMode(
    {
      name: JS_DEDUCTION,
      kind: 'deduction',
      executor: 'javascript',
      proposer: `${PROPOSE}shown both and must predict the output without running it.`,
      requirements: REQUIREMENTS,
      fence: 'javascript',
      solver: 'Predict the output of the JavaScript program on the input, as a JSON value.',
      seed: () => jsIdentityTask(JS_DEDUCTION),
    },
    o,
  ),
  programMode(
    {
      name: JS_ABDUCTION,
      kind: 'abduction',
      executor: 'javascript',
      proposer: `${PROPOSE}shown f and its output and must find an input that produces it.`,
      requirements: REQUIREMENTS,
      fence: 'javascript',
      solver:
        'Find arguments for f that make it return the output (any that work count), as JavaScript literals ' +
        'separated by commas.',
      seed: () => jsIdentityTask(JS_ABDUCTION),
    },
    o,
  ),
];

/**
 * Checks a solver's answer to a JavaScript task on `pool` (the JS counterpart of sending a mode's AnswerCheck to
 * the Python executor). `answer` is the parsed answer (the mode's `parseAnswer`). Never throws for bad answers.
 */
export function checkJs(
  pool: JsPool,
  task: Task,
  answer: string,
  options: JsVerificationOptions = {},
): Promise<AnswerVerdict> {
  switch (task.mode) {
    case JS_DEDUCTION:
      return verifyJsOne(pool, { type: 'deduction', output: task.output, answer }, options);
    case JS_ABDUCTION:
      return verifyJsOne(pool, { type: 'abduction', code: task.code, output: task.output, answer }, options);
    default:
      return Promise.resolve({
        correct: false,
        malformed: false,
        reason: `checkJs: ${JSON.stringify(task.mode)} is not a JavaScript task mode`,
        errorType: 'MalformedTask',
        durationMs: 0,
      });
  }
}

export default definePlugin({
  name: 'javascript',
  description:
    'Deduction and abduction over JavaScript functions, run in QuickJS inside killable worker threads.',
  options: programModeOptions(6),
  taskModes: modes,
  executors: () => [
    {
      name: 'javascript',
      create: ({ workers, timeoutMs }) => {
        const pool = new JsPool({ size: workers, limits: { timeoutMs } });
        return {
          validate: (proposals) => validateJs(pool, proposals),
          verify: (checks) => verifyJs(pool, checks),
          close: () => pool.close(),
        };
      },
    },
  ],
});
