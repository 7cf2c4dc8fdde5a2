// The hosted side of an actor that runs away from its cell: one incarnation on the local scheduler, driven by
// `ToHost` frames and answering in `FromHost` frames. A worker thread or child process talks to its parent through
// it (remote-entry.ts); an `azr node` process through NATS (nats-node.ts). Refs to other actors go back through
// whoever sends the frames.
import type { ActorDefinition, ActorRef } from './actor.ts';
import { realClock } from './clock.ts';
import { AzrError, errorInfo } from './errors.ts';
import type { ProtocolSpec } from './protocol.ts';
import type { FromHost, ToHost } from './remote-frames.ts';
import { createRng } from './rng.ts';
import { Runner } from './runner.ts';

export type InitFrame = Extract<ToHost, { t: 'init' }>;

export class HostedActor {
  private runner: Runner | undefined;
  private doneBatch: [number, boolean, Uint8Array | null][] = [];
  private flushScheduled = false;
  private nextRequest = 1;
  private readonly pendingRoutes = new Map<
    number,
    { resolve(value: unknown): void; reject(error: Error): void }
  >();

  constructor(
    private readonly send: (frame: FromHost) => void,
    /** Finds the actor definition an init frame names. */
    private readonly resolve: (frame: InitFrame) => Promise<ActorDefinition>,
  ) {}

  async onFrame(frame: ToHost): Promise<void> {
    switch (frame.t) {
      case 'init':
        return this.init(frame).catch((error) =>
          this.send({ t: 'crashed', error: errorInfo(error), id: null }),
        );
      case 'deliver':
        for (const [id, type, body, ask] of frame.envelopes) this.runner?.deliver({ id, type, body, ask });
        return;
      case 'snapshot':
        return this.send({ t: 'snapshot', req: frame.req, value: await this.runner?.snapshot() });
      case 'stop':
        await this.runner?.stop();
        this.flushDone();
        return this.send({ t: 'stopped', req: frame.req });
      case 'routed': {
        const pending = this.pendingRoutes.get(frame.req);
        this.pendingRoutes.delete(frame.req);
        if (frame.error) pending?.reject(new AzrError('ROUTE_FAILED', frame.error.message));
        else pending?.resolve(frame.value);
        return;
      }
    }
  }

  /** Ends the incarnation at once, without hooks. */
  kill(): void {
    this.runner?.kill();
    this.runner = undefined;
  }

  private flushDone(): void {
    this.flushScheduled = false;
    if (this.doneBatch.length === 0) return;
    const results = this.doneBatch;
    this.doneBatch = [];
    this.send({ t: 'done', results });
  }

  private routedRef(to: string): ActorRef {
    const route = (message: { type: string }, ask: boolean, timeoutMs?: number) =>
      new Promise<any>((resolve, reject) => {
        const req = this.nextRequest++;
        this.pendingRoutes.set(req, { resolve, reject });
        this.send({ t: 'route', req, to, message, ask, timeoutMs });
      });
    return {
      name: to,
      tell: (message) => route(message as { type: string }, false),
      ask: (message, options) => route(message as { type: string }, true, options?.timeoutMs),
    };
  }

  private async init(frame: InitFrame): Promise<void> {
    const definition = await this.resolve(frame);
    const send = this.send;
    this.runner = new Runner(
      { name: frame.name, definition, options: frame.options, snapshot: frame.snapshot },
      {
        name: frame.name,
        clock: realClock,
        rng: createRng(frame.seed),
        ref: ((to: string) => this.routedRef(to)) as <S extends ProtocolSpec>(name: string) => ActorRef<S>,
        log: (line) => send({ t: 'log', line }),
      },
      {
        started: () => send({ t: 'started' }),
        done: (id, reply, replied) => {
          this.doneBatch.push([id, replied, replied ? (reply as Uint8Array) : null]);
          if (!this.flushScheduled) {
            this.flushScheduled = true;
            setImmediate(() => this.flushDone());
          }
        },
        rejected: (id, problem) => {
          this.flushDone();
          send({ t: 'rejected', id, ...problem });
        },
        crashed: (error, id) => {
          this.flushDone();
          send({ t: 'crashed', error, id: id ?? null });
        },
        exited: () => {
          this.flushDone();
          send({ t: 'exited' });
        },
      },
    );
    await this.runner.start();
  }
}

/** The actor definition of kind `frame.kind` that the module `frame.module` exports. */
export async function importDefinition(frame: InitFrame): Promise<ActorDefinition> {
  const exports = (await import(frame.module)) as Record<string, unknown>;
  const definition = Object.values(exports).find(
    (value): value is ActorDefinition =>
      typeof value === 'object' && value !== null && (value as ActorDefinition).kind === frame.kind,
  );
  if (!definition)
    throw new AzrError(
      'ACTOR_UNKNOWN',
      `module ${frame.module} exports no actor definition of kind "${frame.kind}"`,
    );
  return definition;
}
