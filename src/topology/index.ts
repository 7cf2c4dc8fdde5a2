export { type BuildOptions, buildTopology } from './build.ts';
export {
  ConfigError,
  type ConfigIssue,
  formatIssue,
  type LoadedTopology,
  loadTopologyFile,
  parseTopology,
} from './load.ts';
export { ActorKinds, isActorDefinition } from './registry.ts';
export {
  type ActorEntry,
  ActorEntrySchema,
  SupervisionSchema,
  type Topology,
  TopologySchema,
} from './schema.ts';
export { formatTree } from './tree.ts';
export { type Override, OverrideError, parseOverride } from './overrides.ts';
