// What an actor is: a protocol, options, an initial state, one handler per message type, and optional
// lifecycle hooks. The same definition runs on every host (inline, worker thread, child process).
import type { Static, TObject } from '@sinclair/typebox';
import type { Clock } from './clock.ts';
import type { AnyMessage, MessageOf, Protocol, ProtocolSpec, ReplyOf } from './protocol.ts';
import type { Rng } from './rng.ts';

export interface AskOptions {
  timeoutMs?: number;
}

export interface ActorRef<S extends ProtocolSpec = ProtocolSpec> {
  readonly name: string;
  /** Resolves once the message is in the mailbox (with backpressure, once there is room). */
  tell(message: AnyMessage<S>): Promise<void>;
  ask<M extends AnyMessage<S>>(message: M, options?: AskOptions): Promise<NoInfer<ReplyOf<S, M['type']>>>;
}

export interface ActorContext {
  readonly name: string;
  readonly clock: Clock;
  /** Seeded from the system seed and the actor's name: the same on every host and every run. */
  readonly rng: Rng;
  /** Another actor of the system, by name. Works from every host. */
  ref<S extends ProtocolSpec = ProtocolSpec>(name: string): ActorRef<S>;
  /** Ends this actor normally once the current message is handled. */
  stop(): void;
  log(message: string): void;
}

export interface HandlerContext<R> extends ActorContext {
  /** Answers the ask being handled; ignored for tells. */
  reply(value: R): void;
}

export type Handlers<S extends ProtocolSpec, State> = {
  [K in keyof S & string]: (
    state: State,
    message: MessageOf<S, K>,
    ctx: HandlerContext<ReplyOf<S, K>>,
  ) => State | Promise<State>;
};

export interface ActorDefinition<S extends ProtocolSpec = any, State = any, O extends TObject = TObject> {
  /** The name topologies use for this kind of actor. */
  readonly kind: string;
  /** `import.meta.url` of the defining module: needed to run the actor in a worker thread or child process. */
  readonly module?: string;
  readonly protocol: Protocol<S>;
  /** JSON Schema of the actor's options, checked when a topology is loaded. */
  readonly options?: O;
  init(options: Static<O>, ctx: ActorContext): State | Promise<State>;
  readonly handlers: Handlers<S, State>;
  /** A serialisable picture of the state, for checkpoints. */
  snapshot?(state: State): unknown;
  /**
   * Files and folders its options name, relative to the topology file's folder: `azr topology check` and
   * `azr run` make sure each exists before any actor starts (`pointer` is the option's JSON pointer), and that
   * `check` (given the absolute path) finds no problem in its content, e.g. `FILE:LINE: not JSON`.
   */
  files?(
    options: Static<O>,
  ): Array<{ pointer: string; path: string; check?(path: string): string | undefined }>;
  /** Rebuilds the state from a snapshot instead of `init`. */
  restore?(snapshot: unknown, options: Static<O>, ctx: ActorContext): State | Promise<State>;
  /**
   * Called when an incarnation ends: after a normal stop, and after a crash with the state of the last message
   * it completed, so resources it holds (worker pools, files) are released. Not called when its host dies.
   */
  stop?(state: State, ctx: ActorContext): void | Promise<void>;
}

/**
 * Declares a kind of actor: its protocol, options schema, `init` and one handler per message type; `snapshot` and
 * `restore` make it part of checkpoints. Give `module: import.meta.url` so it can run on a worker thread or a child
 * process. Register it with `builtinKinds().register(definition)` to name it in topologies.
 *
 * @example
 * const counter = defineActor({
 *   kind: 'counter',
 *   module: import.meta.url,
 *   protocol: defineProtocol({ add: { request: Type.Object({ n: Type.Number() }), reply: Type.Number() } }),
 *   init: () => ({ total: 0 }),
 *   handlers: {
 *     add: (state, { n }, ctx) => {
 *       ctx.reply(state.total + n);
 *       return { total: state.total + n };
 *     },
 *   },
 * });
 */
export function defineActor<S extends ProtocolSpec, State, O extends TObject = TObject>(
  definition: ActorDefinition<S, State, O>,
): ActorDefinition<S, State, O> {
  return definition;
}
