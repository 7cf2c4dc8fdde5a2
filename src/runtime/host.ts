// A host runs incarnations of actors: `inline` on this event loop, `thread` in a worker thread,
// `process` in a child process, `remote` on `azr node` processes reached through NATS (nats-head.ts). The cell
// above it does not care which.
import type { ActorContext } from './actor.ts';
import { Runner, type Envelope, type RunnerEvents, type RunnerSpec } from './runner.ts';

export type HostKind = 'inline' | 'thread' | 'process' | 'remote';
/** The hosts that need nothing outside this machine (`remote` needs a NATS connection, see nats-head.ts). */
export const hostKinds: readonly HostKind[] = ['inline', 'thread', 'process'];

export interface Incarnation {
  deliver(envelope: Envelope): void;
  snapshot(): Promise<unknown>;
  /** Graceful: handles what was delivered, runs the stop hook. */
  stop(): Promise<void>;
  /** Immediate, without hooks. */
  kill(): void;
}

export interface HostStartSpec extends RunnerSpec {
  seed: string;
  /** Whether messages and replies travel msgpack-encoded (always, across threads and processes). */
  encode: boolean;
}

/** Services an actor's context needs from its system. */
export interface ContextServices {
  context(name: string, seed: string): Omit<ActorContext, 'stop'>;
}

export type Host = (spec: HostStartSpec, events: RunnerEvents, services: ContextServices) => Incarnation;

export const inlineHost: Host = (spec, events, services) => {
  const runner = new Runner(spec, services.context(spec.name, spec.seed), events);
  void runner.start();
  return runner;
};
