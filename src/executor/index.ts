// Public API of the sandboxed Python executor.
export {
  PoolBrokenError,
  PoolClosedError,
  PoolQueueFullError,
  PythonPool,
  type PythonPoolEvents,
  type PythonPoolOptions,
  type RunOptions,
  type WorkerExitInfo,
} from './python-pool.ts';
export { ProtocolError } from './protocol.ts';
export {
  DEFAULT_BWRAP,
  DEFAULT_PYTHON,
  SandboxUnavailableError,
  bwrapArgs,
  sandboxProblem,
} from './sandbox.ts';
export {
  DEFAULT_BANNED_MODULES,
  DEFAULT_LIMITS,
  type ExecutionLimits,
  type ExpressionMode,
  type OutputMode,
  type AbductionRequest,
  type DeductionRequest,
  type HarnessRequest,
  type InductionRequest,
  type SandboxMode,
  type ValidateRequest,
} from './types.ts';
export type { ProgramPolicyOptions } from './policy.ts';
export { type ValidationOptions, validate, validateOne } from './validate.ts';
export { type VerificationOptions, verify, verifyOne } from './verify.ts';
