// Types shared by the pool, the batch APIs and the wire protocol with harness.py. What harness.py answers is a
// wire type (SandboxValidation, AnswerVerdict in src/wire).
import type { AnswerVerdict, SandboxValidation } from '../wire/index.ts';

export { DEFAULT_BANNED_MODULES } from '../wire/index.ts';

/** Per-job limits. `timeoutMs` is enforced by the pool (wall clock); the rest by the harness (rlimits). */
export interface ExecutionLimits {
  /** Wall-clock deadline per job; past it the worker is killed and replaced, the job ends as `timeout`. */
  timeoutMs: number;
  /** RLIMIT_AS of each worker process, in bytes. */
  memoryBytes: number;
  /** RLIMIT_CPU budget granted to each job, in seconds. */
  cpuSeconds: number;
  /** RLIMIT_NPROC inside the sandbox (counts the sandbox's own init and the worker). */
  processes: number;
  /** RLIMIT_FSIZE: largest file a job may write (only /tmp is writable). */
  fileBytes: number;
  /** RLIMIT_NOFILE. */
  openFiles: number;
  /** Size of the sandbox's private /tmp (tmpfs). */
  tmpfsBytes: number;
}

export const DEFAULT_LIMITS: ExecutionLimits = {
  timeoutMs: 5000,
  memoryBytes: 256 * 1024 * 1024,
  cpuSeconds: 5,
  processes: 8,
  fileBytes: 16 * 1024 * 1024,
  openFiles: 64,
  tmpfsBytes: 64 * 1024 * 1024,
};

/** `bwrap`: every worker runs under bubblewrap (default). `none`: no sandbox at all, must be asked for. */
export type SandboxMode = 'bwrap' | 'none';

// ---------------------------------------------------------------- wire protocol

/**
 * How inputs and answers are read (docs/azr.md §3): `python` (default, the paper's) evaluates them as Python
 * expressions in the sandbox, as the reference pastes them into `f(…)`; `literals` accepts Python literals only.
 */
export type ExpressionMode = 'python' | 'literals';

/**
 * Which outputs are values (docs/azr.md §3): `literal` (default) only reprs that round-trip through
 * `ast.literal_eval`; `repr` also reprs that evaluate back to an equal value of the same type (`inf`, `Ellipsis`,
 * `Counter(...)`, `deque(...)`, `range(...)`), as the reference accepts.
 */
export type OutputMode = 'literal' | 'repr';

/** What the harness applies to a program, its inputs and its answers (docs/azr.md §3). */
export interface WirePolicy {
  banned: readonly string[];
  helpers: boolean;
  maxOutputChars: number;
  expressions: ExpressionMode;
  outputs: OutputMode;
}

export interface ValidateRequest {
  op: 'validate';
  code: string;
  inputs: readonly string[];
  policy: WirePolicy;
}

export interface DeductionRequest {
  op: 'deduction';
  answer: string;
  gold: string;
  policy: WirePolicy;
}

export interface AbductionRequest {
  op: 'abduction';
  code: string;
  answer: string;
  gold: string;
  policy: WirePolicy;
}

export interface InductionRequest {
  op: 'induction';
  answer: string;
  inputs: readonly string[];
  outputs: readonly string[];
  policy: WirePolicy;
}

export type HarnessRequest = ValidateRequest | DeductionRequest | AbductionRequest | InductionRequest;

export type ResponseFor<R extends HarnessRequest> = R extends ValidateRequest
  ? SandboxValidation
  : AnswerVerdict;
