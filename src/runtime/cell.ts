// An actor cell is an actor's lasting identity: its name, its bounded mailbox and its pending asks. It
// outlives the incarnations that a supervisor starts and restarts, so a ref stays valid across restarts and
// messages sent while an actor is down wait for the next incarnation.
import type { ActorRef, AskOptions } from './actor.ts';
import type { Clock, TimerHandle } from './clock.ts';
import { decode, encode } from './codec.ts';
import {
  ActorCrashedError,
  ActorStoppedError,
  AskTimeoutError,
  DeadLetterError,
  type ErrorInfo,
  MessageDroppedError,
  MessageRejectedError,
  NoReplyError,
} from './errors.ts';
import type { RuntimeEvent } from './events.ts';
import type { ContextServices, Host, HostKind, HostStartSpec, Incarnation } from './host.ts';
import { BoundedMailbox, type MailboxOptions } from './mailbox.ts';
import type { CheckProblem } from './protocol.ts';
import type { Envelope, RunnerEvents } from './runner.ts';
import type { Child, Exit, RestartKind, TreeNode } from './supervisor.ts';

export interface CellSpec extends Omit<HostStartSpec, 'snapshot'> {
  host: HostKind;
  mailbox: MailboxOptions;
  restart: RestartKind;
  /** Messages handed to the incarnation before their predecessors are done (1 keeps mailbox policies exact). */
  window: number;
  /** State to restore on the first start instead of `init`. */
  snapshot?: unknown;
}

export interface CellServices extends ContextServices {
  clock: Clock;
  askTimeoutMs: number;
  shutdownTimeoutMs: number;
  hosts: Record<HostKind, Host>;
  emit(event: RuntimeEvent): void;
}

export interface ActorStats {
  received: number;
  processed: number;
  rejected: number;
  dropped: number;
  crashes: number;
  starts: number;
  /** Messages handed again to a new incarnation after their host (thread, process) died under them. */
  retried: number;
  /** Messages given up on after `hostRetries` such retries. */
  deadLettered: number;
}

/** How many times a message whose host died under it is retried on the next incarnation. */
export const hostRetries = 2;

type Status = 'down' | 'starting' | 'running' | 'terminated';

interface PendingAsk {
  type: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: TimerHandle;
}

export class ActorCell implements ActorRef<any>, Child {
  readonly name: string;
  readonly restart: RestartKind;
  readonly stats: ActorStats = {
    received: 0,
    processed: 0,
    rejected: 0,
    dropped: 0,
    crashes: 0,
    starts: 0,
    retried: 0,
    deadLettered: 0,
  };
  onExit?: (exit: Exit) => void;
  private status: Status = 'down';
  private readonly mailbox: BoundedMailbox<Envelope>;
  private readonly inFlight = new Map<number, Envelope>();
  private readonly asks = new Map<number, PendingAsk>();
  private incarnation: Incarnation | undefined;
  private generation = 0;
  private nextId = 1;
  private restoreFrom: unknown;
  private drainWaiters: (() => void)[] = [];
  /** Host deaths each message was in hand for, by envelope id. */
  private readonly hostDeaths = new Map<number, number>();
  /**
   * The last broadcast message of each type that an incarnation handled (new weights): handed to every new
   * incarnation before anything else, so a restarted copy has the state its peers rely on.
   */
  private readonly broadcasts = new Map<string, Envelope>();

  constructor(
    private readonly spec: CellSpec,
    private readonly services: CellServices,
  ) {
    this.name = spec.name;
    this.restart = spec.restart;
    this.restoreFrom = spec.snapshot;
    this.mailbox = new BoundedMailbox(spec.name, spec.mailbox, (dropped) => this.dropped(dropped));
  }

  get mailboxSize(): number {
    return this.mailbox.size;
  }

  get isRunning(): boolean {
    return this.status === 'running';
  }

  tell(message: { type: string }): Promise<void> {
    if (this.status === 'terminated') return Promise.reject(new ActorStoppedError(this.name));
    const offered = this.mailbox.offer(this.envelope(message, false));
    this.pump();
    return offered;
  }

  ask(message: { type: string }, options?: AskOptions): Promise<any> {
    if (this.status === 'terminated') return Promise.reject(new ActorStoppedError(this.name));
    const envelope = this.envelope(message, true);
    const timeoutMs = options?.timeoutMs ?? this.services.askTimeoutMs;
    return new Promise((resolve, reject) => {
      const timer = this.services.clock.setTimeout(
        () => this.settle(envelope.id, new AskTimeoutError(this.name, envelope.type, timeoutMs)),
        timeoutMs,
      );
      this.asks.set(envelope.id, { type: envelope.type, resolve, reject, timer });
      this.mailbox.offer(envelope).catch((error: Error) => this.settle(envelope.id, error));
      this.pump();
    });
  }

  /** Resolves when nothing waits in the mailbox or is being handled (or the actor is terminated). */
  drain(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private idle(): boolean {
    return this.status === 'terminated' || (this.mailbox.size === 0 && this.inFlight.size === 0);
  }

  private notifyIfIdle(): void {
    if (this.drainWaiters.length > 0 && this.idle())
      for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  snapshot(): Promise<unknown> {
    return this.incarnation && this.status === 'running'
      ? this.incarnation.snapshot()
      : Promise.resolve(undefined);
  }

  start(): void {
    if (this.status === 'terminated') return;
    this.incarnation?.kill();
    this.status = 'starting';
    this.stats.starts++;
    const generation = ++this.generation;
    const { host, mailbox: _m, restart: _r, window: _w, snapshot: _s, ...startSpec } = this.spec;
    // Kept until a start succeeds: a snapshot that fails to restore is never silently replaced by a fresh init.
    const snapshot = this.restoreFrom;
    // Remote copies get broadcasts from their stream (nats-node.ts), not from here.
    if (host !== 'remote' && this.broadcasts.size > 0)
      this.mailbox.putBack(
        [...this.broadcasts.values()].map((e) => ({ ...e, id: this.nextId++, ask: false })),
      );
    this.incarnation = this.services.hosts[host](
      { ...startSpec, snapshot },
      this.events(generation),
      this.services,
    );
  }

  async stop(): Promise<void> {
    const incarnation = this.incarnation;
    if (!incarnation || this.status === 'down' || this.status === 'terminated') return;
    this.generation++;
    this.status = 'down';
    this.incarnation = undefined;
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = this.services.clock.setTimeout(resolve, this.services.shutdownTimeoutMs);
    });
    await Promise.race([incarnation.stop(), timedOut]);
    this.services.clock.clearTimeout(timer!);
    incarnation.kill();
    this.requeueInFlight();
  }

  async terminate(reason: string): Promise<void> {
    if (this.status === 'terminated') return;
    await this.stop();
    this.status = 'terminated';
    const stopped = new ActorStoppedError(this.name);
    for (const envelope of this.mailbox.close(stopped)) this.settle(envelope.id, stopped);
    for (const id of [...this.asks.keys()]) this.settle(id, stopped);
    this.notifyIfIdle();
    this.services.emit({ type: 'terminated', actor: this.name, at: this.services.clock.now(), reason });
  }

  tree(): TreeNode {
    const { host, mailbox, restart, definition } = this.spec;
    return {
      name: this.name,
      kind: definition.kind,
      detail: `${host}, mailbox ${mailbox.capacity} ${mailbox.overflow}, ${restart}`,
    };
  }

  private envelope(message: { type: string }, ask: boolean): Envelope {
    this.stats.received++;
    const type = typeof message?.type === 'string' ? message.type : String(message?.type);
    return { id: this.nextId++, type, body: this.spec.encode ? encode(message) : message, ask };
  }

  private pump(): void {
    while (this.status === 'running' && this.inFlight.size < this.spec.window) {
      const envelope = this.mailbox.take();
      if (!envelope) break;
      this.inFlight.set(envelope.id, envelope);
      this.incarnation!.deliver(envelope);
    }
    this.notifyIfIdle();
  }

  private events(generation: number): RunnerEvents {
    const current = () => generation === this.generation;
    return {
      started: () => {
        if (!current()) return;
        this.status = 'running';
        this.restoreFrom = undefined;
        this.services.emit({
          type: 'started',
          actor: this.name,
          at: this.services.clock.now(),
          host: this.spec.host,
        });
        this.pump();
      },
      done: (id, reply, replied) => {
        if (!current()) return;
        const envelope = this.inFlight.get(id);
        if (envelope && this.spec.definition.protocol.spec[envelope.type]?.broadcast)
          this.broadcasts.set(envelope.type, envelope);
        this.inFlight.delete(id);
        this.hostDeaths.delete(id);
        this.stats.processed++;
        this.answer(id, reply, replied);
        this.pump();
      },
      rejected: (id, problem) => {
        if (!current()) return;
        const envelope = this.inFlight.get(id);
        this.inFlight.delete(id);
        this.hostDeaths.delete(id);
        this.reject(envelope?.type ?? '?', problem, id);
        this.pump();
      },
      crashed: (error, crashedId) => {
        if (!current()) return;
        this.crashed(error, crashedId);
      },
      exited: () => {
        if (!current()) return;
        this.generation++;
        this.status = 'down';
        this.incarnation = undefined;
        this.requeueInFlight();
        this.services.emit({ type: 'exited', actor: this.name, at: this.services.clock.now() });
        this.onExit?.({ kind: 'normal' });
      },
    };
  }

  private answer(id: number, reply: unknown, replied: boolean): void {
    const pending = this.asks.get(id);
    if (!pending) return;
    if (!replied) {
      this.settle(id, new NoReplyError(this.name, pending.type));
      return;
    }
    const value = reply instanceof Uint8Array && this.spec.encode ? decode(reply) : reply;
    const problem = this.spec.definition.protocol.checkReply(pending.type, value);
    if (problem)
      this.settle(
        id,
        new MessageRejectedError(`${this.name} (reply)`, pending.type, problem.pointer, problem.problem),
      );
    else this.settle(id, undefined, value);
  }

  private reject(type: string, problem: CheckProblem, id: number): void {
    this.stats.rejected++;
    this.services.emit({
      type: 'rejected',
      actor: this.name,
      at: this.services.clock.now(),
      messageType: type,
      ...problem,
    });
    this.settle(id, new MessageRejectedError(this.name, type, problem.pointer, problem.problem));
  }

  private crashed(error: ErrorInfo, crashedId: number | undefined): void {
    this.generation++;
    this.status = 'down';
    this.incarnation?.kill();
    this.incarnation = undefined;
    this.stats.crashes++;
    const inHand = crashedId === undefined ? undefined : this.inFlight.get(crashedId);
    if (crashedId !== undefined) this.inFlight.delete(crashedId);
    // A handler that throws fails its message; a host that died under it (killed thread or process) is no
    // verdict on the message, which is retried on the next incarnation, a bounded number of times.
    this.requeueInFlight();
    if (inHand && error.name === 'HostExit') this.retryOrDeadLetter(inHand, error);
    else if (crashedId !== undefined) this.settle(crashedId, new ActorCrashedError(this.name, error.message));
    this.services.emit({ type: 'crashed', actor: this.name, at: this.services.clock.now(), error });
    this.onExit?.({ kind: 'crash', error });
  }

  private retryOrDeadLetter(envelope: Envelope, error: ErrorInfo): void {
    const attempt = (this.hostDeaths.get(envelope.id) ?? 0) + 1;
    const at = this.services.clock.now();
    if (attempt > hostRetries) {
      this.hostDeaths.delete(envelope.id);
      this.stats.deadLettered++;
      this.services.emit({
        type: 'dead-lettered',
        actor: this.name,
        at,
        messageType: envelope.type,
        reason: error.message,
      });
      this.settle(envelope.id, new DeadLetterError(this.name, envelope.type, attempt, error.message));
      return;
    }
    this.hostDeaths.set(envelope.id, attempt);
    this.stats.retried++;
    this.services.emit({ type: 'retried', actor: this.name, at, messageType: envelope.type, attempt });
    // First in line again, in front of the messages delivered after it.
    this.mailbox.putBack([envelope]);
  }

  /** Messages handed to an incarnation that ended before starting them go back to the mailbox's front. */
  private requeueInFlight(): void {
    this.mailbox.putBack([...this.inFlight.values()]);
    this.inFlight.clear();
  }

  private dropped(envelope: Envelope): void {
    this.stats.dropped++;
    this.services.emit({
      type: 'dropped',
      actor: this.name,
      at: this.services.clock.now(),
      messageType: envelope.type,
    });
    this.settle(envelope.id, new MessageDroppedError(this.name));
  }

  private settle(id: number, error: Error | undefined, value?: unknown): void {
    const pending = this.asks.get(id);
    if (!pending) return;
    this.asks.delete(id);
    this.services.clock.clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve(value);
  }
}
