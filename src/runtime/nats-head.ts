// The head of a distributed run (the `azr run` process): the `remote` host. Each remote actor keeps its cell here
// (name, bounded mailbox, pending asks, supervision); its incarnation publishes each message as a job into the
// run's JetStream work queue, where the `azr node` processes serving that actor compete for it. Replies come back
// on core NATS, keyed by job id, and the first reply of a job wins: a job redelivered after a node died is
// counted once, later replies are counted as duplicates and dropped. Broadcast messages (new weights) go to a
// stream that keeps the last one per actor, so every copy applies them, also one that joins later; each job
// carries the broadcast sequence it must follow.
import { hostname } from 'node:os';
import { Type } from '@sinclair/typebox';
import { AckPolicy, DeliverPolicy, jetstreamManager, RetentionPolicy } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { ActorRef } from './actor.ts';
import { decode, encode } from './codec.ts';
import { AzrError, type ErrorInfo, errorInfo } from './errors.ts';
import type { RuntimeEvent } from './events.ts';
import type { Host, Incarnation } from './host.ts';
import { Liveness } from './liveness.ts';
import {
  Blobs,
  connectNats,
  H,
  jetStreamOf,
  jetStreamOptions,
  type NatsSettings,
  type NodeRecord,
  type Outcome,
  readRecord,
  recordBytes,
  replyHeaders,
  type RunRecord,
} from './nats-wire.ts';
import { type RunNames, runNames } from './nats-subjects.ts';
import { ajv } from './protocol.ts';
import type { Envelope, RunnerEvents } from './runner.ts';

/** How long the head keeps retrying what fails because the NATS server cannot be reached (ms). */
const outageMs = 5 * 60_000;

export interface DeliverySettings {
  /** A job not acked (nor marked in progress) within this time is redelivered (ms). */
  ackWaitMs: number;
  /** Deliveries of a job before it is dead-lettered. */
  maxDeliver: number;
  /** Nodes write a heartbeat this often; three missed ones and the head declares the node lost (ms). */
  heartbeatMs: number;
  /** Payloads longer than this go to the object store by reference (bytes). */
  inlineLimit: number;
}

export interface HeadOptions extends DeliverySettings {
  settings: NatsSettings;
  run: string;
  /** The topology's hash; nodes started with another one are refused. */
  fingerprint: string;
  seed: number;
  /** The remote actors by name, with the mailbox capacity that bounds the jobs in flight at nodes. */
  actors: { name: string; role: string; capacity: number }[];
  log(line: string): void;
  /** Every job's fate, for an audit trail (`jobs.jsonl` in the run directory). */
  ledger?(entry: LedgerEntry): void;
}

export type LedgerEntry =
  | { event: 'published'; job: string; actor: string; type: string; broadcast: boolean }
  | { event: 'answered' | 'duplicate'; job: string; node: string; delivery: number; outcome: Outcome }
  | { event: 'dead'; job: string; deliveries: number };

export interface RemoteStats {
  published: number;
  answered: number;
  /** Replies to jobs already answered (a redelivered job that both nodes finished): dropped. */
  duplicates: number;
  /** Answers that came from a second or later delivery. */
  redelivered: number;
  /** Further copies' acknowledgements of broadcast messages. */
  broadcastCopies: number;
  deadLettered: number;
  /** Replies, routes or records from the wire that failed their checks. */
  malformed: number;
  nodesJoined: number;
  nodesLost: number;
}

interface Job {
  id: string;
  actor: string;
  type: string;
  envelopeId: number;
  ask: boolean;
  broadcast: boolean;
  blob?: string;
  owner?: RemoteIncarnation;
  /** A reply that came while no incarnation owned the job (between a crash and the restart). */
  parked?: () => void;
  answered: boolean;
}

const RouteSchema = Type.Object({
  to: Type.String({ minLength: 1 }),
  message: Type.Object({ type: Type.String() }),
  ask: Type.Boolean(),
  timeoutMs: Type.Optional(Type.Number({ minimum: 1 })),
});
const checkRoute = ajv.compile(RouteSchema);
const ProblemSchema = Type.Object({ pointer: Type.String(), problem: Type.String() });
const checkProblem = ajv.compile(ProblemSchema);
const ErrorInfoSchema = Type.Object({ name: Type.String(), message: Type.String() });
const checkErrorInfo = ajv.compile(ErrorInfoSchema);

const randomId = () => Math.random().toString(36).slice(2, 10);

export class NatsHead {
  readonly runId = `${Date.now().toString(36)}${randomId()}`;
  readonly names: RunNames;
  readonly stats: RemoteStats = {
    published: 0,
    answered: 0,
    duplicates: 0,
    redelivered: 0,
    broadcastCopies: 0,
    deadLettered: 0,
    malformed: 0,
    nodesJoined: 0,
    nodesLost: 0,
  };
  /** Live nodes, by the head's own time of their last heartbeat (no clock skew between machines). */
  readonly nodes: Liveness<NodeRecord>;
  readonly host: Host = (spec, events) =>
    new RemoteIncarnation(this, spec.name, spec.definition.protocol.spec, events);
  private readonly jobs = new Map<string, Job>();
  private readonly broadcastJobs = new Set<string>();
  private readonly lastBroadcast = new Map<string, { seq: number; blob?: string }>();
  private readonly blobRefs = new Map<string, number>();
  private publishing: Promise<void> = Promise.resolve();
  private readonly subscriptions: Subscription[] = [];
  private lookup: ((name: string) => ActorRef<any>) | undefined;
  private emit: ((event: RuntimeEvent) => void) | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  private record!: RunRecord;

  private constructor(
    private readonly options: HeadOptions,
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly kv: KV,
    private readonly blobs: Blobs,
  ) {
    this.names = runNames(options.run);
    this.nodes = new Liveness({ sweepMs: options.heartbeatMs, missed: 3 });
  }

  /** Connects as the head, lays out the run's streams, consumers and buckets, and announces the run. */
  static async start(options: HeadOptions): Promise<NatsHead> {
    const names = runNames(options.run);
    const nc = await connectNats(options.settings, { name: `azr head ${options.run}` });
    try {
      const jsm = await jetstreamManager(nc, jetStreamOptions);
      // A new head starts from empty queues: jobs of an earlier head of this run have nobody to answer to.
      for (const stream of [names.workStream, names.bcastStream])
        await jsm.streams.delete(stream).catch(() => false);
      await jsm.streams.add({
        name: names.workStream,
        subjects: [names.work('*')],
        retention: RetentionPolicy.Workqueue,
      });
      await jsm.streams.add({
        name: names.bcastStream,
        subjects: [names.bcast('*')],
        max_msgs_per_subject: 1,
      });
      await jsm.streams.add({ name: names.deadStream, subjects: [names.dead('*')] }).catch(async () => {
        await jsm.streams.info(names.deadStream);
      });
      for (const actor of options.actors) {
        await jsm.consumers.add(names.workStream, {
          durable_name: names.durable(actor.name),
          filter_subject: names.work(actor.name),
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: options.ackWaitMs * 1_000_000,
          max_deliver: options.maxDeliver,
          max_ack_pending: actor.capacity,
        });
      }
      const kv = await new Kvm(jetStreamOf(nc)).create(names.nodesBucket, { history: 1 });
      const blobs = await Blobs.open(nc, names.blobsBucket, options.inlineLimit, true);
      const head = new NatsHead(options, nc, jetStreamOf(nc), jsm, kv, blobs);
      await head.announce();
      return head;
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  /** Routes from hosted actors to the system's actors, and membership events onto its bus. */
  attach(system: { lookup(name: string): ActorRef<any>; events: { emit(event: RuntimeEvent): void } }): void {
    this.lookup = (name) => system.lookup(name);
    this.emit = (event) => system.events.emit(event);
  }

  private async announce(): Promise<void> {
    const { names, options } = this;
    this.subscriptions.push(
      this.nc.subscribe(names.replies, { callback: (_e, msg) => void this.onReply(msg) }),
      this.nc.subscribe(names.routes, { callback: (_e, msg) => void this.onRoute(msg) }),
      this.nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${names.workStream}.*`, {
        callback: (_e, msg) => void this.onMaxDeliveries(msg),
      }),
    );
    await this.nc.flush();
    // Nodes of an earlier head of this run are gone or will rejoin under the new run id.
    for (const key of await this.kv.keys('node.>').then(collect)) await this.kv.delete(key);
    this.record = {
      runId: this.runId,
      name: options.run,
      fingerprint: options.fingerprint,
      seed: options.seed,
      status: 'running',
      startedAt: new Date().toISOString(),
      head: { host: hostname(), pid: process.pid },
    };
    await this.kv.put('run', recordBytes(this.record));
    void this.watchNodes();
    void this.rewriteRecordOnReconnect();
    this.sweeper = setInterval(() => this.sweep(), options.heartbeatMs);
    this.sweeper.unref();
  }

  /** A server restarted from its store may have lost the latest writes: the run record is written again. */
  private async rewriteRecordOnReconnect(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (this.closed) break;
      if (status.type === 'disconnect') {
        this.nodes.deaf(Date.now());
        this.options.log('NATS connection lost; reconnecting');
      }
      if (status.type !== 'reconnect') continue;
      this.nodes.hearing(Date.now());
      this.options.log('NATS connection back');
      await this.throughOutages('writing the run record', () =>
        this.kv.put('run', recordBytes(this.record)),
      ).catch((error) => this.options.log(`run record not written again: ${(error as Error).message}`));
    }
  }

  private async watchNodes(): Promise<void> {
    const watch = await this.kv.watch({ key: 'node.>' });
    for await (const entry of watch) {
      if (this.closed) break;
      const id = entry.key.slice('node.'.length);
      if (entry.operation !== 'PUT') {
        if (this.nodes.forget(id)) this.lost(id, 'left the run');
        continue;
      }
      let record: NodeRecord;
      try {
        record = readRecord<NodeRecord>('node', entry.value);
      } catch (error) {
        this.stats.malformed++;
        this.options.log(`ignored node record ${entry.key}: ${(error as Error).message}`);
        continue;
      }
      if (record.runId !== this.runId) continue;
      if (this.nodes.heard(id, record, record.heartbeatMs, Date.now())) {
        this.stats.nodesJoined++;
        this.options.log(
          `node ${id} joined (roles ${record.roles.join(', ')}; ${record.host}, pid ${record.pid})`,
        );
        this.emit?.({ type: 'node-joined', actor: id, at: Date.now(), roles: record.roles });
      }
    }
  }

  private sweep(): void {
    for (const { id, silentMs } of this.nodes.sweep(Date.now())) {
      void this.kv.delete(`node.${id}`).catch(() => {});
      this.lost(id, `no heartbeat for ${silentMs} ms`);
    }
  }

  private lost(id: string, reason: string): void {
    this.stats.nodesLost++;
    this.options.log(
      `node ${id} lost: ${reason}; jobs it held are redelivered to other nodes after ${this.options.ackWaitMs} ms`,
    );
    this.emit?.({ type: 'node-lost', actor: id, at: Date.now(), reason });
  }

  /** The roles served by at least one live node. */
  servedRoles(): Set<string> {
    return new Set(this.nodes.values().flatMap((record) => record.roles));
  }

  /** Waits until every role has a node, noting progress; fails with what to start after `timeoutMs`. */
  async waitForRoles(timeoutMs: number, note: (line: string) => void): Promise<void> {
    const roles = [...new Set(this.options.actors.map((a) => a.role))];
    const started = Date.now();
    let lastNote = 0;
    for (;;) {
      const served = this.servedRoles();
      const missing = roles.filter((r) => !served.has(r));
      if (missing.length === 0) return;
      const waited = Date.now() - started;
      if (waited >= timeoutMs)
        throw new AzrError(
          'NATS_NO_NODES',
          `no node serving ${missing.join(', ')} joined run "${this.options.run}" within ${Math.round(timeoutMs / 1000)} s; ` +
            `start one with: azr node --config CONFIG --nats ${this.options.settings.url} --roles ${missing.join(',')}`,
        );
      if (waited - lastNote >= 5000 || lastNote === 0) {
        lastNote = waited || 1;
        note(
          `waiting for nodes serving ${missing.join(', ')} (${Math.round(waited / 1000)} s of ${Math.round(timeoutMs / 1000)} s)`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Marks the run done (nodes leave) and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    await this.publishing.catch(() => {});
    await this.markDone();
    for (const sub of this.subscriptions) sub.unsubscribe();
    await this.nc.drain().catch(() => {});
  }

  /**
   * Writes the run record as done: the nodes' only word to leave. Retried while the server is unreachable (an outage
   * just before the end, a JetStream still recovering) for up to 30 s, since a node that never reads it never leaves.
   */
  private async markDone(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await this.kv.put('run', recordBytes({ ...this.record, status: 'done' }));
        return;
      } catch (error) {
        if (Date.now() >= deadline) {
          this.options.log(
            `could not mark the run done (${(error as Error).message}): its nodes stay until stopped (Ctrl-C)`,
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  // ---- jobs ----

  submit(owner: RemoteIncarnation, envelope: Envelope, broadcast: boolean): void {
    const id = `${this.runId}.${owner.name}.${envelope.id}`;
    const known = this.jobs.get(id);
    if (known) {
      // A message requeued by a restarted incarnation: the job is still queued, or its reply is parked.
      known.owner = owner;
      const parked = known.parked;
      known.parked = undefined;
      parked?.();
      return;
    }
    const job: Job = {
      id,
      actor: owner.name,
      type: envelope.type,
      envelopeId: envelope.id,
      ask: envelope.ask,
      broadcast,
      owner,
      answered: false,
    };
    this.jobs.set(id, job);
    this.stats.published++;
    this.options.ledger?.({ event: 'published', job: id, actor: job.actor, type: job.type, broadcast });
    this.publishing = this.publishing.then(() =>
      this.throughOutages(`publishing job ${id}`, () => this.publish(job, envelope.body as Uint8Array)).catch(
        (error) => this.finish(job, () => job.owner?.events.crashed(errorInfo(error), job.envelopeId, [])),
      ),
    );
  }

  /**
   * Runs `action` again, with backoff (0.25 s doubling to 5 s), while it fails and the server cannot be
   * reached, for up to `outageMs` in all: the client reconnects by itself, and work messages carry their job
   * id as message id, so a publish that did reach the server before the failure is not stored twice.
   */
  private async throughOutages<T>(what: string, action: () => Promise<T>): Promise<T> {
    const started = Date.now();
    for (let delayMs = 250, attempt = 1; ; attempt++, delayMs = Math.min(5000, delayMs * 2)) {
      try {
        return await action();
      } catch (error) {
        if (this.closed || Date.now() - started + delayMs > outageMs) throw error;
        if (attempt === 1)
          this.options.log(`NATS unreachable while ${what} (${(error as Error).message}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  private async publish(job: Job, body: Uint8Array): Promise<void> {
    const { data, blob } = await this.blobs.pack(body);
    if (blob) this.retain(blob);
    job.blob = blob;
    const h = headers();
    h.set(H.job, job.id);
    h.set(H.type, job.type);
    h.set(H.ask, job.ask ? '1' : '0');
    if (blob) h.set(H.blob, blob);
    if (job.broadcast) {
      const ack = await this.js.publish(this.names.bcast(job.actor), data, { headers: h });
      const previous = this.lastBroadcast.get(job.actor);
      this.lastBroadcast.set(job.actor, { seq: ack.seq, blob });
      this.broadcastJobs.add(job.id);
      // Copies that join later apply the latest broadcast, so an older payload is needed no longer.
      if (previous?.blob) this.release(previous.blob);
      job.blob = undefined;
    } else {
      h.set(H.after, String(this.lastBroadcast.get(job.actor)?.seq ?? 0));
      h.set(H.msgId, job.id);
      await this.js.publish(this.names.work(job.actor), data, { headers: h, msgID: job.id });
    }
  }

  private retain(blob: string): void {
    this.blobRefs.set(blob, (this.blobRefs.get(blob) ?? 0) + 1);
  }

  private release(blob: string): void {
    const refs = (this.blobRefs.get(blob) ?? 1) - 1;
    if (refs > 0) this.blobRefs.set(blob, refs);
    else {
      this.blobRefs.delete(blob);
      void this.blobs.remove(blob);
    }
  }

  /** Hands an outcome to the job's incarnation, or parks it until the next incarnation takes the job. */
  private finish(job: Job, settle: () => void): void {
    job.answered = true;
    if (job.blob) this.release(job.blob);
    job.blob = undefined;
    const deliver = () => {
      this.jobs.delete(job.id);
      settle();
    };
    if (job.owner && !job.owner.ended) deliver();
    else job.parked = deliver;
  }

  private async onReply(msg: Msg): Promise<void> {
    const h = replyHeaders(msg.headers);
    if (!h) {
      this.stats.malformed++;
      return;
    }
    const job = this.jobs.get(h.job);
    if (!job || job.answered) {
      if (this.broadcastJobs.has(h.job)) this.stats.broadcastCopies++;
      else {
        this.stats.duplicates++;
        this.options.ledger?.({
          event: 'duplicate',
          job: h.job,
          node: h.node,
          delivery: h.delivery,
          outcome: h.outcome,
        });
      }
      return;
    }
    job.answered = true;
    this.stats.answered++;
    if (h.delivery > 1) this.stats.redelivered++;
    this.options.ledger?.({
      event: 'answered',
      job: job.id,
      node: h.node,
      delivery: h.delivery,
      outcome: h.outcome,
    });
    let bytes: Uint8Array;
    try {
      bytes = await this.blobs.unpack(msg.data, h.blob);
      if (h.blob) void this.blobs.remove(h.blob);
    } catch (error) {
      return this.finish(job, () => job.owner?.events.crashed(errorInfo(error), job.envelopeId, []));
    }
    this.finish(job, () => this.settle(job, h.outcome, bytes, h.node));
  }

  private settle(job: Job, outcome: Outcome, bytes: Uint8Array, node: string): void {
    const events = job.owner!.events;
    const malformed = (what: string) => {
      this.stats.malformed++;
      events.rejected(job.envelopeId, { pointer: '', problem: `${what} from node ${node} is malformed` });
    };
    let value: unknown;
    try {
      value = bytes.length > 0 ? decode(bytes) : undefined;
    } catch {
      return malformed('the reply');
    }
    switch (outcome) {
      case 'done':
        return events.done(job.envelopeId, bytes, true);
      case 'noreply':
        return events.done(job.envelopeId, undefined, false);
      case 'rejected':
        if (!checkProblem(value)) return malformed('the rejection');
        return events.rejected(job.envelopeId, value as { pointer: string; problem: string });
      case 'crashed': {
        if (!checkErrorInfo(value)) return malformed('the crash report');
        const error = value as ErrorInfo;
        return events.crashed(
          { ...error, message: `${error.message} (on node ${node})` },
          job.envelopeId,
          [],
        );
      }
    }
  }

  private async onRoute(msg: Msg): Promise<void> {
    let frame: unknown;
    try {
      frame = decode(msg.data);
    } catch {
      frame = undefined;
    }
    if (!checkRoute(frame) || !this.lookup) {
      this.stats.malformed++;
      msg.respond(encode({ error: { name: 'BadRoute', message: 'malformed route request' } }));
      return;
    }
    const { to, message, ask, timeoutMs } = frame as {
      to: string;
      message: { type: string };
      ask: boolean;
      timeoutMs?: number;
    };
    try {
      const target = this.lookup(to);
      const value = ask
        ? await target.ask(message as never, { timeoutMs })
        : await target.tell(message as never);
      msg.respond(encode({ value }));
    } catch (error) {
      msg.respond(encode({ error: errorInfo(error) }));
    }
  }

  /** A job delivered `maxDeliver` times without an ack: record it in the dead-letter stream and fail the ask. */
  private async onMaxDeliveries(msg: Msg): Promise<void> {
    let advisory: { stream_seq?: number; deliveries?: number };
    try {
      advisory = msg.json();
    } catch {
      return;
    }
    const seq = advisory.stream_seq;
    if (!Number.isInteger(seq)) return;
    const stored = await this.jsm.streams.getMessage(this.names.workStream, { seq: seq! }).catch(() => null);
    const jobId = stored?.header?.get(H.job);
    const job = jobId ? this.jobs.get(jobId) : undefined;
    await this.jsm.streams.deleteMessage(this.names.workStream, seq!).catch(() => false);
    if (!job || job.answered) return;
    job.answered = true;
    const deliveries = advisory.deliveries ?? this.options.maxDeliver;
    const record = {
      job: job.id,
      actor: job.actor,
      type: job.type,
      deliveries,
      at: new Date().toISOString(),
    };
    await this.js.publish(this.names.dead(job.actor), JSON.stringify(record)).catch(() => {});
    this.stats.deadLettered++;
    this.options.ledger?.({ event: 'dead', job: job.id, deliveries });
    const message =
      `job ${job.id} ("${job.type}") was delivered ${deliveries} times and never completed ` +
      `(each time its node died or stalled past ${this.options.ackWaitMs} ms); ` +
      `dead-letter record on ${this.names.dead(job.actor)} (stream ${this.names.deadStream})`;
    this.finish(job, () => job.owner?.events.crashed({ name: 'DeadLetter', message }, job.envelopeId, []));
  }
}

async function collect(keys: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const key of keys) all.push(key);
  return all;
}

/** The head's side of a remote actor's incarnation: a proxy that turns deliveries into jobs. */
class RemoteIncarnation implements Incarnation {
  ended = false;

  constructor(
    private readonly head: NatsHead,
    readonly name: string,
    private readonly protocol: Record<string, { broadcast?: boolean }>,
    readonly events: RunnerEvents,
  ) {
    queueMicrotask(() => {
      if (!this.ended) events.started();
    });
  }

  deliver(envelope: Envelope): void {
    this.head.submit(this, envelope, this.protocol[envelope.type]?.broadcast === true);
  }

  snapshot(): Promise<unknown> {
    return Promise.resolve(undefined);
  }

  async stop(): Promise<void> {
    this.ended = true;
  }

  kill(): void {
    this.ended = true;
  }
}
