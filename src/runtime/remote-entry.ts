// The hosted side of a thread or process host: imports the actor's module, runs one incarnation on the
// local scheduler, and answers the parent in msgpack frames. Refs to other actors go through the parent.
import { isMainThread, parentPort } from 'node:worker_threads';
import type { ActorDefinition, ActorRef } from './actor.ts';
import { realClock } from './clock.ts';
import { decode, encodeDetached } from './codec.ts';
import { AzrError, errorInfo } from './errors.ts';
import type { ProtocolSpec } from './protocol.ts';
import type { FromHost, ToHost } from './remote-frames.ts';
import { createRng } from './rng.ts';
import { Runner } from './runner.ts';

const send: (frame: FromHost) => void = isMainThread
  ? (frame) => process.send?.(encodeDetached(frame))
  : (frame) => {
      const bytes = encodeDetached(frame);
      parentPort!.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
    };

let runner: Runner | undefined;
let doneBatch: [number, boolean, Uint8Array | null][] = [];
let flushScheduled = false;
let nextRequest = 1;
const pendingRoutes = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

function flushDone(): void {
  flushScheduled = false;
  if (doneBatch.length === 0) return;
  const results = doneBatch;
  doneBatch = [];
  send({ t: 'done', results });
}

function routedRef(to: string): ActorRef {
  const route = (message: { type: string }, ask: boolean, timeoutMs?: number) =>
    new Promise<any>((resolve, reject) => {
      const req = nextRequest++;
      pendingRoutes.set(req, { resolve, reject });
      send({ t: 'route', req, to, message, ask, timeoutMs });
    });
  return {
    name: to,
    tell: (message) => route(message as { type: string }, false),
    ask: (message, options) => route(message as { type: string }, true, options?.timeoutMs),
  };
}

async function init(frame: Extract<ToHost, { t: 'init' }>): Promise<void> {
  const exports = (await import(frame.module)) as Record<string, unknown>;
  const definition = Object.values(exports).find(
    (value): value is ActorDefinition =>
      typeof value === 'object' && value !== null && (value as ActorDefinition).kind === frame.kind,
  );
  if (!definition)
    throw new Error(`module ${frame.module} exports no actor definition of kind "${frame.kind}"`);
  runner = new Runner(
    { name: frame.name, definition, options: frame.options, snapshot: frame.snapshot },
    {
      name: frame.name,
      clock: realClock,
      rng: createRng(frame.seed),
      ref: routedRef as <S extends ProtocolSpec>(name: string) => ActorRef<S>,
      log: (line) => send({ t: 'log', line }),
    },
    {
      started: () => send({ t: 'started' }),
      done: (id, reply, replied) => {
        doneBatch.push([id, replied, replied ? (reply as Uint8Array) : null]);
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flushDone);
        }
      },
      rejected: (id, problem) => {
        flushDone();
        send({ t: 'rejected', id, ...problem });
      },
      crashed: (error, id) => {
        flushDone();
        send({ t: 'crashed', error, id: id ?? null });
      },
      exited: () => {
        flushDone();
        send({ t: 'exited' });
      },
    },
  );
  await runner.start();
}

async function onFrame(frame: ToHost): Promise<void> {
  switch (frame.t) {
    case 'init':
      return init(frame).catch((error) => send({ t: 'crashed', error: errorInfo(error), id: null }));
    case 'deliver':
      for (const [id, type, body, ask] of frame.envelopes) runner?.deliver({ id, type, body, ask });
      return;
    case 'snapshot':
      return send({ t: 'snapshot', req: frame.req, value: await runner?.snapshot() });
    case 'stop':
      await runner?.stop();
      flushDone();
      return send({ t: 'stopped', req: frame.req });
    case 'routed': {
      const pending = pendingRoutes.get(frame.req);
      pendingRoutes.delete(frame.req);
      if (frame.error) pending?.reject(new AzrError('ROUTE_FAILED', frame.error.message));
      else pending?.resolve(frame.value);
      return;
    }
  }
}

const receive = (bytes: Uint8Array) => void onFrame(decode<ToHost>(bytes));
if (isMainThread) {
  process.on('message', receive);
  process.on('disconnect', () => process.exit(0));
} else {
  parentPort!.on('message', receive);
}
