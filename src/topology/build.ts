// Turns a checked topology into a running actor system: one supervisor per actor entry, holding its replicas,
// plus the companions that entries' kinds need and the topology leaves out (e.g. a buffer per task mode).
import {
  type ActorDefinition,
  type ActorSystem,
  createSystem,
  defaultSupervision,
  type SystemOptions,
} from '../runtime/index.ts';
import type { LoadedTopology } from './load.ts';
import type { Topology } from './schema.ts';
import { AzrError } from '../errors.ts';

type Supervision = NonNullable<Topology['supervision']>;
type Entry = Topology['actors'][number];

/** An actor an actor kind needs beside it; spawned inline with its kind's default options unless listed. */
export interface Companion {
  name: string;
  kind: string;
  options: Record<string, unknown>;
}

/** An actor definition that names its companions (the coordinator: a buffer for each task mode it plays). */
interface WithCompanions {
  companions(options: Record<string, unknown>): Companion[];
}

const hasCompanions = (definition: ActorDefinition): definition is ActorDefinition & WithCompanions =>
  typeof (definition as Partial<WithCompanions>).companions === 'function';

/**
 * An actor definition told how many replicas each entry has (the coordinator asks an entry's replicas as one
 * actor, sharding generation over them: docs/distributed.md, "Scaling generation"): `withReplicas` returns its
 * options with the counts of the entries whose `count` is above 1.
 */
interface WithReplicas {
  withReplicas(options: Record<string, unknown>, counts: Record<string, number>): Record<string, unknown>;
}

const hasReplicas = (definition: ActorDefinition): definition is ActorDefinition & WithReplicas =>
  typeof (definition as Partial<WithReplicas>).withReplicas === 'function';

function policy(supervision: Supervision | undefined) {
  return {
    ...defaultSupervision,
    ...supervision,
    backoff: { ...defaultSupervision.backoff, ...supervision?.backoff },
  };
}

/**
 * The companions the topology's entries need and do not list, as inline entries (explicit entries win). Each
 * replica name of an entry counts as listed.
 */
export function missingCompanions(loaded: LoadedTopology): Entry[] {
  const { topology, kinds } = loaded;
  const listed = new Set(
    topology.actors.flatMap((entry) =>
      entry.count === 1 ? [entry.name] : Array.from({ length: entry.count }, (_, r) => `${entry.name}-${r}`),
    ),
  );
  const added: Entry[] = [];
  for (const entry of topology.actors) {
    const definition = kinds.get(entry.kind);
    if (!definition || !hasCompanions(definition)) continue;
    for (const companion of definition.companions(entry.options ?? {})) {
      if (listed.has(companion.name)) continue;
      if (!kinds.get(companion.kind))
        throw new AzrError(
          'ACTOR_UNKNOWN',
          `actor "${entry.name}" needs a "${companion.kind}" actor named "${companion.name}", and no kind "${companion.kind}" is registered`,
        );
      listed.add(companion.name);
      added.push({
        name: companion.name,
        kind: companion.kind,
        count: 1,
        host: 'inline',
        restart: 'permanent',
        encode: true,
        options: companion.options,
      });
    }
  }
  return added;
}

export interface BuildOptions extends Omit<SystemOptions, 'name' | 'seed' | 'supervision'> {
  /** Override the topology's seed. */
  seed?: number;
  /** State to restore, by actor name (from a checkpoint). */
  snapshots?: Record<string, unknown>;
}

/**
 * Starts the actors of a loaded topology in a new actor system, on their hosts (inline, worker threads, child
 * processes; remote ones need `options.hosts.remote`), with companions the topology leaves out (a buffer per task
 * mode), restoring `snapshots` by actor name when given. No run loop: ask the actors yourself, then `system.stop()`.
 *
 * @example
 * const system = buildTopology(await loadTopology('examples/tiny-zero.yaml'));
 * const coordinator = system.lookup('coordinator');
 * await system.stop();
 */
export function buildTopology(loaded: LoadedTopology, options: BuildOptions = {}): ActorSystem {
  const { topology, kinds } = loaded;
  const { snapshots: _snapshots, ...systemOptions } = options;
  const system = createSystem({
    ...systemOptions,
    name: topology.name,
    seed: options.seed ?? topology.seed,
    supervision: policy(topology.supervision),
  });
  const counts = Object.fromEntries(
    topology.actors.filter((entry) => entry.count > 1).map((entry) => [entry.name, entry.count]),
  );
  for (const entry of [...topology.actors, ...missingCompanions(loaded)]) {
    const definition = kinds.get(entry.kind)!;
    const entryOptions =
      hasReplicas(definition) && Object.keys(counts).length
        ? definition.withReplicas(entry.options ?? {}, counts)
        : entry.options;
    const group = system.supervisor({ name: entry.name, ...policy(entry.supervision) });
    for (let replica = 0; replica < entry.count; replica++) {
      const name = entry.count === 1 ? entry.name : `${entry.name}-${replica}`;
      system.spawn(definition, {
        name,
        snapshot: options.snapshots?.[name],
        parent: group,
        host: entry.host,
        restart: entry.restart,
        mailbox: entry.mailbox,
        encode: entry.encode,
        options: {
          ...entryOptions,
          ...(entry.count > 1 ? { replica } : {}),
        },
      });
    }
  }
  return system;
}
