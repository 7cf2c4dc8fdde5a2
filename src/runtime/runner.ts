// Runs one incarnation of an actor definition on a nact actor: nact serialises the handler calls; this file
// decodes and checks each message, calls the handler, and reports what happened to whoever hosts it.
// It is the only place that knows nact, so the scheduler could be swapped.
import nact from 'nact';
import type { ActorContext, ActorDefinition, HandlerContext } from './actor.ts';
import { decode, encode } from './codec.ts';
import { type ErrorInfo, errorInfo } from './errors.ts';
import { Fifo } from './fifo.ts';
import type { CheckProblem } from './protocol.ts';

export interface Envelope {
  id: number;
  type: string;
  /** msgpack bytes, or the message itself when the mailbox does not encode. */
  body: Uint8Array | object;
  ask: boolean;
}

export interface RunnerEvents {
  started(): void;
  /** `reply` is encoded when the envelope was. */
  done(id: number, reply: unknown, replied: boolean): void;
  rejected(id: number, problem: CheckProblem): void;
  /** `crashedId` was being handled; `unprocessed` were delivered but not started, in order. */
  crashed(error: ErrorInfo, crashedId: number | undefined, unprocessed: number[]): void;
  /** The actor stopped itself normally (ctx.stop()). */
  exited(): void;
}

export interface RunnerSpec {
  name: string;
  definition: ActorDefinition;
  options: Record<string, unknown>;
  snapshot?: unknown;
}

type Control = { control: 'snapshot' | 'stop'; resolve: (value: unknown) => void };
type NactMessage = Envelope | Control;

let nactSystem: ReturnType<typeof nact.start> | undefined;
let incarnations = 0;

export class Runner {
  private nactRef: ReturnType<typeof nact.spawn> | undefined;
  private state: unknown;
  private readonly inFlight = new Fifo<number>();
  private current: { envelope: Envelope; reply: unknown; replied: boolean } | undefined;
  private stopRequested = false;
  private dead = false;
  private readonly handlerContext: HandlerContext<unknown>;

  constructor(
    private readonly spec: RunnerSpec,
    ctx: Omit<ActorContext, 'stop'>,
    private readonly events: RunnerEvents,
  ) {
    this.handlerContext = {
      ...ctx,
      stop: () => {
        this.stopRequested = true;
      },
      reply: (value: unknown) => {
        if (this.current) {
          this.current.reply = value;
          this.current.replied = true;
        }
      },
    };
  }

  async start(): Promise<void> {
    const { definition, options, snapshot } = this.spec;
    try {
      this.state =
        snapshot !== undefined && definition.restore
          ? await definition.restore(snapshot, options, this.handlerContext)
          : await definition.init(options, this.handlerContext);
    } catch (error) {
      this.dead = true;
      this.events.crashed(errorInfo(error), undefined, []);
      return;
    }
    if (this.dead) return;
    nactSystem ??= nact.start();
    this.nactRef = nact.spawn(
      nactSystem,
      (_state: unknown, message: NactMessage) => this.handle(message),
      `${encodeURIComponent(this.spec.name)}_${++incarnations}`,
      { onCrash: (_msg: unknown, error: unknown, nctx: any) => this.onCrash(error, nctx) },
    );
    this.events.started();
  }

  deliver(envelope: Envelope): void {
    if (this.dead || !this.nactRef) return;
    this.inFlight.push(envelope.id);
    nact.dispatch(this.nactRef, envelope);
  }

  /** The state's snapshot, taken after every message delivered before this call. */
  snapshot(): Promise<unknown> {
    return this.control('snapshot');
  }

  /** Stops after the messages already delivered, running the definition's stop hook. */
  async stop(): Promise<void> {
    await this.control('stop');
  }

  /** Stops at once, without hooks (the host is going away or the actor crashed). */
  kill(): void {
    this.dead = true;
    if (this.nactRef) nact.stop(this.nactRef);
  }

  private control(kind: Control['control']): Promise<unknown> {
    if (this.dead || !this.nactRef) return Promise.resolve(undefined);
    const ref = this.nactRef;
    return new Promise((resolve) => nact.dispatch(ref, { control: kind, resolve }));
  }

  private async handle(message: NactMessage): Promise<unknown> {
    if ('control' in message) {
      if (message.control === 'snapshot') {
        message.resolve(this.spec.definition.snapshot?.(this.state));
      } else {
        await this.finish();
        message.resolve(undefined);
      }
      return undefined;
    }
    const envelope = message;
    const body = envelope.body instanceof Uint8Array ? decode(envelope.body) : envelope.body;
    const problem = this.spec.definition.protocol.check(body);
    if (problem) {
      this.inFlight.shift();
      this.events.rejected(envelope.id, problem);
      return undefined;
    }
    // The id stays at the head of inFlight while the handler runs, so a crash reports it as the crashed one.
    const current = { envelope, reply: undefined as unknown, replied: false };
    this.current = current;
    const handler = this.spec.definition.handlers[envelope.type]!;
    this.state = await handler(this.state, body as never, this.handlerContext);
    this.current = undefined;
    this.inFlight.shift();
    const reply =
      current.replied && envelope.body instanceof Uint8Array ? encode(current.reply) : current.reply;
    this.events.done(envelope.id, reply, current.replied);
    if (this.stopRequested && !this.dead) {
      await this.finish();
      this.events.exited();
    }
    return undefined;
  }

  private async finish(): Promise<void> {
    if (this.dead) return;
    this.dead = true;
    if (this.nactRef) nact.stop(this.nactRef);
    await this.spec.definition.stop?.(this.state, this.handlerContext);
  }

  private onCrash(error: unknown, nctx: any): symbol {
    this.current = undefined;
    if (!this.dead) {
      this.dead = true;
      const crashedId = this.inFlight.shift();
      this.events.crashed(errorInfo(error), crashedId, this.inFlight.takeAll());
      // Release what the state holds (worker pools, files) with the state of the last message that completed.
      Promise.resolve()
        .then(() => this.spec.definition.stop?.(this.state, this.handlerContext))
        .catch(() => {});
    }
    return nctx.stop;
  }
}
