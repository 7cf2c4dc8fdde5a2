// Jobs a JavaScript sandbox worker runs, and what it answers: the same wire types as the Python executor's
// (src/wire), so the core treats both languages alike.
import type { AnswerVerdict, SandboxValidation } from '../../src/wire/index.ts';

/** Per-worker limits of the QuickJS runtime. */
export interface JsRuntimeLimits {
  /** QuickJS heap limit of each worker's runtime, in bytes. */
  memoryBytes: number;
  /** QuickJS stack limit, in bytes (≤ 256 KiB: deeper stacks overflow the worker's native stack). */
  stackBytes: number;
}

export interface JsJobBase {
  /** In-VM CPU deadline for the whole job, in ms (the interrupt handler stops JS code past it). */
  cpuMs?: number;
  /** Index of the start stamp the worker writes when it begins the job (set by the pool). */
  slot?: number;
}

export interface JsValidateJob extends JsJobBase {
  op: 'validate';
  code: string;
  inputs: readonly string[];
  maxOutputChars: number;
}

export interface JsAbductionJob extends JsJobBase {
  op: 'abduction';
  code: string;
  answer: string;
  gold: string;
}

export interface JsInductionJob extends JsJobBase {
  op: 'induction';
  answer: string;
  inputs: readonly string[];
  outputs: readonly string[];
}

export type JsJob = JsValidateJob | JsAbductionJob | JsInductionJob;

export type JsResponseFor<J extends JsJob> = J extends JsValidateJob ? SandboxValidation : AnswerVerdict;

/** What every worker gets at start. */
export interface JsWorkerData extends JsRuntimeLimits {
  /** Start stamps, one Int32 per pool slot: ms since `epoch` + 1 when the job in that slot began. */
  starts: SharedArrayBuffer;
  epoch: number;
}
