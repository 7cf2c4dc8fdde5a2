export * from './api.ts';
export * from './format.ts';
export * from './program-task.ts';
export {
  type LoadedPlugins,
  loadPlugins,
  loadPluginsSync,
  PluginError,
  type PluginUse,
  totalReward,
} from './registry.ts';
export { type Faults, guard, mergeFaults, recordFault } from './faults.ts';
export { walkGrammar } from './grammar-walk.ts';
export { type BenchItem, BenchError, parseBench } from './benchmark.ts';
// TypeBox, for plugin option schemas: a plugin that imports it from azr needs no dependency but azr.
export { type Static, Type } from '@sinclair/typebox';
export { StringEnum } from '../wire/index.ts';
