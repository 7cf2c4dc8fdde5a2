// Named errors: every failure the runtime reports says what happened and to whom. They belong to azr's one error
// family (src/errors.ts): each has a code, and a name that says what it is.
import { AzrError } from '../errors.ts';

export { AzrError };

/** A message sent to a full mailbox whose overflow policy is "reject". */
export class MailboxFullError extends AzrError {
  constructor(readonly actor: string) {
    super('MAILBOX_FULL', `mailbox of actor "${actor}" is full (overflow policy "reject")`);
  }
}

export class MessageDroppedError extends AzrError {
  constructor(readonly actor: string) {
    super(
      'MESSAGE_DROPPED',
      `message to actor "${actor}" was dropped: mailbox full (overflow policy "drop-oldest")`,
    );
  }
}

/** An ask the actor did not answer within its deadline (`AskOptions.timeoutMs`). */
export class AskTimeoutError extends AzrError {
  constructor(
    readonly actor: string,
    readonly messageType: string,
    readonly timeoutMs: number,
  ) {
    super('ASK_TIMEOUT', `actor "${actor}" did not reply to "${messageType}" within ${timeoutMs} ms`);
  }
}

/** The actor threw while handling the message asked; its supervisor restarts it. */
export class ActorCrashedError extends AzrError {
  constructor(
    readonly actor: string,
    readonly reason: string,
  ) {
    super('ACTOR_CRASHED', `actor "${actor}" crashed while handling the message: ${reason}`);
  }
}

/** A message whose host died under it on every attempt: given up on, not handled. */
export class DeadLetterError extends AzrError {
  constructor(
    readonly actor: string,
    readonly messageType: string,
    readonly attempts: number,
    readonly reason: string,
  ) {
    super(
      'DEAD_LETTER',
      `message "${messageType}" to actor "${actor}" dead-lettered: its host died while handling it ` +
        `${attempts} time(s) (last: ${reason})`,
    );
  }
}

export class ActorStoppedError extends AzrError {
  constructor(readonly actor: string) {
    super('ACTOR_STOPPED', `actor "${actor}" is stopped`);
  }
}

/** A message that fails its protocol's schema: rejected and counted, never handled. */
export class MessageRejectedError extends AzrError {
  constructor(
    readonly actor: string,
    readonly messageType: string,
    /** JSON pointer into the message of the first problem found. */
    readonly pointer: string,
    readonly problem: string,
  ) {
    super(
      'MESSAGE_REJECTED',
      `actor "${actor}" rejected message "${messageType}": ${pointer || '/'} ${problem}`,
    );
  }
}

export class NoReplyError extends AzrError {
  constructor(
    readonly actor: string,
    readonly messageType: string,
  ) {
    super('NO_REPLY', `actor "${actor}" handled "${messageType}" without replying to the ask`);
  }
}

/** Serializable description of an error, for crossing host boundaries and for reports. */
export interface ErrorInfo {
  name: string;
  message: string;
  /** The `AzrError` code, when it was one. */
  code?: string;
  stack?: string;
}

export function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof AzrError)
    return { name: error.name, message: error.message, code: error.code, stack: error.stack };
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}
