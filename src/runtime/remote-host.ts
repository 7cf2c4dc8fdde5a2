// Thread and process hosts: one actor incarnation in a worker thread or child process of its own. Messages
// are batched per event-loop turn into msgpack frames; the hosted side checks each against the actor's
// protocol. A host that dies takes only its incarnation down: the cell fails the message being handled
// and requeues the rest.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { decode, encodeDetached } from './codec.ts';
import { errorInfo } from './errors.ts';
import type { ContextServices, Host, HostStartSpec, Incarnation } from './host.ts';
import type { FromHost, ToHost, WireEnvelope } from './remote-frames.ts';
import type { Envelope, RunnerEvents } from './runner.ts';

const bootUrl = new URL('./remote-boot.js', import.meta.url);

interface Transport {
  send(frame: ToHost): void;
  kill(): void;
}

interface TransportEvents {
  frame(frame: FromHost): void;
  exit(description: string): void;
}

function threadTransport(events: TransportEvents): Transport {
  const worker = new Worker(bootUrl, { stdout: false, stderr: false });
  worker.on('message', (bytes: Uint8Array) => events.frame(decode<FromHost>(bytes)));
  let failure = '';
  worker.on('error', (error) => {
    failure = `: ${error.message}`;
  });
  worker.on('exit', (code) => events.exit(`worker thread exited with code ${code}${failure}`));
  return {
    send(frame) {
      const bytes = encodeDetached(frame);
      worker.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
    },
    kill: () => void worker.terminate(),
  };
}

function processTransport(events: TransportEvents): Transport {
  const child: ChildProcess = fork(fileURLToPath(bootUrl), [], {
    // Its own process group: the terminal's Ctrl-C (SIGINT to the foreground group) is the head's to handle; the
    // child ends when the head closes the channel (remote-entry.ts) or kills it.
    detached: true,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.on('message', (bytes) => events.frame(decode<FromHost>(bytes as Uint8Array)));
  child.on('exit', (code, signal) =>
    events.exit(signal ? `child process killed by ${signal}` : `child process exited with code ${code}`),
  );
  child.on('error', () => {});
  return {
    send(frame) {
      if (child.connected) child.send(encodeDetached(frame));
    },
    kill: () => void child.kill('SIGKILL'),
  };
}

class RemoteIncarnation implements Incarnation {
  private readonly transport: Transport;
  private outbox: WireEnvelope[] = [];
  private flushScheduled = false;
  private readonly delivered = new Set<number>();
  private readonly requests = new Map<number, (value: unknown) => void>();
  private nextRequest = 1;
  private ended = false;

  constructor(
    makeTransport: (events: TransportEvents) => Transport,
    spec: HostStartSpec,
    private readonly events: RunnerEvents,
    services: ContextServices,
    private readonly name = spec.name,
    private readonly context = services.context(spec.name, spec.seed),
  ) {
    this.transport = makeTransport({ frame: (frame) => this.onFrame(frame), exit: (d) => this.onExit(d) });
    const { definition, options, seed, snapshot } = spec;
    this.transport.send({
      t: 'init',
      module: definition.module!,
      kind: definition.kind,
      name,
      options,
      seed,
      snapshot,
    });
  }

  deliver(envelope: Envelope): void {
    this.delivered.add(envelope.id);
    this.outbox.push([envelope.id, envelope.type, envelope.body as Uint8Array, envelope.ask]);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  snapshot(): Promise<unknown> {
    return this.request('snapshot');
  }

  async stop(): Promise<void> {
    this.flush();
    await this.request('stop');
    this.kill();
  }

  kill(): void {
    if (this.ended) return;
    this.ended = true;
    this.transport.kill();
    for (const resolve of this.requests.values()) resolve(undefined);
    this.requests.clear();
  }

  private request(t: 'snapshot' | 'stop'): Promise<unknown> {
    if (this.ended) return Promise.resolve(undefined);
    const req = this.nextRequest++;
    return new Promise((resolve) => {
      this.requests.set(req, resolve);
      this.transport.send({ t, req });
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.outbox.length === 0 || this.ended) return;
    const envelopes = this.outbox;
    this.outbox = [];
    this.transport.send({ t: 'deliver', envelopes });
  }

  private onFrame(frame: FromHost): void {
    if (this.ended) return;
    switch (frame.t) {
      case 'started':
        return this.events.started();
      case 'done':
        for (const [id, replied, reply] of frame.results) {
          this.delivered.delete(id);
          this.events.done(id, reply ?? undefined, replied);
        }
        return;
      case 'rejected':
        this.delivered.delete(frame.id);
        return this.events.rejected(frame.id, { pointer: frame.pointer, problem: frame.problem });
      case 'crashed':
        this.kill();
        return this.events.crashed(frame.error, frame.id ?? undefined, []);
      case 'exited':
        this.kill();
        return this.events.exited();
      case 'snapshot':
      case 'stopped': {
        const resolve = this.requests.get(frame.req);
        this.requests.delete(frame.req);
        return resolve?.(frame.t === 'snapshot' ? frame.value : undefined);
      }
      case 'route':
        return void this.route(frame);
      case 'log':
        return this.context.log(frame.line);
    }
  }

  private async route(frame: Extract<FromHost, { t: 'route' }>): Promise<void> {
    const target = this.context.ref(frame.to);
    try {
      const value = frame.ask
        ? await target.ask(frame.message as never, { timeoutMs: frame.timeoutMs })
        : await target.tell(frame.message as never);
      if (!this.ended) this.transport.send({ t: 'routed', req: frame.req, value });
    } catch (error) {
      if (!this.ended) this.transport.send({ t: 'routed', req: frame.req, error: errorInfo(error) });
    }
  }

  private onExit(description: string): void {
    if (this.ended) return;
    this.ended = true;
    const [first] = this.delivered;
    this.events.crashed({ name: 'HostExit', message: `${this.name}: ${description}` }, first, []);
  }
}

export const threadHost: Host = (spec, events, services) =>
  new RemoteIncarnation(threadTransport, spec, events, services);

export const processHost: Host = (spec, events, services) =>
  new RemoteIncarnation(processTransport, spec, events, services);
