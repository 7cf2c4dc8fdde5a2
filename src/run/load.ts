// Loading a topology the way `run` and every command do: with the built-in actor kinds and plugins known by name.
import { builtinActors } from '../../actors/index.ts';
import { importBuiltinPlugins } from '../plugins/registry.ts';
import {
  ActorKinds,
  type LoadedTopology,
  loadTopologyFile,
  type Override,
  parseOverride,
} from '../topology/index.ts';

/** The built-in actor kinds (coordinator, proposer, solver, validator, learner, buffer, metrics). */
export function builtinKinds(): ActorKinds {
  const kinds = new ActorKinds();
  for (const definition of builtinActors) kinds.register(definition);
  return kinds;
}

/**
 * Reads and checks a topology file with the built-in actor kinds and plugins; `overrides` (`--set PATH=VALUE`)
 * change it before it is checked. Throws a ConfigError that lists every problem.
 */
export async function loadConfig(file: string, overrides: Override[] = []): Promise<LoadedTopology> {
  // The builder asks actors for their plugins without waiting (a coordinator's companion buffers): every built-in
  // is imported now, whatever the topology names, as the actors' defaults may name those it does not.
  await importBuiltinPlugins();
  return loadTopologyFile(file, { kinds: builtinKinds(), overrides });
}

/**
 * Reads and checks a topology file as `azr run` does, with the built-in actor kinds and plugins; `set` changes it
 * first, as `--set PATH=VALUE` does. Throws a `ConfigError` listing every problem with its file:line:column and
 * JSON pointer (or an `OverrideError` for a bad `set` entry).
 *
 * @example
 * const loaded = await loadTopology('examples/tiny-zero.yaml', { set: ['actors.learner.options.lr=1e-3'] });
 * const system = buildTopology(loaded); // the actors started, without the run loop
 */
export function loadTopology(
  file: string,
  options: { set?: readonly string[] } = {},
): Promise<LoadedTopology> {
  return loadConfig(file, (options.set ?? []).map(parseOverride));
}
