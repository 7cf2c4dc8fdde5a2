// The public API of azr, by what a user does with it: run a topology, write actors, write plugins, handle errors.
// Everything else under src/ is internal and may change without notice. docs/library.md, docs/plugins.md and
// docs/errors.md explain these; docs/architecture.md says which folder holds what.

// ── Run a topology ──────────────────────────────────────────────────────────────────────────────────────────────
export type { RunEvent, RunSummary } from './run/events.ts';
export { builtinKinds, loadTopology } from './run/load.ts';
export type { RunOptions } from './run/options.ts';
export { run } from './run/run.ts';
export { type BuildOptions, buildTopology } from './topology/build.ts';
export type { ConfigIssue, LoadedTopology } from './topology/load.ts';
export { type ActorEntry, type Topology, TopologySchema } from './topology/schema.ts';

// ── Write actors ────────────────────────────────────────────────────────────────────────────────────────────────
export type { ActorContext, ActorDefinition, ActorRef, AskOptions, Handlers } from './runtime/actor.ts';
export { defineActor } from './runtime/actor.ts';
export type { ActorStats } from './runtime/cell.ts';
export { type Clock, SimulatedClock } from './runtime/clock.ts';
export { decode } from './runtime/codec.ts';
export type { RuntimeEvent } from './runtime/events.ts';
export type { HostKind } from './runtime/host.ts';
export type { MailboxOptions, OverflowPolicy } from './runtime/mailbox.ts';
export { defineProtocol, type MessageOf, type Protocol, type ReplyOf } from './runtime/protocol.ts';
export { createRng, type Rng } from './runtime/rng.ts';
export type { RestartKind, Strategy, SupervisionOptions } from './runtime/supervisor.ts';
export { type ActorSystem, createSystem, type SpawnOptions, type SystemOptions } from './runtime/system.ts';

// ── Write plugins: task modes, reward shapers, executors ───────────────────────────────────────────────────────
export * from './plugins/api.ts';
export { type BenchItem, parseBench } from './plugins/benchmark.ts';
export {
  oneLine,
  type PromptFormat,
  readSections,
  renderSections,
  type Section,
  section,
} from './plugins/format.ts';
export {
  identityTask,
  type ProgramModeOptions,
  type ProgramModeSpec,
  programCheck,
  programMode,
  programModeOptions,
  programPlugin,
  renderExample,
  singleInputTask,
} from './plugins/program-task.ts';
export { PluginError } from './plugins/registry.ts';
// TypeBox, for option and message schemas: a plugin or actor that imports it from azr needs no other dependency.
export { type Static, Type } from '@sinclair/typebox';

// ── Errors (docs/errors.md) ─────────────────────────────────────────────────────────────────────────────────────
export { AzrError, type ErrorCode, type ErrorKind, errorCodes, exitCodeOf, isAzrError } from './errors.ts';
export { CheckpointError, RunWriteError } from './run/run-dir.ts';
export {
  ActorCrashedError,
  AskTimeoutError,
  DeadLetterError,
  type ErrorInfo,
  MailboxFullError,
  MessageRejectedError,
} from './runtime/errors.ts';
export { ConfigError } from './topology/load.ts';
