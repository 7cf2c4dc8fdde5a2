// What a run's head and `azr node` share about NATS: the connection settings (given, then environment, then
// topology), the remote actors of a topology, and the run's fingerprint that nodes must match (docs/distributed.md).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { HeadOptions, NatsHead } from '../runtime/nats-head.ts';
import { runNames } from '../runtime/nats-subjects.ts';
import type { NatsSettings } from '../runtime/nats-wire.ts';
import type { LoadedTopology, Topology } from '../topology/index.ts';

/** How to reach NATS; each unset field comes from an AZR_NATS_* variable, then the topology's `nats` section. */
export interface NatsOptions {
  /** Default: AZR_NATS_URL, then `nats.url`, then nats://127.0.0.1:4222. */
  url?: string;
  /** Default: AZR_NATS_USER, then `nats.user`, then the run's own user name. */
  user?: string;
  /** Default: AZR_NATS_PASS, then the user's entry in `secretsFile`. */
  pass?: string;
  /** A JSON file of passwords by user name (what `azr nats-config --secrets` writes). */
  secretsFile?: string;
  /** Default: `nats.nkeyFile`. */
  nkeyFile?: string;
  /** Default: `nats.credsFile`. */
  credsFile?: string;
}

export type Section = NonNullable<Topology['nats']>;

/** The `nats` section with its defaults (a topology may leave it out and give --nats). */
export function natsSection(topology: Topology): Section {
  return {
    url: 'nats://127.0.0.1:4222',
    ackWaitMs: 30_000,
    maxDeliver: 5,
    heartbeatMs: 2000,
    inlineLimitBytes: 524_288,
    prefetch: 1,
    joinTimeoutMs: 120_000,
    ...topology.nats,
  };
}

export interface RemoteActor {
  name: string;
  /** The topology entry: what `--roles` names. */
  role: string;
  entry: Topology['actors'][number];
}

export function remoteActors(topology: Topology): RemoteActor[] {
  return topology.actors
    .filter((entry) => entry.host === 'remote')
    .flatMap((entry) =>
      Array.from({ length: entry.count }, (_, r) => ({
        name: entry.count === 1 ? entry.name : `${entry.name}-${r}`,
        role: entry.name,
        entry,
      })),
    );
}

/** The configuration the head and its nodes must share; local paths and the seed (a run may override it) left out. */
export function runFingerprint(loaded: LoadedTopology): string {
  const { name, plugins, actors, modules } = loaded.topology;
  const portable = actors.map(({ options, ...entry }) => {
    const { configDir: _dir, plugins: _plugins, ...own } = options ?? {};
    return { ...entry, options: own };
  });
  return createHash('sha256')
    .update(JSON.stringify({ name, plugins, modules, actors: portable }))
    .digest('hex')
    .slice(0, 16);
}

/** Connection settings for `user`: options first, then AZR_NATS_* variables, then the topology. */
export async function natsSettings(
  loaded: LoadedTopology,
  given: NatsOptions,
  defaultUser: string,
): Promise<NatsSettings> {
  const section = natsSection(loaded.topology);
  const env = process.env;
  const here = (path: string | undefined) => (path ? resolve(dirname(loaded.file), path) : undefined);
  const user = given.user ?? env.AZR_NATS_USER ?? section.user ?? defaultUser;
  let pass = given.pass ?? env.AZR_NATS_PASS;
  if (pass === undefined && given.secretsFile) {
    const secrets = JSON.parse(await readFile(given.secretsFile, 'utf8')) as Record<string, string>;
    pass = secrets[user];
  }
  const nkeyFile = given.nkeyFile ?? here(section.nkeyFile);
  const credsFile = given.credsFile ?? here(section.credsFile);
  const tls = section.tls
    ? {
        caFile: here(section.tls.caFile),
        certFile: here(section.tls.certFile),
        keyFile: here(section.tls.keyFile),
      }
    : undefined;
  return {
    url: given.url ?? env.AZR_NATS_URL ?? section.url,
    ...(nkeyFile || credsFile ? {} : { user, pass }),
    nkeyFile,
    credsFile,
    tls,
  };
}

/** Connects as the head of the topology's run and lays out its queues (the nats client loads only here). */
export async function startHead(
  loaded: LoadedTopology,
  given: NatsOptions,
  extra: Pick<HeadOptions, 'log' | 'ledger'> & { seed?: number },
): Promise<NatsHead> {
  const section = natsSection(loaded.topology);
  const { NatsHead } = await import('../runtime/nats-head.ts');
  return NatsHead.start({
    settings: await natsSettings(loaded, given, runNames(loaded.topology.name).headUser),
    run: loaded.topology.name,
    fingerprint: runFingerprint(loaded),
    seed: extra.seed ?? loaded.topology.seed,
    actors: remoteActors(loaded.topology).map((a) => ({
      name: a.name,
      role: a.role,
      capacity: a.entry.mailbox?.capacity ?? 1024,
    })),
    ackWaitMs: section.ackWaitMs,
    maxDeliver: section.maxDeliver,
    heartbeatMs: section.heartbeatMs,
    inlineLimit: section.inlineLimitBytes,
    log: extra.log,
    ledger: extra.ledger,
  });
}
