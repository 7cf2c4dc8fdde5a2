// A piscina worker: runs JavaScript jobs in QuickJS (WebAssembly). One QuickJS runtime per worker with a heap
// limit, a stack limit and an interrupt handler for the job's CPU deadline; every run of a program gets a fresh
// context (own globals and intrinsics), so jobs and the two determinism runs cannot see each other's changes.
// Built-in calls that never return to the interpreter are stopped by the pool, which terminates this thread.
import { workerData } from 'node:worker_threads';
import { getQuickJS, type QuickJSHandle, type QuickJSRuntime } from 'quickjs-emscripten';
import { canonical, type Plain, parseArguments, parseLiteral, plainEqual } from './literal.ts';
import type { AnswerVerdict, SandboxValidation } from '../../src/wire/index.ts';
import { PRELUDE } from './prelude.ts';
import type { JsAbductionJob, JsInductionJob, JsJob, JsValidateJob, JsWorkerData } from './types.ts';

const data = workerData as JsWorkerData;
const starts = new Int32Array(data.starts);
const quickjs = await getQuickJS();

let runtime: QuickJSRuntime = newRuntime();
let deadline = 0;

function newRuntime(): QuickJSRuntime {
  const created = quickjs.newRuntime();
  created.setMemoryLimit(data.memoryBytes);
  created.setMaxStackSize(data.stackBytes);
  created.setInterruptHandler(() => Date.now() > deadline);
  return created;
}

function resetRuntime(): void {
  try {
    runtime.dispose();
  } catch {
    // A runtime with objects still alive cannot be freed cleanly; drop it.
  }
  runtime = newRuntime();
}

class JobError extends Error {
  constructor(
    readonly errorType: string,
    reason: string,
    readonly stage: 'program' | 'call' | 'input' = 'call',
  ) {
    super(reason);
  }
}

const clip = (text: string, limit = 400) => (text.length <= limit ? text : `${text.slice(0, limit - 3)}...`);

/** QuickJS's own errors get the names the Python executor uses for the same events. */
function errorTypeOf(type: string, message: string): string {
  if (type === 'InternalError') {
    if (message.includes('out of memory') || message.includes('too long')) return 'MemoryError';
    if (message.includes('stack overflow')) return 'RecursionError';
    if (message.includes('interrupted')) return 'Timeout';
  }
  return type;
}

/** Reads the driver's answer: 'O' + canonical output, or 'E' + type + '\n' + message. */
function readAnswer(answer: string, stage: 'program' | 'call'): string {
  if (answer.startsWith('O')) return answer.slice(1);
  const newline = answer.indexOf('\n');
  const type = answer.slice(1, newline);
  const message = answer.slice(newline + 1);
  if (Date.now() > deadline) throw new JobError('Timeout', 'CPU time limit exceeded', stage);
  const errorType = type === 'MissingFunction' ? type : errorTypeOf(type, message);
  const shown = errorType === 'Timeout' ? 'CPU time limit exceeded' : message;
  throw new JobError(errorType, clip(shown), type === 'MissingFunction' ? 'program' : stage);
}

/** Error from a call the driver could not answer (uncatchable interrupt, out of memory while describing…). */
function failure(
  context: { dump(handle: QuickJSHandle): unknown },
  handle: QuickJSHandle,
  stage: 'program' | 'call',
): never {
  if (Date.now() > deadline) throw new JobError('Timeout', 'CPU time limit exceeded', stage);
  let dumped: unknown;
  try {
    dumped = context.dump(handle);
  } catch {
    dumped = undefined;
  }
  const record = (dumped ?? {}) as { name?: unknown; message?: unknown };
  const name = typeof record.name === 'string' ? record.name : 'Error';
  const message = typeof record.message === 'string' ? record.message : 'the program failed';
  throw new JobError(errorTypeOf(name, message), clip(`${name}: ${message}`), stage);
}

/**
 * Runs the program in a fresh context and calls f with the arguments (JSON text of a plain list); returns the
 * canonical text of the result. Throws JobError.
 */
function runOnce(code: string, argsJson: string, maxChars: number): string {
  const context = runtime.newContext();
  try {
    const prelude = context.evalCode(PRELUDE, 'azr-prelude.js');
    if (prelude.error) {
      prelude.error.dispose();
      throw new JobError('MemoryError', 'the sandbox could not start (out of memory)');
    }
    const driver = prelude.value;
    try {
      const program = context.evalCode(code, 'program.js', { type: 'global', strict: false });
      if (program.error) {
        const described = context.callFunction(
          driver,
          context.undefined,
          context.newString('describe'),
          program.error,
        );
        program.error.dispose();
        if (described.error) failure(context, described.error, 'program');
        const answer = context.getString(described.value);
        described.value.dispose();
        readAnswer(answer, 'program');
      } else {
        program.value.dispose();
      }
      const args = context.newString(argsJson);
      const max = context.newNumber(maxChars);
      const op = context.newString('call');
      const called = context.callFunction(driver, context.undefined, op, args, max);
      op.dispose();
      args.dispose();
      max.dispose();
      if (called.error) {
        try {
          failure(context, called.error, 'call');
        } finally {
          called.error.dispose();
        }
      }
      const answer =
        context.typeof(called.value) === 'string' ? context.getString(called.value) : 'EError\n?';
      called.value.dispose();
      // The host's canonical text (V8 and QuickJS may write the same double differently, e.g. 2 ** 60).
      const output = canonical(JSON.parse(readAnswer(answer, 'call')) as Plain);
      if (output.length > maxChars)
        throw new JobError('OutputTooLong', `output is longer than ${maxChars} chars`);
      return output;
    } finally {
      driver.dispose();
    }
  } finally {
    context.dispose();
  }
}

function argumentsJson(text: string, what: string): string {
  const parsed = parseArguments(text);
  if (!parsed.ok) {
    throw new JobError(
      'MalformedInput',
      clip(`${what} is not a list of JavaScript literals: ${parsed.reason}`),
      'input',
    );
  }
  return JSON.stringify(parsed.value);
}

function gold(text: string): Plain {
  const parsed = parseLiteral(text);
  if (!parsed.ok) throw new JobError('MalformedTask', clip(`gold output is not a literal: ${parsed.reason}`));
  return parsed.value;
}

/** Outputs of verification runs may be longer than validation's limit; past this they cannot match anyway. */
const outputBudget = (expected: Plain) => canonical(expected).length + 1;

function validateJob(job: JsValidateJob): Omit<SandboxValidation, 'durationMs'> {
  if (typeof job.code !== 'string') throw new JobError('MalformedProgram', 'program is not a string');
  if (!Array.isArray(job.inputs) || job.inputs.length === 0)
    throw new JobError('MalformedInput', 'no inputs given');
  const outputs = job.inputs.map((input, index) => {
    const what = job.inputs.length === 1 ? 'input' : `input ${index + 1}`;
    try {
      const args = argumentsJson(input, what);
      const first = runOnce(job.code, args, job.maxOutputChars);
      const second = runOnce(job.code, args, job.maxOutputChars);
      if (first !== second) {
        throw new JobError('Nondeterministic', 'f gave different results on two runs with the same input');
      }
      return first;
    } catch (error) {
      if (error instanceof JobError && job.inputs.length > 1) {
        throw new JobError(error.errorType, clip(`${what}: ${error.message}`), error.stage);
      }
      throw error;
    }
  });
  return { valid: true, outputs, reason: null, errorType: null };
}

const verdict = (correct: boolean, reason: string | null): Omit<AnswerVerdict, 'durationMs'> => ({
  correct,
  malformed: false,
  reason,
  errorType: null,
});

function compare(output: string, expected: Plain, expectedText: string, prefix: string) {
  return plainEqual(JSON.parse(output) as Plain, expected)
    ? verdict(true, null)
    : verdict(false, clip(`${prefix}${output}, expected ${expectedText}`));
}

function abductionJob(job: JsAbductionJob): Omit<AnswerVerdict, 'durationMs'> {
  const expected = gold(job.gold);
  let args: string;
  try {
    args = argumentsJson(job.answer, 'answer');
  } catch (error) {
    if (error instanceof JobError) throw new JobError('MalformedAnswer', error.message, 'input');
    throw error;
  }
  const output = outputOrMismatch(() => runOnce(job.code, args, outputBudget(expected)));
  if (output === null) return verdict(false, 'f(answer) is longer than the expected output');
  return compare(output, expected, job.gold, 'f(answer) = ');
}

function outputOrMismatch(run: () => string): string | null {
  try {
    return run();
  } catch (error) {
    if (error instanceof JobError && error.errorType === 'OutputTooLong') return null;
    throw error;
  }
}

function inductionJob(job: JsInductionJob): Omit<AnswerVerdict, 'durationMs'> {
  if (!Array.isArray(job.inputs) || !Array.isArray(job.outputs) || job.inputs.length !== job.outputs.length) {
    throw new JobError('MalformedTask', 'inputs and outputs must be lists of equal length');
  }
  const golds = job.outputs.map(gold);
  for (let index = 0; index < job.inputs.length; index++) {
    const what = `input ${index + 1}`;
    const args = argumentsJson(job.inputs[index]!, what);
    let output: string | null;
    try {
      output = outputOrMismatch(() => runOnce(job.answer, args, outputBudget(golds[index]!)));
    } catch (error) {
      if (error instanceof JobError && error.stage === 'program') {
        throw new JobError(error.errorType, clip(`candidate program: ${error.message}`), 'program');
      }
      if (error instanceof JobError) throw new JobError(error.errorType, clip(`${what}: ${error.message}`));
      throw error;
    }
    if (output === null) return verdict(false, `${what}: output is longer than the expected one`);
    const result = compare(output, golds[index]!, job.outputs[index]!, `${what}: got `);
    if (!result.correct) return result;
  }
  return verdict(true, null);
}

function fail(job: JsJob, error: JobError) {
  if (job.op === 'validate') {
    return { valid: false, outputs: null, reason: error.message, errorType: error.errorType };
  }
  const malformed =
    error.errorType === 'MalformedAnswer' ||
    (job.op === 'induction' &&
      error.stage === 'program' &&
      !['Timeout', 'MemoryError'].includes(error.errorType));
  return { correct: false, malformed, reason: error.message, errorType: error.errorType };
}

export default function run(job: JsJob): SandboxValidation | AnswerVerdict {
  const started = performance.now();
  if (job.slot !== undefined) Atomics.store(starts, job.slot, Date.now() - data.epoch + 1);
  deadline = Date.now() + (job.cpuMs ?? 5000);
  let result: Omit<SandboxValidation, 'durationMs'> | Omit<AnswerVerdict, 'durationMs'>;
  try {
    if (job.op === 'validate') result = validateJob(job);
    else if (job.op === 'abduction') result = abductionJob(job);
    else if (job.op === 'induction') result = inductionJob(job);
    else throw new JobError('MalformedTask', `unknown op ${JSON.stringify((job as { op?: unknown }).op)}`);
  } catch (thrown) {
    let error = thrown;
    if (!(error instanceof JobError)) {
      // A fault of the engine itself: start over with a fresh runtime, report the job as failed.
      resetRuntime();
      error = new JobError('InternalError', clip(`sandbox error: ${(thrown as Error)?.message ?? thrown}`));
    }
    result = fail(job, error as JobError);
    // Start the next job with a clean heap.
    if ((error as JobError).errorType === 'MemoryError') resetRuntime();
  }
  return { ...result, durationMs: performance.now() - started };
}
