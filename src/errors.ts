// One error family: every failure azr reports on purpose is an `AzrError` with a stable code from the table below,
// and the table says whether it is the user's input (exit 2) or a failure of the run (exit 1). Callers tell errors
// apart by `code` (or by class, for those that carry fields), never by their message. docs/errors.md lists them.

/** Whether an error is about what the user gave (a config, a flag, a file: exit 2) or a failure while working (1). */
export type ErrorKind = 'input' | 'failure';

/** Every error code, with its kind and what it means. */
export const errorCodes = {
  // Input: something the user wrote, named or called is wrong; fixing it is the user's move (exit 2).
  USAGE: { kind: 'input', meaning: 'a command line that cannot be understood' },
  CONFIG_INVALID: { kind: 'input', meaning: 'a topology file that cannot be read or fails its schema' },
  OPTIONS_INVALID: { kind: 'input', meaning: "an actor's options that fail its kind's schema" },
  OVERRIDE_INVALID: { kind: 'input', meaning: 'a --set PATH=VALUE that names nothing or does not parse' },
  PLUGIN_INVALID: {
    kind: 'input',
    meaning: 'a plugin that cannot be found or loaded, or options it rejects',
  },
  BENCH_INVALID: { kind: 'input', meaning: 'a benchmark or held-out JSONL file with a bad line' },
  CHECKPOINT_INVALID: { kind: 'input', meaning: 'no usable checkpoint where one was named' },
  RUN_DIR_INVALID: { kind: 'input', meaning: 'a directory named as a run directory that holds no run' },
  MODEL_INVALID: {
    kind: 'input',
    meaning: 'a model configuration, weights file or tokenizer that cannot be used',
  },
  ACTOR_UNKNOWN: { kind: 'input', meaning: 'an actor name or kind the system does not have' },
  ACTOR_NAME_TAKEN: { kind: 'input', meaning: 'a second actor (or kind) under a name already used' },
  REMOTE_UNCONNECTED: { kind: 'input', meaning: 'a remote actor in a system that has no NATS connection' },
  NATS_REFUSED: { kind: 'input', meaning: 'the NATS server refused the credentials or names given' },
  // Failures: the environment or a component failed while working (exit 1).
  RUN_WRITE_FAILED: { kind: 'failure', meaning: 'a file of the run directory could not be written' },
  BACKEND_UNAVAILABLE: {
    kind: 'failure',
    meaning: 'a compute backend (tfjs, wasm, native products) cannot start',
  },
  SANDBOX_UNAVAILABLE: { kind: 'failure', meaning: 'the Python sandbox (bubblewrap) cannot start here' },
  EXECUTOR_FAILED: {
    kind: 'failure',
    meaning: 'an executor worker broke its protocol, or its pool is closed or full',
  },
  BUFFER_SNAPSHOT_MISMATCH: {
    kind: 'failure',
    meaning: 'a buffer snapshot written by another configuration',
  },
  MAILBOX_FULL: { kind: 'failure', meaning: 'a message to a full mailbox whose overflow policy is "reject"' },
  MESSAGE_DROPPED: { kind: 'failure', meaning: 'a message dropped by the overflow policy "drop-oldest"' },
  MESSAGE_REJECTED: { kind: 'failure', meaning: 'a message that fails its protocol schema' },
  ASK_TIMEOUT: { kind: 'failure', meaning: 'an actor that did not reply within the ask deadline' },
  NO_REPLY: { kind: 'failure', meaning: 'an actor that handled an ask without replying' },
  ACTOR_INIT_FAILED: { kind: 'failure', meaning: 'an actor that threw while starting' },
  ACTOR_CRASHED: { kind: 'failure', meaning: 'an actor that threw while handling a message' },
  ACTOR_STOPPED: { kind: 'failure', meaning: 'a message to an actor that is stopped' },
  DEAD_LETTER: { kind: 'failure', meaning: "a message whose actor's host died under it on every attempt" },
  SYSTEM_STOPPED: { kind: 'failure', meaning: 'work asked of an actor system that has stopped' },
  ROUTE_FAILED: { kind: 'failure', meaning: 'a message another host could not route' },
  NATS_UNREACHABLE: { kind: 'failure', meaning: 'no NATS server answers at the URL given' },
  NATS_NO_NODES: { kind: 'failure', meaning: 'no `azr node` serving a remote role joined in time' },
  NATS_NO_RUN: { kind: 'failure', meaning: 'a node whose run did not start in time, or is over' },
  NATS_NO_QUEUE: { kind: 'failure', meaning: 'a node serving an actor the run has no work queue for' },
  NATS_RECORD_INVALID: {
    kind: 'failure',
    meaning: "a run's record in the NATS key-value bucket that does not parse",
  },
  NATS_PAYLOAD_MISSING: { kind: 'failure', meaning: 'a payload the NATS object store no longer holds' },
  NATS_PAYLOAD_CORRUPT: { kind: 'failure', meaning: 'a payload that does not match its content hash' },
  NATS_BROADCASTS_LOST: { kind: 'failure', meaning: "a node that lost the run's broadcast stream" },
  INTERNAL: { kind: 'failure', meaning: 'a broken invariant inside azr: a bug, please report it' },
} as const satisfies Record<string, { kind: ErrorKind; meaning: string }>;

export type ErrorCode = keyof typeof errorCodes;

/** The base of every error azr raises on purpose. `code` is stable; the message says what, where and what to do. */
export class AzrError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  /** input (exit 2) or failure (exit 1). */
  get kind(): ErrorKind {
    return errorCodes[this.code]?.kind ?? 'failure';
  }
}

/** Whether `error` is an `AzrError`, and when `code` is given, one with that code. */
export function isAzrError(error: unknown, code?: ErrorCode): error is AzrError {
  return error instanceof AzrError && (code === undefined || error.code === code);
}

/** The process exit code for an error a command could not handle: 2 for bad input, 1 otherwise. */
export function exitCodeOf(error: unknown): 1 | 2 {
  return isAzrError(error) && error.kind === 'input' ? 2 : 1;
}
