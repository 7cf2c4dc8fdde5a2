export * from './api.ts';
export * from './format.ts';
export * from './program-task.ts';
export { type LoadedPlugins, loadPlugins, PluginError, type PluginUse, totalReward } from './registry.ts';
export { type FaultCounts, guard, mergeFaults } from './faults.ts';
export { type BenchItem, BenchError, parseBench } from './benchmark.ts';
export {
  invalidProposal,
  proposalShapeProblem,
  proposalVerdict,
  type SandboxValidation,
} from './proposal-shape.ts';
