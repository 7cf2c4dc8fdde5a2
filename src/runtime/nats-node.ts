// The node side of a distributed run (`azr node`): joins the run the head announced in the KV bucket, refuses a run
// started from another configuration, writes heartbeats, and serves its roles. Each served actor runs one local
// incarnation (the same hosted side as a worker thread or child process, hosted.ts) fed from a durable pull
// consumer: a job is acked only after its reply is published, marked in progress while it runs, and redelivered
// to another node if this one dies. Broadcasts (new weights) come from an ordered consumer that starts with the
// latest one, and a job waits until the broadcast it was sent after has been delivered to the actor.
import { hostname } from 'node:os';
import { type ConsumerMessages, DeliverPolicy, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import type { ActorDefinition } from './actor.ts';
import { decode, encode } from './codec.ts';
import { AzrError, errorInfo } from './errors.ts';
import { HostedActor } from './hosted.ts';
import {
  Blobs,
  connectNats,
  H,
  jetStreamOf,
  type NatsSettings,
  NatsRefusedError,
  type NodeRecord,
  type Outcome,
  readRecord,
  recordBytes,
  type RunRecord,
  workHeaders,
} from './nats-wire.ts';
import { type RunNames, runNames } from './nats-subjects.ts';
import type { FromHost, ToHost } from './remote-frames.ts';

export interface ServedActorSpec {
  /** The actor's name in the topology (a replica's name, NAME-i, for entries with count > 1). */
  name: string;
  /** The topology entry it belongs to: the node role. */
  role: string;
  definition: ActorDefinition;
  options: Record<string, unknown>;
}

export interface NodeOptions {
  id: string;
  run: string;
  fingerprint: string;
  actors: ServedActorSpec[];
  /** Connection settings (credentials) of each role: a node opens one connection per role. */
  settings(role: string): NatsSettings;
  heartbeatMs: number;
  inlineLimit: number;
  /** Jobs of one actor this node holds at once (taken from the queue, not yet acked). */
  prefetch: number;
  /** How long to wait for the head to announce the run (ms). */
  joinTimeoutMs: number;
  log(line: string): void;
  /** Log every job taken and finished. */
  verbose?: boolean;
}

/** Why a node stopped serving: the run ended, a new head took the run over, or `stop()` was called. */
export type NodeEnd = 'done' | 'new-run' | 'stopped';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const permission = (error: unknown) => /permission/i.test((error as Error)?.message ?? '');

function refusedAccess(names: RunNames, settings: NatsSettings, error: unknown): NatsRefusedError {
  return new NatsRefusedError(
    `NATS denied user ${settings.user ?? '(credentials file)'} at ${settings.url} access to run "${names.run}" ` +
      `(${(error as Error).message}): this node's configuration names run "${names.run}" — ` +
      "start it with the run's own configuration and the credentials `azr nats-config` made for its roles",
  );
}

export class NatsNode {
  readonly ended: Promise<NodeEnd>;
  private end!: (reason: NodeEnd) => void;
  private fail!: (error: Error) => void;
  private readonly served: Served[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private stopping = false;

  private constructor(
    readonly options: NodeOptions,
    readonly names: RunNames,
    readonly run: RunRecord,
    private readonly kv: KV,
    private readonly connections: Map<string, NatsConnection>,
  ) {
    this.ended = new Promise((resolve, reject) => {
      this.end = resolve;
      this.fail = reject;
    });
  }

  static async join(options: NodeOptions): Promise<NatsNode> {
    const names = runNames(options.run);
    const roles = [...new Set(options.actors.map((a) => a.role))];
    const connections = new Map<string, NatsConnection>();
    try {
      for (const role of roles) {
        connections.set(
          role,
          await connectNats(options.settings(role), {
            name: `azr node ${options.id} ${role}`,
            inboxPrefix: names.inbox(role),
          }),
        );
      }
      const [firstRole] = roles;
      const { kv, run } = await announcedRun(
        connections.get(firstRole!)!,
        names,
        options.settings(firstRole!),
        options,
      );
      if (run.fingerprint !== options.fingerprint)
        throw new NatsRefusedError(
          `run "${names.run}" (run id ${run.runId}) was started from another configuration ` +
            `(fingerprint ${run.fingerprint}; this node's: ${options.fingerprint}): start the node with the config the run uses`,
        );
      const node = new NatsNode(options, names, run, kv, connections);
      await node.start();
      return node;
    } catch (error) {
      for (const nc of connections.values()) await nc.close().catch(() => {});
      throw error;
    }
  }

  private record(): NodeRecord {
    return {
      id: this.options.id,
      runId: this.run.runId,
      roles: [...this.connections.keys()],
      host: hostname(),
      pid: process.pid,
      startedAt: this.startedAt,
      heartbeat: Date.now(),
      heartbeatMs: this.options.heartbeatMs,
    };
  }

  private readonly startedAt = new Date().toISOString();

  private async start(): Promise<void> {
    for (const spec of this.options.actors) {
      const nc = this.connections.get(spec.role)!;
      const blobs = await Blobs.open(nc, this.names.blobsBucket, this.options.inlineLimit, false).catch(
        (error) => {
          throw permission(error)
            ? refusedAccess(this.names, this.options.settings(spec.role), error)
            : error;
        },
      );
      const served = new Served(this, spec, nc, jetStreamOf(nc), blobs, (error) => this.fail(error));
      this.served.push(served);
      await served.start();
    }
    await this.kv.put(`node.${this.options.id}`, recordBytes(this.record()));
    this.heartbeat = setInterval(() => void this.beat(), this.options.heartbeatMs);
    this.options.log(
      `node ${this.options.id} joined run "${this.names.run}" (run id ${this.run.runId}) serving ` +
        this.options.actors.map((a) => a.name).join(', '),
    );
  }

  private async beat(): Promise<void> {
    try {
      const entry = await this.kv.get('run');
      const run = entry?.value.length ? readRecord<RunRecord>('run', entry.value) : undefined;
      // Only the head's word ends a node: a record gone (a server restarted before it stored the record, which
      // the head writes again on reconnecting) is no word; another run's record is.
      if (!run) return;
      if (run.runId !== this.run.runId) return void this.leave('new-run');
      if (run.status === 'done') return void this.leave('done');
      await this.kv.put(`node.${this.options.id}`, recordBytes(this.record()));
    } catch (error) {
      if (!this.stopping) this.options.log(`heartbeat failed: ${(error as Error).message}`);
    }
  }

  /** Stops taking jobs, finishes the ones held, runs the actors' stop hooks, and leaves the run. */
  stop(): Promise<void> {
    return this.leave('stopped');
  }

  private async leave(reason: NodeEnd): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.heartbeat);
    await Promise.all(this.served.map((s) => s.stop()));
    await this.kv.delete(`node.${this.options.id}`).catch(() => {});
    for (const nc of this.connections.values()) await nc.drain().catch(() => {});
    this.end(reason);
  }
}

/** Waits for the head to announce a running run in the KV bucket; returns the bucket and the run record. */
async function announcedRun(
  nc: NatsConnection,
  names: RunNames,
  settings: NatsSettings,
  options: NodeOptions,
) {
  const deadline = Date.now() + options.joinTimeoutMs;
  let noted = false;
  let run: RunRecord | undefined;
  for (;;) {
    try {
      const kv = await new Kvm(jetStreamOf(nc)).open(names.nodesBucket);
      const entry = await kv.get('run');
      run = entry?.value.length ? readRecord<RunRecord>('run', entry.value) : undefined;
      if (run?.status === 'running') return { kv, run };
    } catch (error) {
      if (permission(error)) throw refusedAccess(names, settings, error);
      if (!/not found/i.test((error as Error).message)) throw error;
    }
    if (Date.now() > deadline)
      throw new AzrError(
        'NATS_NO_RUN',
        `run "${names.run}" ${run ? 'is over' : 'did not start'} at ${settings.url} within ` +
          `${Math.round(options.joinTimeoutMs / 1000)} s: start it with azr run`,
      );
    if (!noted) options.log(`waiting for run "${names.run}" to start at ${settings.url}`);
    noted = true;
    await sleep(200);
  }
}

interface Held {
  job: string;
  /** The work message (broadcasts come from an ordered consumer and need no ack). */
  msg?: JsMsg;
  delivery: number;
  timer?: NodeJS.Timeout;
}

/** One actor served by this node: its local incarnation and the consumers that feed it. */
class Served {
  private hosted!: HostedActor;
  private nextId = 1;
  private readonly held = new Map<number, Held>();
  private broadcastDelivered = 0;
  private wakers: (() => void)[] = [];
  private ready!: Promise<void>;
  private markReady!: () => void;
  private started = false;
  private running = true;
  private broadcasts: ConsumerMessages | undefined;
  private stopped: (() => void) | undefined;
  private ackWaitMs = 30_000;

  constructor(
    private readonly node: NatsNode,
    private readonly spec: ServedActorSpec,
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly blobs: Blobs,
    private readonly fail: (error: Error) => void,
  ) {}

  async start(): Promise<void> {
    const { names } = this.node;
    const consumer = await this.js.consumers
      .get(names.workStream, names.durable(this.spec.name))
      .catch((error: unknown) => {
        throw permission(error)
          ? refusedAccess(names, this.node.options.settings(this.spec.role), error)
          : new AzrError(
              'NATS_NO_QUEUE',
              `run "${names.run}" has no work queue for actor "${this.spec.name}" (${(error as Error).message}): ` +
                'is it a remote actor of the run?',
            );
      });
    this.ackWaitMs = ((await consumer.info(true)).config.ack_wait ?? 30e9) / 1_000_000;
    this.incarnate();
    await this.ready;
    this.follow();
    void this.pull(consumer);
  }

  private incarnate(): void {
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
    this.started = false;
    this.broadcastDelivered = 0;
    this.hosted = new HostedActor(
      (frame) => this.onFrame(frame),
      async () => this.spec.definition,
    );
    const init: ToHost = {
      t: 'init',
      module: this.spec.definition.module ?? '',
      kind: this.spec.definition.kind,
      name: this.spec.name,
      options: structuredClone(this.spec.options),
      seed: `${this.node.run.seed}/${this.spec.name}`,
    };
    void this.hosted.onFrame(init);
  }

  private log(line: string): void {
    this.node.options.log(`[${this.spec.name}] ${line}`);
  }

  private wake(): void {
    for (const wake of this.wakers.splice(0)) wake();
  }

  private waitForChange(): Promise<void> {
    return new Promise((resolve) => this.wakers.push(resolve));
  }

  private workHeld(): number {
    let n = 0;
    for (const held of this.held.values()) if (held.msg) n++;
    return n;
  }

  private async pull(consumer: Awaited<ReturnType<JetStreamClient['consumers']['get']>>): Promise<void> {
    while (this.running) {
      if (this.workHeld() >= this.node.options.prefetch) {
        await this.waitForChange();
        continue;
      }
      let msg: JsMsg | null;
      try {
        msg = await consumer.next({ expires: 1000 });
      } catch (error) {
        if (!this.running) break;
        this.log(`cannot take jobs: ${(error as Error).message}`);
        await sleep(500);
        continue;
      }
      if (msg && this.running) void this.take(msg);
      else msg?.nak();
    }
  }

  private async take(msg: JsMsg): Promise<void> {
    const h = workHeaders(msg.headers);
    if (!h) {
      this.log(`dropped a job with malformed headers (stream seq ${msg.seq})`);
      msg.term();
      return;
    }
    const id = this.nextId++;
    const held: Held = {
      job: h.job,
      msg,
      delivery: msg.info.deliveryCount,
      timer: setInterval(() => msg.working(), Math.max(100, this.ackWaitMs / 3)),
    };
    this.held.set(id, held);
    if (this.node.options.verbose) this.log(`took job ${h.job} (${h.type}, delivery ${held.delivery})`);
    try {
      const body = await this.blobs.unpack(msg.data, h.blob);
      await this.ready;
      while (this.broadcastDelivered < h.after) await this.waitForChange();
      if (this.held.get(id) !== held) return;
      void this.hosted.onFrame({ t: 'deliver', envelopes: [[id, h.type, body, h.ask]] });
    } catch (error) {
      await this.finish(id, 'crashed', encode(errorInfo(error)));
    }
  }

  private follow(): void {
    const protocol: Record<string, { broadcast?: boolean }> = this.spec.definition.protocol.spec;
    if (!Object.values(protocol).some((m) => m.broadcast)) return;
    this.followBroadcasts().catch((error) => {
      if (this.running)
        this.fail(
          new AzrError('NATS_BROADCASTS_LOST', `[${this.spec.name}] broadcasts: ${(error as Error).message}`),
        );
    });
  }

  /** Applies the latest broadcast first, then each new one, in order. */
  private async followBroadcasts(): Promise<void> {
    const { names } = this.node;
    const consumer = await this.js.consumers.get(names.bcastStream, {
      // One subject as a string: a list needs nats-server 2.10.
      filter_subjects: names.bcast(this.spec.name),
      deliver_policy: DeliverPolicy.LastPerSubject,
    });
    const messages = await consumer.consume();
    this.broadcasts = messages;
    for await (const msg of messages) {
      const h = workHeaders(msg.headers);
      if (!h) continue;
      try {
        const body = await this.blobs.unpack(msg.data, h.blob);
        const id = this.nextId++;
        this.held.set(id, { job: h.job, delivery: 1 });
        void this.hosted.onFrame({ t: 'deliver', envelopes: [[id, h.type, body, true]] });
      } catch (error) {
        this.log(`skipped broadcast ${h.job}: ${(error as Error).message}`);
      }
      this.broadcastDelivered = msg.seq;
      this.wake();
    }
  }

  private onFrame(frame: FromHost): void {
    switch (frame.t) {
      case 'started':
        this.started = true;
        this.markReady();
        return;
      case 'done':
        for (const [id, replied, reply] of frame.results)
          void this.finish(id, replied ? 'done' : 'noreply', replied ? reply! : new Uint8Array(0));
        return;
      case 'rejected':
        void this.finish(frame.id, 'rejected', encode({ pointer: frame.pointer, problem: frame.problem }));
        return;
      case 'crashed':
        if (!this.started) {
          this.fail(
            new AzrError(
              'ACTOR_INIT_FAILED',
              `actor "${this.spec.name}" failed to start: ${frame.error.message}`,
            ),
          );
          return;
        }
        if (frame.id !== null) void this.finish(frame.id, 'crashed', encode(frame.error));
        this.log(`crashed: ${frame.error.message}; restarting`);
        return this.restart();
      case 'exited':
        return this.restart();
      case 'log':
        return this.log(frame.line);
      case 'route':
        return void this.route(frame);
      case 'stopped':
        return this.stopped?.();
      case 'snapshot':
        return;
    }
  }

  /** A fresh incarnation; the jobs held but not started go back to the queue, the latest broadcast is re-applied. */
  private restart(): void {
    this.hosted.kill();
    for (const held of this.held.values()) {
      clearInterval(held.timer);
      held.msg?.nak();
    }
    this.held.clear();
    void this.broadcasts?.close();
    this.incarnate();
    void this.ready.then(() => {
      if (this.running) this.follow();
    });
    this.wake();
  }

  private async route(frame: Extract<FromHost, { t: 'route' }>): Promise<void> {
    const timeout = (frame.timeoutMs ?? 30_000) + 1000;
    try {
      const { to, message, ask, timeoutMs } = frame;
      const reply = await this.nc.request(
        this.node.names.route(this.spec.name),
        encode({ to, message, ask, timeoutMs }),
        { timeout },
      );
      const { value, error } = decode<{ value?: unknown; error?: { name: string; message: string } }>(
        reply.data,
      );
      await this.hosted.onFrame({ t: 'routed', req: frame.req, value, error });
    } catch (error) {
      await this.hosted.onFrame({ t: 'routed', req: frame.req, error: errorInfo(error) });
    }
  }

  private async finish(id: number, outcome: Outcome, bytes: Uint8Array): Promise<void> {
    const held = this.held.get(id);
    if (!held) return;
    this.held.delete(id);
    clearInterval(held.timer);
    try {
      const { data, blob } = await this.blobs.pack(bytes);
      const h = headers();
      h.set(H.job, held.job);
      h.set(H.outcome, outcome);
      h.set(H.node, this.node.options.id);
      h.set(H.delivery, String(held.delivery));
      if (blob) h.set(H.blob, blob);
      this.nc.publish(this.node.names.reply(this.spec.name), data, { headers: h });
      // After the reply: if this node dies in between, the job is redelivered and the head drops the second answer.
      held.msg?.ack();
      if (this.node.options.verbose) this.log(`finished job ${held.job} (${outcome})`);
    } catch (error) {
      this.log(`could not answer job ${held.job}: ${(error as Error).message}; it will be redelivered`);
      held.msg?.nak();
    }
    this.wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    const deadline = Date.now() + 10_000;
    while ([...this.held.values()].some((h) => h.msg) && Date.now() < deadline) await sleep(20);
    for (const held of this.held.values()) {
      clearInterval(held.timer);
      held.msg?.nak();
    }
    await this.broadcasts?.close();
    await Promise.race([
      new Promise<void>((resolve) => {
        this.stopped = resolve;
        void this.hosted.onFrame({ t: 'stop', req: 0 });
      }),
      sleep(10_000),
    ]);
    this.hosted.kill();
  }
}
