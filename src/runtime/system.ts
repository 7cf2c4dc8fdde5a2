// The actor system: a root supervisor, the hosts, the clock, the seed and the event bus. Spawn actors and
// supervisors into it, talk to them through refs, snapshot their state, stop it all with a report.
import type { TObject } from '@sinclair/typebox';
import type { ActorContext, ActorDefinition, ActorRef } from './actor.ts';
import { ActorCell, type ActorStats, type CellServices } from './cell.ts';
import { type Clock, realClock } from './clock.ts';
import { AzrError, type ErrorInfo } from './errors.ts';
import { EventBus, type RuntimeEvent } from './events.ts';
import { type Host, type HostKind, inlineHost } from './host.ts';
import { defaultMailbox, type MailboxOptions } from './mailbox.ts';
import { ajv, firstProblem, type ProtocolSpec } from './protocol.ts';
import type { ValidateFunction } from 'ajv';
import { processHost, threadHost } from './remote-host.ts';
import { createRng } from './rng.ts';
import {
  type Child,
  defaultSupervision,
  type RestartKind,
  type SupervisionOptions,
  Supervisor,
  type TreeNode,
} from './supervisor.ts';

export interface SystemOptions {
  name?: string;
  clock?: Clock;
  seed?: number | string;
  /** Default timeout of asks (ms). */
  askTimeoutMs?: number;
  /** How long a graceful stop may take before the incarnation is killed (ms). */
  shutdownTimeoutMs?: number;
  /** The root supervisor's policy. */
  supervision?: Partial<SupervisionOptions>;
  log?: (line: string) => void;
  /** Start the root supervisor at once (default). With false, actors are only laid out until `start()`. */
  start?: boolean;
  /** Hosts that need a connection made beforehand: `remote` (see nats-head.ts). */
  hosts?: Partial<Record<HostKind, Host>>;
}

export interface SpawnOptions<O = Record<string, unknown>> {
  name?: string;
  options?: O;
  host?: HostKind;
  mailbox?: Partial<MailboxOptions>;
  restart?: RestartKind;
  /** Encode inline messages with msgpack (default true). Always on across threads and processes. */
  encode?: boolean;
  /** Messages handed to the incarnation at once (default: 1 inline, 256 across a boundary). */
  window?: number;
  /** State to restore instead of calling `init`. */
  snapshot?: unknown;
  /** The supervisor to place the actor under (default: the root). */
  parent?: Supervisor;
}

export interface SupervisorSpawnOptions extends Partial<SupervisionOptions> {
  name: string;
  restart?: RestartKind;
  parent?: Supervisor;
}

export interface SystemReport {
  name: string;
  reason: 'stopped' | 'escalated';
  error?: ErrorInfo;
  stoppedAt: number;
  actors: Record<string, ActorStats>;
  events: Partial<Record<RuntimeEvent['type'], number>>;
}

/** A set of supervised actors: spawn, look up by name, snapshot, stop. Made by `createSystem` or `buildTopology`. */
export class ActorSystem {
  readonly name: string;
  readonly clock: Clock;
  readonly seed: string;
  readonly events = new EventBus();
  readonly root: Supervisor;
  /** Resolves with the report once the system has stopped, by `stop()` or because the root gave up. */
  readonly stopped: Promise<SystemReport>;
  private readonly cells = new Map<string, ActorCell>();
  private readonly eventCounts: SystemReport['events'] = {};
  private readonly hosts: Record<HostKind, Host>;
  private readonly log: (line: string) => void;
  private resolveStopped!: (report: SystemReport) => void;
  private stopping: Promise<SystemReport> | undefined;

  constructor(private readonly options: SystemOptions = {}) {
    this.name = options.name ?? 'azr';
    this.clock = options.clock ?? realClock;
    this.seed = String(options.seed ?? 0);
    this.log = options.log ?? (() => {});
    this.hosts = {
      inline: inlineHost,
      thread: threadHost,
      process: processHost,
      remote: unconnectedHost,
      ...options.hosts,
    };
    this.stopped = new Promise((resolve) => {
      this.resolveStopped = resolve;
    });
    const lastCrash = new Map<string, string>();
    this.events.on((event) => {
      this.eventCounts[event.type] = (this.eventCounts[event.type] ?? 0) + 1;
      if (event.type === 'crashed') lastCrash.set(event.actor, event.error.message);
      else if (event.type === 'exited') lastCrash.delete(event.actor);
      else if (event.type === 'restarting')
        this.log(
          `${event.supervisor} restarts actor "${event.actor}" in ${event.delayMs} ms ` +
            `(restart ${event.attempt} in its window; ${lastCrash.get(event.actor) ?? 'it exited'})`,
        );
      else if (event.type === 'retried')
        this.log(
          `actor "${event.actor}": message "${event.messageType}" retried (attempt ${event.attempt + 1})`,
        );
      else if (event.type === 'dead-lettered')
        this.log(`actor "${event.actor}": message "${event.messageType}" dead-lettered (${event.reason})`);
    });
    this.root = new Supervisor(
      'root',
      { ...defaultSupervision, ...options.supervision },
      'permanent',
      this.services,
    );
    this.root.onExit = (exit) => {
      void this.shutdown('escalated', exit.kind === 'crash' ? exit.error : undefined);
    };
    if (options.start !== false) this.root.start();
  }

  /** Starts a system created with `start: false`. */
  start(): void {
    this.root.start();
  }

  spawn<S extends ProtocolSpec, O extends TObject>(
    definition: ActorDefinition<S, any, O>,
    spawn: SpawnOptions = {},
  ): ActorRef<S> {
    const name = spawn.name ?? definition.kind;
    if (this.cells.has(name))
      throw new AzrError(
        'ACTOR_NAME_TAKEN',
        `an actor named "${name}" already exists in system "${this.name}"`,
      );
    const host = spawn.host ?? 'inline';
    if (host !== 'inline' && host !== 'remote' && !definition.module) {
      throw new AzrError(
        'OPTIONS_INVALID',
        `actor kind "${definition.kind}" cannot run on host "${host}": its definition has no \`module\` ` +
          '(add `module: import.meta.url` to defineActor)',
      );
    }
    const cell = new ActorCell(
      {
        name,
        definition,
        options: checkedOptions(definition, name, spawn.options),
        seed: `${this.seed}/${name}`,
        host,
        encode: host !== 'inline' || spawn.encode !== false,
        mailbox: { ...defaultMailbox, ...spawn.mailbox },
        restart: spawn.restart ?? 'permanent',
        window:
          spawn.window ??
          (host === 'inline' ? 1 : host === 'remote' ? (spawn.mailbox?.capacity ?? 256) : 256),
        snapshot: spawn.snapshot,
      },
      this.cellServices(),
    );
    this.cells.set(name, cell);
    (spawn.parent ?? this.root).add(cell);
    return cell as unknown as ActorRef<S>;
  }

  supervisor(options: SupervisorSpawnOptions): Supervisor {
    const { name, restart, parent, ...policy } = options;
    const supervisor = new Supervisor(
      name,
      { ...defaultSupervision, ...policy, backoff: { ...defaultSupervision.backoff, ...policy.backoff } },
      restart ?? 'permanent',
      this.services,
    );
    (parent ?? this.root).add(supervisor);
    return supervisor;
  }

  /** A ref to the named actor. */
  lookup<S extends ProtocolSpec = ProtocolSpec>(name: string): ActorRef<S> {
    const cell = this.cells.get(name);
    if (!cell) throw new AzrError('ACTOR_UNKNOWN', `no actor named "${name}" in system "${this.name}"`);
    return cell as unknown as ActorRef<S>;
  }

  stats(name: string): ActorStats {
    const cell = this.cells.get(name);
    if (!cell) throw new AzrError('ACTOR_UNKNOWN', `no actor named "${name}" in system "${this.name}"`);
    return { ...cell.stats };
  }

  tree(): TreeNode {
    return this.root.tree();
  }

  /** Waits until every mailbox is empty and no message is being handled. */
  async drain(): Promise<void> {
    for (const cell of this.cells.values()) await cell.drain();
  }

  /** Each running actor's snapshot, by name (actors without a `snapshot` hook are left out). */
  async snapshot(): Promise<Record<string, unknown>> {
    const snapshots: Record<string, unknown> = {};
    for (const [name, cell] of this.cells) {
      const snapshot = await cell.snapshot();
      if (snapshot !== undefined) snapshots[name] = snapshot;
    }
    return snapshots;
  }

  /**
   * Settles like `promise`, unless the system stops first (or the promise fails because it is stopping): then it
   * rejects with the reason the system stopped, not with the symptom.
   */
  whileRunning<T>(promise: Promise<T>): Promise<T> {
    const stopped = () =>
      this.stopped.then((report) =>
        Promise.reject(
          new AzrError(
            'SYSTEM_STOPPED',
            `the actor system stopped: ${report.error?.message ?? report.reason}`,
          ),
        ),
      );
    const guarded = promise.catch((error) => (this.stopping ? stopped() : Promise.reject(error)));
    const early = stopped();
    early.catch(() => {});
    return Promise.race([guarded, early]);
  }

  stop(): Promise<SystemReport> {
    return this.shutdown('stopped');
  }

  private shutdown(reason: SystemReport['reason'], error?: ErrorInfo): Promise<SystemReport> {
    this.stopping ??= (async () => {
      await this.root.terminate(
        reason === 'stopped' ? 'system stopped' : `system stopped: ${error?.message}`,
      );
      const report: SystemReport = {
        name: this.name,
        reason,
        error,
        stoppedAt: this.clock.now(),
        actors: Object.fromEntries([...this.cells].map(([name, cell]) => [name, { ...cell.stats }])),
        events: { ...this.eventCounts },
      };
      this.events.emit({
        type: 'system-stopped',
        actor: 'root',
        at: report.stoppedAt,
        reason: error?.message ?? reason,
      });
      if (error) this.log(`system "${this.name}" stopped: ${error.message}`);
      this.resolveStopped(report);
      return report;
    })();
    return this.stopping;
  }

  private get services() {
    return { clock: this.clock, emit: (event: RuntimeEvent) => this.events.emit(event) };
  }

  private cellServices(): CellServices {
    return {
      clock: this.clock,
      askTimeoutMs: this.options.askTimeoutMs ?? 30_000,
      shutdownTimeoutMs: this.options.shutdownTimeoutMs ?? 5_000,
      hosts: this.hosts,
      emit: (event) => this.events.emit(event),
      context: (name, seed): Omit<ActorContext, 'stop'> => ({
        name,
        clock: this.clock,
        rng: createRng(seed),
        ref: (target) => this.lazyRef(target),
        log: (line) => this.log(`[${name}] ${line}`),
      }),
    };
  }

  /** A ref resolved when used, so actors may name peers spawned after them. */
  private lazyRef<S extends ProtocolSpec>(name: string): ActorRef<S> {
    return {
      name,
      tell: (message) => this.lookup<S>(name).tell(message),
      ask: (message, options) => this.lookup<S>(name).ask(message, options),
    };
  }
}

const unconnectedHost: Host = () => {
  throw new AzrError(
    'REMOTE_UNCONNECTED',
    'host "remote" needs a NATS connection: run the topology with `azr run` and a `nats` section (or --nats URL)',
  );
};

const optionValidators = new WeakMap<object, ValidateFunction>();

/** The actor's options with their schema's defaults filled in; a bad option throws, naming its JSON pointer. */
function checkedOptions(definition: ActorDefinition, name: string, given: unknown): Record<string, unknown> {
  const options = structuredClone((given ?? {}) as Record<string, unknown>);
  if (!definition.options) return options;
  let validate = optionValidators.get(definition.options);
  if (!validate) {
    validate = ajv.compile(definition.options);
    optionValidators.set(definition.options, validate);
  }
  if (!validate(options)) {
    const { pointer, problem } = firstProblem(validate.errors);
    throw new AzrError(
      'OPTIONS_INVALID',
      `options of actor "${name}" (kind "${definition.kind}"): ${pointer || '/'} ${problem}`,
    );
  }
  return options;
}

/**
 * A new, empty actor system. Defaults: a real clock, mailboxes of capacity 1024 with backpressure, one-for-one
 * supervision with at most 1 restart in 5 s (backoff from 50 ms); `clock: new SimulatedClock()` makes its timers deterministic in tests.
 *
 * @example
 * const system = createSystem({ name: 'demo' });
 * const ref = system.spawn(counter, { name: 'counter', host: 'thread' });
 * await ref.ask({ type: 'add', n: 2 });
 * await system.stop();
 */
export function createSystem(options?: SystemOptions): ActorSystem {
  return new ActorSystem(options);
}

export type { Child };
