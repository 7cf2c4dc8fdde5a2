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
  type AbductionRequest,
  type DeductionRequest,
  type HarnessRequest,
  type InductionRequest,
  type JobOutcome,
  type SandboxMode,
  type ValidateRequest,
  type ValidateResponse,
  type VerdictResponse,
} from './types.ts';
export {
  type InductionProposal,
  isInductionProposal,
  type ProgramPolicyOptions,
  type Proposal,
  type SingleProposal,
  type ValidationOptions,
  type ValidationResult,
  validate,
  validateOne,
} from './validate.ts';
export {
  type AbductionAnswer,
  type AnswerToCheck,
  type DeductionAnswer,
  type InductionAnswer,
  type VerificationOptions,
  type VerificationResult,
  verify,
  verifyOne,
} from './verify.ts';
