// Where a run lives on NATS: its subjects, streams, buckets and users, named from the run's name, and the
import { AzrError } from '../errors.ts';
// nats-server configuration that gives each node role exactly its own subjects (`azr nats-config`).
//
//   azr.<run>.work.<actor>    JetStream work queue (stream AZR_<run>_WORK, durable pull consumer work-<actor>)
//   azr.<run>.bcast.<actor>   broadcast messages, last one per actor kept (stream AZR_<run>_BCAST)
//   azr.<run>.reply.<actor>   replies of the nodes to the head (core NATS)
//   azr.<run>.route.<actor>   asks and tells of a hosted actor to the head's actors (request/reply)
//   azr.<run>.dead.<actor>    dead-letter records (stream AZR_<run>_DEAD)
//   KV azr-<run>-nodes        the run record (key `run`) and membership (key `node.<id>`)
//   object store azr-<run>-blobs   payloads over the inline limit (weights), by content hash

/** Run names and remote actor names become subject tokens, stream and bucket names. */
export const NATS_NAME = /^[A-Za-z0-9_-]+$/;

export interface RunNames {
  run: string;
  workStream: string;
  bcastStream: string;
  deadStream: string;
  nodesBucket: string;
  blobsBucket: string;
  headUser: string;
  work(actor: string): string;
  durable(actor: string): string;
  bcast(actor: string): string;
  reply(actor: string): string;
  route(actor: string): string;
  dead(actor: string): string;
  /** All replies, all routes: what the head subscribes to. */
  replies: string;
  routes: string;
  user(role: string): string;
  inbox(role: string): string;
}

export function runNames(run: string): RunNames {
  if (!NATS_NAME.test(run))
    throw new AzrError(
      'CONFIG_INVALID',
      `run name "${run}" cannot name NATS subjects: use letters, digits, "_" and "-" only`,
    );
  const prefix = `azr.${run}`;
  return {
    run,
    workStream: `AZR_${run}_WORK`,
    bcastStream: `AZR_${run}_BCAST`,
    deadStream: `AZR_${run}_DEAD`,
    nodesBucket: `azr-${run}-nodes`,
    blobsBucket: `azr-${run}-blobs`,
    headUser: `azr-${run}-head`,
    work: (actor) => `${prefix}.work.${actor}`,
    durable: (actor) => `work-${actor}`,
    bcast: (actor) => `${prefix}.bcast.${actor}`,
    reply: (actor) => `${prefix}.reply.${actor}`,
    route: (actor) => `${prefix}.route.${actor}`,
    dead: (actor) => `${prefix}.dead.${actor}`,
    replies: `${prefix}.reply.>`,
    routes: `${prefix}.route.>`,
    user: (role) => `azr-${run}-${role}`,
    inbox: (role) => `_INBOX_${run}_${role}`,
  };
}

/** A role (a topology actor entry hosted by `azr node`) and the actor names it serves (its replicas). */
export interface RoleSpec {
  role: string;
  actors: string[];
}

export interface Permissions {
  publish: string[];
  subscribe: string[];
}

/** The subjects a node serving `role` may use: its own work, broadcasts, replies and inbox, nothing else. */
export function rolePermissions(names: RunNames, { role, actors }: RoleSpec): Permissions {
  const api = '$JS.API';
  const kv = `KV_${names.nodesBucket}`;
  const obj = `OBJ_${names.blobsBucket}`;
  return {
    publish: [
      `${api}.INFO`,
      ...[names.workStream, names.bcastStream, kv, obj].map((s) => `${api}.STREAM.INFO.${s}`),
      ...actors.flatMap((a) => [
        `${api}.CONSUMER.INFO.${names.workStream}.${names.durable(a)}`,
        `${api}.CONSUMER.MSG.NEXT.${names.workStream}.${names.durable(a)}`,
        `$JS.ACK.${names.workStream}.${names.durable(a)}.>`,
        `${api}.CONSUMER.CREATE.${names.bcastStream}.*.${names.bcast(a)}`,
        `${api}.DIRECT.GET.${names.bcastStream}.>`,
        `${api}.STREAM.MSG.GET.${names.bcastStream}`,
        names.reply(a),
        names.route(a),
      ]),
      // Ordered consumers (broadcasts, object-store chunks) are pull consumers with random names.
      ...[names.bcastStream, obj].flatMap((s) =>
        ['MSG.NEXT', 'INFO', 'DELETE'].map((op) => `${api}.CONSUMER.${op}.${s}.*`),
      ),
      `${api}.CONSUMER.CREATE.${obj}.>`,
      // Replies over the inline limit: blobs are named by their hash, which the head checks on reading.
      `$O.${names.blobsBucket}.>`,
      `${api}.STREAM.PURGE.${obj}`,
      `${api}.DIRECT.GET.${obj}.>`,
      `${api}.STREAM.MSG.GET.${obj}`,
      `${api}.DIRECT.GET.${kv}.>`,
      `${api}.STREAM.MSG.GET.${kv}`,
      `$KV.${names.nodesBucket}.node.>`,
    ],
    subscribe: [`${names.inbox(role)}.>`],
  };
}

export interface ServerConfigOptions {
  /** host:port to listen on. */
  listen: string;
  storeDir: string;
  /** Password of each user: the head's (`names.headUser`) and each role's (`names.user(role)`). */
  passwords: Record<string, string>;
  roles: RoleSpec[];
  /** Extra lines for the top level (TLS, cluster, monitoring). */
  extra?: string;
}

const quoted = (value: string) => JSON.stringify(value);
const list = (values: string[]) => `[${values.map(quoted).join(', ')}]`;

/**
 * A nats-server configuration for one run: an account of its own with JetStream, the head's user (all of the
 * run's subjects), and one user per node role limited to that role's subjects.
 */
export function natsServerConfig(names: RunNames, options: ServerConfigOptions): string {
  const password = (user: string) => {
    const value = options.passwords[user];
    if (!value) throw new AzrError('NATS_REFUSED', `no password for NATS user "${user}"`);
    return value;
  };
  const headPublish = [
    `azr.${names.run}.>`,
    '$JS.API.>',
    '$JS.ACK.>',
    `$KV.${names.nodesBucket}.>`,
    `$O.${names.blobsBucket}.>`,
    '$JS.FC.>',
    // Answers to the nodes' route requests go to their roles' inboxes.
    ...options.roles.map((r) => `${names.inbox(r.role)}.>`),
  ];
  const head = [
    `      { user: ${quoted(names.headUser)}, password: ${quoted(password(names.headUser))},`,
    '        permissions: {',
    `          publish: { allow: ${list(headPublish)} },`,
    `          subscribe: { allow: ${list([`azr.${names.run}.>`, '_INBOX.>', `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${names.workStream}.>`])} }`,
    '        } }',
  ];
  const roles = options.roles.flatMap((spec) => {
    const { publish, subscribe } = rolePermissions(names, spec);
    const user = names.user(spec.role);
    return [
      `      { user: ${quoted(user)}, password: ${quoted(password(user))},`,
      '        permissions: {',
      `          publish: { allow: ${list(publish)} },`,
      `          subscribe: { allow: ${list(subscribe)} }`,
      '        } }',
    ];
  });
  return [
    `# nats-server configuration for azr run "${names.run}" (written by \`azr nats-config\`).`,
    '# One account per run; the head and each node role have a user of their own, limited to their subjects.',
    `listen: ${quoted(options.listen)}`,
    `jetstream { store_dir: ${quoted(options.storeDir)} }`,
    ...(options.extra ? [options.extra] : []),
    'accounts {',
    `  ${quoted(`AZR_${names.run}`)}: {`,
    '    jetstream: enabled',
    '    users: [',
    ...head,
    ...roles,
    '    ]',
    '  }',
    '}',
    '',
  ].join('\n');
}
