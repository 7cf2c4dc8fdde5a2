// What the head and the nodes share on the wire: connecting (with errors that say what to fix), the headers of
// work and reply messages, the run and membership records (schema-checked when read), and payloads by
// reference: bytes over the inline limit go to the object store under their content hash, so no NATS message
// exceeds the limit and a payload sent to several actors (weights to proposer and solver) is stored once.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type Static, Type } from '@sinclair/typebox';
import { jetstream } from '@nats-io/jetstream';
import { type ObjectStore, Objm } from '@nats-io/obj';
import {
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  type MsgHdrs,
  type NatsConnection,
  nkeyAuthenticator,
} from '@nats-io/transport-node';
import { AzrError } from './errors.ts';
import { ajv, firstProblem } from './protocol.ts';

/**
 * Deadline of one JetStream API request (the client's default is 5 s). Creating a run's streams and buckets on a
 * busy machine, or on a server that has just started its file store, can take longer.
 */
export const jetStreamOptions = { timeout: 30_000 };

/** A JetStream client with azr's request deadline. */
export const jetStreamOf = (nc: NatsConnection) => jetstream(nc, jetStreamOptions);

export interface NatsTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface NatsSettings {
  /** One URL, or several separated by commas. */
  url: string;
  user?: string;
  pass?: string;
  /** An nkey seed file (user authenticated by nkey). */
  nkeyFile?: string;
  /** A `.creds` file (JWT + nkey seed, decentralised auth). */
  credsFile?: string;
  tls?: NatsTls;
}

export class NatsRefusedError extends AzrError {
  constructor(message: string) {
    super('NATS_REFUSED', message);
  }
}

/** Connects, turning the client's failures into messages that name the user, the URL and what to check. */
export async function connectNats(
  settings: NatsSettings,
  extra: Partial<ConnectionOptions> = {},
): Promise<NatsConnection> {
  const options: ConnectionOptions = {
    servers: settings.url.split(',').map((s) => s.trim()),
    maxReconnectAttempts: -1,
    ...extra,
  };
  if (settings.user !== undefined) Object.assign(options, { user: settings.user, pass: settings.pass ?? '' });
  if (settings.nkeyFile)
    options.authenticator = nkeyAuthenticator(
      new TextEncoder().encode((await readFile(settings.nkeyFile, 'utf8')).trim()),
    );
  if (settings.credsFile) options.authenticator = credsAuthenticator(await readFile(settings.credsFile));
  if (settings.tls) options.tls = { ...settings.tls };
  const who =
    settings.user ??
    (settings.nkeyFile ? `nkey ${settings.nkeyFile}` : (settings.credsFile ?? '(anonymous)'));
  try {
    return await connect(options);
  } catch (error) {
    const reason = (error as Error).message;
    if (
      /authori[sz]ation|authentication|user/i.test(reason) ||
      (error as Error).name === 'AuthorizationError'
    )
      throw new NatsRefusedError(
        `NATS refused the credentials for user ${who} at ${settings.url}: ${reason.toLowerCase()}; ` +
          'check --nats-user/--nats-pass (or AZR_NATS_USER/AZR_NATS_PASS, --nats-nkey, --nats-creds) ' +
          'against the server configuration (`azr nats-config`)',
      );
    throw new AzrError('NATS_UNREACHABLE', `cannot connect to NATS at ${settings.url} as ${who}: ${reason}`);
  }
}

export const H = {
  job: 'Azr-Job',
  type: 'Azr-Type',
  ask: 'Azr-Ask',
  /** The broadcast sequence a work message must be handled after. */
  after: 'Azr-After',
  blob: 'Azr-Blob',
  node: 'Azr-Node',
  outcome: 'Azr-Outcome',
  delivery: 'Azr-Delivery',
  msgId: 'Nats-Msg-Id',
} as const;

export type Outcome = 'done' | 'noreply' | 'rejected' | 'crashed';
const outcomes: readonly string[] = ['done', 'noreply', 'rejected', 'crashed'];

/** The headers of a reply, checked; undefined when they are not what a node sends. */
export function replyHeaders(headers: MsgHdrs | undefined) {
  const job = headers?.get(H.job) ?? '';
  const outcome = headers?.get(H.outcome) ?? '';
  const node = headers?.get(H.node) ?? '';
  const delivery = Number(headers?.get(H.delivery) ?? '1');
  if (!job || !outcomes.includes(outcome) || !Number.isInteger(delivery) || delivery < 1) return undefined;
  return { job, outcome: outcome as Outcome, node, delivery, blob: headers?.get(H.blob) || undefined };
}

/** The headers of a work or broadcast message, checked. */
export function workHeaders(headers: MsgHdrs | undefined) {
  const job = headers?.get(H.job) ?? '';
  const type = headers?.get(H.type) ?? '';
  const after = Number(headers?.get(H.after) || '0');
  if (!job || !type || !Number.isInteger(after) || after < 0) return undefined;
  return { job, type, ask: headers?.get(H.ask) === '1', after, blob: headers?.get(H.blob) || undefined };
}

export const RunRecordSchema = Type.Object({
  runId: Type.String({ minLength: 1 }),
  name: Type.String(),
  /** Hash of the topology: a node started with another configuration is refused. */
  fingerprint: Type.String(),
  /** The run's seed (`azr run --seed` may override the topology's); nodes seed their actors with it. */
  seed: Type.Integer(),
  status: Type.Union([Type.Literal('running'), Type.Literal('done')]),
  startedAt: Type.String(),
  head: Type.Object({ host: Type.String(), pid: Type.Integer() }),
});
export type RunRecord = Static<typeof RunRecordSchema>;

export const NodeRecordSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  runId: Type.String(),
  roles: Type.Array(Type.String()),
  host: Type.String(),
  pid: Type.Integer(),
  startedAt: Type.String(),
  /** ms since the epoch of the last heartbeat. */
  heartbeat: Type.Number(),
  heartbeatMs: Type.Integer({ minimum: 1 }),
});
export type NodeRecord = Static<typeof NodeRecordSchema>;

const checkRun = ajv.compile(RunRecordSchema);
const checkNode = ajv.compile(NodeRecordSchema);

/** A KV value parsed and checked against its schema; throws a named error at the first problem. */
export function readRecord<T>(kind: 'run' | 'node', bytes: Uint8Array): T {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new AzrError('NATS_RECORD_INVALID', `the ${kind} record in the NATS KV bucket is not JSON`);
  }
  const check = kind === 'run' ? checkRun : checkNode;
  if (!check(value)) {
    const { pointer, problem } = firstProblem(check.errors);
    throw new AzrError(
      'NATS_RECORD_INVALID',
      `the ${kind} record in the NATS KV bucket: ${pointer || '/'} ${problem}`,
    );
  }
  return value as T;
}

export const recordBytes = (value: RunRecord | NodeRecord) => new TextEncoder().encode(JSON.stringify(value));

const blobName = (bytes: Uint8Array) => `sha256-${createHash('sha256').update(bytes).digest('hex')}`;

/** Payloads by reference through the run's object store. */
export class Blobs {
  private readonly cache = new Map<string, Uint8Array>();

  private constructor(
    private readonly store: ObjectStore,
    /** Payloads longer than this travel by reference. */
    readonly inlineLimit: number,
  ) {}

  static async open(
    nc: NatsConnection,
    bucket: string,
    inlineLimit: number,
    create: boolean,
  ): Promise<Blobs> {
    const objm = new Objm(jetStreamOf(nc));
    const store = create ? await objm.create(bucket, { storage: 'file' as never }) : await objm.open(bucket);
    return new Blobs(store, inlineLimit);
  }

  /** The bytes to send, and the blob's name when they went to the store instead. */
  async pack(bytes: Uint8Array): Promise<{ data: Uint8Array; blob?: string }> {
    if (bytes.length <= this.inlineLimit) return { data: bytes };
    const name = blobName(bytes);
    // A deleted object keeps its name in the store's listing (a delete marker, `deleted: true`): a payload
    // an earlier run removed must be uploaded again, or the receiver finds nothing to read.
    const info = await this.store.info(name);
    if (!info || info.deleted) await this.store.putBlob({ name }, bytes);
    return { data: new Uint8Array(0), blob: name };
  }

  /** The payload: `data` itself, or the blob it names (kept in a small cache: broadcasts are fetched by each copy). */
  async unpack(data: Uint8Array, blob: string | undefined): Promise<Uint8Array> {
    if (!blob) return data;
    const cached = this.cache.get(blob);
    if (cached) return cached;
    const bytes = await this.store.getBlob(blob);
    if (!bytes)
      throw new AzrError('NATS_PAYLOAD_MISSING', `payload ${blob} is not in the object store (deleted?)`);
    // Named by content: whoever may write the store cannot swap a payload unnoticed.
    if (blobName(bytes) !== blob)
      throw new AzrError('NATS_PAYLOAD_CORRUPT', `payload ${blob} does not match its hash`);
    this.cache.set(blob, bytes);
    while (this.cache.size > 4) this.cache.delete(this.cache.keys().next().value!);
    return bytes;
  }

  async remove(blob: string): Promise<void> {
    this.cache.delete(blob);
    await this.store.delete(blob).catch(() => {});
  }
}
