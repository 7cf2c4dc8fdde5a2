export type {
  ActorContext,
  ActorDefinition,
  ActorRef,
  AskOptions,
  HandlerContext,
  Handlers,
} from './actor.ts';
export { defineActor } from './actor.ts';
export type { ActorStats } from './cell.ts';
export { type Clock, realClock, SimulatedClock, type TimerHandle } from './clock.ts';
export { decode, encode } from './codec.ts';
export * from './errors.ts';
export { EventBus, type RuntimeEvent } from './events.ts';
export { type HostKind, hostKinds } from './host.ts';
export { defaultMailbox, type MailboxOptions, type OverflowPolicy } from './mailbox.ts';
export {
  type AnyMessage,
  type CheckProblem,
  defineProtocol,
  type MessageOf,
  type MessageSpec,
  type Protocol,
  type ProtocolSpec,
  type ReplyOf,
} from './protocol.ts';
export { createRng, type Rng } from './rng.ts';
export {
  type Backoff,
  defaultSupervision,
  type Exit,
  type RestartKind,
  type Strategy,
  type SupervisionOptions,
  Supervisor,
  type TreeNode,
} from './supervisor.ts';
export {
  ActorSystem,
  createSystem,
  type SpawnOptions,
  type SupervisorSpawnOptions,
  type SystemOptions,
  type SystemReport,
} from './system.ts';
