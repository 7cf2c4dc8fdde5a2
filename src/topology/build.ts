// Turns a checked topology into a running actor system: one supervisor per actor entry, holding its replicas.
import { type ActorSystem, createSystem, defaultSupervision, type SystemOptions } from '../runtime/index.ts';
import type { LoadedTopology } from './load.ts';
import type { Topology } from './schema.ts';

type Supervision = NonNullable<Topology['supervision']>;

function policy(supervision: Supervision | undefined) {
  return {
    ...defaultSupervision,
    ...supervision,
    backoff: { ...defaultSupervision.backoff, ...supervision?.backoff },
  };
}

export interface BuildOptions extends Omit<SystemOptions, 'name' | 'seed' | 'supervision'> {
  /** Override the topology's seed. */
  seed?: number;
  /** State to restore, by actor name (from a checkpoint). */
  snapshots?: Record<string, unknown>;
}

export function buildTopology(loaded: LoadedTopology, options: BuildOptions = {}): ActorSystem {
  const { topology, kinds } = loaded;
  const { snapshots: _snapshots, ...systemOptions } = options;
  const system = createSystem({
    ...systemOptions,
    name: topology.name,
    seed: options.seed ?? topology.seed,
    supervision: policy(topology.supervision),
  });
  for (const entry of topology.actors) {
    const definition = kinds.get(entry.kind)!;
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
          ...entry.options,
          ...(entry.count > 1 ? { replica } : {}),
        },
      });
    }
  }
  return system;
}
