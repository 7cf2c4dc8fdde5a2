// Loading a topology the way every command does: with the built-in actor kinds and plugins known by name.
import { builtinActors } from '../../actors/index.ts';
import { builtinPlugins } from '../../plugins/index.ts';
import { ActorKinds, type LoadedTopology, loadTopologyFile, type Override } from '../topology/index.ts';

export function builtinKinds(): ActorKinds {
  const kinds = new ActorKinds();
  for (const definition of builtinActors) kinds.register(definition);
  return kinds;
}

export function loadConfig(file: string, overrides: Override[] = []): Promise<LoadedTopology> {
  return loadTopologyFile(file, { kinds: builtinKinds(), plugins: builtinPlugins, overrides });
}
