// JavaScript task mode: deduction and abduction over JavaScript functions run in QuickJS (see docs/javascript.md).
// Tasks are written like the Python ones (sections "# program", "# input", "# output"); inputs are argument
// lists of JavaScript literals and outputs the canonical text of plain data (JSON with sorted keys).
import {
  answerSection,
  definePlugin,
  layout,
  oneLine,
  type Parsed,
  type ProgramModeOptions,
  type PromptSpec,
  type Proposal,
  programModeOptions,
  readSections,
  renderExample,
  renderSections,
  section,
  type Task,
  type TaskMode,
  type ValidatedProposal,
} from '../../src/plugins/index.ts';
import type { JsPool } from './pool.ts';
import { type JsVerificationOptions, type VerificationResult, verifyJsOne } from './verify.ts';

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
export function jsIdentityTask(mode: string): Task {
  return {
    id: `${mode}-seed-0`,
    mode,
    code: JS_IDENTITY_CODE,
    input: JS_IDENTITY_INPUT,
    output: JS_IDENTITY_INPUT,
    step: 0,
  };
}

function jsProposer(mode: string, instruction: string, options: ProgramModeOptions) {
  const l = layout(options.format);
  return {
    seedTasks: (): Task[] => [jsIdentityTask(mode)],
    proposerPrompt: (references: readonly Task[]): PromptSpec =>
      l.prompt(
        instruction,
        references.map(renderExample).join('\n'),
        '# program\n',
        ['# output', '# end'],
        options.maxProposalTokens,
      ),
    parseProposal(completion: string): Parsed<Proposal> {
      const body = l.answer(completion, '# program\n');
      if (!body.ok) return body;
      const sections = readSections(body.value);
      const code = section(sections, 'program');
      if (!code?.trim()) return { ok: false, reason: 'no program' };
      const input = section(sections, 'input');
      if (input === undefined) return { ok: false, reason: 'no "# input" section' };
      const line = oneLine(input, 'input');
      return line.ok ? { ok: true, value: { code, input: line.value } } : line;
    },
    toTask({ proposal, output }: ValidatedProposal, meta: { id: string; step: number }): Task {
      if (!('input' in proposal) || output === null) {
        throw new Error(`${mode}: toTask needs a valid single-input proposal`);
      }
      return { id: meta.id, mode, code: proposal.code, input: proposal.input, output, step: meta.step };
    },
  };
}

function deductionMode(o: ProgramModeOptions): TaskMode {
  const proposer = jsProposer(
    JS_DEDUCTION,
    'Write a new JavaScript function f and an input for it (arguments as JavaScript literals). Someone will be ' +
      'shown both and must predict the output. Make it deterministic (no Math.random, no Date.now), return ' +
      'plain data (numbers, strings, booleans, null, arrays, objects), and make it hard to predict without ' +
      'running it. Examples:',
    o,
  );
  return {
    name: JS_DEDUCTION,
    references: o.references,
    ...proposer,
    solverPrompt: (task) =>
      layout(o.format).prompt(
        'Predict the output of the JavaScript program on the input, as a JSON value.',
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
  };
}

function abductionMode(o: ProgramModeOptions): TaskMode {
  const proposer = jsProposer(
    JS_ABDUCTION,
    'Write a new JavaScript function f and an input for it (arguments as JavaScript literals). Someone will be ' +
      'shown f and its output and must find an input that produces it. Make it deterministic (no Math.random, ' +
      'no Date.now), return plain data, and make it not trivially invertible. Examples:',
    o,
  );
  return {
    name: JS_ABDUCTION,
    references: o.references,
    ...proposer,
    solverPrompt: (task) =>
      layout(o.format).prompt(
        'Find arguments for f that make it return the output (any that work count), as JavaScript literals ' +
          'separated by commas.',
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
  };
}

/**
 * Checks a solver's answer to a JavaScript task on `pool` (the JS counterpart of sending a mode's AnswerCheck to
 * the Python executor). `answer` is the parsed answer (the mode's `parseAnswer`). Never throws for bad answers.
 */
export function checkJs(
  pool: JsPool,
  task: Task,
  answer: string,
  options: JsVerificationOptions = {},
): Promise<VerificationResult> {
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
  taskModes: (o): TaskMode[] => [deductionMode(o), abductionMode(o)],
});
