// The topology file's schema, written once: TypeBox gives both the TypeScript type and the JSON Schema
// (shipped as topology.schema.json for editor completion through `$schema`).
import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from '../wire/index.ts';

const Backoff = Type.Object(
  {
    initialMs: Type.Number({
      minimum: 0,
      default: 50,
      description: 'Delay before the first restart in a window (ms).',
    }),
    factor: Type.Number({
      minimum: 1,
      default: 2,
      description: 'Each further restart in the window waits this much longer.',
    }),
    maxMs: Type.Number({ minimum: 0, default: 5000, description: 'Longest delay between restarts (ms).' }),
  },
  { additionalProperties: false, description: 'Exponential backoff between restarts.' },
);

export const SupervisionSchema = Type.Object(
  {
    strategy: StringEnum(['one-for-one', 'all-for-one'], {
      default: 'one-for-one',
      description: 'one-for-one restarts the child that exited; all-for-one restarts all children.',
    }),
    maxRestarts: Type.Integer({
      minimum: 0,
      default: 1,
      description: 'Restarts allowed within `withinMs`; one more escalates to the parent supervisor.',
    }),
    withinMs: Type.Integer({ minimum: 1, default: 5000, description: 'Window of the restart budget (ms).' }),
    backoff: Type.Optional(Backoff),
  },
  { additionalProperties: false, description: 'Supervision policy (OTP defaults: 1 restart in 5 s).' },
);

const Mailbox = Type.Object(
  {
    capacity: Type.Integer({
      minimum: 1,
      default: 1024,
      description: 'Messages that may wait in the mailbox.',
    }),
    overflow: StringEnum(['backpressure', 'drop-oldest', 'reject'], {
      default: 'backpressure',
      description:
        'What a full mailbox does: make senders wait, drop its oldest message, or refuse the new one.',
    }),
  },
  { additionalProperties: false },
);

export const ActorEntrySchema = Type.Object(
  {
    name: Type.String({
      pattern: '^[A-Za-z][A-Za-z0-9_.-]*$',
      description: 'Unique name; replicas are named NAME-0, NAME-1, …',
    }),
    kind: Type.String({
      minLength: 1,
      description: 'Actor kind, as registered by the core, a plugin or `modules`.',
    }),
    count: Type.Integer({
      minimum: 1,
      maximum: 1024,
      default: 1,
      description:
        "Number of replicas. A proposer's or solver's replicas share every generation request, each a range of " +
        'its rows, with the same tokens as one (docs/distributed.md, "Scaling generation").',
    }),
    host: StringEnum(['inline', 'thread', 'process', 'remote'], {
      default: 'inline',
      description:
        'Where each replica runs: this event loop, a worker thread, a child process, or `azr node` processes reached through NATS (see `nats`).',
    }),
    restart: StringEnum(['permanent', 'transient', 'temporary'], {
      default: 'permanent',
      description: 'permanent: always restarted; transient: only after a crash; temporary: never.',
    }),
    mailbox: Type.Optional(Mailbox),
    supervision: Type.Optional(SupervisionSchema),
    encode: Type.Boolean({
      default: true,
      description: 'Copy inline messages through msgpack (always on across threads and processes).',
    }),
    options: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: "The actor kind's own options (its schema).",
      }),
    ),
  },
  { additionalProperties: false },
);

const NatsSchema = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      default: 'nats://127.0.0.1:4222',
      description: 'NATS server URL(s), comma-separated (--nats overrides).',
    }),
    user: Type.Optional(
      Type.String({
        description:
          'NATS user (default: azr-NAME-head for azr run, azr-NAME-ROLE for azr node). Passwords never go in this file: --nats-pass, AZR_NATS_PASS or --nats-secrets.',
      }),
    ),
    nkeyFile: Type.Optional(Type.String({ description: 'nkey seed file (instead of a password).' })),
    credsFile: Type.Optional(Type.String({ description: 'NATS .creds file (JWT auth).' })),
    tls: Type.Optional(
      Type.Object(
        {
          caFile: Type.Optional(Type.String()),
          certFile: Type.Optional(Type.String()),
          keyFile: Type.Optional(Type.String()),
        },
        { additionalProperties: false, description: 'TLS files, passed to the NATS client.' },
      ),
    ),
    ackWaitMs: Type.Integer({
      minimum: 100,
      default: 30_000,
      description:
        'A job neither acked nor marked in progress (nodes do that every third of it) is redelivered after this (ms).',
    }),
    maxDeliver: Type.Integer({
      minimum: 1,
      default: 5,
      description: 'Deliveries of a job before it is dead-lettered and its ask fails.',
    }),
    heartbeatMs: Type.Integer({
      minimum: 50,
      default: 2000,
      description: 'Node heartbeat period; a node silent for three is declared lost (ms).',
    }),
    inlineLimitBytes: Type.Integer({
      minimum: 1024,
      maximum: 900_000,
      default: 524_288,
      description:
        'Payloads longer than this go by reference through the object store (no message over 1 MB).',
    }),
    prefetch: Type.Integer({
      minimum: 1,
      default: 1,
      description: 'Jobs of one actor a node holds at once.',
    }),
    joinTimeoutMs: Type.Integer({
      minimum: 0,
      default: 120_000,
      description: 'How long azr run waits for nodes of every remote role, and azr node for the run (ms).',
    }),
  },
  {
    additionalProperties: false,
    description: 'The NATS JetStream server of a distributed run (host `remote`).',
  },
);

/**
 * The JSON Schema of a topology file (also `azr/topology.schema.json`), for editors and tools; the README's config
 * reference is generated from it.
 */
export const TopologySchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    name: Type.String({ minLength: 1, default: 'azr', description: 'Name of the run or system.' }),
    seed: Type.Integer({ default: 0, description: 'Seed of every random choice in the run.' }),
    modules: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Modules (paths relative to this file) whose exported actor definitions become kinds.',
      }),
    ),
    plugins: Type.Optional(
      Type.Array(
        Type.Object(
          {
            use: Type.String({
              minLength: 1,
              description: 'A built-in plugin name, a path (relative to this file), or a package.',
            }),
            options: Type.Optional(
              Type.Record(Type.String(), Type.Unknown(), { description: "The plugin's own options." }),
            ),
          },
          { additionalProperties: false },
        ),
        { description: 'Task modes and reward shapers; handed to every actor whose options take `plugins`.' },
      ),
    ),
    run: Type.Optional(
      Type.Object(
        {
          steps: Type.Integer({
            minimum: 0,
            default: 10,
            description: 'Self-play steps of `azr run` (--steps overrides).',
          }),
          checkpointEvery: Type.Integer({
            minimum: 0,
            default: 0,
            description: 'Checkpoint every N steps (0: only at the end).',
          }),
          keepCheckpoints: Type.Integer({
            minimum: 1,
            default: 2,
            description: 'Checkpoints kept in the run directory.',
          }),
          maxMinutes: Type.Optional(
            Type.Number({
              exclusiveMinimum: 0,
              description:
                'Wall-time budget of `azr run`: the step expected (by the previous one) to end past it is the last, ' +
                'and the held-out set is scored there, even before `steps`.',
            }),
          ),
        },
        { additionalProperties: false, description: 'Settings of `azr run`.' },
      ),
    ),
    supervision: Type.Optional(SupervisionSchema),
    nats: Type.Optional(NatsSchema),
    actors: Type.Array(ActorEntrySchema, {
      minItems: 1,
      description: 'The actors, each under a supervisor of its own.',
    }),
  },
  { additionalProperties: false, title: 'azr topology' },
);

export type Topology = Static<typeof TopologySchema>;
export type ActorEntry = Static<typeof ActorEntrySchema>;
export type NatsSection = Static<typeof NatsSchema>;
export { NatsSchema };
